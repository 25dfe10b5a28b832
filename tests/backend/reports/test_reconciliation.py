"""reconciliation: a clean period with nothing to report, then planted discrepancies each
found with the records behind it; stock flow identity per warehouse; scope by role; a flat
number of SQL statements; the GraphQL query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import to_global_id

from alliance.core.errors import PermissionDenied
from alliance.inventory.models import Stock, StockMovement, TransferLine
from alliance.inventory.transfers import transfer_dispatch, transfer_receive
from alliance.orders.models import PaymentStatus
from alliance.orders.services import base_sale_create
from alliance.payments.models import Gateway, Payment, Refund
from alliance.payments.services import payment_create, payment_record_captured
from alliance.reports.reconciliation import Kind, StripeState, reconciliation
from alliance.settlement.services import settlement_confirm, settlement_generate
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse
from tests.backend.factories.orders import online_order, stocked_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory
from tests.backend.reports.helpers import (
    dated,
    mark_done_without_payment,
    pay,
    refund,
    ship,
    stripe_dashboard_refund,
    stripe_paid_order,
)

pytestmark = pytest.mark.django_db

D = Decimal


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def last_month_start():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def since_last_month() -> str:
    return f"{last_month_start()}..{timezone.localdate()}"


def honey_of(village, **stock):
    producer = ProducerFactory(village=village)
    return stocked_variant(
        ProductFactory(producer=producer, name="土蜂蜜"),
        online="50.00",
        base="45.00",
        weight_g=500,
        **stock,
    )


def send_to_base(village, variant, quantity, received=None, reason=""):
    """Goods dispatched from the village's collection point and received at the base."""
    clerk = staff()
    stock = stock_in(village_warehouse(village), lot(variant), quantity)
    transfer = transfer_dispatch(
        actor=clerk, source=village_warehouse(village), lines=[(stock.pk, quantity)]
    )
    line = TransferLine.objects.get(transfer=transfer)
    counted = [] if received is None else [(line.pk, received, reason)]
    return transfer_receive(actor=clerk, transfer_id=transfer.pk, received=counted)


def of_kind(result, kind):
    return [d for d in result.discrepancies if d.kind == kind]


def records(discrepancy):
    return [(r.type, r.pk if r.pk is not None else r.reference) for r in discrepancy.records]


# --- a clean period ---------------------------------------------------------------------------


@pytest.fixture
def clean_month(stripe_server):
    """This month: a Stripe order shipped and partly refunded through our service, a demo
    order shipped, a counter sale, goods sent to the base and received in full."""
    village = VillageFactory(name="甲村")
    honey = honey_of(village, at_base=40)
    by_card = stripe_paid_order(stripe_server, [(honey, 2)])
    ship(by_card)
    refund(by_card, "10.00", [], at=None)
    by_demo = online_order(consumer(), [(honey, 3)], shipping="8.00")
    pay(by_demo)
    ship(by_demo)
    base_sale_create(actor=staff(), lines=[(honey, 4)], payment_method="cash")
    transfer = send_to_base(village, honey, 10)
    return {"village": village, "honey": honey, "by_card": by_card, "transfer": transfer}


