"""GraphQL documents and small helpers shared by the checkout tests."""

from __future__ import annotations

from typing import Any

from graphql_relay import to_global_id

from alliance.checkout.models import Checkout, CheckoutLine

CHECKOUT_FIELDS = """
    token email deliveryMethod pickupAtBaseAvailable isValid
    lines {
        id quantity priceChanged availableQuantity
        variant { sku }
        unitPrice { amount currency } priceAtAdd { amount } lineTotal { amount }
        totalWeight { grams }
    }
    subtotal { amount currency } shippingPrice { amount } total { amount }
    totalWeight { grams kilograms }
    shippingAddress { province city district street recipient phone }
    problems { code message line }
"""
ERRORS = "errors { field code message }"


def vid(variant: Any) -> str:
    return to_global_id("ProductVariant", variant.pk)


def line_gid(line: CheckoutLine) -> str:
    return to_global_id("CheckoutLine", line.pk)


def snapshot(checkout: Checkout) -> tuple[Any, ...]:
    """Everything a refused mutation must leave as it was."""
    checkout = Checkout.objects.get(pk=checkout.pk)
    lines = tuple(
        CheckoutLine.objects.filter(checkout=checkout)
        .order_by("id")
        .values_list("id", "variant_id", "quantity", "price_at_add")
    )
    return (
        checkout.email,
        checkout.shipping_address,
        checkout.delivery_method,
        checkout.last_change,
        checkout.completed_at,
        lines,
    )


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]
