import uuid
from decimal import Decimal

import pytest

from alliance.catalog.models import VariantChannelPrice
from alliance.checkout.models import CheckoutLine
from tests.backend.checkout.helpers import ERRORS, codes, snapshot, vid
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

ADD = f"""
mutation($token: UUID!, $lines: [CheckoutLineInput!]!) {{
  checkoutLinesAdd(token: $token, lines: $lines) {{
    checkout {{ lines {{ quantity priceChanged variant {{ sku }} unitPrice {{ amount }} }}
               subtotal {{ amount }} }}
    {ERRORS}
  }}
}}
"""


def add(gql, token, lines):
    variables = {
        "token": str(token),
        "lines": [{"variant": vid(v), "quantity": q} for v, q in lines],
    }
    return gql.data(ADD, variables)["checkoutLinesAdd"]


def test_adds_to_an_existing_line_and_creates_new_ones(gql):
    honey = variant_in_stock(at_base=10, online="58.00")
    jujube = variant_in_stock(at_village=10, online="30.00")
    checkout = checkout_with([(honey, 1)])

    payload = add(gql, checkout.token, [(honey, 2), (jujube, 1)])

    assert payload["errors"] == []
    quantities = {line["variant"]["sku"]: line["quantity"] for line in payload["checkout"]["lines"]}
    assert quantities == {honey.sku: 3, jujube.sku: 1}
    assert payload["checkout"]["subtotal"]["amount"] == "204.00"


def test_adding_takes_the_current_price(gql):
    honey = variant_in_stock(at_base=10, online="58.00")
    checkout = checkout_with([(honey, 1)])
    VariantChannelPrice.objects.filter(variant=honey, channel__slug="online").update(
        price=Decimal("55.50")
    )

    payload = add(gql, checkout.token, [(honey, 1)])

    line = payload["checkout"]["lines"][0]
    assert line["priceChanged"] is False
    assert CheckoutLine.objects.get(checkout=checkout).price_at_add == Decimal("55.50")


def test_total_over_availability_is_refused_and_nothing_changes(gql):
    honey = variant_in_stock(at_base=5)
    jujube = variant_in_stock(at_base=5)
    checkout = checkout_with([(honey, 4)])
    before = snapshot(checkout)

    payload = add(gql, checkout.token, [(jujube, 1), (honey, 2)])

    assert codes(payload) == ["INSUFFICIENT_STOCK"]
    assert payload["errors"][0]["field"] == "lines.1.variant"
    assert snapshot(checkout) == before


def test_another_users_checkout_is_not_found(gql):
    honey = variant_in_stock(at_base=5)
    checkout = checkout_with([(honey, 1)], user=consumer())
    before = snapshot(checkout)

    assert codes(add(gql.as_user(consumer()), checkout.token, [(honey, 1)])) == ["NOT_FOUND"]
    assert codes(add(gql.as_user(None), checkout.token, [(honey, 1)])) == ["NOT_FOUND"]
    assert snapshot(checkout) == before


def test_owner_may_add(gql):
    owner = consumer()
    honey = variant_in_stock(at_base=5)
    checkout = checkout_with([(honey, 1)], user=owner)

    assert add(gql.as_user(owner), checkout.token, [(honey, 1)])["errors"] == []


def test_unknown_token_is_not_found(gql):
    honey = variant_in_stock(at_base=5)

    assert codes(add(gql, uuid.uuid4(), [(honey, 1)])) == ["NOT_FOUND"]


def test_completed_checkout_refuses_changes(gql, complete):
    honey = variant_in_stock(at_base=5)
    checkout = complete(checkout_with([(honey, 1)]))
    before = snapshot(checkout)

    assert codes(add(gql, checkout.token, [(honey, 1)])) == ["CHECKOUT_COMPLETED"]
    assert snapshot(checkout) == before


def test_zero_quantity_is_refused(gql):
    honey = variant_in_stock(at_base=5)
    checkout = checkout_with([(honey, 1)])
    before = snapshot(checkout)

    assert codes(add(gql, checkout.token, [(honey, 0)])) == ["INVALID_QUANTITY"]
    assert snapshot(checkout) == before


def test_fifty_first_line_is_refused(gql):
    variants = [variant_in_stock(at_base=1) for _ in range(51)]
    checkout = checkout_with([(v, 1) for v in variants[:50]])
    before = snapshot(checkout)

    payload = add(gql, checkout.token, [(variants[50], 1)])

    assert codes(payload) == ["TOO_MANY_LINES"]
    assert snapshot(checkout) == before
    # more of an existing line passes the line count (and then meets the stock check)
    assert codes(add(gql, checkout.token, [(variants[0], 1)])) == ["INSUFFICIENT_STOCK"]
