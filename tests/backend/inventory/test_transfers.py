"""Transfers village -> base: dispatch, goods in transit, receipt with shortfalls as losses.

Every scenario ends with the ledger invariant (on hand == sum of the ledger), and every
refusal is checked to change nothing at all (stock, ledger, transfers and their lines).
"""

import re

import pytest
from django.db.models import Sum
from graphql_relay import to_global_id

from alliance.core.errors import NotFound, PermissionDenied, ValidationFailed
from alliance.inventory.allocation import AllocationRequest, stock_allocate
from alliance.inventory.errors import TransferNotInTransit, WrongWarehouse
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Stock, StockMovement, Transfer, TransferLine
from alliance.inventory.transfers import (
    goods_in_transit,
    goods_in_transit_weight_g,
    transfer_dispatch,
    transfer_receive,
)
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.inventory import expired_lot, lot, stock_in, the_base
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

DISPATCH = """
mutation($input: StockTransferDispatchInput!) {
  stockTransferDispatch(input: $input) {
    transfer {
      id code status note source { code } destination { kind }
      dispatchedBy { email } receivedAt
      lines { id quantity quantityReceived weightG variant { sku } lot { code } }
    }
    errors { field code message }
  }
}
"""

RECEIVE = """
mutation($input: StockTransferReceiveInput!) {
  stockTransferReceive(input: $input) {
    transfer {
      id code status receivedBy { email } receivedAt
      lines { id quantity quantityReceived shortfallReason weightG lot { code } }
    }
    errors { field code message }
  }
}
"""

TRANSFERS = """
query($filter: TransferFilterInput, $first: Int) {
  transfers(first: $first, filter: $filter) {
    totalCount
    edges { node { code status source { code } lines { quantity variant { sku } lot { code } } } }
  }
}
"""


def everything() -> tuple:
    """Stock, ledger and transfers: equal before and after a refusal = nothing changed."""
    return (
        snapshot(),
        sorted(Transfer.objects.values_list("pk", "status", "received_at", "received_by")),
        sorted(TransferLine.objects.values_list("pk", "quantity_received", "shortfall_reason")),
    )


def dispatch(gql, user, source, lines, note=""):
    variables = {
        "input": {
            "source": gid("Warehouse", source),
            "lines": [{"stock": gid("Stock", s), "quantity": q} for s, q in lines],
            "note": note,
        }
    }
    return gql.as_user(user).data(DISPATCH, variables)["stockTransferDispatch"]


def receive(gql, user, transfer, lines=None):
    variables = {"input": {"transfer": gid("Transfer", transfer)}}
    if lines is not None:
        variables["input"]["lines"] = [
            {"line": gid("TransferLine", line), "quantityReceived": q, "shortfallReason": r}
            for line, q, r in lines
        ]
    return gql.as_user(user).data(RECEIVE, variables)["stockTransferReceive"]


def assert_refused(payload, code, before, field=None):
    assert error_codes(payload) == [code], payload["errors"]
    assert payload["transfer"] is None
    if field is not None:
        assert payload["errors"][0]["field"] == field
    assert everything() == before
    assert ledger_mismatches() == []


def ledger(warehouse, transfer=None):
    rows = StockMovement.objects.filter(warehouse=warehouse)
    if transfer is not None:
        rows = rows.filter(transfer=transfer)
    return list(rows.order_by("id").values_list("kind", "quantity", "weight_g", "reason"))


def flow(warehouse):
    """The stock-flow report of one warehouse from its ledger: (in, out, lost, closing)."""
    rows = StockMovement.objects.filter(warehouse=warehouse)

    def total(kinds):
        return rows.filter(kind__in=kinds).aggregate(t=Sum("quantity"))["t"] or 0

    closing = Stock.objects.filter(warehouse=warehouse).aggregate(t=Sum("quantity"))["t"] or 0
    incoming = total(["receipt", "transfer_in", "return"])
    outgoing = -total(["transfer_out", "online_sale", "base_sale"])
    lost = -total(["loss"])
    assert 0 + incoming - outgoing - lost + total(["adjustment"]) == closing
    return incoming, outgoing, lost, closing


@pytest.fixture
def s():
    return scene()


@pytest.fixture
def goods(s):
    """Two lots in the village collection point: 40 jars of honey and 20 of the neighbour's."""
    return (
        stock_in(s.warehouse, lot(s.variant, "H-1"), 40),
        stock_in(s.warehouse, lot(s.neighbour_variant, "N-1"), 20),
    )


