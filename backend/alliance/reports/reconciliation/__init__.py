"""Reconciliation of a period: sales vs payments captured vs what Stripe reports vs
statements, stock flow per warehouse, and every discrepancy with the records behind it.

`reconciliation(actor=..., period="2026-10")` -> Reconciliation (types.py):
a. sales: paid orders created in the range (goods, shipping), refunds succeeded in it;
b. payments (staff): captured per gateway by captured_at, refunds by succeeded_at, net;
c. stripe (staff): Stripe's balance transactions of the range, compared charge by charge
   and refund by refund with our rows (stripe_compare.py); NOT_CONFIGURED without a key;
d. statements: statements of the settlement periods overlapping the range by status
   (gross, refunds, commission, net, paid), settleable lines done in the range vs settled;
e. stock: per warehouse, opening + received + transferred in + returns +/- adjustments -
   sold (online, base) - transferred out - lost = closing, in grams (kg at the edges), from
   the StockMovement ledger; closing checked against the Stock table when the range
   includes now;
f. discrepancies (checks.py, stripe_compare.py): FULFILLED_NOT_PAID, PAYMENT_MISMATCH,
   STRIPE_CHARGE_UNKNOWN, STRIPE_REFUND_UNKNOWN, STRIPE_PAYMENT_MISSING,
   STRIPE_REFUND_MISSING, AMOUNT_MISMATCH, TRANSFER_SHORT, STOCK_FLOW_MISMATCH,
   UNSETTLED_LINES (settleable lines done in a closed settlement period - one that ended
   before the current one began - in no statement), STATEMENT_NOT_PAID (confirmed, not
   fully paid, its period over). At most MAX_PER_KIND of each kind are listed (with
   `discrepancy_counts` saying how many there are) and at most MAX_RECORDS line records
   per discrepancy.
Scope: staff everything; a first secretary their village's sales, statements, lines,
transfers from their collection point and that warehouse's flow (payments and stripe are
None); anyone else PermissionDenied. About 12 SQL statements whatever the period's size
(plus Stripe's pages when it is configured, read before the statements, which all run in
one REPEATABLE READ, READ ONLY snapshot).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from alliance.reports.ranges import DateRange, current_settlement_start_utc, parse_range
from alliance.reports.reconciliation import checks, sections
from alliance.reports.reconciliation.stripe_compare import (
    StripeListing,
    stripe_fetch,
    stripe_section,
)
from alliance.reports.reconciliation.tables import reconciliation_tables
from alliance.reports.reconciliation.types import (
    Discrepancy,
    GatewayFigures,
    Kind,
    PaymentsSection,
    Reconciliation,
    Record,
    SalesSection,
    StatementFigures,
    StatementsSection,
    StockSection,
    StripeSection,
    StripeState,
    WarehouseFlow,
)
from alliance.reports.scope import ReportScope, report_scope
from alliance.reports.sql import report_transaction

MAX_PER_KIND = 100
MAX_RECORDS = 50

__all__ = [
    "MAX_PER_KIND",
    "MAX_RECORDS",
    "Discrepancy",
    "GatewayFigures",
    "Kind",
    "PaymentsSection",
    "Reconciliation",
    "Record",
    "SalesSection",
    "StatementFigures",
    "StatementsSection",
    "StockSection",
    "StripeSection",
    "StripeState",
    "WarehouseFlow",
    "reconciliation",
    "reconciliation_tables",
]


def reconciliation(*, actor: Any, period: str | DateRange) -> Reconciliation:
    scope = report_scope(actor, "Reconciliations")
    span = period if isinstance(period, DateRange) else parse_range(period)
    # Stripe first (network), then every SQL statement in one snapshot.
    listing = stripe_fetch(span) if scope.is_alliance else None
    with report_transaction(snapshot=True):
        return _reconcile(span, scope, listing, now=timezone.now())


def _reconcile(
    span: DateRange, scope: ReportScope, listing: StripeListing | None, *, now: datetime
) -> Reconciliation:
    limits = {"limit": MAX_PER_KIND, "cap": MAX_RECORDS}
    found: list[Discrepancy] = []
    counts: dict[str, int] = {}

    def add(kind: str, items: list[Discrepancy], total: int | None = None) -> None:
        counts[kind] = counts.get(kind, 0) + (len(items) if total is None else total)
        found.extend(items[:MAX_PER_KIND])

    sales = sections.sales_section(span, scope)
    payments = stripe = None
    if listing is not None:
        payments = sections.payments_section(span)
        stripe, stripe_problems = stripe_section(span, listing, payments)
        for kind in (
            Kind.STRIPE_CHARGE_UNKNOWN,
            Kind.STRIPE_REFUND_UNKNOWN,
            Kind.AMOUNT_MISMATCH,
            Kind.STRIPE_PAYMENT_MISSING,
            Kind.STRIPE_REFUND_MISSING,
        ):
            add(kind, [d for d in stripe_problems if d.kind == kind])

    statements, unpaid = sections.statements_section(span, scope, now=now)
    closed_before = min(span.end_utc, current_settlement_start_utc(now))
    (settleable, settleable_gross, settled, settled_gross), late = sections.settled_lines(
        span, scope, closed_before=closed_before, max_records=MAX_RECORDS
    )
    statements = replace(
        statements,
        settleable_lines=settleable,
        settleable_gross=settleable_gross,
        settled_lines=settled,
        settled_gross=settled_gross,
    )
    stock = sections.stock_flow(span, scope, now=now)

    add(Kind.FULFILLED_NOT_PAID, *checks.fulfilled_not_paid(span, scope, **limits))
    if scope.is_alliance:
        add(Kind.PAYMENT_MISMATCH, *checks.payment_mismatch(span, **limits))
    add(Kind.TRANSFER_SHORT, *checks.transfer_short(span, scope, **limits))
    off = [
        f.warehouse_id
        for f in stock.warehouses
        if f.warehouse_id and f.stock_table_g is not None and not f.balanced
    ]
    rows_off = sections.stock_rows_off(scope, off, MAX_RECORDS) if off else []
    add(Kind.STOCK_FLOW_MISMATCH, checks.stock_flow_mismatches(stock.warehouses, rows_off))
    add(Kind.UNSETTLED_LINES, checks.unsettled_lines(late))
    add(Kind.STATEMENT_NOT_PAID, checks.statements_not_paid(unpaid))

    return Reconciliation(
        period=span,
        village_id=scope.village_id,
        sales=sales,
        payments=payments,
        stripe=stripe,
        statements=statements,
        stock=stock,
        discrepancies=found,
        discrepancy_counts={k: v for k, v in counts.items() if v},
        village_name=scope.village_name,
    )