def test_a_clean_month_has_nothing_to_report(clean_month, stripe_server):
    result = reconciliation(actor=staff(), period=this_month())

    assert result.discrepancies == [] and result.discrepancy_counts == {}

    # a. sales: 100.00 by card, 150.00 + 8.00 shipping online, 180.00 at the counter
    sales = result.sales
    assert (sales.orders, sales.lines) == (3, 3)
    assert (sales.goods, sales.shipping, sales.gross) == (D("430.00"), D("8.00"), D("438.00"))
    assert (sales.refunds, sales.refunds_goods, sales.net) == (D("10.00"), D("10.00"), D("428.00"))
    assert sales.weight_g == 9 * 500

    # b. payments: what was captured, by gateway, minus refunds
    stripe_paid = result.payments.of(Gateway.STRIPE)
    assert (stripe_paid.payments, stripe_paid.captured, stripe_paid.refunded) == (
        1,
        D("100.00"),
        D("10.00"),
    )
    assert result.payments.of(Gateway.DEMO).captured == D("158.00")
    assert result.payments.of(Gateway.CASH).captured == D("180.00")
    assert result.payments.total.net == D("428.00")
    assert result.payments_minus_sales == D("0.00")

    # c. Stripe says the same, charge by charge and refund by refund
    stripe = result.stripe
    assert stripe.state == StripeState.OK
    assert (stripe.charges, stripe.charged, stripe.refunds, stripe.refunded) == (
        1,
        D("100.00"),
        1,
        D("10.00"),
    )
    assert stripe.fees == D("3.00")  # the local server's illustrative 3 %
    assert stripe.net == D("87.00")
    assert (stripe.matched_charges, stripe.matched_refunds) == (1, 1)
    assert (stripe.ours_captured, stripe.ours_refunded) == (D("100.00"), D("10.00"))

    # d. nothing generated yet; this month's done lines are settleable, none settled
    assert result.statements.total.statements == 0
    assert (result.statements.settleable_lines, result.statements.settled_lines) == (3, 0)

    # e. the flow of every warehouse balances and matches the Stock table
    stock = result.stock
    assert stock.checked_against_stock
    for flow in [*stock.warehouses, stock.total]:
        assert flow.balanced, flow
        assert flow.expected_closing_g == flow.closing_g == flow.stock_table_g
    village = next(
        f for f in stock.warehouses if f.code == village_warehouse(clean_month["village"]).code
    )
    assert (village.received_g, village.transferred_out_g, village.closing_g) == (5_000, 5_000, 0)
    base = next(f for f in stock.warehouses if f.code == the_base().code)
    assert base.transferred_in_g == 5_000 and base.lost_g == 0
    assert base.received_g == 20_000  # at_base=40 jars of 500 g
    assert base.sold_g == 9 * 500
    assert base.closing_g == 20_000 + 5_000 - 9 * 500


def test_stripe_not_configured_is_said_not_hidden(clean_month, settings):
    settings.STRIPE_SECRET_KEY = None

    result = reconciliation(actor=staff(), period=this_month())

    assert result.stripe.state == StripeState.NOT_CONFIGURED
    assert "not configured" in result.stripe.message
    assert result.stripe.ours_captured == D("100.00")
    assert result.discrepancies == []


# --- planted discrepancies --------------------------------------------------------------------


@pytest.fixture
def planted(stripe_server):
    village_a, village_b = VillageFactory(name="甲村"), VillageFactory(name="乙村")
    village_warehouse(village_a), village_warehouse(village_b)
    honey = honey_of(village_a, at_base=40)
    millet = honey_of(village_b, at_base=40)

    # a fulfilled line whose order has no captured payment
    unpaid = online_order(consumer(), [(honey, 1)])
    mark_done_without_payment(unpaid)

    # a refund in Stripe's records that the order does not show
    by_card = stripe_paid_order(stripe_server, [(honey, 2)])
    ship(by_card)
    payment = by_card.payments.get()
    stripe_refund = stripe_dashboard_refund(stripe_server, payment.psp_reference, 1_500)

    # a transfer received short: 10 sent, 7 arrived
    short = send_to_base(village_a, honey, 10, received=7, reason="运输破损")

    # an order whose captured payment falls short of its total
    partly = online_order(consumer(), [(millet, 2)])
    payment_record_captured(
        payment=payment_create(order=partly, gateway=Gateway.DEMO, amount=partly.total),
        amount=D("99.00"),
    )

    # last month (a closed period): a line settled in a statement confirmed but never paid,
    # then a line that arrived after the statements were made, in none
    last_month = timezone.now().replace(day=1) - timedelta(days=3)
    settled = online_order(consumer(), [(millet, 1)])
    pay(settled)
    ship(settled)
    dated(settled, last_month)
    clerk = staff()
    [made] = settlement_generate(actor=clerk, period_code=f"{last_month_start():%Y-%m}").statements
    unpaid_statement = settlement_confirm(actor=clerk, statement_id=made.pk)
    late = online_order(consumer(), [(millet, 1)])
    pay(late)
    ship(late)
    dated(late, last_month)

    # the Stock table changed behind the ledger's back
    tampered = Stock.objects.filter(warehouse=the_base(), variant=millet).first()
    Stock.objects.filter(pk=tampered.pk).update(quantity=F("quantity") - 1)

    return {
        "village_a": village_a,
        "village_b": village_b,
        "unpaid": unpaid,
        "by_card": by_card,
        "payment": payment,
        "stripe_refund": stripe_refund,
        "short": short,
        "partly": partly,
        "late": late,
        "statement": unpaid_statement,
        "tampered": tampered,
    }


