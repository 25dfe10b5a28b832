"""Reading a checkout: access by token, and everything the storefront shows about it
(current prices, availability, totals, problems) in a fixed number of SQL queries.

`checkout_summary` is what checkoutComplete (next session) re-checks inside its transaction:
it must refuse while `summary.problems` is not empty (PRICE_CHANGED included: completion
never charges a price the buyer did not see), then pass `summary.lines` (variant, quantity)
and `summary.shipping` to orders.services.order_create_from_lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from alliance.catalog.models import Product, VariantChannelPrice
from alliance.catalog.pricing import line_total, line_weight_g
from alliance.checkout.errors import CheckoutNotFound
from alliance.checkout.models import Checkout, CheckoutLine, DeliveryMethod
from alliance.checkout.shipping import shipping_fee
from alliance.core.money import quantize
from alliance.inventory.allocation import base_pickup_available, quantity_available


class Problem:
    """Codes of `CheckoutProblem`: what stops a checkout from being completed."""

    NOT_AVAILABLE = "NOT_AVAILABLE"  # unpublished now, or no longer priced in the channel
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PRICE_CHANGED = "PRICE_CHANGED"  # set the line's quantity again to accept the new price
    NO_LINES = "NO_LINES"
    EMAIL_REQUIRED = "EMAIL_REQUIRED"
    SHIPPING_ADDRESS_REQUIRED = "SHIPPING_ADDRESS_REQUIRED"
    PICKUP_NOT_AVAILABLE = "PICKUP_NOT_AVAILABLE"


@dataclass(frozen=True)
class CheckoutProblem:
    code: str
    message: str
    line: CheckoutLine | None = None


@dataclass(frozen=True)
class LineSummary:
    line: CheckoutLine
    unit_price: Decimal | None  # current channel price (per kg when sold by weight); None: not sold
    line_total: Decimal  # current price x quantity, rounded once; 0 when not sold
    total_weight_g: int
    price_changed: bool
    available_quantity: int  # online availability now (units, grams when sold by weight)
    at_base: int  # what the base holds now, for pick-up


@dataclass(frozen=True)
class CheckoutSummary:
    checkout: Checkout
    lines: list[LineSummary]
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    total_weight_g: int
    pickup_at_base_available: bool
    problems: list[CheckoutProblem] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems


def user_id_of(user: Any) -> int | None:
    """The pk of a signed-in user; None for AnonymousUser or no user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def checkout_get(
    *, token: UUID | str, user: Any, queryset: QuerySet[Checkout] | None = None
) -> Checkout:
    """The checkout of `token` if `user` may use it: anonymous checkouts by token alone, a
    user's checkout by that user only. Anything else is NOT_FOUND (never "forbidden": that
    would tell a stranger the token exists)."""
    qs = Checkout.objects.select_related("channel") if queryset is None else queryset
    try:
        checkout = qs.filter(token=token).first()
    except (ValueError, TypeError):  # not a UUID
        checkout = None
    if checkout is None or (checkout.user_id is not None and checkout.user_id != user_id_of(user)):
        raise CheckoutNotFound("Checkout not found.", field="token")
    return checkout


def current_price_subquery(channel_id: int) -> Subquery:
    return Subquery(
        VariantChannelPrice.objects.filter(
            variant_id=OuterRef("variant_id"), channel_id=channel_id, is_available=True
        ).values("price")[:1]
    )


def checkout_lines(checkout: Checkout) -> list[CheckoutLine]:
    """The lines with variant, product and producer, the variant's prices (for the
    ProductVariant API type) and `current_price` in the checkout's channel: two queries."""
    return list(
        CheckoutLine.objects.filter(checkout_id=checkout.pk)
        .select_related("variant__product__producer")
        .prefetch_related(
            Prefetch(
                "variant__prices",
                queryset=VariantChannelPrice.objects.only(
                    "variant_id", "channel_id", "price", "is_available"
                ),
            )
        )
        .annotate(current_price=current_price_subquery(checkout.channel_id))
        .order_by("id")
    )


def checkout_summary(checkout: Checkout) -> CheckoutSummary:
    """Everything shown about a checkout; 4 SQL queries whatever the number of lines
    (lines, their prices, online availability, base availability)."""
    lines = checkout_lines(checkout)
    variant_ids = [line.variant_id for line in lines]
    channel_slug = checkout.channel.slug
    available = quantity_available(variant_ids, channel_slug) if lines else {}
    at_base = base_pickup_available(variant_ids) if lines else {}

    summaries: list[LineSummary] = []
    problems: list[CheckoutProblem] = []
    for line in lines:
        variant = line.variant
        price = line.current_price  # type: ignore[attr-defined]
        sellable = price is not None and variant.product.status == Product.Status.PUBLISHED
        unit_price = quantize(price) if sellable else None
        changed = unit_price is not None and unit_price != line.price_at_add
        summaries.append(
            LineSummary(
                line=line,
                unit_price=unit_price,
                line_total=line_total(
                    unit_price=unit_price, quantity=line.quantity, sold_by=variant.sold_by
                )
                if unit_price is not None
                else quantize(0),
                total_weight_g=line_weight_g(variant=variant, quantity=line.quantity),
                price_changed=changed,
                available_quantity=available.get(variant.pk, 0),
                at_base=at_base.get(variant.pk, 0),
            )
        )
        if not sellable:
            problems.append(
                CheckoutProblem(
                    Problem.NOT_AVAILABLE, f"{variant.sku} is no longer sold online.", line
                )
            )
            continue
        if line.quantity > available.get(variant.pk, 0):
            problems.append(
                CheckoutProblem(
                    Problem.INSUFFICIENT_STOCK,
                    f"Only {available.get(variant.pk, 0)} of {variant.sku} available, "
                    f"{line.quantity} in the checkout.",
                    line,
                )
            )
        if changed:
            problems.append(
                CheckoutProblem(
                    Problem.PRICE_CHANGED,
                    f"The price of {variant.sku} changed from {line.price_at_add} to {unit_price}.",
                    line,
                )
            )

    pickup_ok = bool(summaries) and all(s.at_base >= s.line.quantity for s in summaries)
    total_weight = sum(s.total_weight_g for s in summaries)
    subtotal = quantize(sum((s.line_total for s in summaries), Decimal(0)))
    if checkout.delivery_method == DeliveryMethod.PICKUP_BASE:
        shipping = quantize(0)
    else:
        shipping = shipping_fee(total_weight)

    if not summaries:
        problems.append(CheckoutProblem(Problem.NO_LINES, "The checkout has no lines."))
    if not checkout.email:
        problems.append(CheckoutProblem(Problem.EMAIL_REQUIRED, "An e-mail address is needed."))
    if checkout.delivery_method == DeliveryMethod.DELIVERY and not checkout.shipping_address:
        problems.append(
            CheckoutProblem(Problem.SHIPPING_ADDRESS_REQUIRED, "Delivery needs a shipping address.")
        )
    if checkout.delivery_method == DeliveryMethod.PICKUP_BASE and summaries and not pickup_ok:
        problems.append(
            CheckoutProblem(
                Problem.PICKUP_NOT_AVAILABLE,
                "The base no longer holds every line: choose delivery or change the lines.",
            )
        )
    return CheckoutSummary(
        checkout=checkout,
        lines=summaries,
        subtotal=subtotal,
        shipping=shipping,
        total=quantize(subtotal + shipping),
        total_weight_g=total_weight,
        pickup_at_base_available=pickup_ok,
        problems=problems,
    )
