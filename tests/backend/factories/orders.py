"""Order fixtures: orders are only ever made through the services, as in production."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.orders.models import DeliveryMethod, Order
from alliance.orders.services import order_create_from_lines
from tests.backend.factories.catalog import channel
from tests.backend.factories.checkout import ADDRESS, variant_in_stock

# The same stocked variant and address as the checkout tests use.
stocked_variant = variant_in_stock


def online_order(
    user: Any, lines: list[tuple[ProductVariant, int]], *, shipping: str = "0.00"
) -> Order:
    return order_create_from_lines(
        channel=channel("online"),
        user=user,
        email=getattr(user, "email", "") or "buyer@example.org",
        lines=lines,
        delivery_method=DeliveryMethod.DELIVERY,
        address=ADDRESS,
        shipping=Decimal(shipping),
    )
