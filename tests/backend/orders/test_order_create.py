"""order_create_from_lines: current prices, FEFO lots, snapshots, exact totals, all or nothing."""

import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum

from alliance.catalog.models import Product, ProductVariant, VariantChannelPrice
from alliance.inventory.errors import InsufficientStock
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock
from alliance.orders.errors import DuplicateLine, InvalidQuantity, NoLines, VariantNotAvailable
from alliance.orders.models import Order, OrderLine, OrderLineLot, OrderStatus, PaymentStatus
from alliance.orders.services import order_create_from_lines
from tests.backend.factories.accounts import consumer
from tests.backend.factories.catalog import channel
from tests.backend.factories.inventory import lot, stock_in, village_warehouse
from tests.backend.factories.orders import ADDRESS, online_order, stocked_variant

pytestmark = pytest.mark.django_db


def _nothing_changed(stock_before: dict[int, tuple[int, int]]) -> None:
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert Allocation.objects.count() == 0
    assert {s.pk: (s.quantity, s.allocated) for s in Stock.objects.all()} == stock_before


def test_lines_snapshot_the_catalog_at_todays_price():
    buyer = consumer()
    honey = stocked_variant(at_village=20, online="58.80", weight_g=500, sku="HONEY-500")
    VariantChannelPrice.objects.filter(variant=honey, channel__slug="online").update(
        price=Decimal("61.30")
    )
    order = online_order(buyer, [(honey, 3)], shipping="12.00")

    line = order.lines.get()
    product = honey.product
    assert line.product_name == product.name
    assert line.sku == "HONEY-500"
    assert line.producer_id == product.producer_id
    assert line.producer_name == product.producer.name
    assert line.village_id == product.producer.village_id
    assert line.village_name == product.producer.village.name
    assert line.category_id == product.category_id
    assert line.unit_price == Decimal("61.30")
    assert line.unit_weight_g == 500
    assert line.weight_g == 1500
    assert line.line_total == Decimal("183.90")
    assert order.subtotal == Decimal("183.90")
    assert order.shipping == Decimal("12.00")
    assert order.total == Decimal("195.90")
    assert order.total_weight_g == 1500
    assert order.user == buyer
    assert order.status == OrderStatus.UNFULFILLED
    assert order.payment_status == PaymentStatus.NOT_CHARGED
    assert order.shipping_address == ADDRESS
    assert order.number.startswith("AM") and len(order.number) == len("AM20261129-000123")

    # later catalog edits leave the order alone
    Product.objects.filter(pk=product.pk).update(name="改名了")
    line.refresh_from_db()
    assert line.product_name == product.name


def test_totals_are_decimal_exact_over_many_lines_and_by_weight():
    a = stocked_variant(at_village=100, online="0.10")
    b = stocked_variant(at_village=100, online="0.20")
    grain = stocked_variant(
        at_village=500_000, online="7.35", sold_by=ProductVariant.SoldBy.WEIGHT, weight_g=1000
    )
    order = online_order(consumer(), [(a, 7), (b, 9), (grain, 1234)])
    # 0.70 + 1.80 + 7.35 * 1.234 kg = 9.0699 -> 9.07
    totals = {line.sku: line.line_total for line in order.lines.all()}
    assert totals == {a.sku: Decimal("0.70"), b.sku: Decimal("1.80"), grain.sku: Decimal("9.07")}
    assert order.subtotal == Decimal("11.57")
    assert isinstance(order.subtotal, Decimal)
    assert order.total_weight_g == 7 * 500 + 9 * 500 + 1234