# --- dispatch and receipt in full -----------------------------------------------------------


def test_staff_dispatches_then_receives_in_full(gql, s, goods):
    honey, neighbours = goods
    clerk = staff()

    sent = dispatch(gql, clerk, s.warehouse, [(honey, 15), (neighbours, 20)], note="周二班车")

    assert sent["errors"] == []
    t = sent["transfer"]
    assert re.fullmatch(r"T\d{8}-0001", t["code"])
    assert (t["status"], t["note"], t["receivedAt"]) == ("IN_TRANSIT", "周二班车", None)
    assert t["source"] == {"code": s.warehouse.code}
    assert t["destination"] == {"kind": "BASE"}
    assert t["dispatchedBy"] == {"email": clerk.email}
    assert [(li["lot"]["code"], li["quantity"], li["weightG"]) for li in t["lines"]] == [
        ("H-1", 15, 7_500),
        ("N-1", 20, 10_000),
    ]
    honey.refresh_from_db()
    neighbours.refresh_from_db()
    assert (honey.quantity, neighbours.quantity) == (25, 0)
    transfer = Transfer.objects.get(code=t["code"])
    assert ledger(s.warehouse, transfer) == [
        ("transfer_out", -15, -7_500, "周二班车"),
        ("transfer_out", -20, -10_000, "周二班车"),
    ]
    assert ledger(the_base()) == []

    got = receive(gql, clerk, transfer)

    assert got["errors"] == []
    t = got["transfer"]
    assert t["status"] == "RECEIVED" and t["receivedAt"] is not None
    assert t["receivedBy"] == {"email": clerk.email}
    assert [(li["quantityReceived"], li["shortfallReason"]) for li in t["lines"]] == [
        (15, ""),
        (20, ""),
    ]
    at_base = Stock.objects.filter(warehouse=the_base()).order_by("lot__code")
    assert list(at_base.values_list("lot__code", "quantity", "allocated")) == [
        ("H-1", 15, 0),
        ("N-1", 20, 0),
    ]
    assert ledger(the_base(), transfer) == [
        ("transfer_in", 15, 7_500, ""),
        ("transfer_in", 20, 10_000, ""),
    ]
    # out and in cancel out once received: nothing is left on the road
    assert transfer.movements.aggregate(t=Sum("quantity"))["t"] == 0
    assert list(goods_in_transit(clerk)) == []


def test_first_secretary_dispatches_from_the_village_point(gql, s, goods):
    honey, neighbours = goods

    sent = dispatch(gql, secretary_of(s.village), s.warehouse, [(honey, 40), (neighbours, 5)])

    assert sent["errors"] == []
    honey.refresh_from_db()
    assert honey.quantity == 0


def test_transfer_codes_are_numbered_per_day(s, goods):
    honey, neighbours = goods
    clerk = staff()
    first = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 1)])
    second = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(neighbours.pk, 1)])
    assert first.code[:-4] == second.code[:-4]
    assert (first.code[-4:], second.code[-4:]) == ("0001", "0002")


# --- goods in transit -----------------------------------------------------------------------


def test_goods_in_transit_are_in_no_warehouse_until_received(s, goods):
    honey, _ = goods
    clerk = staff()
    weighed = weight_variant(s.producer)  # grams
    rice = stock_in(s.warehouse, lot(weighed, "R-1"), 12_000)
    transfer = transfer_dispatch(
        actor=clerk, source=s.warehouse, lines=[(honey.pk, 10), (rice.pk, 4_500)]
    )

    on_road = list(goods_in_transit(clerk))

    assert [(li.lot.code, li.quantity, li.weight_g) for li in on_road] == [
        ("H-1", 10, 5_000),
        ("R-1", 4_500, 4_500),
    ]
    assert goods_in_transit_weight_g(clerk) == 9_500
    assert goods_in_transit_weight_g(clerk, source_ids=[s.warehouse.pk]) == 9_500
    assert goods_in_transit_weight_g(clerk, source_ids=[the_base().pk]) == 0
    # every gram accounted for: in warehouses + on the road == what was received
    for stock, received in ((honey, 40), (rice, 12_000)):
        in_warehouses = Stock.objects.filter(lot=stock.lot).aggregate(t=Sum("quantity"))["t"]
        on_the_road = sum(li.quantity for li in on_road if li.lot_id == stock.lot_id)
        assert in_warehouses + on_the_road == received
    assert not Stock.objects.filter(warehouse=the_base()).exists()

    transfer_receive(actor=clerk, transfer_id=transfer.pk)

    assert list(goods_in_transit(clerk)) == []
    assert goods_in_transit_weight_g(clerk) == 0


