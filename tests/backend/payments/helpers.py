"""Shared by the payment flow and webhook tests: an unpaid online order (as checkoutComplete
leaves it) and signed deliveries to /webhooks/stripe/."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from typing import Any

from django.test import Client

from alliance.catalog.models import Channel
from alliance.orders.models import DeliveryMethod, Order, OrderStatus
from alliance.orders.services import order_create_from_lines
from tests.backend.factories.catalog import channel
from tests.backend.factories.orders import ADDRESS, stocked_variant
from tests.stripe_server import event_body, sign

WEBHOOK = "/webhooks/stripe/"
SECRET = "whsec_local_stripe_server"  # the stripe_server fixture's STRIPE_WEBHOOK_SECRET
RETURN_URL = "https://shop.example.com/orders/return/"
TOTAL = Decimal("112.00")  # 2 x 50.00 + 12.00 shipping
TOTAL_FEN = 11200


def unpaid_order(user: Any = None, *, email: str = "buyer@example.org") -> Order:
    """An online order waiting for payment (UNCONFIRMED), its stock allocated."""
    variant = stocked_variant(at_village=10, online="50.00")
    return order_create_from_lines(
        channel=channel(Channel.ONLINE),
        user=user,
        email=getattr(user, "email", None) or email,
        lines=[(variant, 2)],
        delivery_method=DeliveryMethod.DELIVERY,
        address=ADDRESS,
        shipping=Decimal("12.00"),
        checkout_token=uuid.uuid4(),
        status=OrderStatus.UNCONFIRMED,
    )


def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    return sign(body, secret, timestamp=timestamp)


def deliver(
    client: Client, body: bytes, signature: str | None = None, **headers: Any
) -> tuple[int, dict[str, Any]]:
    """POST a raw body to the webhook, signed with the test secret unless told otherwise."""
    extra = {"HTTP_STRIPE_SIGNATURE": signature if signature is not None else signed(body)}
    response = client.post(WEBHOOK, data=body, content_type="application/json", **extra, **headers)
    return response.status_code, json.loads(response.content or b"{}")


def event(event_type: str, data_object: dict[str, Any]) -> bytes:
    return event_body(event_type, data_object)


def with_fields(obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(obj)), **fields}


def now() -> int:
    return int(time.time())
