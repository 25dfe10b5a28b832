"""Sequences behind readable order and receipt numbers (one nextval, no table lock)."""

from django.db import migrations

SEQUENCES = ("orders_order_number_seq", "orders_receipt_number_seq")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=[f"CREATE SEQUENCE IF NOT EXISTS {name}" for name in SEQUENCES],
            reverse_sql=[f"DROP SEQUENCE IF EXISTS {name}" for name in SEQUENCES],
        )
    ]