def test_in_transit_filter_of_the_transfers_query(gql, s, goods):
    honey, neighbours = goods
    clerk = staff()
    arrived = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 5)])
    transfer_receive(actor=clerk, transfer_id=arrived.pk)
    on_road = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(neighbours.pk, 3)])

    data = gql.as_user(clerk).data(TRANSFERS, {"filter": {"status": "IN_TRANSIT"}})

    assert data["transfers"]["totalCount"] == 1
    node = data["transfers"]["edges"][0]["node"]
    assert (node["code"], node["status"]) == (on_road.code, "IN_TRANSIT")
    assert node["lines"] == [
        {"quantity": 3, "variant": {"sku": s.neighbour_variant.sku}, "lot": {"code": "N-1"}}
    ]


# --- shortfall ------------------------------------------------------------------------------


def test_shortfall_with_a_reason_is_a_loss_at_the_base(gql, s, goods):
    honey, neighbours = goods
    clerk = staff()
    weighed = weight_variant(s.producer)
    rice = stock_in(s.warehouse, lot(weighed, "R-1"), 10_000)
    transfer = transfer_dispatch(
        actor=clerk,
        source=s.warehouse,
        lines=[(honey.pk, 30), (neighbours.pk, 20), (rice.pk, 8_000)],
    )
    line = {li.lot.code: li for li in transfer.lines.select_related("lot")}

    got = receive(
        gql,
        clerk,
        transfer,
        [(line["H-1"], 27, "  三罐途中破碎  "), (line["R-1"], 7_250, "受潮剔除")],
    )

    assert got["errors"] == []
    assert [
        (li["lot"]["code"], li["quantity"], li["quantityReceived"], li["shortfallReason"])
        for li in got["transfer"]["lines"]
    ] == [("H-1", 30, 27, "三罐途中破碎"), ("N-1", 20, 20, ""), ("R-1", 8_000, 7_250, "受潮剔除")]
    # the village wrote out what was sent; the base took it all in, then lost the shortfall
    assert ledger(s.warehouse, transfer) == [
        ("transfer_out", -30, -15_000, ""),
        ("transfer_out", -20, -10_000, ""),
        ("transfer_out", -8_000, -8_000, ""),
    ]
    assert sorted(ledger(the_base(), transfer)) == sorted(
        [
            ("transfer_in", 30, 15_000, ""),
            ("loss", -3, -1_500, "三罐途中破碎"),
            ("transfer_in", 20, 10_000, ""),
            ("transfer_in", 8_000, 8_000, ""),
            ("loss", -750, -750, "受潮剔除"),
        ]
    )
    at_base = dict(Stock.objects.filter(warehouse=the_base()).values_list("lot__code", "quantity"))
    assert at_base == {"H-1": 27, "N-1": 20, "R-1": 7_250}
    # sent = received + lost, in units and in grams
    moves = transfer.movements
    for kind, grams in (("transfer_out", -33_000), ("transfer_in", 33_000), ("loss", -2_250)):
        assert moves.filter(kind=kind).aggregate(g=Sum("weight_g"))["g"] == grams
    base_grams = StockMovement.objects.filter(warehouse=the_base()).aggregate(g=Sum("weight_g"))
    assert base_grams["g"] == 27 * 500 + 20 * 500 + 7_250
    # the stock-flow report of each warehouse stays exact
    assert flow(the_base()) == (8_050, 0, 753, 7_297)
    assert flow(s.warehouse) == (10_060, 8_050, 0, 2_010)


def test_nothing_arrived_is_a_loss_of_everything_sent(s, goods):
    honey, _ = goods
    clerk = staff()
    transfer = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 12)])
    line = transfer.lines.get()

    transfer_receive(actor=clerk, transfer_id=transfer.pk, received=[(line.pk, 0, "整箱丢失")])

    assert ledger(the_base(), transfer) == [
        ("transfer_in", 12, 6_000, ""),
        ("loss", -12, -6_000, "整箱丢失"),
    ]
    assert Stock.objects.get(warehouse=the_base()).quantity == 0
    line.refresh_from_db()
    assert (line.quantity_received, line.shortfall_reason) == (0, "整箱丢失")


