"""The settlement history generator (scripts/bench/settlement_history.py) at a tiny scale, in
the test database: the rows it writes obey the models and tell one consistent story."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum

from alliance.catalog.models import Channel
from alliance.catalog.pricing import line_total
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock, StockMovement
from alliance.orders.models import Order, OrderLine, OrderLineLot, OrderStatus, PaymentStatus
from alliance.payments.models import Payment, PaymentState, Refund, RefundLine
from scripts.bench import settlement_history as bench

pytestmark = pytest.mark.django_db

LINES = 2000
MONTHS = 2
END = date(2026, 11, 15)  # local, exclusive: 2026-10-01 .. 2026-11-14
SEED = 7
DIGESTED = [
    "orders_order",
    "orders_orderline",
    "orders_orderlinelot",
    "orders_fulfillment",
    "orders_fulfillmentline",
    "payments_payment",
    "payments_refund",
    "payments_refundline",
    "inventory_lot",
    "inventory_transfer",
    "inventory_transferline",
    "inventory_stock",
    "inventory_allocation",
    "inventory_stockmovement",
]


class _Rollback(Exception):
    pass


@pytest.fixture
def structure() -> None:
    bench.load_structure()


@pytest.fixture
def history(structure: None) -> bench.Result:
    return bench.generate(lines=LINES, months=MONTHS, seed=SEED, end=END)


def digest() -> dict[str, str]:
    """md5 of every row (all columns, ids included) of each table the generator writes."""
    found = {}
    with connection.cursor() as cursor:
        for table in DIGESTED:
            cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t")
            found[table] = cursor.fetchone()[0]
    return found


def generated_digest(*, seed: int, fast: bool = False) -> dict[str, str]:
    """Generate, digest, and roll the history back (the structure stays)."""
    try:
        with transaction.atomic():
            bench.generate(lines=LINES, months=MONTHS, seed=seed, end=END, fast=fast)
            found = digest()
            raise _Rollback
    except _Rollback:
        pass
    assert not OrderLine.objects.exists()
    return found


def test_plan_months_ends_with_the_open_month() -> None:
    months = bench.plan_months(date(2026, 11, 29), 18)

    assert len(months) == 18
    assert months[0].start == date(2025, 6, 1)
    assert months[-1].start == date(2026, 11, 1)
    assert months[-1].end == date(2026, 11, 29)
    assert all(a.end == b.start for a, b in itertools.pairwise(months))
    # a history ending on the first of a month ends with the month before
    assert bench.plan_months(date(2026, 11, 1), 1)[0].start == date(2026, 10, 1)


def test_at_least_the_lines_asked_for_in_both_channels_and_months(
    history: bench.Result,
) -> None:
    lines = OrderLine.objects.count()
    assert LINES <= lines < LINES + 5  # the last order is kept whole
    assert history.counts["order lines"] == lines
    channels = dict(Order.objects.values_list("channel__slug").annotate(n=Count("pk")).order_by())
    assert channels[Channel.ONLINE] > channels[Channel.BASE] > 0
    start, end = bench.local_midnight(date(2026, 10, 1)), bench.local_midnight(END)
    assert not Order.objects.exclude(created_at__gte=start, created_at__lt=end).exists()
    assert not OrderLine.objects.filter(fulfilled_at__gte=end).exists()
    november = bench.local_midnight(date(2026, 11, 1))
    assert Order.objects.filter(created_at__lt=november).count() > 300
    assert Order.objects.filter(created_at__gte=november).count() > 200
    # lines done in November for orders placed in October: caught up by the next period
    assert OrderLine.objects.filter(
        order__created_at__lt=november, fulfilled_at__gte=november
    ).exists()


def test_orders_add_up_and_lines_are_priced_like_the_shop(history: bench.Result) -> None:
    totals = {
        o["pk"]: o
        for o in Order.objects.values("pk").annotate(
            lines_total=Sum("lines__line_total"),
            lines_weight=Sum("lines__weight_g"),
            variants=Count("lines__variant", distinct=True),
            n=Count("lines"),
        )
    }
    for order in Order.objects.all():
        t = totals[order.pk]
        assert order.subtotal == t["lines_total"]
        assert order.total == order.subtotal + order.shipping
        assert order.total_weight_g == t["lines_weight"]
        assert 1 <= t["n"] <= 5 and t["variants"] == t["n"]
    for line in OrderLine.objects.select_related("variant__product__producer"):
        variant = line.variant
        assert line.line_total == line_total(
            unit_price=line.unit_price, quantity=line.quantity, sold_by=line.sold_by
        )
        assert line.weight_g == line.quantity * line.unit_weight_g
        assert line.unit_weight_g == (1 if variant.sold_by == "weight" else variant.weight_g)
        assert line.producer_id == variant.product.producer_id
        assert line.village_id == variant.product.producer.village_id
        assert line.lot.variant_id == variant.pk
    assert OrderLineLot.objects.count() == OrderLine.objects.count()
    assert not OrderLineLot.objects.exclude(quantity=F("line__quantity")).exists()


def test_every_paid_order_has_its_total_captured(history: bench.Result) -> None:
    cancelled = Order.objects.filter(status=OrderStatus.CANCELLED)
    assert cancelled.exists()
    assert not cancelled.exclude(payment_status=PaymentStatus.NOT_CHARGED).exists()
    assert not Payment.objects.filter(order__in=cancelled).exists()

    paid = Order.objects.exclude(status=OrderStatus.CANCELLED)
    assert paid.annotate(n=Count("payments")).filter(n=1).count() == paid.count()
    for payment in Payment.objects.select_related("order"):
        order = payment.order
        assert payment.amount == payment.captured_amount == order.total
        assert payment.captured_at is not None and payment.captured_at >= order.created_at
        refunded = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(
            s=Sum("amount")
        )["s"] or Decimal("0.00")
        assert payment.refunded_amount == refunded
        if refunded == 0:
            assert payment.status == PaymentState.CAPTURED
            assert order.payment_status == PaymentStatus.FULLY_CHARGED
        elif refunded == order.total:
            assert payment.status == PaymentState.REFUNDED
            assert (order.payment_status, order.status) == (
                PaymentStatus.FULLY_REFUNDED,
                OrderStatus.REFUNDED,
            )
        else:
            assert payment.status == PaymentState.PARTIALLY_REFUNDED
            assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
        expected = {Channel.ONLINE: {"stripe"}, Channel.BASE: {"cash", "bank_transfer"}}
        assert payment.gateway in expected[order.channel.slug]


def test_fulfilment_and_refunds_follow_the_services_rules(history: bench.Result) -> None:
    unshipped = OrderLine.objects.filter(fulfilled_at__isnull=True)
    assert not unshipped.exclude(
        Q(order__status=OrderStatus.CANCELLED) | Q(order__status=OrderStatus.UNFULFILLED)
    ).exists()
    assert not unshipped.exclude(quantity_fulfilled=0).exists()
    shipped = OrderLine.objects.filter(fulfilled_at__isnull=False)
    assert not shipped.exclude(quantity_fulfilled=F("quantity")).exists()
    assert not shipped.filter(fulfilled_at__lt=F("order__created_at")).exists()
    assert (
        not shipped.annotate(f=Sum("fulfillment_lines__quantity")).exclude(f=F("quantity")).exists()
    )

    refunds = Refund.objects.all()
    assert refunds.count() >= 10
    assert not refunds.exclude(status=Refund.Status.SUCCEEDED).exists()
    for refund in refunds.annotate(lines_sum=Sum("lines__amount")):
        assert refund.lines_sum == refund.amount
        assert refund.succeeded_at > refund.payment.order.lines.first().fulfilled_at
    assert RefundLine.objects.filter(quantity=0).exists()  # money-only refunds, spread
    assert RefundLine.objects.filter(quantity__gt=0).exists()  # whole lines given back
    assert not RefundLine.objects.filter(amount__gt=F("order_line__line_total")).exists()
    assert (
        not RefundLine.objects.filter(quantity__gt=0)
        .exclude(quantity=F("order_line__quantity_refunded"))
        .exists()
    )
    refunded_lines = OrderLine.objects.filter(quantity_refunded__gt=0)
    assert refunded_lines.count() == RefundLine.objects.filter(quantity__gt=0).count()


def test_stock_equals_the_ledger_and_never_went_negative(history: bench.Result) -> None:
    assert ledger_mismatches() == []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT sum(quantity) OVER (PARTITION BY stock_id ORDER BY created_at, id) AS q
                FROM inventory_stockmovement) x
            WHERE q < 0
            """
        )
        assert cursor.fetchone()[0] == 0
    allocated = dict(Allocation.objects.values_list("stock").annotate(q=Sum("quantity")).order_by())
    assert allocated  # the latest online orders are still to ship
    for stock in Stock.objects.all():
        assert stock.allocated == allocated.get(stock.pk, 0)
    # one sale row per shipped line, of its quantity and weight, from its lot
    sales = {
        m.reference: m
        for m in StockMovement.objects.filter(
            kind__in=[StockMovement.Kind.ONLINE_SALE, StockMovement.Kind.BASE_SALE]
        )
    }
    shipped = OrderLine.objects.filter(fulfilled_at__isnull=False).select_related("order")
    assert len(sales) == shipped.count()
    for line in shipped:
        sale = sales[f"order-line:{line.pk}"]
        assert (sale.quantity, sale.weight_g) == (-line.quantity, -line.weight_g)
        assert (sale.lot_id, sale.created_at) == (line.lot_id, line.fulfilled_at)
        expected = "online_sale" if line.order.channel.slug == Channel.ONLINE else "base_sale"
        assert sale.kind == expected
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert kinds == {"receipt", "transfer_out", "transfer_in", "loss", "online_sale",
                     "base_sale", "return"}  # fmt: skip
    # transfers: what went out came in, what did not arrive is a loss with its reason
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM inventory_transferline tl
            WHERE tl.quantity <> (SELECT sum(quantity) FROM inventory_stockmovement m
                                  WHERE m.transfer_id = tl.transfer_id AND m.lot_id = tl.lot_id
                                    AND m.kind = 'transfer_in')
               OR tl.quantity - tl.quantity_received <> coalesce(
                    (SELECT -sum(quantity) FROM inventory_stockmovement m
                     WHERE m.transfer_id = tl.transfer_id AND m.lot_id = tl.lot_id
                       AND m.kind = 'loss'), 0)
               OR (tl.quantity_received < tl.quantity AND tl.shortfall_reason = '')
            """
        )
        assert cursor.fetchone()[0] == 0


def test_constraints_hold_and_the_key_check_finds_a_dangling_key(history: bench.Result) -> None:
    connection.check_constraints()  # the deferred foreign keys, now
    with connection.cursor() as cursor:
        bench.verify_foreign_keys(cursor, bench.SEQUENCES)
        line = OrderLine.objects.first()
        with pytest.raises(RuntimeError, match="orders_orderlinelot"):
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(
                    "INSERT INTO orders_orderlinelot (quantity, line_id, lot_id, warehouse_id) "
                    "VALUES (1, %s, %s, 2147483647)",
                    [line.pk, line.lot_id],
                )
                cursor.execute("SET LOCAL session_replication_role = origin")
                bench.verify_foreign_keys(cursor, ["orders_orderlinelot"])
    assert not OrderLineLot.objects.filter(warehouse_id=2147483647).exists()


def test_a_second_history_in_the_same_database_is_refused(history: bench.Result) -> None:
    lines = OrderLine.objects.count()

    with pytest.raises(RuntimeError, match="already holds a history"):
        bench.generate(lines=100, months=1, seed=SEED, end=END)
    assert OrderLine.objects.count() == lines


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(structure: None) -> None:
    first = generated_digest(seed=SEED)
    again = generated_digest(seed=SEED)
    fast = generated_digest(seed=SEED, fast=True)  # replica mode + indexes built afterwards
    other = generated_digest(seed=SEED + 1)

    assert all(first.values())
    assert first == again == fast
    assert all(other[table] != first[table] for table in ("orders_order", "orders_orderline"))


def test_database_constraints_refuse_what_the_generator_must_avoid(history: bench.Result) -> None:
    """The history passes the constraints because it must: they do refuse broken rows."""
    line = OrderLine.objects.filter(fulfilled_at__isnull=False).first()
    stock = Stock.objects.filter(allocated=0).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(quantity=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(order=line.order).update(captured_amount=F("amount") + 1)
    assert line.order.total == Payment.objects.get(order=line.order).captured_amount
