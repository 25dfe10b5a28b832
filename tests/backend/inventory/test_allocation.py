"""Allocation services: FEFO, never an expired lot, channel rules, all-or-nothing, release and
sale (alliance.inventory.allocation)."""

import pytest
from django.db.models import Sum
from django.utils import timezone

from alliance.catalog.models import Channel
from alliance.inventory.allocation import (
    AllocationRequest,
    base_pickup_available,
    quantity_available,
    stock_allocate,
    stock_deallocate,
    stock_fulfil_allocations,
)
from alliance.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    ReferenceRequired,
    UnknownChannel,
    UnknownVariant,
)
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Lot, Stock, StockMovement
from tests.backend.factories.accounts import staff
from tests.backend.factories.catalog import VariantFactory
from tests.backend.factories.inventory import (
    expired_lot,
    lot,
    stock_in,
    the_base,
    village_warehouse,
)

pytestmark = pytest.mark.django_db

ONLINE = Channel.ONLINE
BASE = Channel.BASE


def snapshot():
    """Everything allocation may touch, to prove a refusal changed nothing."""
    return (
        sorted(Stock.objects.values_list("pk", "quantity", "allocated")),
        sorted(Allocation.objects.values_list("pk", "stock_id", "reference", "quantity")),
        StockMovement.objects.count(),
    )


def taken(allocations):
    """[(warehouse, lot code, quantity)] in the order the allocations were made."""
    return [(a.stock.warehouse.kind, a.stock.lot.code, a.quantity) for a in allocations]


def allocated_of(stock):
    stock.refresh_from_db()
    return stock.allocated


@pytest.fixture
def variant():
    return VariantFactory()


@pytest.fixture
def village(variant):
    return village_warehouse(variant.product.producer.village)


def test_fefo_takes_the_earliest_best_before_across_lots_and_warehouses(variant, village):
    late_at_base = stock_in(the_base(), lot(variant, "LATE", best_before_days=40), 5)
    soon_in_village = stock_in(village, lot(variant, "SOON", best_before_days=3), 2)
    middle_at_base = stock_in(the_base(), lot(variant, "MID", best_before_days=10), 4)
    undated = stock_in(village, lot(variant, "UNDATED", best_before_days=None), 9)

    allocations = stock_allocate(
        lines=[AllocationRequest(variant.pk, 7, "order-line:1")], channel_slug=ONLINE
    )

    assert taken(allocations) == [("village", "SOON", 2), ("base", "MID", 4), ("base", "LATE", 1)]
    assert [allocated_of(s) for s in (soon_in_village, middle_at_base, late_at_base, undated)] == [
        2,
        4,
        1,
        0,
    ]
    assert all(a.channel.slug == ONLINE and a.reference == "order-line:1" for a in allocations)
    assert ledger_mismatches() == []


def test_lots_without_best_before_are_taken_last(variant, village):
    undated = stock_in(the_base(), lot(variant, "UNDATED", best_before_days=None), 10)
    dated = stock_in(village, lot(variant, "DATED", best_before_days=300), 3)

    allocations = stock_allocate(
        lines=[AllocationRequest(variant.pk, 5, "r1")], channel_slug=ONLINE
    )

    assert taken(allocations) == [("village", "DATED", 3), ("base", "UNDATED", 2)]
    assert (allocated_of(dated), allocated_of(undated)) == (3, 2)


def test_same_lot_at_the_base_goes_before_the_village(variant, village):
    shared = lot(variant, "SHARED", best_before_days=5)
    in_village = stock_in(village, shared, 3)
    at_base = stock_in(the_base(), shared, 3)

    allocations = stock_allocate(lines=[AllocationRequest(variant.pk, 4, "r")], channel_slug=ONLINE)

    assert taken(allocations) == [("base", "SHARED", 3), ("village", "SHARED", 1)]
    assert (allocated_of(at_base), allocated_of(in_village)) == (3, 1)


def test_a_lot_expiring_today_is_still_sold_but_not_after(variant):
    today_lot = Lot.objects.create(
        variant=variant,
        producer=variant.product.producer,
        code="TODAY",
        best_before=timezone.localdate(),
    )
    stock = stock_in(the_base(), today_lot, 2)

    allocations = stock_allocate(lines=[AllocationRequest(variant.pk, 2, "r")], channel_slug=BASE)

    assert taken(allocations) == [("base", "TODAY", 2)]
    assert allocated_of(stock) == 2


