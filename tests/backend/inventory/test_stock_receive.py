from datetime import timedelta

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone

from alliance.catalog.models import Product
from alliance.inventory.errors import InvalidQuantity
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Lot, Stock, StockMovement
from alliance.inventory.operations import NewLot, lot_get_or_create, stock_receive
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, VariantFactory
from tests.backend.factories.inventory import expired_lot, lot, the_base, village_warehouse
from tests.backend.factories.villages import ProducerFactory
from tests.backend.inventory.ops_helpers import (
    error_codes,
    gid,
    ledger_checked,  # noqa: F401 (fixture)
    scene,
    snapshot,
    untracked_variant,
    weight_variant,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]

RECEIVE = """
mutation($input: StockReceiveInput!) {
  stockReceive(input: $input) {
    movement {
      kind quantity weightG weightKg reason actor { email }
      lot { code harvestDate bestBefore isDefault producer { name } }
      warehouse { code }
    }
    stock { id quantity allocated quantityAvailable }
    errors { field code message }
  }
}
"""


def today():
    return timezone.localdate()


def receive(gql, user, s, quantity, **extra):
    variables = {
        "input": {
            "warehouse": gid("Warehouse", extra.pop("warehouse", s.warehouse)),
            "variant": gid("ProductVariant", extra.pop("variant", s.variant)),
            "quantity": quantity,
            **extra,
        }
    }
    return gql.as_user(user).data(RECEIVE, variables)["stockReceive"]


def new_lot(code="2024-HUAI-01", harvest_days_ago=2, best_before_days=300):
    return {
        "code": code,
        "harvestDate": (today() - timedelta(days=harvest_days_ago)).isoformat(),
        "bestBefore": (today() + timedelta(days=best_before_days)).isoformat(),
    }


# --- happy paths ----------------------------------------------------------------------------


def test_operator_receives_a_new_lot_of_its_own_product(gql):
    s = scene()
    operator = operator_of(s.producer)

    payload = receive(gql, operator, s, 40, newLot=new_lot(), reason="春季采收")

    assert payload["errors"] == []
    movement = payload["movement"]
    assert movement["kind"] == "RECEIPT"
    assert movement["quantity"] == 40
    assert movement["weightG"] == 40 * 500
    assert movement["weightKg"] == "20.000"
    assert movement["reason"] == "春季采收"
    assert movement["actor"] == {"email": operator.email}
    assert movement["warehouse"] == {"code": s.warehouse.code}
    assert movement["lot"]["code"] == "2024-HUAI-01"
    assert movement["lot"]["producer"] == {"name": s.producer.name}
    assert movement["lot"]["isDefault"] is False
    assert movement["lot"]["bestBefore"] == (today() + timedelta(days=300)).isoformat()
    assert payload["stock"]["quantity"] == 40
    assert payload["stock"]["quantityAvailable"] == 40
    stock = Stock.objects.get(variant=s.variant, warehouse=s.warehouse)
    assert stock.quantity == 40
    assert stock.lot.producer == s.producer
    assert list(stock.movements.values_list("kind", "quantity", "weight_g")) == [
        ("receipt", 40, 20_000)
    ]


def test_receiving_into_an_existing_lot_adds_to_its_stock(gql):
    s = scene()
    harvest = lot(s.variant, "L-A")
    user = staff()

    receive(gql, user, s, 10, lot=gid("Lot", harvest))
    payload = receive(gql, user, s, 15, lot=gid("Lot", harvest))

    assert payload["errors"] == []
    assert payload["stock"]["quantity"] == 25
    stock = Stock.objects.get(variant=s.variant, warehouse=s.warehouse, lot=harvest)
    assert stock.quantity == 25
    assert sorted(stock.movements.values_list("quantity", flat=True)) == [10, 15]


def test_the_same_new_lot_code_with_the_same_dates_is_the_same_batch(gql):
    s = scene()
    user = operator_of(s.producer)

    receive(gql, user, s, 10, newLot=new_lot("B-7"))
    payload = receive(gql, user, s, 5, newLot=new_lot("B-7"))

    assert payload["errors"] == []
    assert Lot.objects.filter(variant=s.variant).count() == 1
    assert Stock.objects.get(variant=s.variant).quantity == 15


def test_weight_sold_variant_counts_grams(gql):
    s = scene()
    variant = weight_variant(s.producer)

    payload = receive(gql, operator_of(s.producer), s, 12_500, variant=variant, newLot=new_lot())

    assert payload["errors"] == []
    assert payload["movement"]["quantity"] == 12_500
    assert payload["movement"]["weightG"] == 12_500
    assert payload["movement"]["weightKg"] == "12.500"


