import pytest
from django.db.models import F

from alliance.core.errors import NotFound
from alliance.inventory.errors import InsufficientStock
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Stock, StockMovement
from alliance.inventory.operations import stock_write_off
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse
from tests.backend.factories.villages import ProducerFactory
from tests.backend.inventory.ops_helpers import (
    error_codes,
    gid,
    ledger_checked,  # noqa: F401 (fixture)
    scene,
    snapshot,
    weight_variant,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]

WRITE_OFF = """
mutation($input: StockWriteOffInput!) {
  stockWriteOff(input: $input) {
    movement { kind quantity weightG reason actor { email } lot { code } }
    stock { id quantity allocated quantityAvailable }
    errors { field code message }
  }
}
"""


def write_off(gql, user, stock, quantity, reason="霉变"):
    variables = {"input": {"stock": gid("Stock", stock), "quantity": quantity, "reason": reason}}
    return gql.as_user(user).data(WRITE_OFF, variables)["stockWriteOff"]


def reserve(stock, quantity):
    """Stand-in for an order's allocation: reserved stock is not part of the ledger."""
    Stock.objects.filter(pk=stock.pk).update(allocated=F("allocated") + quantity)
    stock.refresh_from_db()


def stocked(s, quantity=40):
    return stock_in(s.warehouse, lot(s.variant, "W-1"), quantity)


def assert_refused(payload, code, before, field=None):
    assert error_codes(payload) == [code], payload["errors"]
    assert payload["movement"] is None and payload["stock"] is None
    if field is not None:
        assert payload["errors"][0]["field"] == field
    assert snapshot() == before
    assert ledger_mismatches() == []


# --- happy paths ----------------------------------------------------------------------------


def test_operator_writes_off_spoiled_goods_of_its_producer(gql):
    s = scene()
    stock = stocked(s, 40)
    operator = operator_of(s.producer)

    payload = write_off(gql, operator, stock, 5, reason="  雨淋受潮  ")

    assert payload["errors"] == []
    assert payload["movement"] == {
        "kind": "LOSS",
        "quantity": -5,
        "weightG": -2500,
        "reason": "雨淋受潮",
        "actor": {"email": operator.email},
        "lot": {"code": "W-1"},
    }
    assert payload["stock"]["quantity"] == 35
    stock.refresh_from_db()
    assert stock.quantity == 35
    assert list(stock.movements.values_list("kind", "quantity")) == [
        ("receipt", 40),
        ("loss", -5),
    ]


def test_weight_sold_goods_are_written_off_in_grams(gql):
    s = scene()
    variant = weight_variant(s.producer)
    stock = stock_in(s.warehouse, lot(variant), 10_000)

    payload = write_off(gql, secretary_of(s.village), stock, 750)

    assert payload["errors"] == []
    assert (payload["movement"]["quantity"], payload["movement"]["weightG"]) == (-750, -750)
    assert payload["stock"]["quantity"] == 9_250


def test_everything_that_is_not_reserved_can_be_written_off(gql):
    s = scene()
    stock = stocked(s, 10)
    reserve(stock, 8)

    payload = write_off(gql, staff(), stock, 2)

    assert payload["errors"] == []
    assert payload["stock"] == {
        "id": gid("Stock", stock),
        "quantity": 8,
        "allocated": 8,
        "quantityAvailable": 0,
    }


def test_staff_write_off_at_the_base(gql):
    s = scene()
    stock = stock_in(the_base(), lot(s.variant), 12)

    payload = write_off(gql, staff(), stock, 12, reason="破损")

    assert payload["errors"] == []
    assert Stock.objects.get(pk=stock.pk).quantity == 0


# --- refusals -------------------------------------------------------------------------------


def test_reserved_stock_is_not_written_off(gql):
    s = scene()
    stock = stocked(s, 10)
    reserve(stock, 8)
    before = snapshot()

    payload = write_off(gql, staff(), stock, 3)

    assert_refused(payload, "INSUFFICIENT_STOCK", before, field="quantity")
    assert "8 reserved" in payload["errors"][0]["message"]