def test_an_expired_lot_is_never_taken_even_when_it_is_the_only_stock(variant):
    stale = stock_in(the_base(), expired_lot(variant), 20)
    before = snapshot()

    with pytest.raises(InsufficientStock) as refused:
        stock_allocate(lines=[AllocationRequest(variant.pk, 1, "r")], channel_slug=ONLINE)

    assert refused.value.code == "INSUFFICIENT_STOCK"
    assert variant.sku in refused.value.message
    assert refused.value.available == 0
    assert snapshot() == before
    assert allocated_of(stale) == 0
    assert ledger_mismatches() == []


def test_expired_lot_is_skipped_for_a_fresher_one(variant):
    stale = stock_in(the_base(), expired_lot(variant), 20)
    fresh = stock_in(the_base(), lot(variant, "FRESH", best_before_days=20), 5)

    allocations = stock_allocate(lines=[AllocationRequest(variant.pk, 5, "r")], channel_slug=BASE)

    assert taken(allocations) == [("base", "FRESH", 5)]
    assert (allocated_of(stale), allocated_of(fresh)) == (0, 5)


def test_base_counter_sells_only_from_the_base(variant, village):
    stock_in(village, lot(variant, "VILLAGE", best_before_days=2), 50)
    at_base = stock_in(the_base(), lot(variant, "BASE", best_before_days=30), 3)
    before = snapshot()

    with pytest.raises(InsufficientStock) as refused:
        stock_allocate(lines=[AllocationRequest(variant.pk, 4, "counter:1")], channel_slug=BASE)
    assert refused.value.available == 3
    assert "3 available" in refused.value.message
    assert snapshot() == before

    allocations = stock_allocate(
        lines=[AllocationRequest(variant.pk, 3, "counter:1")], channel_slug=BASE
    )
    assert taken(allocations) == [("base", "BASE", 3)]
    assert allocated_of(at_base) == 3
    assert allocations[0].channel.slug == BASE


def test_warehouse_ids_restrict_where_stock_is_taken(variant, village):
    stock_in(the_base(), lot(variant, "AT-BASE", best_before_days=1), 10)
    in_village = stock_in(village, lot(variant, "IN-VILLAGE", best_before_days=50), 10)

    allocations = stock_allocate(
        lines=[AllocationRequest(variant.pk, 2, "r")],
        channel_slug=ONLINE,
        warehouse_ids=[village.pk],
    )

    assert taken(allocations) == [("village", "IN-VILLAGE", 2)]
    assert allocated_of(in_village) == 2


def test_a_line_is_split_across_lots_and_already_reserved_stock_is_respected(variant, village):
    first = stock_in(village, lot(variant, "A", best_before_days=5), 4)
    second = stock_in(the_base(), lot(variant, "B", best_before_days=6), 4)
    stock_allocate(lines=[AllocationRequest(variant.pk, 3, "earlier")], channel_slug=ONLINE)

    allocations = stock_allocate(
        lines=[AllocationRequest(variant.pk, 3, "later")], channel_slug=ONLINE
    )

    assert taken(allocations) == [("village", "A", 1), ("base", "B", 2)]
    assert (allocated_of(first), allocated_of(second)) == (4, 2)
    assert quantity_available([variant.pk], ONLINE) == {variant.pk: 2}


def test_two_lines_of_one_variant_share_the_stock(variant):
    stock = stock_in(the_base(), lot(variant, "ONLY"), 5)
    before = snapshot()

    with pytest.raises(InsufficientStock) as refused:
        stock_allocate(
            lines=[AllocationRequest(variant.pk, 3, "a"), AllocationRequest(variant.pk, 3, "b")],
            channel_slug=ONLINE,
        )
    assert refused.value.available == 2
    assert refused.value.line_index == 1
    assert snapshot() == before

    stock_allocate(
        lines=[AllocationRequest(variant.pk, 3, "a"), AllocationRequest(variant.pk, 2, "b")],
        channel_slug=ONLINE,
    )
    assert allocated_of(stock) == 5


