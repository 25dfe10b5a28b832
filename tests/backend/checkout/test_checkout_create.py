from decimal import Decimal

import pytest

from alliance.catalog.models import Product, VariantChannelPrice
from alliance.checkout.models import Checkout, CheckoutLine
from tests.backend.checkout.helpers import CHECKOUT_FIELDS, ERRORS, codes, vid
from tests.backend.factories.accounts import consumer
from tests.backend.factories.catalog import ProductFactory
from tests.backend.factories.checkout import variant_in_stock

pytestmark = pytest.mark.django_db

CREATE = f"""
mutation($input: CheckoutCreateInput!) {{
  checkoutCreate(input: $input) {{ checkout {{ {CHECKOUT_FIELDS} }} {ERRORS} }}
}}
"""


def create(gql, lines, email="buyer@example.org"):
    data = {"lines": [{"variant": vid(v), "quantity": q} for v, q in lines]}
    if email is not None:
        data["email"] = email
    return gql.data(CREATE, {"input": data})["checkoutCreate"]


def test_anonymous_buyer_gets_a_token_and_exact_totals(gql):
    honey = variant_in_stock(at_village=10, online="58.00", weight_g=500)
    millet = variant_in_stock(at_base=5000, online="12.50", sold_by="weight", weight_g=1000)

    payload = create(gql, [(honey, 3), (millet, 1234)])

    assert payload["errors"] == []
    checkout = payload["checkout"]
    saved = Checkout.objects.get(token=checkout["token"])
    assert saved.user is None
    assert saved.email == "buyer@example.org"
    lines = {line["variant"]["sku"]: line for line in checkout["lines"]}
    assert lines[honey.sku]["lineTotal"]["amount"] == "174.00"
    assert lines[honey.sku]["totalWeight"]["grams"] == 1500
    # weight-sold: ¥12.50/kg x 1234 g = 15.425 -> 15.43 (rounded once, half up)
    assert lines[millet.sku]["lineTotal"]["amount"] == "15.43"
    assert lines[millet.sku]["totalWeight"]["grams"] == 1234
    assert lines[millet.sku]["availableQuantity"] == 5000
    assert checkout["subtotal"] == {"amount": "189.43", "currency": "CNY"}
    assert checkout["totalWeight"] == {"grams": 2734, "kilograms": "2.734"}
    assert checkout["shippingPrice"]["amount"] == "12.00"  # 1-3 kg band
    assert checkout["total"]["amount"] == "201.43"
    assert checkout["deliveryMethod"] == "DELIVERY"
    # not complete yet: delivery needs an address
    assert checkout["isValid"] is False
    assert [p["code"] for p in checkout["problems"]] == ["SHIPPING_ADDRESS_REQUIRED"]
    assert Decimal(checkout["total"]["amount"]) == Decimal("201.43")


def test_signed_in_buyer_owns_the_checkout_and_email_defaults_to_theirs(gql):
    user = consumer()
    honey = variant_in_stock(at_base=5)

    payload = create(gql.as_user(user), [(honey, 1)], email=None)

    assert payload["errors"] == []
    saved = Checkout.objects.get(token=payload["checkout"]["token"])
    assert saved.user == user
    assert saved.email == user.email


def test_the_same_variant_twice_adds_up_on_one_line(gql):
    honey = variant_in_stock(at_base=5)

    payload = create(gql, [(honey, 1), (honey, 2)])

    assert payload["errors"] == []
    assert [line["quantity"] for line in payload["checkout"]["lines"]] == [3]


def _refused(gql, lines, code, field=None, email="buyer@example.org"):
    payload = create(gql, lines, email=email)
    assert payload["checkout"] is None
    assert codes(payload) == [code]
    if field is not None:
        assert payload["errors"][0]["field"] == field
    assert Checkout.objects.count() == 0
    assert CheckoutLine.objects.count() == 0
    return payload


def test_unknown_variant_is_not_found(gql):
    honey = variant_in_stock()  # no stock rows, so it can be deleted
    honey_id = honey.pk
    honey.delete()
    honey.pk = honey_id

    _refused(gql, [(honey, 1)], "NOT_FOUND", field="lines.0.variant")


def test_unpublished_variant_is_not_available(gql):
    ok = variant_in_stock(at_base=5)
    draft = variant_in_stock(
        ProductFactory(status=Product.Status.DRAFT, published_at=None), at_base=5
    )

    _refused(gql, [(ok, 1), (draft, 1)], "NOT_AVAILABLE", field="lines.1.variant")


def test_variant_without_online_price_is_not_available(gql):
    counter_only = variant_in_stock(at_base=5)
    VariantChannelPrice.objects.filter(variant=counter_only, channel__slug="online").delete()
    unavailable = variant_in_stock(at_base=5)
    VariantChannelPrice.objects.filter(variant=unavailable, channel__slug="online").update(
        is_available=False
    )

    _refused(gql, [(counter_only, 1)], "NOT_AVAILABLE")
    _refused(gql, [(unavailable, 1)], "NOT_AVAILABLE")


def test_quantity_over_availability_is_refused(gql):
    honey = variant_in_stock(at_base=2, at_village=3)

    payload = _refused(gql, [(honey, 6)], "INSUFFICIENT_STOCK", field="lines.0.variant")

    assert "5 available" in payload["errors"][0]["message"]


@pytest.mark.parametrize("quantity", [0, -1])
def test_non_positive_quantity_is_refused(gql, quantity):
    honey = variant_in_stock(at_base=5)

    _refused(gql, [(honey, quantity)], "INVALID_QUANTITY", field="lines.0.quantity")


def test_no_lines_is_refused(gql):
    _refused(gql, [], "INVALID_QUANTITY", field="lines")


def test_more_than_fifty_lines_is_refused(gql):
    variants = [variant_in_stock(at_base=1) for _ in range(51)]

    _refused(gql, [(v, 1) for v in variants], "TOO_MANY_LINES")


def test_invalid_email_is_refused(gql):
    honey = variant_in_stock(at_base=5)

    _refused(gql, [(honey, 1)], "INVALID_EMAIL", field="email", email="not-an-email")


def test_malformed_variant_id_is_refused(gql):
    payload = gql.data(CREATE, {"input": {"lines": [{"variant": "bm9wZQ==", "quantity": 1}]}})[
        "checkoutCreate"
    ]

    assert codes(payload) == ["INVALID_ID"]
    assert Checkout.objects.count() == 0
