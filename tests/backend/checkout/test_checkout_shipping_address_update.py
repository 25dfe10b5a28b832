import pytest

from alliance.checkout.models import Checkout
from tests.backend.checkout.helpers import ERRORS, codes, snapshot
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import ADDRESS, checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

ADDRESS_UPDATE = f"""
mutation($token: UUID!, $address: ShippingAddressInput!) {{
  checkoutShippingAddressUpdate(token: $token, address: $address) {{
    checkout {{
      shippingAddress {{ province city district street recipient phone }}
      isValid problems {{ code }}
    }}
    {ERRORS}
  }}
}}
"""


def set_address(gql, checkout, **overrides):
    address = {**ADDRESS, **overrides}
    variables = {"token": str(checkout.token), "address": address}
    return gql.data(ADDRESS_UPDATE, variables)["checkoutShippingAddressUpdate"]


def test_sets_the_address_and_the_checkout_becomes_valid(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])

    payload = set_address(gql, checkout, street="  美水街道 1 号 ")

    assert payload["errors"] == []
    assert payload["checkout"]["shippingAddress"] == ADDRESS
    assert payload["checkout"]["isValid"] is True
    assert payload["checkout"]["problems"] == []
    assert Checkout.objects.get(pk=checkout.pk).shipping_address == ADDRESS


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0911-1234567", "0911-1234567"),
        ("010-12345678", "010-12345678"),
        ("0911-1234567-12", "0911-1234567-12"),
    ],
)
def test_mobile_and_landline_numbers_are_accepted(gql, phone, stored):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])

    payload = set_address(gql, checkout, phone=phone)

    assert payload["errors"] == []
    assert payload["checkout"]["shippingAddress"]["phone"] == stored


@pytest.mark.parametrize("phone", ["12345678901", "1391234567", "139123456789", "abc", "911234567"])
def test_bad_phone_is_refused_and_nothing_changes(gql, phone):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])
    before = snapshot(checkout)

    payload = set_address(gql, checkout, phone=phone)

    assert codes(payload) == ["INVALID_PHONE"]
    assert payload["errors"][0]["field"] == "phone"
    assert snapshot(checkout) == before


def test_every_empty_field_is_reported(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])
    before = snapshot(checkout)

    payload = set_address(gql, checkout, province=" ", city="", district="")

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("province", "REQUIRED"),
        ("city", "REQUIRED"),
        ("district", "REQUIRED"),
    ]
    assert snapshot(checkout) == before


def test_too_long_field_is_refused(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])

    payload = set_address(gql, checkout, recipient="张" * 65)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("recipient", "INVALID")]


def test_another_users_checkout_is_not_found(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)], user=consumer())
    before = snapshot(checkout)

    assert codes(set_address(gql.as_user(consumer()), checkout)) == ["NOT_FOUND"]
    assert snapshot(checkout) == before


def test_completed_checkout_refuses_changes(gql, complete):
    checkout = complete(checkout_with([(variant_in_stock(at_base=1), 1)]))
    before = snapshot(checkout)

    assert codes(set_address(gql, checkout)) == ["CHECKOUT_COMPLETED"]
    assert snapshot(checkout) == before