def test_all_or_nothing_when_the_second_line_cannot_be_met(variant):
    other = VariantFactory()
    first_stock = stock_in(the_base(), lot(variant, "P"), 10)
    second_stock = stock_in(the_base(), lot(other, "Q"), 1)
    before = snapshot()

    with pytest.raises(InsufficientStock) as refused:
        stock_allocate(
            lines=[AllocationRequest(variant.pk, 4, "l1"), AllocationRequest(other.pk, 2, "l2")],
            channel_slug=ONLINE,
        )

    assert other.sku in refused.value.message
    assert (refused.value.sku, refused.value.requested, refused.value.available) == (
        other.sku,
        2,
        1,
    )
    assert snapshot() == before
    assert (allocated_of(first_stock), allocated_of(second_stock)) == (0, 0)
    assert not Allocation.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2"])
def test_a_quantity_must_be_a_positive_whole_number(variant, quantity):
    stock_in(the_base(), lot(variant), 10)
    before = snapshot()

    with pytest.raises(InvalidQuantity) as refused:
        stock_allocate(lines=[AllocationRequest(variant.pk, quantity, "r")], channel_slug=ONLINE)

    assert refused.value.code == "INVALID_QUANTITY"
    assert snapshot() == before


def test_unknown_variant_channel_reference_or_no_lines_are_refused(variant):
    stock_in(the_base(), lot(variant), 10)
    before = snapshot()
    good = AllocationRequest(variant.pk, 1, "r")

    with pytest.raises(UnknownVariant) as unknown_variant:
        stock_allocate(lines=[good, AllocationRequest(999_999, 1, "r")], channel_slug=ONLINE)
    with pytest.raises(UnknownChannel) as unknown_channel:
        stock_allocate(lines=[good], channel_slug="wholesale")
    with pytest.raises(ReferenceRequired) as blank_reference:
        stock_allocate(lines=[AllocationRequest(variant.pk, 1, "  ")], channel_slug=ONLINE)
    with pytest.raises(ReferenceRequired):
        stock_allocate(lines=[AllocationRequest(variant.pk, 1, "x" * 65)], channel_slug=ONLINE)
    with pytest.raises(InvalidQuantity):
        stock_allocate(lines=[], channel_slug=ONLINE)

    assert unknown_variant.value.code == "UNKNOWN_VARIANT"
    assert unknown_channel.value.code == "UNKNOWN_CHANNEL"
    assert blank_reference.value.code == "REFERENCE_REQUIRED"
    assert snapshot() == before


def test_deallocate_releases_and_is_idempotent(variant, village):
    first = stock_in(village, lot(variant, "A", best_before_days=2), 2)
    second = stock_in(the_base(), lot(variant, "B", best_before_days=9), 5)
    stock_allocate(lines=[AllocationRequest(variant.pk, 4, "order-line:9")], channel_slug=ONLINE)
    kept = stock_allocate(
        lines=[AllocationRequest(variant.pk, 1, "order-line:10")], channel_slug=ONLINE
    )
    assert quantity_available([variant.pk], ONLINE) == {variant.pk: 2}

    assert stock_deallocate(reference="order-line:9") == 4
    after_first = snapshot()
    assert stock_deallocate(reference="order-line:9") == 0

    assert snapshot() == after_first
    assert (allocated_of(first), allocated_of(second)) == (0, 1)
    assert list(Allocation.objects.values_list("pk", flat=True)) == [kept[0].pk]
    assert quantity_available([variant.pk], ONLINE) == {variant.pk: 6}
    assert StockMovement.objects.filter(quantity__lt=0).count() == 0  # a release is no sale
    assert ledger_mismatches() == []


def test_deallocate_by_allocation_ids(variant):
    stock = stock_in(the_base(), lot(variant), 5)
    (one,) = stock_allocate(lines=[AllocationRequest(variant.pk, 2, "r")], channel_slug=ONLINE)
    stock_allocate(lines=[AllocationRequest(variant.pk, 1, "r")], channel_slug=ONLINE)

    assert stock_deallocate(allocation_ids=[one.pk]) == 2
    assert stock_deallocate(allocation_ids=[one.pk]) == 0
    assert allocated_of(stock) == 1
    with pytest.raises(ReferenceRequired):
        stock_deallocate()