def test_product_without_lots_uses_one_default_lot_created_on_first_use(gql):
    s = scene()
    variant = untracked_variant(s.producer)
    user = secretary_of(s.village)
    assert not Lot.objects.filter(variant=variant).exists()

    first = receive(gql, user, s, 4, variant=variant)
    second = receive(gql, user, s, 6, variant=variant)

    assert first["errors"] == [] and second["errors"] == []
    lots = list(Lot.objects.filter(variant=variant))
    assert len(lots) == 1
    default = lots[0]
    assert (default.code, default.is_default, default.harvest_date, default.best_before) == (
        Lot.DEFAULT_CODE,
        True,
        None,
        None,
    )
    assert default.producer == s.producer
    assert second["movement"]["weightG"] == 6 * 2500
    assert Stock.objects.get(variant=variant, lot=default).quantity == 10


@pytest.mark.parametrize(
    "make_user",
    [staff, lambda s: operator_of(s.producer), lambda s: secretary_of(s.village)],
    ids=["staff", "operator-own-producer", "secretary-own-village"],
)
def test_each_stock_keeper_in_scope_may_receive(gql, make_user):
    s = scene()
    user = make_user(s) if make_user is not staff else staff()

    payload = receive(gql, user, s, 3, newLot=new_lot())

    assert payload["errors"] == []
    assert Stock.objects.get(variant=s.variant).quantity == 3


# --- refusals -------------------------------------------------------------------------------


def assert_refused(payload, code, before, field=None):
    assert error_codes(payload) == [code], payload["errors"]
    assert payload["movement"] is None and payload["stock"] is None
    if field is not None:
        assert payload["errors"][0]["field"] == field
    assert snapshot() == before
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    "make_user",
    [
        lambda s: None,
        lambda s: consumer(),
        lambda s: operator_of(s.neighbour),
        lambda s: operator_of(ProducerFactory()),
        lambda s: secretary_of(ProducerFactory().village),
    ],
    ids=[
        "anonymous",
        "consumer",
        "operator-of-neighbour-producer",
        "operator-elsewhere",
        "secretary-other-village",
    ],
)
def test_receiving_into_another_producers_stock_is_refused(gql, make_user):
    s = scene()
    user = make_user(s)
    before = snapshot()

    payload = receive(gql, user, s, 5, newLot=new_lot())

    assert_refused(payload, "PERMISSION_DENIED", before)
    assert not Lot.objects.filter(variant=s.variant).exists()


def test_operator_may_not_receive_its_goods_in_another_villages_collection_point(gql):
    s = scene()
    elsewhere = village_warehouse(ProducerFactory().village)
    before = snapshot()

    payload = receive(gql, operator_of(s.producer), s, 5, warehouse=elsewhere, newLot=new_lot())

    assert_refused(payload, "PERMISSION_DENIED", before, field="warehouse")


def test_staff_may_receive_in_another_villages_collection_point(gql):
    s = scene()
    elsewhere = village_warehouse(ProducerFactory().village)

    payload = receive(gql, staff(), s, 5, warehouse=elsewhere, newLot=new_lot())

    assert payload["errors"] == []
    assert Stock.objects.get(warehouse=elsewhere).quantity == 5


def test_receipts_at_the_base_are_refused_they_come_by_transfer(gql):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, 5, warehouse=the_base(), newLot=new_lot())

    assert_refused(payload, "WRONG_WAREHOUSE", before, field="warehouse")


@pytest.mark.parametrize("quantity", [0, -5, 200_001], ids=["zero", "negative", "over-100-t"])
def test_bad_quantities_are_refused(gql, quantity):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, quantity, newLot=new_lot())

    assert_refused(payload, "INVALID_QUANTITY", before, field="quantity")


def test_an_expired_lot_is_not_received(gql):
    s = scene()
    old = expired_lot(s.variant)
    before = snapshot()

    payload = receive(gql, staff(), s, 5, lot=gid("Lot", old))

    assert_refused(payload, "LOT_EXPIRED", before, field="lot")


def test_a_new_lot_already_past_best_before_is_refused(gql):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, 5, newLot=new_lot(harvest_days_ago=40, best_before_days=-1))

    assert_refused(payload, "LOT_EXPIRED", before, field="newLot.bestBefore")


def test_a_lot_of_another_variant_is_unknown(gql):
    s = scene()
    foreign = lot(s.neighbour_variant, "N-1")
    sibling = lot(VariantFactory(product=s.variant.product), "S-1")
    user = operator_of(s.producer)
    before = snapshot()

    for other in (foreign, sibling):
        payload = receive(gql, user, s, 5, lot=gid("Lot", other))
        assert_refused(payload, "UNKNOWN_LOT", before, field="lot")
    # and an id that matches no lot at all answers the same
    payload = receive(gql, user, s, 5, lot=gid("Lot", Lot(pk=999_999)))
    assert_refused(payload, "UNKNOWN_LOT", before, field="lot")


