"""The demo county's stock: lots, 90 days of ledger history, stock everywhere; reset scope."""

import io
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from alliance.catalog.models import Product, ProductVariant
from alliance.core.demo import DemoResetRefused, reset_demo_data
from alliance.core.demo.products import FRESH_FUNGI, FRUIT
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import (
    Allocation,
    Lot,
    Stock,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from alliance.villages.models import Village
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse
from tests.backend.factories.villages import ProducerFactory, TownFactory, VillageFactory

pytestmark = pytest.mark.django_db

DEMO = Q(variant__product__is_demo=True)
Kind = StockMovement.Kind


def load(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "load_demo",
        "--no-progress",
        "--no-photos",
        "--no-history",
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def inventory_counts() -> dict[str, int]:
    return {
        "warehouses": Warehouse.objects.count(),
        "lots": Lot.objects.count(),
        "stocks": Stock.objects.count(),
        "on hand": Stock.objects.aggregate(q=Sum("quantity"))["q"] or 0,
        "movements": StockMovement.objects.count(),
        "transfers": Transfer.objects.count(),
        "lines": TransferLine.objects.count(),
    }


def real_variant() -> ProductVariant:
    """A real product of a real cooperative in a real village (codes unlike the demo's)."""
    village = VillageFactory(town=TownFactory(code="610699001"), code="610699001001")
    product = ProductFactory(producer=ProducerFactory(village=village), name="真实土蜂蜜")
    return priced_variant(product)


def test_demo_county_holds_stock_everywhere_with_ninety_days_of_history():
    load()

    assert ledger_mismatches() == []
    base = the_base()
    points = {w.pk: w for w in Warehouse.objects.filter(village__is_demo=True)}
    assert len(points) == Village.objects.filter(is_demo=True).count() == 63
    on_hand = dict(
        Stock.objects.filter(DEMO)
        .values("warehouse_id")
        .annotate(q=Sum("quantity"))
        .values_list("warehouse_id", "q")
    )
    assert all(on_hand.get(pk, 0) > 0 for pk in points), "a collection point holds nothing"
    assert on_hand[base.pk] > 0
    assert not Allocation.objects.exists()

    movements = list(
        StockMovement.objects.filter(DEMO)
        .select_related("variant")
        .order_by("stock_id", "created_at", "id")
    )
    kinds = {m.kind for m in movements}
    assert kinds == {Kind.RECEIPT, Kind.TRANSFER_OUT, Kind.TRANSFER_IN, Kind.LOSS, Kind.ADJUSTMENT}
    # Goods arrive at every collection point and only there; the base gets them by transfer.
    receipt_points = {m.warehouse_id for m in movements if m.kind == Kind.RECEIPT}
    assert receipt_points == set(points)

    # The ledger reads as a history: spread over the last ~90 days, never in the future,
    # and no stock row ever dips below zero along it.
    now = timezone.now()
    assert all(now - timedelta(days=91) < m.created_at <= now for m in movements)
    assert min(m.created_at for m in movements) < now - timedelta(days=60)
    assert max(m.created_at for m in movements) > now - timedelta(days=3)
    balance: dict[int, int] = defaultdict(int)
    for m in movements:
        balance[m.stock_id] += m.quantity
        assert balance[m.stock_id] >= 0, m
    assert dict(Stock.objects.filter(DEMO).values_list("pk", "quantity")) == balance

    # Weight: units x unit weight, or the grams themselves for goods sold by weight.
    by_weight = 0
    for m in movements:
        if m.variant.sold_by == ProductVariant.SoldBy.WEIGHT:
            by_weight += 1
            assert m.weight_g == m.quantity
        else:
            assert m.weight_g == m.quantity * m.variant.weight_g
    assert 0 < by_weight < len(movements)

    # Losses always say why; some happen at villages, some at the base.
    losses = [m for m in movements if m.kind == Kind.LOSS]
    assert all(m.reason for m in losses)
    assert {m.warehouse_id == base.pk for m in losses if m.transfer_id is None} == {True, False}
    # A stocktake: adjustments both ways, at villages and at the base, under one reference.
    adjustments = [m for m in movements if m.kind == Kind.ADJUSTMENT]
    assert {m.quantity > 0 for m in adjustments} == {True, False}
    assert {m.warehouse_id == base.pk for m in adjustments} == {True, False}
    assert all(m.reference.startswith("count:") and m.reason for m in adjustments)


def test_demo_lots_have_realistic_dates_and_some_expire_soon():
    load()
    today = timezone.localdate()
    lots = Lot.objects.filter(DEMO).select_related("variant__product__category__parent")
    in_stock = set(
        Stock.objects.filter(DEMO, quantity__gt=0).values_list("lot_id", flat=True).distinct()
    )
    first_receipt = {
        lot_id: timezone.localtime(at).date()
        for lot_id, at in StockMovement.objects.filter(DEMO, kind=Kind.RECEIPT)
        .order_by("-created_at")
        .values_list("lot_id", "created_at")
    }
    fresh_fungi = {p.label for p in FRESH_FUNGI}
    fresh_fruit = {p.label for p in FRUIT}
    dated = [lot_ for lot_ in lots if not lot_.is_default]
    for lot_ in dated:
        variant = lot_.variant
        slug = variant.product.category.slug
        top = variant.product.category.parent.slug
        life = (lot_.best_before - lot_.harvest_date).days
        if top == "honey":
            assert 700 <= life <= 760, lot_
        elif top == "grains":
            assert 330 <= life <= 400, lot_
        elif top == "vegetables":
            assert 7 <= life <= 28, lot_
        elif top == "fungi" and variant.unit_label in fresh_fungi:
            assert 5 <= life <= 9, lot_
        elif top == "fruit" and variant.unit_label in fresh_fruit and slug != "jujubes":
            assert 10 <= life <= 28, lot_
        # Received after the harvest and before the best-before date.
        assert lot_.harvest_date <= first_receipt[lot_.pk] < lot_.best_before, lot_
        assert lot_.producer_id == variant.product.producer_id

    soon = [
        x for x in dated if today <= x.best_before <= today + timedelta(days=7) and x.pk in in_stock
    ]
    expired = [x for x in dated if x.best_before < today and x.pk in in_stock]
    assert len(soon) >= 20
    assert 0 < len(expired) < len(dated) // 10  # a few, still waiting for a write-off

    # Products that do not track lots keep their stock in the variant's one default lot.
    untracked = ProductVariant.objects.filter(product__is_demo=True, product__tracks_lots=False)
    assert untracked.exists()
    for variant in untracked.prefetch_related("lots"):
        (only,) = variant.lots.all()
        assert only.is_default and only.code == Lot.DEFAULT_CODE
        assert only.harvest_date is None and only.best_before is None
    assert not Lot.objects.filter(DEMO, is_default=True, variant__product__tracks_lots=True)
    assert not ProductVariant.objects.filter(product__is_demo=True, lots__isnull=True).exists()


def test_demo_transfers_carry_goods_to_the_base_some_short_some_in_transit():
    load()
    base = the_base()
    transfers = list(
        Transfer.objects.filter(lines__variant__product__is_demo=True)
        .distinct()
        .select_related("source")
        .prefetch_related("lines")
    )
    moved: dict[tuple[int, int, str, int], int] = defaultdict(int)  # transfer, lot, kind, place
    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)
    for m in StockMovement.objects.filter(DEMO, transfer__isnull=False):
        moved[(m.transfer_id, m.lot_id, m.kind, m.warehouse_id)] += m.quantity
        if m.kind == Kind.LOSS:
            reasons[(m.transfer_id, m.lot_id)].add(m.reason)

    in_transit = short = 0
    for t in transfers:
        assert t.source.kind == Warehouse.Kind.VILLAGE and t.destination_id == base.pk
        for line in t.lines.all():
            assert moved[(t.pk, line.lot_id, Kind.TRANSFER_OUT, t.source_id)] == -line.quantity
            if t.status == Transfer.Status.IN_TRANSIT:
                assert t.received_at is None and line.quantity_received is None
                assert (t.pk, line.lot_id, Kind.TRANSFER_IN, base.pk) not in moved
                continue
            assert t.received_at > t.dispatched_at
            assert moved[(t.pk, line.lot_id, Kind.TRANSFER_IN, base.pk)] == line.quantity
            missing = line.quantity - line.quantity_received
            assert moved.get((t.pk, line.lot_id, Kind.LOSS, base.pk), 0) == -missing
            if missing:
                short += 1
                assert line.shortfall_reason
                assert reasons[(t.pk, line.lot_id)] == {line.shortfall_reason}
        in_transit += t.status == Transfer.Status.IN_TRANSIT
    assert short >= 1
    assert 1 <= in_transit < len(transfers) // 2
    # Goods on the road are in no warehouse: village stock went down, the base's not yet up.
    on_road = (
        TransferLine.objects.filter(transfer__status=Transfer.Status.IN_TRANSIT)
        .filter(DEMO)
        .aggregate(q=Sum("quantity"))["q"]
    )
    assert on_road > 0


def test_a_second_run_adds_no_inventory():
    load()
    before = inventory_counts()

    output = load()

    assert inventory_counts() == before
    assert "Created nothing." in output
    assert ledger_mismatches() == []


def test_reset_removes_demo_inventory_and_keeps_real_inventory(django_capture_on_commit_callbacks):
    variant = real_variant()
    point = village_warehouse(variant.product.producer.village)
    real_stock = stock_in(point, lot(variant, "R1"), 40)
    real_base_stock = stock_in(the_base(), lot(variant, "R2"), 15)
    load()
    demo_movements = StockMovement.objects.filter(DEMO).count()
    assert demo_movements > 1000

    with django_capture_on_commit_callbacks(execute=True):
        deleted = reset_demo_data()

    assert deleted["stock movements"] == demo_movements
    assert deleted["warehouses"] == 63
    assert not Lot.objects.filter(DEMO).exists()
    assert not Stock.objects.filter(DEMO).exists()
    assert not StockMovement.objects.filter(DEMO).exists()
    assert not TransferLine.objects.exists() and not Transfer.objects.exists()
    assert set(Warehouse.objects.all()) == {point, the_base()}
    assert not Product.objects.filter(is_demo=True).exists()
    # Real stock, its lots and its ledger are untouched, and the ledger still adds up.
    real = {s.pk: s.quantity for s in Stock.objects.all()}
    assert real == {real_stock.pk: 40, real_base_stock.pk: 15}
    assert StockMovement.objects.count() == 2
    assert ledger_mismatches() == []
    # The maintenance switch is off again: the ledger refuses deletes in this transaction.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StockMovement.objects.all().delete()

    load()  # built again from scratch

    assert ledger_mismatches() == []
    assert StockMovement.objects.filter(DEMO).count() == demo_movements
    assert Stock.objects.get(pk=real_stock.pk).quantity == 40


def test_reset_through_the_command_rebuilds_the_inventory():
    load()
    before = inventory_counts()
    old_lots = set(Lot.objects.values_list("pk", flat=True))

    output = load("--reset")

    assert "Removed demo data:" in output and "63 warehouses" in output
    assert inventory_counts() == before
    assert not old_lots & set(Lot.objects.values_list("pk", flat=True))
    assert ledger_mismatches() == []


def test_reset_refuses_when_real_stock_sits_at_a_demo_collection_point():
    load()
    demo_point = Warehouse.objects.get(village__name="红旗村", village__is_demo=True)
    stock_in(demo_point, lot(real_variant(), "R1"), 5)
    before = inventory_counts()

    with pytest.raises(CommandError) as excinfo:
        load("--reset")

    assert "1 real stock rows are kept at demo villages' collection points" in str(excinfo.value)
    assert inventory_counts() == before
    assert ledger_mismatches() == []


@pytest.mark.parametrize("case", ["mixed lines", "real transfer from a demo point"])
def test_reset_refuses_when_real_goods_travel_with_demo_transfers(case):
    load()
    variant = real_variant()
    real_lot = lot(variant, "R1")
    if case == "mixed lines":
        transfer = Transfer.objects.filter(lines__variant__product__is_demo=True)[0]
        expected = "1 transfers carry both demo and real goods"
    else:
        source = Warehouse.objects.get(village__name="红旗村", village__is_demo=True)
        transfer = Transfer.objects.create(code="REAL-1", source=source, destination=the_base())
        expected = "1 transfers without demo goods start or end at demo villages' collection"
    TransferLine.objects.create(transfer=transfer, variant=variant, lot=real_lot, quantity=3)
    before = inventory_counts()

    with pytest.raises(DemoResetRefused, match=expected):
        reset_demo_data()

    assert inventory_counts() == before
    assert Product.objects.filter(is_demo=True).count() == 342
