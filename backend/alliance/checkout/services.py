"""Changing a checkout. Every service is keyword-only and atomic: it locks the checkout row
(so two tabs changing one cart take turns), checks everything, then writes; a refusal raises a
CheckoutError and changes nothing.

Access: `user` is the request's user (AnonymousUser or None when signed out). A checkout that
belongs to a user is reached by that user only; an anonymous one by its token alone
(selectors.checkout_get). A completed checkout refuses every change (CHECKOUT_COMPLETED).

Prices: a line remembers the channel price when the buyer last set it (`price_at_add`).
Adding to a line or setting its quantity takes the current price (the buyer sees it when
doing so); a price change in between shows as `priceChanged` / a PRICE_CHANGED problem.

For the next session (checkoutComplete): lock with `checkout_lock(token=..., user=...)`,
re-check with selectors.checkout_summary, refuse while it has problems, create the order
(orders.services.order_create_from_lines with checkout_token=checkout.token; map
DeliveryMethod.PICKUP_BASE to orders' DeliveryMethod.PICKUP), then set `completed_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from alliance.catalog.models import Channel, Product, ProductVariant, VariantChannelPrice
from alliance.checkout.address import address_clean
from alliance.checkout.errors import (
    CheckoutCompleted,
    CheckoutError,
    DuplicateLine,
    InsufficientStock,
    InvalidDeliveryMethod,
    InvalidEmail,
    InvalidQuantity,
    LineNotFound,
    PickupNotAvailable,
    TooManyLines,
    VariantNotAvailable,
    VariantNotFound,
)
from alliance.checkout.models import Checkout, CheckoutLine, DeliveryMethod
from alliance.checkout.selectors import checkout_get, user_id_of
from alliance.core.money import quantize
from alliance.inventory.allocation import base_pickup_available, quantity_available

MAX_LINES = 50
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class LineInput:
    """One requested line: `quantity` units (grams for weight-sold variants)."""

    variant_id: int
    quantity: int


def checkout_lock(*, token: UUID | str, user: Any) -> Checkout:
    """Lock the checkout row for the rest of the transaction; NOT_FOUND if `user` may not
    use it, CHECKOUT_COMPLETED if it became an order."""
    checkout = checkout_get(
        token=token,
        user=user,
        queryset=Checkout.objects.select_related("channel").select_for_update(of=("self",)),
    )
    if checkout.completed_at is not None:
        raise CheckoutCompleted("This checkout is already completed.", field="token")
    return checkout


def _check_quantity(quantity: Any, *, field: str, allow_zero: bool) -> int:
    lowest = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < lowest:
        raise InvalidQuantity(
            f"The quantity must be a whole number of at least {lowest}, not {quantity!r}.",
            field=field,
        )
    return quantity


def _email_clean(email: str | None) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise DjangoValidationError("too long")
        validate_email(email)
    except DjangoValidationError:
        raise InvalidEmail(f"{email!r} is not a valid e-mail address.", field="email") from None
    return email


def _variants_with_price(variant_ids: list[int], channel: Channel) -> dict[int, ProductVariant]:
    """The variants (one query) with `current_price` in the channel (None: not sold there)."""
    price = VariantChannelPrice.objects.filter(
        variant_id=OuterRef("pk"), channel_id=channel.pk, is_available=True
    ).values("price")[:1]
    return {
        v.pk: v
        for v in ProductVariant.objects.filter(pk__in=variant_ids)
        .select_related("product")
        .annotate(current_price=Subquery(price))
    }


def _sellable_price(variant: ProductVariant | None, *, variant_id: int, field: str) -> Decimal:
    if variant is None:
        raise VariantNotFound(f"There is no product variant {variant_id}.", field=field)
    price = variant.current_price  # type: ignore[attr-defined]
    if variant.product.status != Product.Status.PUBLISHED or price is None:
        raise VariantNotAvailable(f"{variant.sku} is not sold online.", field=field)
    return quantize(price)


def _check_stock(quantities: dict[int, int], channel: Channel, fields: dict[int, str]) -> None:
    """Each variant's resulting quantity must be available in the channel (one query)."""
    if not quantities:
        return
    available = quantity_available(list(quantities), channel.slug)
    for variant_id, wanted in quantities.items():
        if wanted > available.get(variant_id, 0):
            raise InsufficientStock(
                f"Only {available.get(variant_id, 0)} available, {wanted} wanted.",
                field=fields[variant_id],
            )


