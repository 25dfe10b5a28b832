"""Checkout fixtures: checkouts are made through the services, as in production."""

from __future__ import annotations

from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.checkout.models import Checkout
from alliance.checkout.services import LineInput, checkout_create
from tests.backend.factories.catalog import priced_variant
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse

ADDRESS = {
    "province": "陕西省",
    "city": "延安市",
    "district": "甘泉县",
    "street": "美水街道 1 号",
    "recipient": "张三",
    "phone": "13800000000",
}


def variant_in_stock(
    product: Any = None,
    *,
    at_base: int = 0,
    at_village: int = 0,
    online: str = "58.00",
    base: str | None = "52.00",
    **kwargs: Any,
) -> ProductVariant:
    """A priced variant with stock in one lot at the base and/or its village warehouse."""
    variant = priced_variant(product, online=online, base=base, **kwargs)
    if at_base:
        stock_in(the_base(), lot(variant), at_base)
    if at_village:
        stock_in(village_warehouse(variant.product.producer.village), lot(variant), at_village)
    return variant


def checkout_with(
    lines: list[tuple[ProductVariant, int]], *, user: Any = None, email: str = "buyer@example.org"
) -> Checkout:
    return checkout_create(
        user=user,
        email=email,
        lines=[LineInput(variant_id=v.pk, quantity=q) for v, q in lines],
    )
