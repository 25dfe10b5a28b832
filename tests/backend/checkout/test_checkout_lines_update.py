from decimal import Decimal

import pytest

from alliance.catalog.models import VariantChannelPrice
from alliance.checkout.models import CheckoutLine
from tests.backend.checkout.helpers import ERRORS, codes, snapshot, vid
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

UPDATE = f"""
mutation($token: UUID!, $lines: [CheckoutLineInput!]!) {{
  checkoutLinesUpdate(token: $token, lines: $lines) {{
    checkout {{ lines {{ quantity priceChanged variant {{ sku }} }} problems {{ code }} }}
    {ERRORS}
  }}
}}
"""


def update(gql, checkout, lines):
    variables = {
        "token": str(checkout.token),
        "lines": [{"variant": vid(v), "quantity": q} for v, q in lines],
    }
    return gql.data(UPDATE, variables)["checkoutLinesUpdate"]


def test_sets_quantities_and_zero_removes(gql):
    honey = variant_in_stock(at_base=10)
    jujube = variant_in_stock(at_base=10)
    checkout = checkout_with([(honey, 5), (jujube, 1)])

    payload = update(gql, checkout, [(honey, 2), (jujube, 0)])

    assert payload["errors"] == []
    assert [
        (line["variant"]["sku"], line["quantity"]) for line in payload["checkout"]["lines"]
    ] == [(honey.sku, 2)]
    assert not CheckoutLine.objects.filter(checkout=checkout, variant=jujube).exists()


def test_setting_a_quantity_accepts_the_new_price(gql):
    honey = variant_in_stock(at_base=10, online="58.00")
    checkout = checkout_with([(honey, 1)])
    VariantChannelPrice.objects.filter(variant=honey, channel__slug="online").update(
        price=Decimal("61.00")
    )

    payload = update(gql, checkout, [(honey, 1)])

    assert payload["checkout"]["lines"][0]["priceChanged"] is False
    assert "PRICE_CHANGED" not in [p["code"] for p in payload["checkout"]["problems"]]
    assert CheckoutLine.objects.get(checkout=checkout).price_at_add == Decimal("61.00")


def test_over_availability_is_refused_and_nothing_changes(gql):
    honey = variant_in_stock(at_base=3)
    jujube = variant_in_stock(at_base=3)
    checkout = checkout_with([(honey, 1), (jujube, 1)])
    before = snapshot(checkout)

    payload = update(gql, checkout, [(jujube, 0), (honey, 4)])

    assert codes(payload) == ["INSUFFICIENT_STOCK"]
    assert snapshot(checkout) == before


def test_duplicate_variant_is_refused(gql):
    honey = variant_in_stock(at_base=3)
    checkout = checkout_with([(honey, 1)])
    before = snapshot(checkout)

    assert codes(update(gql, checkout, [(honey, 1), (honey, 2)])) == ["DUPLICATE_LINE"]
    assert snapshot(checkout) == before


def test_negative_quantity_is_refused(gql):
    honey = variant_in_stock(at_base=3)
    checkout = checkout_with([(honey, 1)])
    before = snapshot(checkout)

    assert codes(update(gql, checkout, [(honey, -1)])) == ["INVALID_QUANTITY"]
    assert snapshot(checkout) == before


def test_another_users_checkout_is_not_found(gql):
    honey = variant_in_stock(at_base=3)
    checkout = checkout_with([(honey, 1)], user=consumer())
    before = snapshot(checkout)

    assert codes(update(gql.as_user(consumer()), checkout, [(honey, 2)])) == ["NOT_FOUND"]
    assert snapshot(checkout) == before


def test_completed_checkout_refuses_changes(gql, complete):
    honey = variant_in_stock(at_base=3)
    checkout = complete(checkout_with([(honey, 1)]))

    assert codes(update(gql, checkout, [(honey, 0)])) == ["CHECKOUT_COMPLETED"]
    assert CheckoutLine.objects.filter(checkout=checkout).count() == 1