def _touch(checkout: Checkout, *fields: str) -> None:
    checkout.last_change = timezone.now()
    checkout.save(update_fields=[*fields, "last_change", "updated_at"])


def _merge_add(lines: Sequence[LineInput]) -> tuple[dict[int, int], dict[int, str]]:
    """Requested quantities per variant (the same variant twice adds up) and the input field
    of each variant's first mention."""
    wanted: dict[int, int] = {}
    fields: dict[int, str] = {}
    for index, line in enumerate(lines):
        quantity = _check_quantity(line.quantity, field=f"lines.{index}.quantity", allow_zero=False)
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + quantity
        fields.setdefault(line.variant_id, f"lines.{index}.variant")
    return wanted, fields


def _lines_add(checkout: Checkout, lines: Sequence[LineInput]) -> None:
    if not lines:
        raise InvalidQuantity("Name at least one line.", field="lines")
    wanted, fields = _merge_add(lines)
    existing = {
        line.variant_id: line
        for line in CheckoutLine.objects.filter(checkout_id=checkout.pk).select_for_update()
    }
    new_ids = [pk for pk in wanted if pk not in existing]
    if len(existing) + len(new_ids) > MAX_LINES:
        raise TooManyLines(f"A checkout holds at most {MAX_LINES} lines.", field="lines")
    variants = _variants_with_price(list(wanted), checkout.channel)
    prices = {
        pk: _sellable_price(variants.get(pk), variant_id=pk, field=fields[pk]) for pk in wanted
    }
    totals = {
        pk: quantity + (existing[pk].quantity if pk in existing else 0)
        for pk, quantity in wanted.items()
    }
    _check_stock(totals, checkout.channel, fields)

    to_update = []
    for pk, line in existing.items():
        if pk in wanted:
            line.quantity = totals[pk]
            line.price_at_add = prices[pk]
            to_update.append(line)
    CheckoutLine.objects.bulk_update(to_update, ["quantity", "price_at_add"])
    CheckoutLine.objects.bulk_create(
        [
            CheckoutLine(
                checkout=checkout, variant_id=pk, quantity=totals[pk], price_at_add=prices[pk]
            )
            for pk in new_ids
        ]
    )


@transaction.atomic
def checkout_create(
    *,
    user: Any,
    lines: Sequence[LineInput],
    email: str | None = None,
    channel_slug: str = Channel.ONLINE,
) -> Checkout:
    """A new checkout with its first lines; signed-in buyers own it (and their e-mail is the
    default), signed-out buyers keep its token. No line, no checkout."""
    channel = Channel.objects.filter(slug=channel_slug, is_active=True).first()
    if channel is None or channel.slug != Channel.ONLINE:
        raise CheckoutError("Checkouts are for the online channel.", field="channel")
    owner_id = user_id_of(user)
    clean_email = _email_clean(email)
    if not clean_email and owner_id is not None:
        clean_email = getattr(user, "email", "") or ""
    checkout = Checkout.objects.create(user_id=owner_id, channel=channel, email=clean_email)
    _lines_add(checkout, lines)
    return checkout


@transaction.atomic
def checkout_lines_add(*, token: UUID | str, user: Any, lines: Sequence[LineInput]) -> Checkout:
    """Add quantities (to existing lines or as new lines)."""
    checkout = checkout_lock(token=token, user=user)
    _lines_add(checkout, lines)
    _touch(checkout)
    return checkout


