"""Checkout API types. A checkout is reached by its token only (no Relay node, so
`node(id:)` cannot reach one); its figures come from one CheckoutSummary per checkout and
request (selectors.checkout_summary: a fixed number of queries for any number of lines)."""

from __future__ import annotations

from typing import Any

import graphene
from graphql_relay import to_global_id

from alliance.checkout.models import Checkout, DeliveryMethod
from alliance.checkout.selectors import (
    CheckoutProblem,
    CheckoutSummary,
    LineSummary,
    checkout_summary,
)
from alliance.graphql.catalog.types import ProductVariantType
from alliance.graphql.core.scalars import Money, Weight, money, money_from, weight, weight_from

DeliveryMethodEnum = graphene.Enum.from_enum(
    DeliveryMethod, name="DeliveryMethod", description="How the buyer gets the goods."
)

_SUMMARY = "_summary"


def summary_of(checkout: Checkout) -> CheckoutSummary:
    """Computed once per checkout object (each mutation returns a freshly read one)."""
    cached = getattr(checkout, _SUMMARY, None)
    if cached is None:
        cached = checkout_summary(checkout)
        setattr(checkout, _SUMMARY, cached)
    return cached


def line_global_id(line_pk: int) -> str:
    return to_global_id("CheckoutLine", line_pk)


class ShippingAddressType(graphene.ObjectType):
    # Read from the checkout's address dict: graphene's default resolver reads dict keys.
    province = graphene.String(required=True, default_value="")
    city = graphene.String(required=True, default_value="")
    district = graphene.String(required=True, default_value="")
    street = graphene.String(required=True, default_value="")
    recipient = graphene.String(required=True, default_value="")
    phone = graphene.String(required=True, default_value="")

    class Meta:
        name = "ShippingAddress"


class CheckoutLineType(graphene.ObjectType):
    id = graphene.ID(required=True, description="Global ID, for checkoutLineDelete.")
    variant = graphene.Field(ProductVariantType, required=True)
    quantity = graphene.Int(required=True, description="Units, or grams when sold by weight.")
    unit_price = graphene.Field(
        Money,
        resolver=money_from("unit_price"),
        description="Current price in the checkout's channel (per kg when sold by weight); "
        "null when no longer sold.",
    )
    price_at_add = graphene.Field(
        Money,
        resolver=money_from("line.price_at_add"),
        required=True,
        description="The price when the buyer last set this line.",
    )
    line_total = graphene.Field(Money, resolver=money_from("line_total"), required=True)
    total_weight = graphene.Field(Weight, resolver=weight_from("total_weight_g"), required=True)
    price_changed = graphene.Boolean(
        required=True, description="The price differs from the one the line was added at."
    )
    available_quantity = graphene.Int(
        required=True, description="What can be bought online right now."
    )

    class Meta:
        name = "CheckoutLine"

    @staticmethod
    def resolve_id(root: LineSummary, info: graphene.ResolveInfo) -> str:
        return line_global_id(root.line.pk)

    @staticmethod
    def resolve_variant(root: LineSummary, info: graphene.ResolveInfo) -> Any:
        return root.line.variant

    @staticmethod
    def resolve_quantity(root: LineSummary, info: graphene.ResolveInfo) -> int:
        return root.line.quantity

    @staticmethod
    def resolve_price_changed(root: LineSummary, info: graphene.ResolveInfo) -> bool:
        return root.price_changed

    @staticmethod
    def resolve_available_quantity(root: LineSummary, info: graphene.ResolveInfo) -> int:
        return root.available_quantity


class CheckoutProblemType(graphene.ObjectType):
    """Something that stops completion; the storefront shows it next to its line."""

    code = graphene.String(
        required=True,
        description="NOT_AVAILABLE, INSUFFICIENT_STOCK, PRICE_CHANGED, NO_LINES, "
        "EMAIL_REQUIRED, SHIPPING_ADDRESS_REQUIRED or PICKUP_NOT_AVAILABLE.",
    )
    message = graphene.String(required=True)
    line = graphene.ID(description="Global ID of the line concerned, if one is.")

    class Meta:
        name = "CheckoutProblem"

    @staticmethod
    def resolve_line(root: CheckoutProblem, info: graphene.ResolveInfo) -> str | None:
        return line_global_id(root.line.pk) if root.line is not None else None


def _order_type() -> Any:
    from alliance.graphql.orders.types import OrderType

    return OrderType


class CheckoutType(graphene.ObjectType):
    token = graphene.UUID(required=True, description="The checkout's handle: keep it secret.")
    email = graphene.String(required=True)
    lines = graphene.List(graphene.NonNull(CheckoutLineType), required=True)
    subtotal = graphene.Field(Money, required=True, description="Current prices x quantities.")
    shipping_price = graphene.Field(Money, required=True)
    total = graphene.Field(Money, required=True)
    total_weight = graphene.Field(Weight, required=True)
    delivery_method = DeliveryMethodEnum(required=True)
    shipping_address = graphene.Field(ShippingAddressType)
    pickup_at_base_available = graphene.Boolean(
        required=True, description="The base holds every line's quantity right now."
    )
    is_valid = graphene.Boolean(required=True, description="No problems: ready to complete.")
    problems = graphene.List(graphene.NonNull(CheckoutProblemType), required=True)
    created = graphene.DateTime(required=True)
    last_change = graphene.DateTime(required=True)
    order = graphene.Field(
        lambda: _order_type(),
        description="The order placed from this checkout (after checkoutComplete), with all "
        "its lines: whoever may read the checkout may follow its order (the storefront's "
        "confirmation page for a buyer who did not sign in).",
    )

    class Meta:
        name = "Checkout"

    @staticmethod
    def resolve_order(root: Checkout, info: graphene.ResolveInfo) -> Any:
        from alliance.orders.models import Order

        # Lines prefetched: OrderType.lines then shows them all (the reader holds the token).
        return (
            Order.objects.filter(checkout_token=root.token)
            .select_related("channel")
            .prefetch_related("lines__lot")
            .first()
        )

    @staticmethod
    def resolve_token(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return root.token

    @staticmethod
    def resolve_email(root: Checkout, info: graphene.ResolveInfo) -> str:
        return root.email

    @staticmethod
    def resolve_lines(root: Checkout, info: graphene.ResolveInfo) -> list[LineSummary]:
        return summary_of(root).lines

    @staticmethod
    def resolve_subtotal(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return money(summary_of(root).subtotal)

    @staticmethod
    def resolve_shipping_price(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return money(summary_of(root).shipping)

    @staticmethod
    def resolve_total(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return money(summary_of(root).total)

    @staticmethod
    def resolve_total_weight(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return weight(summary_of(root).total_weight_g)

    @staticmethod
    def resolve_delivery_method(root: Checkout, info: graphene.ResolveInfo) -> str:
        return root.delivery_method

    @staticmethod
    def resolve_shipping_address(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return root.shipping_address

    @staticmethod
    def resolve_pickup_at_base_available(root: Checkout, info: graphene.ResolveInfo) -> bool:
        return summary_of(root).pickup_at_base_available

    @staticmethod
    def resolve_is_valid(root: Checkout, info: graphene.ResolveInfo) -> bool:
        return summary_of(root).is_valid

    @staticmethod
    def resolve_problems(root: Checkout, info: graphene.ResolveInfo) -> list[CheckoutProblem]:
        return summary_of(root).problems

    @staticmethod
    def resolve_created(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return root.created_at

    @staticmethod
    def resolve_last_change(root: Checkout, info: graphene.ResolveInfo) -> Any:
        return root.last_change
