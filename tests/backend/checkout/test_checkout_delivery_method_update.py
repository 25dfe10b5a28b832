import pytest

from alliance.checkout.models import Checkout, DeliveryMethod
from alliance.inventory.ledger import record_movement
from alliance.inventory.models import StockMovement
from tests.backend.checkout.helpers import ERRORS, codes, snapshot
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

METHOD = f"""
mutation($token: UUID!, $method: DeliveryMethod!) {{
  checkoutDeliveryMethodUpdate(token: $token, method: $method) {{
    checkout {{
      deliveryMethod pickupAtBaseAvailable shippingPrice {{ amount }} total {{ amount }}
      problems {{ code }}
    }}
    {ERRORS}
  }}
}}
"""


def set_method(gql, checkout, method):
    variables = {"token": str(checkout.token), "method": method}
    return gql.data(METHOD, variables)["checkoutDeliveryMethodUpdate"]


def test_pickup_when_the_base_holds_every_line_is_free(gql):
    honey = variant_in_stock(at_base=3, online="58.00", weight_g=500)
    checkout = checkout_with([(honey, 3)])

    payload = set_method(gql, checkout, "PICKUP_BASE")

    assert payload["errors"] == []
    data = payload["checkout"]
    assert data["deliveryMethod"] == "PICKUP_BASE"
    assert data["pickupAtBaseAvailable"] is True
    assert data["shippingPrice"]["amount"] == "0.00"
    assert data["total"]["amount"] == "174.00"
    # pick-up needs no address
    assert data["problems"] == []
    assert Checkout.objects.get(pk=checkout.pk).delivery_method == DeliveryMethod.PICKUP_BASE


def test_pickup_refused_when_a_line_is_only_in_a_village(gql):
    at_base = variant_in_stock(at_base=3)
    in_village = variant_in_stock(at_base=1, at_village=5)
    checkout = checkout_with([(at_base, 1), (in_village, 2)])
    before = snapshot(checkout)

    payload = set_method(gql, checkout, "PICKUP_BASE")

    assert codes(payload) == ["PICKUP_NOT_AVAILABLE"]
    assert snapshot(checkout) == before


def test_back_to_delivery_charges_by_weight(gql):
    honey = variant_in_stock(at_base=3, weight_g=500)
    checkout = checkout_with([(honey, 3)])
    set_method(gql, checkout, "PICKUP_BASE")

    payload = set_method(gql, checkout, "DELIVERY")

    assert payload["errors"] == []
    assert payload["checkout"]["shippingPrice"]["amount"] == "12.00"  # 1.5 kg


def test_base_running_short_after_choosing_pickup_is_a_problem(gql):
    honey = variant_in_stock(at_base=3)
    checkout = checkout_with([(honey, 3)])
    set_method(gql, checkout, "PICKUP_BASE")
    record_movement(
        stock=honey.stocks.get(), kind=StockMovement.Kind.LOSS, quantity=-1, reason="dropped"
    )

    data = set_method(gql, checkout, "DELIVERY")["checkout"]
    assert data["pickupAtBaseAvailable"] is False
    refused = set_method(gql, checkout, "PICKUP_BASE")
    assert codes(refused) == ["PICKUP_NOT_AVAILABLE"]


def test_another_users_checkout_is_not_found(gql):
    checkout = checkout_with([(variant_in_stock(at_base=3), 1)], user=consumer())
    before = snapshot(checkout)

    assert codes(set_method(gql.as_user(consumer()), checkout, "PICKUP_BASE")) == ["NOT_FOUND"]
    assert snapshot(checkout) == before


def test_completed_checkout_refuses_changes(gql, complete):
    checkout = complete(checkout_with([(variant_in_stock(at_base=3), 1)]))
    before = snapshot(checkout)

    assert codes(set_method(gql, checkout, "PICKUP_BASE")) == ["CHECKOUT_COMPLETED"]
    assert snapshot(checkout) == before
