import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from alliance.core.errors import ValidationFailed
from alliance.inventory.errors import CountBelowAllocated, LotRequired, UnknownLot
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Lot, Stock, StockMovement
from alliance.inventory.operations import CountLine, stock_count
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import VariantFactory
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse
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

COUNT = """
mutation($input: StockCountInput!) {
  stockCount(input: $input) {
    movements { kind quantity weightG reason reference lot { code } actor { email } }
    errors { field code message }
  }
}
"""


def count(gql, user, warehouse, lines, reason=None):
    variables = {
        "input": {
            "warehouse": gid("Warehouse", warehouse),
            "lines": [{"stock": gid("Stock", st), "counted": n} for st, n in lines],
            **({"reason": reason} if reason is not None else {}),
        }
    }
    return gql.as_user(user).data(COUNT, variables)["stockCount"]


def reserve(stock, quantity):
    """Stand-in for an order's allocation: reserved stock is not part of the ledger."""
    Stock.objects.filter(pk=stock.pk).update(allocated=F("allocated") + quantity)


def on_hand(*stocks):
    return [Stock.objects.get(pk=st.pk).quantity for st in stocks]


def three_stocks(s):
    """Three lots of the producer's variant at its village's collection point: 10, 20, 30."""
    return [stock_in(s.warehouse, lot(s.variant, f"C-{n}"), n) for n in (10, 20, 30)]


def assert_refused(payload, codes, before):
    assert error_codes(payload) == codes, payload["errors"]
    assert payload["movements"] is None
    assert snapshot() == before
    assert ledger_mismatches() == []


# --- happy paths ----------------------------------------------------------------------------


def test_each_difference_becomes_one_adjustment_and_equal_counts_none(gql):
    s = scene()
    low, same, high = three_stocks(s)
    operator = operator_of(s.producer)

    payload = count(gql, operator, s.warehouse, [(low, 7), (same, 20), (high, 34)], "月末盘点")

    assert payload["errors"] == []
    movements = payload["movements"]
    assert [(m["kind"], m["lot"]["code"], m["quantity"], m["weightG"]) for m in movements] == [
        ("ADJUSTMENT", "C-10", -3, -1500),
        ("ADJUSTMENT", "C-30", 4, 2000),
    ]
    assert {m["reason"] for m in movements} == {"月末盘点"}
    assert {m["actor"]["email"] for m in movements} == {operator.email}
    # the adjustments of one stocktake share a reference
    assert len({m["reference"] for m in movements}) == 1
    assert movements[0]["reference"].startswith("count:")
    assert on_hand(low, same, high) == [7, 20, 34]
    assert not StockMovement.objects.filter(stock=same, kind="adjustment").exists()


def test_a_count_that_agrees_everywhere_writes_nothing(gql):
    s = scene()
    stocks = three_stocks(s)
    movements_before = StockMovement.objects.count()

    payload = count(gql, staff(), s.warehouse, [(st, st.quantity) for st in stocks])

    assert payload == {"movements": [], "errors": []}
    assert StockMovement.objects.count() == movements_before


def test_counting_to_zero_and_in_grams(gql):
    s = scene()
    gone = stock_in(s.warehouse, lot(s.variant), 6)
    variant = weight_variant(s.producer)
    grams = stock_in(s.warehouse, lot(variant), 10_000)

    payload = count(gql, secretary_of(s.village), s.warehouse, [(gone, 0), (grams, 9_650)])

    assert payload["errors"] == []
    assert [(m["quantity"], m["weightG"]) for m in payload["movements"]] == [
        (-6, -3000),
        (-350, -350),
    ]
    assert on_hand(gone, grams) == [0, 9_650]
    # the default reason says what happened
    assert {m["reason"] for m in payload["movements"]} == {"stocktake"}


def test_a_count_may_keep_exactly_the_reserved_stock(gql):
    s = scene()
    stock = stock_in(s.warehouse, lot(s.variant), 10)
    reserve(stock, 4)

    payload = count(gql, staff(), s.warehouse, [(stock, 4)])

    assert payload["errors"] == []
    stock.refresh_from_db()
    assert (stock.quantity, stock.allocated) == (4, 4)


