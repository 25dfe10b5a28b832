"""orders / order / node(id:) scoped by role, and a fixed number of SQL queries per page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from alliance.payments.services import payment_create, payment_record_captured
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory
from tests.backend.factories.orders import online_order, stocked_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

LIST = """
query($first: Int, $filter: OrderFilterInput) {
  orders(first: $first, filter: $filter) {
    edges { node {
      id number status paymentStatus created
      channel { slug }
      total { amount } subtotal { amount } shipping { amount }
      totalWeight { grams }
      lines { productName sku producerName villageName quantity unitPrice { amount }
              lineTotal { amount } weight { grams } lot { code harvestDate bestBefore } }
      payments { gateway status amount { amount } }
    } }
    pageInfo { hasNextPage }
  }
}
"""
ONE = """
query($id: ID, $number: String) {
  order(id: $id, number: $number) { number lines { sku } payments { status } }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Order { number } } }"


@pytest.fixture
def world():
    """Two buyers; an order of buyer A with lines from two villages, one of buyer B."""
    honey_maker = ProducerFactory()
    apple_grower = ProducerFactory()
    honey = stocked_variant(ProductFactory(producer=honey_maker), at_village=50, sku="HONEY")
    apples = stocked_variant(ProductFactory(producer=apple_grower), at_village=50, sku="APPLE")
    a, b = consumer(), consumer()
    mixed = online_order(a, [(honey, 1), (apples, 2)], shipping="10.00")
    paid = payment_create(order=mixed, gateway="stripe", amount=mixed.total, psp_reference="pi")
    payment_record_captured(payment=paid, amount=mixed.total)
    only_apples = online_order(b, [(apples, 1)])
    return {
        "a": a,
        "b": b,
        "honey_maker": honey_maker,
        "apple_grower": apple_grower,
        "mixed": mixed,
        "only_apples": only_apples,
    }


def _seen(gql, user):
    edges = gql.as_user(user).data(LIST, {"first": 50})["orders"]["edges"]
    return {e["node"]["number"]: e["node"] for e in edges}


def test_a_consumer_sees_its_own_orders_with_all_lines_and_payments(gql, world):
    seen = _seen(gql, world["a"])
    assert list(seen) == [world["mixed"].number]
    order = seen[world["mixed"].number]
    assert sorted(line["sku"] for line in order["lines"]) == ["APPLE", "HONEY"]
    assert order["payments"] == [
        {"gateway": "STRIPE", "status": "CAPTURED", "amount": {"amount": "184.00"}}
    ]
    assert order["total"] == {"amount": "184.00"}
    assert order["paymentStatus"] == "FULLY_CHARGED"
    assert all(line["lot"]["code"] and line["lot"]["bestBefore"] for line in order["lines"])


def test_an_operator_sees_only_orders_and_lines_of_its_producers(gql, world):
    seen = _seen(gql, operator_of(world["honey_maker"]))
    assert list(seen) == [world["mixed"].number]
    assert [line["sku"] for line in seen[world["mixed"].number]["lines"]] == ["HONEY"]
    assert seen[world["mixed"].number]["payments"] == []

    seen = _seen(gql, operator_of(world["apple_grower"]))
    assert set(seen) == {world["mixed"].number, world["only_apples"].number}
    assert [line["sku"] for line in seen[world["mixed"].number]["lines"]] == ["APPLE"]


def test_a_secretary_sees_its_villages_lines(gql, world):
    seen = _seen(gql, secretary_of(world["honey_maker"].village))
    assert list(seen) == [world["mixed"].number]
    assert [line["sku"] for line in seen[world["mixed"].number]["lines"]] == ["HONEY"]


def test_staff_see_everything_and_anonymous_nothing(gql, world):
    seen = _seen(gql, staff())
    assert set(seen) == {world["mixed"].number, world["only_apples"].number}
    assert len(seen[world["mixed"].number]["lines"]) == 2
    assert len(seen[world["mixed"].number]["payments"]) == 1
    assert _seen(gql, None) == {}


def test_filters_by_status_channel_and_number(gql, world):
    user = staff()
    by_number = gql.as_user(user).data(LIST, {"filter": {"number": world["only_apples"].number}})[
        "orders"
    ]["edges"]
    assert [e["node"]["number"] for e in by_number] == [world["only_apples"].number]
    assert gql.as_user(user).data(LIST, {"filter": {"channel": "base"}})["orders"]["edges"] == []
    assert (
        gql.as_user(user).data(LIST, {"filter": {"status": "FULFILLED"}})["orders"]["edges"] == []
    )
    assert (
        len(gql.as_user(user).data(LIST, {"filter": {"status": "UNFULFILLED"}})["orders"]["edges"])
        == 2
    )


@pytest.mark.parametrize("who", ["b", "other operator", "anonymous"])
def test_out_of_scope_orders_are_null_like_missing_ones(gql, world, who):
    user = {"b": world["b"], "other operator": operator_of(ProducerFactory()), "anonymous": None}[
        who
    ]
    order = world["mixed"]
    gid = to_global_id("Order", order.pk)
    missing = to_global_id("Order", order.pk + 10_000)
    for variables in ({"id": gid}, {"number": order.number}, {"id": missing}):
        assert gql.as_user(user).data(ONE, variables)["order"] is None
    assert gql.as_user(user).data(NODE, {"id": gid})["node"] is None
    line_id = to_global_id("OrderLine", order.lines.first().pk)
    assert gql.as_user(user).data(NODE, {"id": line_id})["node"] is None


def test_order_by_number_and_node_for_the_buyer(gql, world):
    order = world["mixed"]
    gql.as_user(world["a"])
    by_number = gql.data(ONE, {"number": order.number})["order"]
    assert by_number["number"] == order.number and len(by_number["lines"]) == 2
    node = gql.data(NODE, {"id": to_global_id("Order", order.pk)})["node"]
    assert node["number"] == order.number


def test_an_operator_reads_one_order_with_its_lines_only(gql, world):
    order = gql.as_user(operator_of(world["honey_maker"])).data(
        ONE, {"id": to_global_id("Order", world["mixed"].pk)}
    )["order"]
    assert order["lines"] == [{"sku": "HONEY"}]
    assert order["payments"] == []


def _queries(gql, user, first):
    gql.as_user(user)
    with CaptureQueriesContext(connection) as ctx:
        edges = gql.data(LIST, {"first": first})["orders"]["edges"]
    return len(ctx.captured_queries), len(edges)


# 1 user (token), 1 orders page (+ channel joined), 1 lines (+ lot joined), 1 payments = 4
EXPECTED_QUERIES = 4


@pytest.mark.parametrize("role", ["staff", "operator"])
def test_the_query_count_does_not_grow_with_the_page(gql, role):
    producer = ProducerFactory()
    buyer = consumer()
    variants = [
        stocked_variant(ProductFactory(producer=producer), at_village=500) for _ in range(3)
    ]
    for i in range(50):
        order = online_order(buyer, [(v, 1 + i % 3) for v in variants])
        if i % 2:
            payment = payment_create(order=order, gateway="demo", amount=order.total)
            payment_record_captured(payment=payment, amount=Decimal(order.total))
    user = staff() if role == "staff" else operator_of(producer)
    small = _queries(gql, user, 10)
    large = _queries(gql, user, 50)
    assert small == (EXPECTED_QUERIES, 10)
    assert large == (EXPECTED_QUERIES, 50)