def test_a_shortfall_without_a_reason_is_refused(gql, s, goods):
    honey, neighbours = goods
    transfer = transfer_dispatch(
        actor=staff(), source=s.warehouse, lines=[(honey.pk, 10), (neighbours.pk, 4)]
    )
    first, second = transfer.lines.order_by("pk")
    before = everything()

    got = receive(gql, staff(), transfer, [(first, 10, None), (second, 3, "   ")])

    assert_refused(got, "SHORTFALL_REASON_REQUIRED", before, field="lines.1.shortfallReason")
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.IN_TRANSIT


def test_receiving_twice_is_refused_and_changes_nothing(gql, s, goods):
    honey, _ = goods
    clerk = staff()
    transfer = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 10)])
    assert receive(gql, clerk, transfer)["errors"] == []
    before = everything()

    again = receive(gql, clerk, transfer)

    assert_refused(again, "TRANSFER_NOT_IN_TRANSIT", before, field="transfer")
    with pytest.raises(TransferNotInTransit):
        transfer_receive(actor=clerk, transfer_id=transfer.pk)
    assert Stock.objects.get(warehouse=the_base()).quantity == 10


@pytest.mark.parametrize(
    ("received", "code", "field"),
    [
        (11, "INVALID_QUANTITY", "lines.0.quantityReceived"),  # more than sent
        (-1, "INVALID_QUANTITY", "lines.0.quantityReceived"),
    ],
)
def test_received_quantity_is_between_zero_and_what_was_sent(gql, s, goods, received, code, field):
    honey, _ = goods
    transfer = transfer_dispatch(actor=staff(), source=s.warehouse, lines=[(honey.pk, 10)])
    before = everything()

    got = receive(gql, staff(), transfer, [(transfer.lines.get(), received, "破损")])

    assert_refused(got, code, before, field=field)


def test_receipt_names_only_lines_of_that_transfer_once(gql, s, goods):
    honey, neighbours = goods
    clerk = staff()
    one = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 5)])
    other = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(neighbours.pk, 5)])
    before = everything()

    foreign = receive(gql, clerk, one, [(other.lines.get(), 5, None)])
    assert_refused(foreign, "NOT_FOUND", before, field="lines.0.line")

    line = one.lines.get()
    twice = receive(gql, clerk, one, [(line, 5, None), (line, 4, "少了")])
    assert_refused(twice, "DUPLICATE_LINE", before, field="lines.1.line")


# --- dispatch refusals ----------------------------------------------------------------------


def test_more_than_available_is_refused(gql, s, goods):
    honey, _ = goods
    before = everything()

    payload = dispatch(gql, staff(), s.warehouse, [(honey, 41)])

    assert_refused(payload, "INSUFFICIENT_STOCK", before, field="lines.0.quantity")


def test_stock_reserved_for_orders_stays_behind(gql, s, goods):
    honey, _ = goods
    stock_allocate(
        lines=[AllocationRequest(variant_id=s.variant.pk, quantity=30, reference="order-line:1")],
        channel_slug="online",
        warehouse_ids=[s.warehouse.pk],
    )
    before = everything()

    too_much = dispatch(gql, staff(), s.warehouse, [(honey, 11)])  # 40 on hand, 30 reserved

    assert_refused(too_much, "INSUFFICIENT_STOCK", before, field="lines.0.quantity")
    assert "30 reserved" in too_much["errors"][0]["message"]

    fits = dispatch(gql, staff(), s.warehouse, [(honey, 10)])

    assert fits["errors"] == []
    honey.refresh_from_db()
    assert (honey.quantity, honey.allocated) == (30, 30)


@pytest.mark.parametrize("quantity", [0, -5])
def test_zero_or_negative_quantities_are_refused(gql, s, goods, quantity):
    honey, neighbours = goods
    before = everything()

    payload = dispatch(gql, staff(), s.warehouse, [(neighbours, 2), (honey, quantity)])

    assert_refused(payload, "INVALID_QUANTITY", before, field="lines.1.quantity")


def test_the_same_stock_twice_is_refused(gql, s, goods):
    honey, _ = goods
    before = everything()

    payload = dispatch(gql, staff(), s.warehouse, [(honey, 2), (honey, 3)])

    assert_refused(payload, "DUPLICATE_LINE", before, field="lines.1.stock")