def test_staff_counts_at_the_base(gql):
    s = scene()
    stock = stock_in(the_base(), lot(s.variant), 9)

    payload = count(gql, staff(), the_base(), [(stock, 8)])

    assert payload["errors"] == []
    assert on_hand(stock) == [8]


def test_stock_rows_are_locked_in_pk_order_before_anything_changes(gql):
    s = scene()
    stocks = three_stocks(s)
    user = staff()

    with CaptureQueriesContext(connection) as queries:
        payload = count(gql, user, s.warehouse, [(st, 1) for st in reversed(stocks)])

    assert payload["errors"] == []
    sql = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, q in enumerate(sql) if "FOR UPDATE" in q and "inventory_stock" in q]
    assert len(locks) == 1
    lock = sql[locks[0]]
    assert 'ORDER BY "inventory_stock"."id" ASC' in lock
    assert 'FOR UPDATE OF "inventory_stock"' in lock
    first_write = next(
        i
        for i, q in enumerate(sql)
        if q.startswith(('UPDATE "inventory_stock"', 'INSERT INTO "inventory_'))
    )
    assert locks[0] < first_write


# --- refusals (all-or-nothing) --------------------------------------------------------------


def test_a_count_below_reserved_stock_is_refused_and_no_line_applies(gql):
    s = scene()
    fine, reserved = three_stocks(s)[:2]
    reserve(reserved, 15)
    before = snapshot()

    payload = count(gql, staff(), s.warehouse, [(fine, 1), (reserved, 14)])

    assert_refused(payload, ["COUNT_BELOW_ALLOCATED"], before)
    error = payload["errors"][0]
    assert error["field"] == "lines.1.counted"
    assert "15 are reserved" in error["message"]


def test_every_bad_line_is_reported_at_once(gql):
    s = scene()
    a, b, c = three_stocks(s)
    reserve(c, 5)
    before = snapshot()

    payload = count(gql, staff(), s.warehouse, [(a, -1), (b, 25), (c, 2)])

    assert_refused(payload, ["INVALID_QUANTITY", "COUNT_BELOW_ALLOCATED"], before)
    assert [e["field"] for e in payload["errors"]] == ["lines.0.counted", "lines.2.counted"]


def test_a_stock_counted_twice_is_refused(gql):
    s = scene()
    a = three_stocks(s)[0]
    before = snapshot()

    payload = count(gql, staff(), s.warehouse, [(a, 3), (a, 4)])

    assert_refused(payload, ["DUPLICATE_LINE"], before)
    assert payload["errors"][0]["field"] == "lines.1.stock"


def test_stock_of_another_warehouse_is_refused(gql):
    s = scene()
    here = three_stocks(s)[0]
    at_base = stock_in(the_base(), lot(s.variant), 3)
    before = snapshot()

    payload = count(gql, staff(), s.warehouse, [(here, 1), (at_base, 2)])

    assert_refused(payload, ["WRONG_WAREHOUSE"], before)
    assert payload["errors"][0]["field"] == "lines.1.stock"


def test_an_empty_stocktake_is_refused(gql):
    s = scene()
    before = snapshot()

    payload = count(gql, staff(), s.warehouse, [])

    assert_refused(payload, ["REQUIRED"], before)


def test_operator_line_with_a_neighbours_stock_is_not_found_and_nothing_applies(gql):
    s = scene()
    own = three_stocks(s)[0]
    neighbours = stock_in(s.warehouse, lot(s.neighbour_variant), 8)
    before = snapshot()

    payload = count(gql, operator_of(s.producer), s.warehouse, [(own, 1), (neighbours, 2)])

    assert_refused(payload, ["NOT_FOUND"], before)
    assert payload["errors"][0]["field"] == "lines.1.stock"


@pytest.mark.parametrize(
    "make_user",
    [
        lambda s: operator_of(ProducerFactory()),
        lambda s: secretary_of(ProducerFactory().village),
    ],
    ids=["operator-elsewhere", "secretary-other-village"],
)
def test_out_of_scope_stock_is_not_found(gql, make_user):
    s = scene()
    stock = three_stocks(s)[0]
    before = snapshot()

    payload = count(gql, make_user(s), s.warehouse, [(stock, 1)])

    assert_refused(payload, ["NOT_FOUND"], before)