def test_planted_discrepancies_are_found_with_their_records(planted, stripe_server):
    result = reconciliation(actor=staff(), period=since_last_month())

    assert result.discrepancy_counts == {
        Kind.FULFILLED_NOT_PAID: 1,
        Kind.STRIPE_REFUND_UNKNOWN: 1,
        Kind.TRANSFER_SHORT: 1,
        Kind.PAYMENT_MISMATCH: 1,
        Kind.UNSETTLED_LINES: 1,
        Kind.STATEMENT_NOT_PAID: 1,
        Kind.STOCK_FLOW_MISMATCH: 1,
    }

    [not_paid] = of_kind(result, Kind.FULFILLED_NOT_PAID)
    line = planted["unpaid"].lines.get()
    assert records(not_paid) == [("Order", planted["unpaid"].pk), ("OrderLine", line.pk)]
    assert (not_paid.amount, not_paid.weight_g) == (D("50.00"), 500)
    assert planted["unpaid"].number in not_paid.message

    [unknown] = of_kind(result, Kind.STRIPE_REFUND_UNKNOWN)
    txn = next(
        t["id"] for t in stripe_server.balance_transactions.values() if t["type"] == "refund"
    )
    assert records(unknown) == [
        ("StripeBalanceTransaction", txn),
        ("StripeRefund", planted["stripe_refund"]),
        ("Order", planted["by_card"].pk),
        ("Payment", planted["payment"].pk),
    ]
    assert unknown.amount == D("15.00")
    assert "shows no such refund" in unknown.message
    assert not Refund.objects.exists()  # we never heard of it: nothing was recorded

    [short] = of_kind(result, Kind.TRANSFER_SHORT)
    transfer_line = planted["short"].lines.get()
    loss = StockMovement.objects.get(transfer=planted["short"], kind=StockMovement.Kind.LOSS)
    assert records(short) == [
        ("Transfer", planted["short"].pk),
        ("TransferLine", transfer_line.pk),
        ("StockMovement", loss.pk),
    ]
    assert short.weight_g == 3 * 500
    assert "运输破损" in short.records[1].label

    [mismatch] = of_kind(result, Kind.PAYMENT_MISMATCH)
    partly_payment = Payment.objects.get(order=planted["partly"])
    assert records(mismatch) == [("Order", planted["partly"].pk), ("Payment", partly_payment.pk)]
    assert mismatch.amount == D("1.00")

    [unsettled] = of_kind(result, Kind.UNSETTLED_LINES)
    late_line = planted["late"].lines.get()
    assert records(unsettled) == [
        ("Village", planted["village_b"].pk),
        ("OrderLine", late_line.pk),
    ]
    assert unsettled.amount == D("50.00")

    [not_paid_out] = of_kind(result, Kind.STATEMENT_NOT_PAID)
    assert records(not_paid_out) == [("Statement", planted["statement"].pk)]
    assert not_paid_out.amount == D("47.50")  # 50.00 less the default 5 % commission
    assert result.statements.by_status[1].statements == 1  # confirmed

    [flow] = of_kind(result, Kind.STOCK_FLOW_MISMATCH)
    assert records(flow) == [("Warehouse", the_base().pk), ("Stock", planted["tampered"].pk)]
    assert flow.weight_g == 500
    # every other warehouse still balances
    assert [f.code for f in result.stock.warehouses if not f.balanced] == [the_base().code]

    # the flow of the base tells the story of the short transfer
    base = next(f for f in result.stock.warehouses if f.code == the_base().code)
    assert (base.transferred_in_g, base.lost_g) == (5_000, 1_500)
    assert base.expected_closing_g == base.closing_g == base.stock_table_g + 500