def test_stock_of_another_warehouse_is_refused(gql, s, goods):
    honey, _ = goods
    elsewhere = scene()
    foreign = stock_in(elsewhere.warehouse, lot(elsewhere.variant), 9)
    before = everything()

    payload = dispatch(gql, staff(), s.warehouse, [(honey, 1), (foreign, 1)])

    assert_refused(payload, "WRONG_WAREHOUSE", before, field="lines.1.stock")


def test_transfers_leave_from_a_village_and_go_to_the_base(s, goods):
    honey, _ = goods
    at_base = stock_in(the_base(), lot(s.variant, "B-1"), 5)
    before = everything()

    with pytest.raises(WrongWarehouse) as from_base:
        transfer_dispatch(actor=staff(), source=the_base(), lines=[(at_base.pk, 1)])
    with pytest.raises(WrongWarehouse) as to_village:
        transfer_dispatch(
            actor=staff(),
            source=s.warehouse,
            lines=[(honey.pk, 1)],
            destination=scene().warehouse,
        )

    assert (from_base.value.field, to_village.value.field) == ("source", "destination")
    assert everything() == before


def test_expired_lots_are_written_off_not_moved(gql, s, goods):
    old = stock_in(s.warehouse, expired_lot(s.variant), 6)
    before = everything()

    payload = dispatch(gql, staff(), s.warehouse, [(old, 6)])

    assert_refused(payload, "LOT_EXPIRED", before, field="lines.0.stock")


def test_an_empty_dispatch_is_refused(gql, s, goods):
    before = everything()
    payload = dispatch(gql, staff(), s.warehouse, [])
    assert_refused(payload, "REQUIRED", before, field="lines")


def test_every_bad_line_is_reported_at_once(s, goods):
    honey, neighbours = goods
    before = everything()

    with pytest.raises(ValidationFailed) as refused:
        transfer_dispatch(
            actor=staff(), source=s.warehouse, lines=[(honey.pk, 50), (neighbours.pk, 21)]
        )

    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("INSUFFICIENT_STOCK", "lines.0.quantity"),
        ("INSUFFICIENT_STOCK", "lines.1.quantity"),
    ]
    assert everything() == before


# --- who may do it --------------------------------------------------------------------------


def test_an_operator_may_not_dispatch_even_its_own_goods(gql, s, goods):
    honey, _ = goods
    before = everything()

    payload = dispatch(gql, operator_of(s.producer), s.warehouse, [(honey, 1)])

    assert_refused(payload, "PERMISSION_DENIED", before)


def test_another_villages_secretary_may_not_dispatch(gql, s, goods):
    honey, _ = goods
    other = ProducerFactory().village
    before = everything()

    payload = dispatch(gql, secretary_of(other), s.warehouse, [(honey, 1)])

    assert_refused(payload, "PERMISSION_DENIED", before, field="source")


def test_a_secretary_may_not_send_another_villages_goods_kept_in_the_point(gql, s, goods):
    """Staff may receive any producer's goods at a collection point; the secretary moves
    only the village's own producers' goods."""
    outsider = scene()
    kept = stock_in(s.warehouse, lot(outsider.variant, "X-1"), 4)
    before = everything()

    payload = dispatch(gql, secretary_of(s.village), s.warehouse, [(kept, 1)])

    assert_refused(payload, "PERMISSION_DENIED", before, field="lines.0.stock")


@pytest.mark.parametrize("who", ["consumer", "anonymous"])
def test_consumers_and_anonymous_users_may_do_neither(gql, s, goods, who):
    honey, _ = goods
    user = consumer() if who == "consumer" else None
    transfer = transfer_dispatch(actor=staff(), source=s.warehouse, lines=[(honey.pk, 3)])
    before = everything()

    assert_refused(dispatch(gql, user, s.warehouse, [(honey, 1)]), "PERMISSION_DENIED", before)
    assert_refused(receive(gql, user, transfer), "PERMISSION_DENIED", before)


@pytest.mark.parametrize("role", ["operator", "secretary"])
def test_only_staff_receive_at_the_base(gql, s, goods, role):
    honey, _ = goods
    transfer = transfer_dispatch(actor=staff(), source=s.warehouse, lines=[(honey.pk, 3)])
    user = operator_of(s.producer) if role == "operator" else secretary_of(s.village)
    before = everything()

    assert_refused(receive(gql, user, transfer), "PERMISSION_DENIED", before)
    with pytest.raises(PermissionDenied):
        transfer_receive(actor=user, transfer_id=transfer.pk)


