"""Indexes the reports need on other apps' tables (alliance.reports.sales, .reconciliation).

The reports filter each table by the instant that puts a row in a period:
- payments_payment.captured_at (captured rows only): payments captured in the period.
- payments_refund.succeeded_at (succeeded refunds only): refunds of the period, in the
  sales report and the reconciliation.
- inventory_transfer.received_at (received transfers only): transfers received short.
Already indexed by their own apps: orders' created_at (every BaseModel's created_at has
db_index), order lines' fulfilled_at (order_line_fulfilled_at), order lines' order_id (the
foreign key), the ledger's created_at, payments' order_id, SALE statement lines' order_line
(the partial unique index).

Plain `CREATE INDEX IF NOT EXISTS` (RunSQL), not Meta.indexes: the tables belong to other
apps, whose models stay as they are (makemigrations sees nothing). Not CONCURRENTLY:
migrations run in a transaction; on a large production table build the same index
CONCURRENTLY by hand first and this migration then finds it and does nothing. Reversible.
"""

from django.db import migrations

INDEXES = [
    (
        "report_payment_captured_at",
        "payments_payment",
        "(captured_at)",
        "WHERE captured_at IS NOT NULL",
    ),
    (
        "report_refund_succeeded_at",
        "payments_refund",
        "(succeeded_at)",
        "WHERE status = 'succeeded'",
    ),
    (
        "report_transfer_received_at",
        "inventory_transfer",
        "(received_at)",
        "WHERE received_at IS NOT NULL",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("orders", "0003_orderline_fulfilled_at"),
        ("payments", "0002_refund_succeeded_at_refundline"),
        ("inventory", "0002_ledger_append_only_and_warehouses"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} {where}".strip(),
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns, where in INDEXES
    ]
