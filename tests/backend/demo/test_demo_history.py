"""The demo county's sales history (alliance.core.demo.history), built once at 1 % scale.

The module fixture loads the county with a 1 % history (about 14 t and 68,000 yuan, a year
of orders) and settles it, committed; each test reads it inside its own transaction (rolled
back), and the teardown removes every demo row again.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.accounts.models import User
from alliance.catalog.models import Channel, ProductVariant, VariantChannelPrice
from alliance.catalog.pricing import line_total
from alliance.core.demo import DemoResetRefused, load_demo_county, reset_demo_data
from alliance.core.demo.history import (
    ORDER_PREFIX,
    RECEIPT_PREFIX,
    TARGET_TONNES,
    TARGET_YUAN,
    demo_sales_totals,
    ensure_demo_history,
    settle_demo_history,
)
from alliance.core.demo.loader import DemoResult
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Lot, Stock, StockMovement, Transfer, TransferLine, Warehouse
from alliance.inventory.selectors import allocation_mismatches
from alliance.orders.models import (
    DeliveryMethod,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderLineLot,
    OrderStatus,
    PaymentStatus,
)
from alliance.orders.services import order_create_from_lines
from alliance.payments.models import Gateway, Payment, PaymentState, Refund, RefundLine
from alliance.reports.reconciliation import reconciliation
from alliance.reports.totals import alliance_totals_compute
from alliance.settlement.models import Payout, SettlementPeriod, Statement, StatementLine
from alliance.settlement.periods import period_code_for_date

SCALE = 0.01
Kind = StockMovement.Kind
PAID = (PaymentStatus.FULLY_CHARGED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.FULLY_REFUNDED)

pytestmark = pytest.mark.django_db


@dataclass
class Built:
    result: DemoResult
    queries: int  # SQL statements that wrote the history (COPY not counted: one per table)


@pytest.fixture(scope="module", autouse=True)
def county(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        periods = set(SettlementPeriod.objects.values_list("pk", flat=True))
        load_demo_county(photos=False, history=False, show_progress=False)
        result = DemoResult()
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            ensure_demo_history(result, scale=SCALE)
        settle_demo_history(result)  # outside a transaction, as the loader does
        yield Built(result, len(queries))
        reset_demo_data()
        SettlementPeriod.objects.exclude(pk__in=periods).delete()


def counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "line lots": OrderLineLot.objects.count(),
        "fulfillments": Fulfillment.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "refund lines": RefundLine.objects.count(),
        "lots": Lot.objects.count(),
        "stocks": Stock.objects.count(),
        "movements": StockMovement.objects.count(),
        "transfers": Transfer.objects.count(),
        "transfer lines": TransferLine.objects.count(),
        "statements": Statement.objects.count(),
        "payouts": Payout.objects.count(),
    }


def test_totals_come_to_the_scaled_county_figures(county):
    grams, value = demo_sales_totals()

    target_g = TARGET_TONNES * 1_000_000 * Decimal(str(SCALE))
    target_value = TARGET_YUAN * Decimal(str(SCALE))
    assert abs(grams - target_g) <= target_g / 100, grams
    assert abs(value - target_value) <= target_value / 100, value
    # The reports count the same way (this test database holds demo orders only).
    totals = alliance_totals_compute()
    assert (totals.weight_g, totals.value) == (grams, value)
    assert totals.villages_with_sales > 30
    assert county.result.created["orders"] == Order.objects.filter(is_demo=True).count() > 100


def test_a_year_of_orders_up_to_today_with_unique_numbers():
    orders = list(Order.objects.filter(is_demo=True).select_related("channel"))
    now = timezone.now()

    assert all(o.number.startswith(ORDER_PREFIX) for o in orders)
    assert len({o.number for o in orders}) == len(orders)
    counter = [o for o in orders if o.channel.slug == Channel.BASE]
    assert all(o.receipt_number.startswith(RECEIPT_PREFIX) for o in counter)
    assert len({o.receipt_number for o in counter}) == len(counter)
    assert all(o.receipt_number is None for o in orders if o.channel.slug == Channel.ONLINE)
    assert min(o.created_at for o in orders) < now - timedelta(days=350)
    assert max(o.created_at for o in orders) > now - timedelta(days=3)
    assert all(o.created_at < now for o in orders)
    months = {timezone.localtime(o.created_at).strftime("%Y-%m") for o in orders}
    assert len(months) >= 12
    # Online orders are paid by the demo gateway under unique fake PaymentIntent ids; the
    # counter is paid in cash (the receipt as reference) or by bank transfer.
    payments = Payment.objects.filter(order__is_demo=True).select_related("order__channel")
    online = [p for p in payments if p.order.channel.slug == Channel.ONLINE]
    assert {p.gateway for p in online} == {Gateway.DEMO}
    assert all(p.psp_reference.startswith("pi_demo_") for p in online)
    assert len({p.psp_reference for p in online}) == len(online)
    at_counter = [p for p in payments if p.order.channel.slug == Channel.BASE]
    assert {p.gateway for p in at_counter} == {Gateway.CASH, Gateway.BANK_TRANSFER}
    assert all(p.reference and p.psp_reference is None for p in at_counter)


def test_every_line_is_a_snapshot_of_its_variant_at_its_channel_price():
    prices = {
        (p.variant_id, p.channel.slug): p.price
        for p in VariantChannelPrice.objects.select_related("channel")
    }
    lines = OrderLine.objects.filter(order__is_demo=True).select_related(
        "order__channel", "variant__product__producer__village"
    )
    for line in lines:
        variant = line.variant
        product = variant.product
        by_weight = variant.sold_by == ProductVariant.SoldBy.WEIGHT
        assert (line.product_name, line.variant_label, line.sku) == (
            product.name,
            variant.unit_label,
            variant.sku,
        )
        assert (line.producer_id, line.producer_name) == (
            product.producer_id,
            product.producer.name,
        )
        assert (line.village_id, line.village_name) == (
            product.producer.village_id,
            product.producer.village.name,
        )
        assert (line.category_id, line.sold_by) == (product.category_id, variant.sold_by)
        assert line.unit_price == prices[(variant.pk, line.order.channel.slug)]
        assert line.unit_weight_g == (1 if by_weight else variant.weight_g)
        assert line.weight_g == line.quantity * line.unit_weight_g
        assert line.line_total == line_total(
            unit_price=line.unit_price, quantity=line.quantity, sold_by=line.sold_by
        )
        assert product.published_at <= line.order.created_at, line.sku

    for order in Order.objects.filter(is_demo=True).annotate(
        lines_total=Sum("lines__line_total"), grams=Sum("lines__weight_g")
    ):
        assert order.subtotal == order.lines_total
        assert order.total == order.subtotal + order.shipping
        assert order.total_weight_g == order.grams
        if order.delivery_method != DeliveryMethod.DELIVERY:
            assert order.shipping == 0 and order.shipping_address is None


def test_paid_orders_are_fulfilled_from_their_lots_and_captured():
    orders = Order.objects.filter(is_demo=True)
    paid = orders.filter(payment_status__in=PAID)
    cancelled = orders.filter(status=OrderStatus.CANCELLED)

    assert 0 < cancelled.count() < orders.count() // 10
    assert not cancelled.exclude(payment_status=PaymentStatus.NOT_CHARGED).exists()
    assert not Payment.objects.filter(order__in=cancelled).exists()
    assert not OrderLine.objects.filter(order__in=cancelled, fulfilled_at__isnull=False).exists()
    assert paid.count() + cancelled.count() == orders.count()
    for payment in Payment.objects.filter(order__in=paid).select_related("order"):
        assert payment.captured_amount == payment.amount == payment.order.total
        assert payment.order.created_at <= payment.captured_at <= timezone.now()
        assert payment.status in (
            PaymentState.CAPTURED,
            PaymentState.PARTIALLY_REFUNDED,
            PaymentState.REFUNDED,
        )

    lots = defaultdict(list)
    for row in OrderLineLot.objects.filter(line__order__in=paid).select_related("lot"):
        lots[row.line_id].append(row)
    shipped = defaultdict(int)
    for row in FulfillmentLine.objects.filter(order_line__order__in=paid):
        shipped[row.order_line_id] += row.quantity
    sales = defaultdict(list)
    for m in StockMovement.objects.filter(kind__in=[Kind.ONLINE_SALE, Kind.BASE_SALE]):
        sales[m.reference].append(m)
    base = Warehouse.objects.get(kind=Warehouse.Kind.BASE)
    for line in OrderLine.objects.filter(order__in=paid).select_related("order__channel"):
        assert line.quantity_fulfilled == line.quantity == shipped[line.pk]
        assert line.order.created_at <= line.fulfilled_at <= timezone.now()
        (row,) = lots[line.pk]
        assert (row.lot_id, row.quantity, row.lot.variant_id) == (
            line.lot_id,
            line.quantity,
            line.variant_id,
        )
        assert row.lot.best_before is None or row.lot.best_before >= timezone.localdate(
            line.fulfilled_at
        )
        (sale,) = sales[f"order-line:{line.pk}"]
        counter = line.order.channel.slug == Channel.BASE
        assert sale.kind == (Kind.BASE_SALE if counter else Kind.ONLINE_SALE)
        assert (sale.quantity, sale.lot_id, sale.warehouse_id) == (
            -line.quantity,
            line.lot_id,
            row.warehouse_id,
        )
        assert sale.weight_g == -line.weight_g
        assert sale.created_at == line.fulfilled_at
        if counter:
            assert row.warehouse_id == base.pk
    # Some online parcels leave from the villages' collection points.
    assert OrderLineLot.objects.filter(line__order__in=paid).exclude(warehouse=base).exists()


def test_the_ledger_balances_and_never_dips_below_zero():
    assert ledger_mismatches() == []
    assert allocation_mismatches() == []
    balance: dict[int, int] = defaultdict(int)
    for stock_id, quantity, kind, at in StockMovement.objects.order_by(
        "created_at", "id"
    ).values_list("stock_id", "quantity", "kind", "created_at"):
        balance[stock_id] += quantity
        assert balance[stock_id] >= 0, (stock_id, kind, at)
    # Receipts come first: the earliest movement of every stock row brings goods in.
    first = {}
    for stock_id, kind in StockMovement.objects.order_by("created_at", "id").values_list(
        "stock_id", "kind"
    ):
        first.setdefault(stock_id, kind)
    assert set(first.values()) <= {Kind.RECEIPT, Kind.TRANSFER_IN, Kind.RETURN}
    kinds = set(StockMovement.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(Kind.values)


def test_the_reconciliation_finds_the_stock_flow_and_payments_in_order():
    staff = User.objects.get(email="staff@example.com")

    report = reconciliation(actor=staff, period="all")

    found = {d.kind for d in report.discrepancies}
    assert "STOCK_FLOW_MISMATCH" not in found
    assert "FULFILLED_NOT_PAID" not in found
    assert "PAYMENT_MISMATCH" not in found
    assert "UNSETTLED_LINES" not in found
    assert "TRANSFER_SHORT" in found  # transfers that arrived short, booked as losses
    assert "STATEMENT_NOT_PAID" in found  # last month: confirmed, not all paid yet


def test_counter_buyers_buy_in_bulk_and_online_buyers_a_few_kilograms():
    averages = dict(
        Order.objects.filter(is_demo=True, payment_status__in=PAID)
        .values("channel__slug")
        .annotate(n=Count("pk"), grams=Sum("total_weight_g"))
        .values_list("channel__slug", "grams")
    )
    n = dict(
        Order.objects.filter(is_demo=True, payment_status__in=PAID)
        .values("channel__slug")
        .annotate(n=Count("pk"))
        .values_list("channel__slug", "n")
    )
    online = averages[Channel.ONLINE] / n[Channel.ONLINE]
    counter = averages[Channel.BASE] / n[Channel.BASE]

    assert 1_000 < online < 10_000  # a few kilograms
    assert counter > 20 * online
    assert n[Channel.ONLINE] > n[Channel.BASE]
    notes = Order.objects.filter(is_demo=True, channel__slug=Channel.BASE)
    assert all(o.note.startswith("买方：") for o in notes)
    assert any("食堂" in o.note for o in notes)


def test_refunds_name_their_lines_and_returned_goods_come_back_to_stock():
    refunds = list(
        Refund.objects.filter(payment__order__is_demo=True)
        .select_related("payment__order")
        .prefetch_related("lines__order_line")
    )
    assert refunds
    with_goods = [r for r in refunds if any(rl.quantity for rl in r.lines.all())]
    money_only = [r for r in refunds if not any(rl.quantity for rl in r.lines.all())]
    assert with_goods and money_only
    returns = defaultdict(int)
    for m in StockMovement.objects.filter(kind=Kind.RETURN):
        returns[m.reference] += m.quantity
    for refund in refunds:
        order = refund.payment.order
        lines = list(refund.lines.all())
        assert refund.status == Refund.Status.SUCCEEDED
        assert order.created_at < refund.succeeded_at < timezone.now()
        assert lines, refund
        # Shipping is no village's: a refund of everything leaves it without a line.
        assert sum(rl.amount for rl in lines) == min(refund.amount, order.subtotal)
        for rl in lines:
            line = rl.order_line
            assert rl.amount <= line.line_total
            if rl.quantity:
                assert line.quantity_refunded == rl.quantity
                assert returns[f"order-line:{line.pk}"] == rl.quantity
    for payment in Payment.objects.filter(refunds__isnull=False).distinct():
        refunded = payment.refunds.aggregate(s=Sum("amount"))["s"]
        assert payment.refunded_amount == refunded
        full = refunded == payment.captured_amount
        assert payment.status == (
            PaymentState.REFUNDED if full else PaymentState.PARTIALLY_REFUNDED
        )
        order = payment.order
        assert order.payment_status == (
            PaymentStatus.FULLY_REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
        )
        assert order.status == (OrderStatus.REFUNDED if full else OrderStatus.FULFILLED)


def test_losses_say_why_and_transfers_arrive_short_sometimes():
    losses = StockMovement.objects.filter(kind=Kind.LOSS)
    assert losses.exists() and not losses.filter(reason="").exists()
    short = TransferLine.objects.filter(quantity_received__lt=F("quantity"))
    assert short.exists()
    for line in short.select_related("transfer"):
        lost = StockMovement.objects.filter(
            kind=Kind.LOSS, transfer=line.transfer, lot=line.lot
        ).aggregate(q=Sum("quantity"))["q"]
        assert -lost == line.quantity - line.quantity_received
        assert line.shortfall_reason
    # What each transfer line says left the village is what the ledger moved out and in.
    out = defaultdict(int)
    came = defaultdict(int)
    for m in StockMovement.objects.filter(kind__in=[Kind.TRANSFER_OUT, Kind.TRANSFER_IN]):
        (out if m.kind == Kind.TRANSFER_OUT else came)[(m.transfer_id, m.lot_id)] += m.quantity
    for line in TransferLine.objects.filter(transfer__status=Transfer.Status.RECEIVED):
        assert -out[(line.transfer_id, line.lot_id)] == line.quantity
        assert came[(line.transfer_id, line.lot_id)] == line.quantity


def test_the_demo_consumer_has_orders_from_several_villages():
    consumer = User.objects.get(email="consumer@example.com")
    orders = Order.objects.filter(user=consumer, is_demo=True)

    assert orders.count() >= 5
    villages = set(orders.values_list("lines__village_id", flat=True))
    assert len(villages) >= 5
    assert all(o.email == consumer.email and o.shipping_address for o in orders)


def test_months_are_settled_the_last_one_partly_paid_the_current_one_open():
    today = timezone.localdate()
    current = period_code_for_date(today)
    statements = Statement.objects.filter(village__is_demo=True).select_related("period")
    by_period = defaultdict(list)
    for s in statements:
        by_period[s.period.code].append(s)
    codes = sorted(by_period)

    assert current not in by_period
    assert len(codes) >= 12
    *older, last = codes
    for code in older:
        assert {s.status for s in by_period[code]} == {"paid"}, code
        for s in by_period[code]:
            assert s.paid_amount == s.net_payable
            assert all(p.method == "bank_transfer" and p.reference for p in s.payouts.all())
    assert {s.status for s in by_period[last]} >= {"confirmed", "paid"}
    assert any(s.paid_amount == 0 for s in by_period[last])
    # Every paid line of an ended period is settled exactly once.
    start = min(s.period.starts_at for s in statements)
    settleable = OrderLine.objects.filter(
        order__is_demo=True,
        order__payment_status__in=PAID,
        fulfilled_at__lt=by_period[last][0].period.ends_at,
        fulfilled_at__gte=start,
    )
    settled = StatementLine.objects.filter(kind="sale", statement__village__is_demo=True)
    assert settled.count() == settleable.count()
    assert set(settled.values_list("order_line_id", flat=True)) == set(
        settleable.values_list("pk", flat=True)
    )


def test_a_second_load_adds_nothing():
    before = counts()
    result = DemoResult()

    assert ensure_demo_history(result, scale=SCALE) is None
    assert settle_demo_history(result) is False
    load_demo_county(photos=False, history=True, history_scale=SCALE, show_progress=False)

    assert counts() == before


def test_the_history_is_written_in_a_bounded_number_of_queries(county):
    # COPY does the inserts; the rest reads the catalogue and draws ids, whatever the size.
    assert county.result.created["order lines"] > 200
    assert county.queries <= 40


def test_reset_removes_the_history_and_refuses_while_real_orders_hold_demo_goods():
    variant = (
        OrderLine.objects.filter(order__is_demo=True, order__channel__slug=Channel.ONLINE)
        .first()
        .variant
    )
    real = order_create_from_lines(
        channel=Channel.objects.get(slug=Channel.ONLINE),
        user=None,
        email="real@example.org",
        lines=[(variant, 1)],
        delivery_method=DeliveryMethod.PICKUP,
        address=None,
        allocate=False,
    )
    before = counts()

    with pytest.raises(DemoResetRefused, match="1 real orders contain demo products"):
        reset_demo_data()
    assert counts() == before

    real.lines.all().delete()
    real.delete()
    deleted = reset_demo_data()

    assert deleted["orders"] == before["orders"] - 1 > 0
    assert deleted["statements"] > 0
    assert not Order.objects.filter(is_demo=True).exists()
    assert not Statement.objects.exists()
    assert not Payout.objects.exists()
    assert not StockMovement.objects.exists()