def test_receiving_an_unknown_transfer_is_not_found(s):
    with pytest.raises(NotFound):
        transfer_receive(actor=staff(), transfer_id=987_654)


# --- reading transfers ----------------------------------------------------------------------


def test_who_sees_which_transfers_and_lines(gql, s, goods):
    honey, neighbours = goods
    clerk = staff()
    ours = transfer_dispatch(
        actor=clerk, source=s.warehouse, lines=[(honey.pk, 2), (neighbours.pk, 2)]
    )
    elsewhere = scene()
    theirs = transfer_dispatch(
        actor=clerk,
        source=elsewhere.warehouse,
        lines=[(stock_in(elsewhere.warehouse, lot(elsewhere.variant), 5).pk, 5)],
    )

    def seen(user):
        edges = gql.as_user(user).data(TRANSFERS)["transfers"]["edges"]
        return {
            e["node"]["code"]: sorted(li["lot"]["code"] for li in e["node"]["lines"]) for e in edges
        }

    assert seen(clerk) == {ours.code: ["H-1", "N-1"], theirs.code: ["L0003"]}
    assert seen(secretary_of(s.village)) == {ours.code: ["H-1", "N-1"]}
    assert seen(operator_of(s.producer)) == {ours.code: ["H-1"]}  # its own line only
    assert seen(operator_of(elsewhere.producer)) == {theirs.code: ["L0003"]}
    assert seen(consumer()) == {}
    assert seen(None) == {}


def test_filter_by_source_and_single_transfer_lookup(gql, s, goods):
    honey, _ = goods
    clerk = staff()
    ours = transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(honey.pk, 2)])
    elsewhere = scene()
    transfer_dispatch(
        actor=clerk,
        source=elsewhere.warehouse,
        lines=[(stock_in(elsewhere.warehouse, lot(elsewhere.variant), 5).pk, 5)],
    )

    data = gql.as_user(clerk).data(TRANSFERS, {"filter": {"source": gid("Warehouse", s.warehouse)}})
    assert [e["node"]["code"] for e in data["transfers"]["edges"]] == [ours.code]

    one = "query($id: ID!) { transfer(id: $id) { code lines { id quantity } } }"
    variables = {"id": gid("Transfer", ours)}
    assert gql.as_user(clerk).data(one, variables)["transfer"]["code"] == ours.code
    assert gql.as_user(secretary_of(elsewhere.village)).data(one, variables)["transfer"] is None
    assert gql.as_user(consumer()).data(one, variables)["transfer"] is None

    node = "query($id: ID!) { node(id: $id) { ... on TransferLine { quantity } } }"
    line_id = {"id": to_global_id("TransferLine", ours.lines.get().pk)}
    assert gql.as_user(clerk).data(node, line_id)["node"] == {"quantity": 2}
    assert gql.as_user(operator_of(elsewhere.producer)).data(node, line_id)["node"] is None


# --- query count ----------------------------------------------------------------------------

PAGE = """
query {
  transfers(first: 50) {
    edges { node {
      code status source { name } destination { name } dispatchedBy { email }
      lines { quantity weightG variant { sku product { name } } lot { code bestBefore } }
    } }
  }
}
"""


def _many_transfers(count, lines_each=3):
    s = scene()
    clerk = staff()
    for i in range(count):
        stocks = [stock_in(s.warehouse, lot(s.variant, f"Q{i}-{j}"), 5) for j in range(lines_each)]
        transfer_dispatch(actor=clerk, source=s.warehouse, lines=[(st.pk, 2) for st in stocks])
    return clerk


@pytest.mark.parametrize("count", [3, 40])
def test_transfers_page_is_a_fixed_number_of_queries(gql, django_assert_num_queries, count):
    clerk = _many_transfers(count)
    gql.as_user(clerk)

    # 1 user (JWT) + 1 transfers with source/destination/users joined + 1 lines prefetch
    with django_assert_num_queries(3):
        data = gql.data(PAGE)

    edges = data["transfers"]["edges"]
    assert len(edges) == count
    assert all(len(e["node"]["lines"]) == 3 for e in edges)
