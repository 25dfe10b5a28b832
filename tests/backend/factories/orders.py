"""Order fixtures: orders are only ever made through the services, as in production."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.orders.models import DeliveryMethod, Order
from alliance.orders.services import order_create_from_lines
from tests.backend.factories.catalog import channel, priced_variant
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse

ADDRESS = {
    "province": "陕西省",
    "city": "延安市",
    "district": "甘泉县",
    "street": "美水街道 1 号",
    "recipient": "张三",
    "phone": "13800000000",
}


def stocked_variant(
    product: Any = None,
    *,
    at_base: int = 0,
    at_village: int = 0,
    online: str = "58.00",
    base: str | None = "52.00",
    **kwargs: Any,
) -> ProductVariant:
    """A priced variant with stock in one lot at the base and/or its village's warehouse."""
    variant = priced_variant(product, online=online, base=base, **kwargs)
    if at_base:
        stock_in(the_base(), lot(variant), at_base)
    if at_village:
        stock_in(village_warehouse(variant.product.producer.village), lot(variant), at_village)
    return variant


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