@pytest.mark.parametrize(
    "make_user", [lambda s: None, lambda s: consumer()], ids=["anonymous", "consumer"]
)
def test_non_stock_keepers_are_refused(gql, make_user):
    s = scene()
    stock = three_stocks(s)[0]
    before = snapshot()

    payload = count(gql, make_user(s), s.warehouse, [(stock, 1)])

    assert_refused(payload, ["PERMISSION_DENIED"], before)


@pytest.mark.parametrize(
    "make_user",
    [lambda s: operator_of(s.producer), lambda s: secretary_of(s.village)],
    ids=["operator-own-goods", "secretary-own-village-goods"],
)
def test_only_staff_count_at_the_base(gql, make_user):
    s = scene()
    stock = stock_in(the_base(), lot(s.variant), 10)
    before = snapshot()

    payload = count(gql, make_user(s), the_base(), [(stock, 9)])

    assert_refused(payload, ["PERMISSION_DENIED"], before)


def test_secretary_counts_every_producer_of_own_village(gql):
    s = scene()
    own = three_stocks(s)[0]
    neighbours = stock_in(s.warehouse, lot(s.neighbour_variant), 8)

    payload = count(gql, secretary_of(s.village), s.warehouse, [(own, 11), (neighbours, 7)])

    assert payload["errors"] == []
    assert on_hand(own, neighbours) == [11, 7]


def test_secretary_may_not_count_own_goods_at_another_village(gql):
    s = scene()
    elsewhere = village_warehouse(ProducerFactory().village)
    away = stock_in(elsewhere, lot(s.variant), 5)
    before = snapshot()

    payload = count(gql, secretary_of(s.village), elsewhere, [(away, 4)])

    assert_refused(payload, ["PERMISSION_DENIED"], before)


# --- the service directly: goods found without a stock row ----------------------------------


def test_found_goods_of_a_lot_get_a_stock_row_and_an_adjustment():
    s = scene()
    harvest = lot(s.variant, "FOUND")
    untracked = untracked_variant(s.producer)
    existing = stock_in(s.warehouse, lot(s.variant, "KNOWN"), 10)

    movements = stock_count(
        actor=operator_of(s.producer),
        warehouse=s.warehouse,
        counts=[((s.variant, harvest), 3), ((untracked, None), 2), (existing.pk, 9)],
        reason="复盘",
    )

    assert sorted((m.lot.code, m.quantity) for m in movements) == [
        ("DEFAULT", 2),
        ("FOUND", 3),
        ("KNOWN", -1),
    ]
    assert Stock.objects.get(lot=harvest, warehouse=s.warehouse).quantity == 3
    default = Lot.objects.get(variant=untracked)
    assert default.is_default and Stock.objects.get(lot=default).quantity == 2


def test_found_goods_need_a_lot_of_their_own_variant():
    s = scene()
    other = lot(VariantFactory(product=s.variant.product), "OTHER")
    before = snapshot()

    with pytest.raises(LotRequired):
        stock_count(actor=staff(), warehouse=s.warehouse, counts=[CountLine(3, variant=s.variant)])
    with pytest.raises(UnknownLot):
        stock_count(
            actor=staff(),
            warehouse=s.warehouse,
            counts=[CountLine(3, variant=s.variant, lot=other)],
        )

    assert snapshot() == before


def test_a_refused_count_rolls_back_stock_rows_it_created():
    s = scene()
    reserved = stock_in(s.warehouse, lot(s.variant), 10)
    reserve(reserved, 6)
    before = snapshot()

    with pytest.raises(ValidationFailed) as caught:
        stock_count(
            actor=staff(),
            warehouse=s.warehouse,
            counts=[((s.variant, lot(s.variant, "NEW")), 5), (reserved.pk, 2)],
        )

    assert [type(e) for e in caught.value.errors] == [CountBelowAllocated]
    # the lot made for the test is the only new row; no stock row and no movement survive
    after = snapshot()
    assert after[0] == before[0] and after[2] == before[2]