def test_a_long_range_finds_the_same(planted, stripe_server):
    """Ranges over 92 days take the hash-join forms of the queries: same findings."""
    short = reconciliation(actor=staff(), period=since_last_month())
    long = reconciliation(actor=staff(), period="all")

    assert long.period.days > 92
    assert long.discrepancy_counts == short.discrepancy_counts
    assert [records(d) for d in long.discrepancies] == [records(d) for d in short.discrepancies]
    assert (long.statements.settleable_lines, long.statements.settled_lines) == (
        short.statements.settleable_lines,
        short.statements.settled_lines,
    )
    assert long.sales == short.sales


def test_a_first_secretary_sees_their_village_only(planted, stripe_server):
    result = reconciliation(actor=secretary_of(planted["village_b"]), period=since_last_month())

    assert result.payments is None and result.stripe is None
    assert result.payments_minus_sales is None
    # village B: the short-paid and the late order's lines; its unpaid statement
    assert result.discrepancy_counts == {Kind.UNSETTLED_LINES: 1, Kind.STATEMENT_NOT_PAID: 1}
    assert [f.code for f in result.stock.warehouses] == [
        village_warehouse(planted["village_b"]).code
    ]
    assert result.sales.shipping == D("0.00")

    village_a = reconciliation(actor=secretary_of(planted["village_a"]), period=this_month())
    assert set(village_a.discrepancy_counts) == {Kind.FULFILLED_NOT_PAID, Kind.TRANSFER_SHORT}
    assert not any(d.kind.startswith("STRIPE") for d in village_a.discrepancies)


@pytest.mark.parametrize("who", ["operator", "consumer"])
def test_others_may_not_reconcile(who):
    actor = operator_of(ProducerFactory()) if who == "operator" else consumer()
    with pytest.raises(PermissionDenied):
        reconciliation(actor=actor, period=this_month())


def test_sql_statements_do_not_grow_with_the_period(clean_month, stripe_server):
    actor = staff()
    with CaptureQueriesContext(connection) as small:
        reconciliation(actor=actor, period=this_month())

    village = clean_month["village"]
    honey = honey_of(village, at_base=100)
    for _ in range(5):
        order = online_order(consumer(), [(honey, 2)])
        pay(order)
        ship(order)
        send_to_base(village, honey, 3)
        base_sale_create(actor=staff(), lines=[(honey, 1)], payment_method="cash")
    with CaptureQueriesContext(connection) as large:
        reconciliation(actor=actor, period=this_month())

    assert len(large) == len(small) <= 12, [q["sql"][:80] for q in large]


# --- GraphQL ----------------------------------------------------------------------------------

RECONCILIATION = """
query($period: String!) {
  reconciliation(period: $period) {
    period { code label }
    village { name }
    sales { orders goods { amount } shipping { amount } refunds { amount } net { amount }
            weightKg }
    payments { total { captured { amount } refunded { amount } net { amount } }
               gateways { gateway payments captured { amount } } }
    stripe { state message charges charged { amount } refunds refunded { amount }
             fees { amount } matchedCharges matchedRefunds }
    statements { periods byStatus { status statements netPayable { amount } }
                 total { statements } settleableLines settledLines unsettledLines }
    stock { checkedAgainstStock
            warehouses { warehouse { id name } openingKg receivedKg transferredInKg
                         soldKg transferredOutKg lostKg closingKg stockTableKg balanced } }
    paymentsMinusSales { amount }
    discrepancyCounts { kind count }
    discrepancies { kind message amount { amount } weightKg records { type id label } }
  }
}
"""