def test_fefo_lot_is_recorded_and_a_split_line_names_every_lot():
    variant = stocked_variant()
    warehouse = village_warehouse(variant.product.producer.village)
    late = lot(variant, "LATE", best_before_days=60)
    early = lot(variant, "EARLY", best_before_days=5)
    stock_in(warehouse, late, 10)
    stock_in(warehouse, early, 4)

    order = online_order(consumer(), [(variant, 6)])

    line = order.lines.get()
    assert line.lot == early
    rows = {(r.lot.code, r.quantity) for r in OrderLineLot.objects.filter(line=line)}
    assert rows == {("EARLY", 4), ("LATE", 2)}
    allocations = Allocation.objects.filter(reference=f"order-line:{line.pk}")
    assert allocations.aggregate(total=Sum("quantity"))["total"] == 6


def test_allocation_keeps_the_ledger_invariants():
    a = stocked_variant(at_village=10)
    b = stocked_variant(at_village=5, at_base=5)
    online_order(consumer(), [(a, 4), (b, 8)])

    assert ledger_mismatches() == []
    for stock in Stock.objects.all():
        reserved = Allocation.objects.filter(stock=stock).aggregate(total=Sum("quantity"))
        assert stock.allocated == (reserved["total"] or 0)
        assert 0 <= stock.allocated <= stock.quantity
    assert sum(s.allocated for s in Stock.objects.filter(variant=b)) == 8


def test_insufficient_stock_is_a_clear_error_and_changes_nothing():
    a = stocked_variant(at_village=10)
    b = stocked_variant(at_village=3, sku="SCARCE-1")
    before = {s.pk: (s.quantity, s.allocated) for s in Stock.objects.all()}

    with pytest.raises(InsufficientStock) as exc:
        online_order(consumer(), [(a, 2), (b, 4)])

    assert exc.value.code == "INSUFFICIENT_STOCK"
    assert "SCARCE-1" in exc.value.message and "3 available" in exc.value.message
    _nothing_changed(before)
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    ("make_lines", "error"),
    [
        (lambda v: [], NoLines),
        (lambda v: [(v, 0)], InvalidQuantity),
        (lambda v: [(v, -2)], InvalidQuantity),
        (lambda v: [(v, True)], InvalidQuantity),
        (lambda v: [(v, 1), (v, 2)], DuplicateLine),
    ],
)
def test_bad_lines_are_refused_and_change_nothing(make_lines, error):
    variant = stocked_variant(at_village=10)
    before = {s.pk: (s.quantity, s.allocated) for s in Stock.objects.all()}
    with pytest.raises(error):
        online_order(consumer(), make_lines(variant))
    _nothing_changed(before)


def test_unpublished_or_unpriced_variants_are_refused():
    draft = stocked_variant(at_village=10)
    Product.objects.filter(pk=draft.product_id).update(status=Product.Status.DRAFT)
    no_online_price = stocked_variant(at_village=10)
    VariantChannelPrice.objects.filter(variant=no_online_price, channel__slug="online").update(
        is_available=False
    )
    before = {s.pk: (s.quantity, s.allocated) for s in Stock.objects.all()}
    for variant in (draft, no_online_price):
        with pytest.raises(VariantNotAvailable) as exc:
            online_order(consumer(), [(variant, 1)])
        assert exc.value.code == "VARIANT_NOT_AVAILABLE"
        assert exc.value.field == "lines.0.variant"
    _nothing_changed(before)


def test_the_same_checkout_token_gives_the_same_order():
    variant = stocked_variant(at_village=10)
    token = uuid.uuid4()
    kwargs = dict(
        channel=channel("online"),
        user=None,
        email="guest@example.org",
        lines=[(variant, 2)],
        delivery_method="delivery",
        address=ADDRESS,
        checkout_token=token,
    )
    first = order_create_from_lines(**kwargs)
    second = order_create_from_lines(**kwargs)
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert Stock.objects.get(variant=variant).allocated == 2


def test_without_allocation_no_stock_is_reserved():
    variant = stocked_variant(at_village=1)
    order = order_create_from_lines(
        channel=channel("online"),
        user=None,
        email="x@example.org",
        lines=[(variant, 5)],
        delivery_method="pickup",
        address=None,
        allocate=False,
    )
    assert order.lines.get().lot is None
    assert Allocation.objects.count() == 0
