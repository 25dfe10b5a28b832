import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.catalog.models import Product, VariantChannelPrice
from alliance.inventory.ledger import record_movement
from alliance.inventory.models import StockMovement
from tests.backend.checkout.helpers import CHECKOUT_FIELDS
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

QUERY = f"""
query($token: UUID!) {{ checkout(token: $token) {{ {CHECKOUT_FIELDS} }} }}
"""
STOREFRONT_QUERY = """
query($token: UUID!) {
  checkout(token: $token) {
    token isValid problems { code line }
    lines { id quantity priceChanged availableQuantity unitPrice { amount } lineTotal { amount }
            variant { id sku unitLabel product { name } } }
    subtotal { amount } shippingPrice { amount } total { amount } totalWeight { grams }
    pickupAtBaseAvailable
  }
}
"""


def read(gql, checkout):
    return gql.data(QUERY, {"token": str(checkout.token)})["checkout"]


def test_anonymous_checkout_is_read_by_token_by_anyone_holding_it(gql):
    checkout = checkout_with([(variant_in_stock(at_base=3), 1)])

    assert read(gql, checkout)["token"] == str(checkout.token)
    assert read(gql.as_user(consumer()), checkout)["token"] == str(checkout.token)


def test_a_users_checkout_is_hidden_from_others_and_from_anonymous(gql):
    owner = consumer()
    checkout = checkout_with([(variant_in_stock(at_base=3), 1)], user=owner)

    assert read(gql.as_user(consumer()), checkout) is None
    assert read(gql.as_user(None), checkout) is None
    assert read(gql.as_user(owner), checkout)["token"] == str(checkout.token)


def test_unknown_token_is_null(gql):
    assert gql.data(QUERY, {"token": str(uuid.uuid4())})["checkout"] is None


def test_price_change_is_shown_with_the_current_price(gql):
    honey = variant_in_stock(at_base=5, online="58.00")
    checkout = checkout_with([(honey, 2)])
    VariantChannelPrice.objects.filter(variant=honey, channel__slug="online").update(
        price=Decimal("60.00")
    )

    data = read(gql, checkout)

    line = data["lines"][0]
    assert line["priceChanged"] is True
    assert line["unitPrice"]["amount"] == "60.00"
    assert line["priceAtAdd"]["amount"] == "58.00"
    assert line["lineTotal"]["amount"] == "120.00"
    assert data["subtotal"]["amount"] == "120.00"
    problem = next(p for p in data["problems"] if p["code"] == "PRICE_CHANGED")
    assert problem["line"] == line["id"]
    assert data["isValid"] is False


def test_unpublished_or_sold_out_lines_are_problems(gql):
    gone = variant_in_stock(at_base=5)
    short = variant_in_stock(at_base=5)
    checkout = checkout_with([(gone, 1), (short, 4)])
    Product.objects.filter(pk=gone.product_id).update(status=Product.Status.DRAFT)
    stock = short.stocks.get()
    record_movement(stock=stock, kind=StockMovement.Kind.LOSS, quantity=-3, reason="spoiled")

    data = read(gql, checkout)

    by_sku = {line["variant"]["sku"]: line for line in data["lines"]}
    assert by_sku[gone.sku]["unitPrice"] is None
    assert by_sku[gone.sku]["lineTotal"]["amount"] == "0.00"
    assert by_sku[short.sku]["availableQuantity"] == 2
    line_problems = {(p["code"], p["line"]) for p in data["problems"] if p["line"]}
    assert line_problems == {
        ("NOT_AVAILABLE", by_sku[gone.sku]["id"]),
        ("INSUFFICIENT_STOCK", by_sku[short.sku]["id"]),
    }
    # only the sellable line counts
    assert data["subtotal"]["amount"] == "232.00"


def _count_queries(gql, checkout):
    with CaptureQueriesContext(connection) as ctx:
        data = gql.data(STOREFRONT_QUERY, {"token": str(checkout.token)})["checkout"]
    return len(ctx.captured_queries), data


def test_query_count_does_not_grow_with_lines(gql):
    one = checkout_with([(variant_in_stock(at_base=5), 1)])
    thirty = checkout_with([(variant_in_stock(at_base=5), 1) for _ in range(30)])

    count_one, data_one = _count_queries(gql, one)
    count_thirty, data_thirty = _count_queries(gql, thirty)

    assert len(data_one["lines"]) == 1
    assert len(data_thirty["lines"]) == 30
    assert count_one == count_thirty
    # checkout, lines, their prices, online availability, base availability
    assert count_thirty == 5, count_thirty
