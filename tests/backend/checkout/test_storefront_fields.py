"""Checkout.order: the order placed from a checkout, readable by whoever may read the
checkout (the storefront's confirmation page for a buyer who did not sign in)."""

from __future__ import annotations

from typing import Any

import pytest

from alliance.checkout.complete import checkout_complete
from alliance.checkout.services import checkout_delivery_method_update
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

CHECKOUT_ORDER = """
query($token: UUID!) {
  checkout(token: $token) {
    order { number paymentStatus lines { sku villageName producerName } }
  }
}"""


def _placed(user: Any = None) -> tuple[Any, Any]:
    honey = variant_in_stock(at_base=5, sku="HONEY-SF")
    checkout = checkout_with([(honey, 2)], user=user)
    checkout_delivery_method_update(token=checkout.token, user=user, method="pickup_base")
    order = checkout_complete(token=checkout.token, user=user)
    return checkout, order


def test_no_order_before_complete(gql: Any) -> None:
    honey = variant_in_stock(at_base=5)
    checkout = checkout_with([(honey, 1)])
    data = gql.data(CHECKOUT_ORDER, {"token": str(checkout.token)})
    assert data["checkout"] == {"order": None}


def test_an_anonymous_buyer_follows_its_order_with_every_line(gql: Any) -> None:
    checkout, order = _placed()
    data = gql.data(CHECKOUT_ORDER, {"token": str(checkout.token)})["checkout"]["order"]
    line = order.lines.get()
    assert data == {
        "number": order.number,
        "paymentStatus": "NOT_CHARGED",
        "lines": [
            {
                "sku": "HONEY-SF",
                "villageName": line.village_name,
                "producerName": line.producer_name,
            }
        ],
    }


def test_a_signed_in_buyers_order_is_theirs_only(gql: Any) -> None:
    buyer = consumer()
    checkout, order = _placed(buyer)
    mine = gql.as_user(buyer).data(CHECKOUT_ORDER, {"token": str(checkout.token)})
    assert mine["checkout"]["order"]["number"] == order.number
    assert gql.as_user(consumer()).data(CHECKOUT_ORDER, {"token": str(checkout.token)}) == {
        "checkout": None
    }
    assert gql.as_user(None).data(CHECKOUT_ORDER, {"token": str(checkout.token)}) == {
        "checkout": None
    }
