"""Settling the demo history month by month, its totals, and removing it (the reset)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from alliance.accounts.models import User
from alliance.core.demo.history.data import (
    BANKS,
    DEMO_STAFF_EMAIL,
    PAID_STATUSES,
    SEED,
    SETTLE_LOCK_KEY,
)
from alliance.core.money import quantize
from alliance.orders.models import (
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderLineLot,
)
from alliance.payments.models import Payment, Refund, RefundLine

if TYPE_CHECKING:
    from alliance.core.demo.loader import DemoResult

# --- settling it -----------------------------------------------------------------------------


def settle_demo_history(result: DemoResult, *, now: datetime | None = None) -> bool:
    """Settle the history's ended periods: each generated, its demo villages' statements
    confirmed and paid in full by bank transfer, except in the last ended period (some
    villages paid, some in part, some not yet); the current period stays open (no
    statements). Returns whether anything was done.

    Resumable and idempotent: a period where a demo village has a statement is not
    generated again, drafts are confirmed, and a confirmed statement without payouts gets
    what its (seeded) plan says. Call it outside a transaction, as the loader does after its
    commit: each service call then commits on its own (inside one transaction, ~1,400
    service savepoints overflow PostgreSQL's subtransaction cache and every query slows).
    """
    try:
        from alliance.settlement.models import Statement, StatementStatus
        from alliance.settlement.periods import period_code_for_date
        from alliance.settlement.services import (
            settlement_confirm,
            settlement_generate,
            settlement_payout_create,
        )
    except ImportError:  # pragma: no cover - the settlement app is being written meanwhile
        result.notes.append("Demo settlement skipped: alliance.settlement.services is missing.")
        return False
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL, is_demo=True, is_active=True).first()
    if staff is None:
        result.notes.append("Demo settlement skipped: there is no demo staff account.")
        return False
    first = (
        OrderLine.objects.filter(order__is_demo=True, fulfilled_at__isnull=False)
        .order_by("fulfilled_at")
        .values_list("fulfilled_at", flat=True)
        .first()
    )
    if first is None:
        return False
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = period_code_for_date(today)
    codes: list[str] = []
    day = timezone.localdate(first)
    while day <= today:
        code = period_code_for_date(day)
        if code != current and code not in codes:
            codes.append(code)
        day += timedelta(days=1)
    counts = {"statements": 0, "payouts": 0}
    demo = Statement.objects.filter(village__is_demo=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [SETTLE_LOCK_KEY])
        # ~1,400 small commits: none needs to wait for its WAL flush (a crash could lose
        # the last few, which a second run redoes; it can never make them inconsistent).
        cursor.execute("SET synchronous_commit TO off")
    try:
        for index, code in enumerate(codes):
            if not demo.filter(period__code=code).exists():
                settlement_generate(actor=staff, period_code=code, now=now)
            drafts = demo.filter(period__code=code, status=StatementStatus.DRAFT)
            for pk in drafts.order_by("village__code").values_list("pk", flat=True):
                settlement_confirm(actor=staff, statement_id=pk)
                counts["statements"] += 1
            unpaid = demo.filter(
                period__code=code, status=StatementStatus.CONFIRMED, paid_amount=0
            ).select_related("period")
            for statement in unpaid.order_by("village__code"):
                rng = random.Random(f"{SEED}:payout:{statement.number}")
                amount = statement.net_payable
                if index == len(codes) - 1:  # the latest: some paid, some in part, some not
                    paid = rng.choices(("all", "part", "none"), (55, 20, 25))[0]
                    share = Decimal(str(round(rng.uniform(0.3, 0.8), 2)))
                    amount = {"all": amount, "part": quantize(amount * share), "none": 0}[paid]
                if amount <= 0:
                    continue
                paid_on = min(statement.period.end_date + timedelta(days=rng.randint(5, 14)), today)
                settlement_payout_create(
                    actor=staff,
                    statement_id=statement.pk,
                    amount=amount,
                    paid_on=paid_on,
                    method="bank_transfer",
                    reference=f"{rng.choice(BANKS)}{paid_on:%Y%m%d}{rng.randrange(10**7, 10**8)}",
                )
                counts["payouts"] += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SETTLE_LOCK_KEY])
    for key, n in counts.items():
        result.created[key] = result.created.get(key, 0) + n
    return any(counts.values())


# --- totals and reset ------------------------------------------------------------------------


def demo_sales_totals() -> tuple[int, Decimal]:
    """(grams, yuan) the demo orders add to the alliance's totals, counted as the reports
    count: lines of paid orders, net of the goods and money given back."""
    lines = OrderLine.objects.filter(order__is_demo=True, order__payment_status__in=PAID_STATUSES)
    sold = lines.aggregate(g=Sum("weight_g"), v=Sum("line_total"))
    back = RefundLine.objects.filter(
        order_line__order__is_demo=True, refund__status=Refund.Status.SUCCEEDED
    ).aggregate(g=Sum(F("quantity") * F("order_line__unit_weight_g")), v=Sum("amount"))
    grams = (sold["g"] or 0) - (back["g"] or 0)
    value = (sold["v"] or Decimal(0)) - (back["v"] or Decimal(0))
    return int(grams), quantize(value)


def demo_history_totals() -> dict[str, int]:
    totals = {"orders": Order.objects.filter(is_demo=True).count()}
    try:
        from alliance.settlement.models import Statement
    except ImportError:  # pragma: no cover
        return totals
    totals["statements"] = Statement.objects.filter(village__is_demo=True).count()
    return totals


def history_reset_blockers() -> list[str]:
    """Real rows that hang on the demo history (see loader._reset_blockers)."""
    real = (
        OrderLine.objects.filter(order__is_demo=False, variant__product__is_demo=True)
        .values("order_id")
        .distinct()
        .count()
    )
    return [f"{real} real orders contain demo products"] if real else []


def history_reset() -> dict[str, int]:
    """Delete the demo orders with everything that hangs on them (statements of demo
    villages and their payouts first: the settlement triggers let this transaction do it,
    and only it). Call inside the reset's transaction, before the inventory goes."""
    from alliance.settlement.models import Payout, Statement, StatementLine

    table = {
        m: connection.ops.quote_name(m._meta.db_table)
        for m in (
            Order,
            OrderLine,
            OrderLineLot,
            Fulfillment,
            FulfillmentLine,
            Payment,
            Refund,
            RefundLine,
            Statement,
            StatementLine,
            Payout,
        )
    }
    village = connection.ops.quote_name("villages_village")
    orders = f"SELECT id FROM {table[Order]} WHERE is_demo"
    lines = f"SELECT id FROM {table[OrderLine]} WHERE order_id IN ({orders})"
    payments = f"SELECT id FROM {table[Payment]} WHERE order_id IN ({orders})"
    refunds = f"SELECT id FROM {table[Refund]} WHERE payment_id IN ({payments})"
    statements = (
        f"SELECT s.id FROM {table[Statement]} s JOIN {village} v ON v.id = s.village_id "
        "WHERE v.is_demo"
    )
    steps = [
        ("payouts", f"DELETE FROM {table[Payout]} WHERE statement_id IN ({statements})"),
        (
            "statement lines",
            f"DELETE FROM {table[StatementLine]} WHERE statement_id IN ({statements}) "
            f"OR order_line_id IN ({lines})",
        ),
        ("statements", f"DELETE FROM {table[Statement]} WHERE id IN ({statements})"),
        (
            "refund lines",
            f"DELETE FROM {table[RefundLine]} WHERE refund_id IN ({refunds}) "
            f"OR order_line_id IN ({lines})",
        ),
        ("refunds", f"DELETE FROM {table[Refund]} WHERE id IN ({refunds})"),
        ("payments", f"DELETE FROM {table[Payment]} WHERE id IN ({payments})"),
        (
            "fulfillment lines",
            f"DELETE FROM {table[FulfillmentLine]} WHERE order_line_id IN ({lines})",
        ),
        ("fulfillments", f"DELETE FROM {table[Fulfillment]} WHERE order_id IN ({orders})"),
        ("order lots", f"DELETE FROM {table[OrderLineLot]} WHERE line_id IN ({lines})"),
        ("order lines", f"DELETE FROM {table[OrderLine]} WHERE id IN ({lines})"),
        ("orders", f"DELETE FROM {table[Order]} WHERE is_demo"),
    ]
    deleted: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL alliance.settlement_maintenance = 'on'")
        for key, sql in steps:
            cursor.execute(sql)
            deleted[key] = cursor.rowcount
            if key == "statements":  # the bypass ends with the settlement rows
                cursor.execute("SET LOCAL alliance.settlement_maintenance = 'off'")
    return {k: deleted[k] for k in ("orders", "refunds", "statements", "payouts")}