def test_fulfil_writes_sale_rows_with_release_and_keeps_the_ledger(variant, village):
    user = staff()
    first = stock_in(village, lot(variant, "A", best_before_days=2), 3)
    second = stock_in(the_base(), lot(variant, "B", best_before_days=9), 10)
    stock_allocate(lines=[AllocationRequest(variant.pk, 5, "order-line:1")], channel_slug=ONLINE)
    stock_allocate(lines=[AllocationRequest(variant.pk, 1, "order-line:2")], channel_slug=ONLINE)

    movements = stock_fulfil_allocations(reference="order-line:1", actor=user, reason="shipped")

    assert sorted((m.kind, m.lot.code, m.quantity, m.weight_g) for m in movements) == [
        ("online_sale", "A", -3, -3 * variant.weight_g),
        ("online_sale", "B", -2, -2 * variant.weight_g),
    ]
    assert all(m.reference == "order-line:1" and m.actor == user for m in movements)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity, first.allocated) == (0, 0)
    assert (second.quantity, second.allocated) == (8, 1)
    assert not Allocation.objects.filter(reference="order-line:1").exists()
    assert Allocation.objects.filter(reference="order-line:2").count() == 1
    assert ledger_mismatches() == []

    before = snapshot()
    assert stock_fulfil_allocations(reference="order-line:1", actor=user) == []
    assert snapshot() == before


def test_counter_sale_is_a_base_sale_and_the_kind_must_match_the_channel(variant):
    stock = stock_in(the_base(), lot(variant), 4)
    stock_allocate(lines=[AllocationRequest(variant.pk, 4, "counter:7")], channel_slug=BASE)
    before = snapshot()

    with pytest.raises(InventoryError) as wrong_kind:
        stock_fulfil_allocations(reference="counter:7", kind=StockMovement.Kind.ONLINE_SALE)
    with pytest.raises(InventoryError) as not_a_sale:
        stock_fulfil_allocations(reference="counter:7", kind=StockMovement.Kind.LOSS)
    assert (wrong_kind.value.field, not_a_sale.value.field) == ("kind", "kind")
    assert snapshot() == before

    (sale,) = stock_fulfil_allocations(reference="counter:7", kind=StockMovement.Kind.BASE_SALE)
    assert (sale.kind, sale.quantity) == ("base_sale", -4)
    stock.refresh_from_db()
    assert (stock.quantity, stock.allocated) == (0, 0)
    total = StockMovement.objects.filter(stock=stock).aggregate(t=Sum("quantity"))["t"]
    assert total == 0
    assert ledger_mismatches() == []


def test_quantity_available_per_channel_in_one_query(variant, village, django_assert_num_queries):
    other = VariantFactory()
    nothing = VariantFactory()
    stock_in(village, lot(variant, "V", best_before_days=3), 7)
    stock_in(the_base(), lot(variant, "B", best_before_days=30), 5)
    stock_in(the_base(), expired_lot(variant), 100)
    stock_in(village, lot(other, "O"), 4)
    stock_allocate(lines=[AllocationRequest(variant.pk, 6, "r")], channel_slug=ONLINE)  # V: 6

    ids = [variant.pk, other.pk, nothing.pk]
    with django_assert_num_queries(1):
        online = quantity_available(ids, ONLINE)
    with django_assert_num_queries(1):
        counter = quantity_available(ids, BASE)
    with django_assert_num_queries(1):
        pickup = base_pickup_available(ids)

    assert online == {variant.pk: 6, other.pk: 4, nothing.pk: 0}
    assert counter == {variant.pk: 5, other.pk: 0, nothing.pk: 0}
    assert pickup == counter
    assert quantity_available([], ONLINE) == {}


def test_inactive_warehouse_is_neither_counted_nor_taken(variant, village):
    stock_in(village, lot(variant, "V", best_before_days=3), 7)
    village.is_active = False
    village.save(update_fields=["is_active"])
    stock_in(the_base(), lot(variant, "B", best_before_days=30), 2)

    assert quantity_available([variant.pk], ONLINE) == {variant.pk: 2}
    with pytest.raises(InsufficientStock):
        stock_allocate(lines=[AllocationRequest(variant.pk, 3, "r")], channel_slug=ONLINE)