def test_graphql_reconciliation(gql, planted, stripe_server, django_assert_max_num_queries):
    gql.as_user(staff())
    with django_assert_max_num_queries(15):  # the user, then the reconciliation's statements
        data = gql.data(RECONCILIATION, {"period": since_last_month()})["reconciliation"]

    kinds = {d["kind"]: d for d in data["discrepancies"]}
    assert set(kinds) == {
        "FULFILLED_NOT_PAID",
        "STRIPE_REFUND_UNKNOWN",
        "TRANSFER_SHORT",
        "PAYMENT_MISMATCH",
        "UNSETTLED_LINES",
        "STATEMENT_NOT_PAID",
        "STOCK_FLOW_MISMATCH",
    }
    unknown = kinds["STRIPE_REFUND_UNKNOWN"]["records"]
    assert {
        "type": "StripeRefund",
        "id": planted["stripe_refund"],
        "label": planted["stripe_refund"],
    } in unknown
    assert {
        "type": "Order",
        "id": to_global_id("Order", planted["by_card"].pk),
        "label": planted["by_card"].number,
    } in unknown
    short = kinds["TRANSFER_SHORT"]
    assert short["weightKg"] == "1.500" and short["amount"] is None
    assert short["records"][0]["id"] == to_global_id("Transfer", planted["short"].pk)
    assert data["stripe"]["state"] == "OK"
    assert data["stripe"]["refunds"] == 1 and data["stripe"]["matchedRefunds"] == 0
    assert data["statements"]["byStatus"][1] == {
        "status": "confirmed",
        "statements": 1,
        "netPayable": {"amount": "47.50"},
    }
    assert next(w for w in data["stock"]["warehouses"] if not w["balanced"])["warehouse"][
        "id"
    ] == to_global_id("Warehouse", the_base().pk)

    [statement] = kinds["STATEMENT_NOT_PAID"]["records"]
    assert statement["id"] == to_global_id("Statement", planted["statement"].pk)

    # the records' global ids open with node(id:)
    order_id = kinds["FULFILLED_NOT_PAID"]["records"][0]["id"]
    node = gql.data(
        "query($id: ID!) { node(id: $id) { ... on Order { number } } }", {"id": order_id}
    )
    assert node["node"]["number"] == planted["unpaid"].number


def test_graphql_reconciliation_scope_and_errors(gql, planted, stripe_server):
    secretary = gql.as_user(secretary_of(planted["village_b"])).data(
        RECONCILIATION, {"period": since_last_month()}
    )["reconciliation"]
    assert secretary["payments"] is None and secretary["stripe"] is None
    assert secretary["village"] == {"name": "乙村"}

    refused = gql.as_user(consumer()).execute(RECONCILIATION, {"period": this_month()})
    assert refused["data"]["reconciliation"] is None
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    bad = gql.as_user(staff()).execute(RECONCILIATION, {"period": "2026-10-32"})
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_PERIOD", "field": "period"}


def test_partial_capture_status_is_what_the_mismatch_says(planted):
    planted["partly"].refresh_from_db()
    assert planted["partly"].payment_status == PaymentStatus.PARTIALLY_CHARGED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_all_statements_read_one_snapshot(settings):
    settings.STRIPE_SECRET_KEY = None
    actor = staff()
    with CaptureQueriesContext(connection) as queries:
        reconciliation(actor=actor, period=this_month())

    statements = [q["sql"] for q in queries]
    assert statements[:2] == ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"]
    assert statements[2:5] == [
        "SET LOCAL work_mem = '64MB'",
        "SET LOCAL jit = off",
        "SET LOCAL random_page_cost = 1.1",
    ]
    assert statements[-1] == "COMMIT"
    assert len(statements) == 5 + 9 + 1  # the snapshot, 9 aggregate statements (no Stripe)