@transaction.atomic
def checkout_lines_update(*, token: UUID | str, user: Any, lines: Sequence[LineInput]) -> Checkout:
    """Set the quantity of each named variant's line (creating it if missing); 0 removes it.
    Setting a quantity accepts the current price."""
    checkout = checkout_lock(token=token, user=user)
    if not lines:
        raise InvalidQuantity("Name at least one line.", field="lines")
    wanted: dict[int, int] = {}
    fields: dict[int, str] = {}
    for index, line in enumerate(lines):
        if line.variant_id in wanted:
            raise DuplicateLine("Each variant may appear once.", field=f"lines.{index}.variant")
        wanted[line.variant_id] = _check_quantity(
            line.quantity, field=f"lines.{index}.quantity", allow_zero=True
        )
        fields[line.variant_id] = f"lines.{index}.variant"
    existing = {
        line.variant_id: line
        for line in CheckoutLine.objects.filter(checkout_id=checkout.pk).select_for_update()
    }
    removed = [pk for pk, quantity in wanted.items() if quantity == 0]
    kept = {pk: quantity for pk, quantity in wanted.items() if quantity > 0}
    new_ids = [pk for pk in kept if pk not in existing]
    remaining = len(existing) - len([pk for pk in removed if pk in existing])
    if remaining + len(new_ids) > MAX_LINES:
        raise TooManyLines(f"A checkout holds at most {MAX_LINES} lines.", field="lines")
    variants = _variants_with_price(list(kept), checkout.channel) if kept else {}
    prices = {pk: _sellable_price(variants.get(pk), variant_id=pk, field=fields[pk]) for pk in kept}
    _check_stock(kept, checkout.channel, fields)

    CheckoutLine.objects.filter(checkout_id=checkout.pk, variant_id__in=removed).delete()
    to_update = []
    for pk, quantity in kept.items():
        if pk in existing:
            existing[pk].quantity = quantity
            existing[pk].price_at_add = prices[pk]
            to_update.append(existing[pk])
    CheckoutLine.objects.bulk_update(to_update, ["quantity", "price_at_add"])
    CheckoutLine.objects.bulk_create(
        [
            CheckoutLine(
                checkout=checkout, variant_id=pk, quantity=kept[pk], price_at_add=prices[pk]
            )
            for pk in new_ids
        ]
    )
    _touch(checkout)
    return checkout


@transaction.atomic
def checkout_line_delete(*, token: UUID | str, user: Any, line_id: int) -> Checkout:
    checkout = checkout_lock(token=token, user=user)
    deleted, _ = CheckoutLine.objects.filter(checkout_id=checkout.pk, pk=line_id).delete()
    if not deleted:
        raise LineNotFound("This checkout has no such line.", field="lineId")
    _touch(checkout)
    return checkout


@transaction.atomic
def checkout_email_update(*, token: UUID | str, user: Any, email: str) -> Checkout:
    checkout = checkout_lock(token=token, user=user)
    clean = _email_clean(email)
    if not clean:
        raise InvalidEmail("An e-mail address is required.", field="email")
    checkout.email = clean
    _touch(checkout, "email")
    return checkout


@transaction.atomic
def checkout_shipping_address_update(
    *, token: UUID | str, user: Any, address: dict[str, Any]
) -> Checkout:
    checkout = checkout_lock(token=token, user=user)
    checkout.shipping_address = address_clean(address).as_dict()
    _touch(checkout, "shipping_address")
    return checkout


@transaction.atomic
def checkout_delivery_method_update(*, token: UUID | str, user: Any, method: str) -> Checkout:
    """Delivery (its address is required at completion, not here) or pick-up at the base,
    allowed only while the base holds every line's quantity. If stock at the base later
    runs short, the checkout shows a PICKUP_NOT_AVAILABLE problem instead."""
    checkout = checkout_lock(token=token, user=user)
    if method not in DeliveryMethod.values:
        raise InvalidDeliveryMethod(f"Unknown delivery method {method!r}.", field="method")
    if method == DeliveryMethod.PICKUP_BASE:
        lines = list(
            CheckoutLine.objects.filter(checkout_id=checkout.pk).values_list(
                "variant_id", "quantity"
            )
        )
        at_base = base_pickup_available([pk for pk, _ in lines])
        if not lines or any(quantity > at_base.get(pk, 0) for pk, quantity in lines):
            raise PickupNotAvailable(
                "The base does not hold every line of this checkout; choose delivery.",
                field="method",
            )
    checkout.delivery_method = method
    _touch(checkout, "delivery_method")
    return checkout