def test_more_than_on_hand_is_refused(gql):
    s = scene()
    stock = stocked(s, 10)
    before = snapshot()

    payload = write_off(gql, operator_of(s.producer), stock, 11)

    assert_refused(payload, "INSUFFICIENT_STOCK", before, field="quantity")


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_reason_is_required(gql, reason):
    s = scene()
    stock = stocked(s)
    before = snapshot()

    payload = write_off(gql, staff(), stock, 1, reason=reason)

    assert_refused(payload, "REASON_REQUIRED", before, field="reason")


@pytest.mark.parametrize("quantity", [0, -3], ids=["zero", "negative"])
def test_bad_quantities_are_refused(gql, quantity):
    s = scene()
    stock = stocked(s)
    before = snapshot()

    payload = write_off(gql, staff(), stock, quantity)

    assert_refused(payload, "INVALID_QUANTITY", before, field="quantity")


@pytest.mark.parametrize(
    "make_user",
    [
        lambda s: operator_of(s.neighbour),
        lambda s: operator_of(ProducerFactory()),
        lambda s: secretary_of(ProducerFactory().village),
    ],
    ids=["operator-of-neighbour-producer", "operator-elsewhere", "secretary-other-village"],
)
def test_stock_out_of_scope_is_not_found(gql, make_user):
    s = scene()
    stock = stocked(s)
    user = make_user(s)
    before = snapshot()

    payload = write_off(gql, user, stock, 1)

    assert_refused(payload, "NOT_FOUND", before, field="stock")


@pytest.mark.parametrize(
    "make_user", [lambda s: None, lambda s: consumer()], ids=["anonymous", "consumer"]
)
def test_non_stock_keepers_are_refused(gql, make_user):
    s = scene()
    stock = stocked(s)
    before = snapshot()

    payload = write_off(gql, make_user(s), stock, 1)

    assert_refused(payload, "PERMISSION_DENIED", before)


@pytest.mark.parametrize(
    "make_user",
    [lambda s: operator_of(s.producer), lambda s: secretary_of(s.village)],
    ids=["operator-own-goods", "secretary-own-village-goods"],
)
def test_own_goods_at_the_base_are_visible_but_only_staff_change_them(gql, make_user):
    s = scene()
    stock = stock_in(the_base(), lot(s.variant), 10)
    before = snapshot()

    payload = write_off(gql, make_user(s), stock, 1)

    assert_refused(payload, "PERMISSION_DENIED", before, field="stock")


def test_secretary_writes_off_at_own_village_but_not_at_a_neighbouring_village(gql):
    s = scene()
    secretary = secretary_of(s.village)
    elsewhere = village_warehouse(ProducerFactory().village)
    # the village's goods, lying at another village's collection point
    away = stock_in(elsewhere, lot(s.variant), 5)
    home = stocked(s, 5)
    before = snapshot()

    payload = write_off(gql, secretary, away, 1)
    assert_refused(payload, "PERMISSION_DENIED", before, field="stock")

    assert write_off(gql, secretary, home, 1)["errors"] == []


def test_unknown_and_mistyped_stock_ids(gql):
    s = scene()
    stock = stocked(s)
    before = snapshot()

    payload = write_off(gql, staff(), Stock(pk=stock.pk + 10_000), 1)
    assert_refused(payload, "NOT_FOUND", before, field="stock")

    variables = {"input": {"stock": gid("Lot", stock.lot), "quantity": 1, "reason": "x"}}
    payload = gql.as_user(staff()).data(WRITE_OFF, variables)["stockWriteOff"]
    assert_refused(payload, "INVALID_ID", before, field="stock")


# --- the service directly -------------------------------------------------------------------


def test_service_write_off_returns_the_loss_row_and_fresh_stock():
    s = scene()
    stock = stocked(s, 20)
    user = staff()

    movement = stock_write_off(actor=user, stock_id=stock.pk, quantity=7, reason="鼠害")

    assert movement.kind == StockMovement.Kind.LOSS
    assert (movement.quantity, movement.weight_g, movement.actor) == (-7, -3500, user)
    assert movement.stock.quantity == 13


def test_service_refusals_raise_domain_errors_and_change_nothing():
    s = scene()
    stock = stocked(s, 5)
    before = snapshot()

    with pytest.raises(InsufficientStock):
        stock_write_off(actor=staff(), stock_id=stock.pk, quantity=6, reason="丢失")
    with pytest.raises(NotFound):
        stock_write_off(
            actor=operator_of(s.neighbour), stock_id=stock.pk, quantity=1, reason="丢失"
        )

    assert snapshot() == before