def test_a_product_without_lots_refuses_a_named_lot(gql):
    s = scene()
    variant = untracked_variant(s.producer)
    before = snapshot()

    payload = receive(gql, staff(), s, 5, variant=variant, newLot=new_lot())

    assert_refused(payload, "UNKNOWN_LOT", before, field="newLot")


def test_best_before_before_harvest_is_refused(gql):
    s = scene()
    before = snapshot()
    lot_input = {
        "code": "X",
        "harvestDate": today().isoformat(),
        "bestBefore": (today() - timedelta(days=1)).isoformat(),
    }

    payload = receive(gql, staff(), s, 5, newLot=lot_input)

    assert_refused(payload, "INVALID_LOT_DATES", before, field="newLot.bestBefore")


def test_a_harvest_date_in_the_future_is_refused(gql):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, 5, newLot=new_lot(harvest_days_ago=-3))

    assert_refused(payload, "INVALID_LOT_DATES", before, field="newLot.harvestDate")


def test_a_lot_code_reused_with_other_dates_is_refused(gql):
    s = scene()
    lot(s.variant, "B-7", best_before_days=30)
    before = snapshot()

    payload = receive(gql, staff(), s, 5, newLot=new_lot("B-7", best_before_days=31))

    assert_refused(payload, "LOT_CODE_CONFLICT", before, field="newLot.code")


def test_a_product_that_tracks_lots_needs_a_lot(gql):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, 5)

    assert_refused(payload, "LOT_REQUIRED", before, field="lot")


def test_naming_both_an_existing_and_a_new_lot_is_refused(gql):
    s = scene()
    harvest = lot(s.variant)
    before = snapshot()

    payload = receive(gql, staff(), s, 5, lot=gid("Lot", harvest), newLot=new_lot())

    assert_refused(payload, "INVALID", before, field="lot")


def test_the_default_lot_code_is_reserved(gql):
    s = scene()
    before = snapshot()

    payload = receive(gql, staff(), s, 5, newLot=new_lot(Lot.DEFAULT_CODE.lower()))

    assert_refused(payload, "INVALID", before, field="newLot.code")


def test_unknown_or_hidden_ids_are_not_found(gql):
    s = scene()
    draft = ProductFactory(producer=s.neighbour, status=Product.Status.DRAFT, published_at=None)
    hidden = VariantFactory(product=draft)
    user = operator_of(s.producer)
    before = snapshot()

    payload = receive(gql, user, s, 5, variant=hidden, newLot=new_lot())
    assert_refused(payload, "NOT_FOUND", before, field="variant")

    payload = gql.as_user(user).data(
        RECEIVE,
        {
            "input": {
                "warehouse": gid("Warehouse", type(s.warehouse)(pk=999_999)),
                "variant": gid("ProductVariant", s.variant),
                "quantity": 5,
                "newLot": new_lot(),
            }
        },
    )["stockReceive"]
    assert_refused(payload, "NOT_FOUND", before, field="warehouse")

    payload = receive(gql, user, s, 5, lot=gid("Stock", s.variant))
    assert_refused(payload, "INVALID_ID", before, field="lot")


# --- the service and lots directly ----------------------------------------------------------


def test_service_receipt_records_actor_reason_and_weight():
    s = scene()
    user = operator_of(s.producer)

    movement = stock_receive(
        actor=user,
        warehouse=s.warehouse,
        variant=s.variant,
        quantity=8,
        new_lot=NewLot(code="A1", harvest_date=today(), best_before=today()),
        reason="  晨收  ",
    )

    movement.refresh_from_db()
    assert (movement.kind, movement.quantity, movement.weight_g) == ("receipt", 8, 4000)
    assert movement.actor == user and movement.reason == "晨收"
    assert movement.stock.quantity == 8


def test_lot_get_or_create_for_untracked_product_is_idempotent():
    s = scene()
    variant = untracked_variant(s.producer)

    first = lot_get_or_create(variant=variant)
    again = lot_get_or_create(variant=variant, lot_id=first.pk)

    assert first == again and first.is_default


def test_service_refusal_leaves_no_lot_behind():
    s = scene()
    before = snapshot()

    with pytest.raises(InvalidQuantity):
        stock_receive(
            actor=staff(),
            warehouse=s.warehouse,
            variant=s.variant,
            quantity=10**12,
            new_lot=NewLot(code="BIG"),
        )

    assert snapshot() == before


# --- the ledger below the API ---------------------------------------------------------------


def test_the_database_refuses_to_update_or_delete_a_ledger_row():
    s = scene()
    movement = stock_receive(
        actor=staff(),
        warehouse=s.warehouse,
        variant=s.variant,
        quantity=5,
        new_lot=NewLot(code="LEDGER"),
    )

    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=500, weight_g=250_000)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_stockmovement WHERE id = %s", [movement.pk])

    movement.refresh_from_db()
    assert (movement.quantity, movement.weight_g) == (5, 2500)
    assert StockMovement.objects.filter(stock=movement.stock).count() == 1
