"""Placing orders, moving them along the status pipeline, and the base counter sale.

For the next session:
- `checkoutComplete` calls `order_create_from_lines(channel=..., user=..., email=...,
  lines=[(variant, quantity), ...], delivery_method=..., address=..., shipping=...,
  checkout_token=checkout.token)` inside its transaction. Completing the same checkout again
  (or concurrently) returns the same order: `checkout_token` is unique in the database.
- `orderCancel` releases each line with
  `stock_deallocate(reference=line.allocation_reference)` then
  `order_set_status(order=..., status=OrderStatus.CANCELLED)`.
- `orderFulfill` sells with `stock_fulfil_allocations(reference=line.allocation_reference)`,
  records a Fulfillment and moves the status (PARTIALLY_)FULFILLED.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import Channel, Product, ProductVariant, VariantChannelPrice
from alliance.catalog.pricing import line_total
from alliance.core.errors import PermissionDenied
from alliance.core.money import quantize
from alliance.inventory.allocation import (
    AllocationRequest,
    stock_allocate,
    stock_fulfil_allocations,
)
from alliance.inventory.errors import UnknownChannel
from alliance.inventory.models import StockMovement
from alliance.inventory.warehouses import base_warehouse
from alliance.orders.errors import (
    DuplicateLine,
    InvalidQuantity,
    NoLines,
    OrderStatusInvalid,
    PaymentMethodInvalid,
    PaymentReferenceRequired,
    VariantNotAvailable,
)
from alliance.orders.models import (
    ORDER_NUMBER_SEQUENCE,
    RECEIPT_NUMBER_SEQUENCE,
    DeliveryMethod,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderLineLot,
    OrderStatus,
)
from alliance.orders.status import ALLOWED_TRANSITIONS
from alliance.payments.models import Gateway
from alliance.payments.services import payment_create, payment_record_captured

COUNTER_PAYMENT_METHODS = (Gateway.CASH, Gateway.BANK_TRANSFER)


def _next_value(sequence: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        return int(cursor.fetchone()[0])


def order_number_next() -> str:
    """E.g. "AM20261129-000123": the local (Asia/Shanghai) date and a global sequence."""
    return f"AM{timezone.localdate():%Y%m%d}-{_next_value(ORDER_NUMBER_SEQUENCE):06d}"


def receipt_number_next() -> str:
    """E.g. "R20261129-0007"."""
    return f"R{timezone.localdate():%Y%m%d}-{_next_value(RECEIPT_NUMBER_SEQUENCE):04d}"


@transaction.atomic
def order_set_status(*, order: Order, status: str) -> Order:
    """Move `order` to `status` if the pipeline (alliance.orders.status) allows it."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if status not in ALLOWED_TRANSITIONS.get(locked.status, frozenset()):
        raise OrderStatusInvalid(
            f"An order that is {locked.status} cannot become {status}.", field="status"
        )
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    order.status = status
    return locked


def _checked_lines(lines: Sequence[tuple[Any, int]]) -> list[tuple[int, int]]:
    if not lines:
        raise NoLines("An order needs at least one line.", field="lines")
    seen: set[int] = set()
    checked = []
    for index, (variant, quantity) in enumerate(lines):
        variant_id = variant.pk if isinstance(variant, ProductVariant) else int(variant)
        if variant_id in seen:
            raise DuplicateLine(
                "Each variant may appear on one line only.", field=f"lines.{index}.variant"
            )
        seen.add(variant_id)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(
                f"The quantity must be a positive whole number, not {quantity!r}.",
                field=f"lines.{index}.quantity",
            )
        checked.append((variant_id, quantity))
    return checked


def _variants_with_price(variant_ids: list[int], channel: Channel) -> dict[int, ProductVariant]:
    """The variants (one query) with their current `channel_price` (None: not sold there)."""
    price = VariantChannelPrice.objects.filter(
        variant_id=OuterRef("pk"), channel=channel, is_available=True
    ).values("price")[:1]
    return {
        v.pk: v
        for v in ProductVariant.objects.filter(pk__in=variant_ids)
        .select_related("product__producer__village")
        .annotate(channel_price=Subquery(price))
    }


def _build_lines(requested: list[tuple[int, int]], channel: Channel) -> list[OrderLine]:
    variants = _variants_with_price([pk for pk, _ in requested], channel)
    built = []
    for index, (variant_id, quantity) in enumerate(requested):
        variant = variants.get(variant_id)
        field = f"lines.{index}.variant"
        if variant is None:
            raise VariantNotAvailable(f"Unknown product variant {variant_id}.", field=field)
        product = variant.product
        if product.status != Product.Status.PUBLISHED:
            raise VariantNotAvailable(f"{variant.sku} is not on sale.", field=field)
        unit_price = variant.channel_price  # type: ignore[attr-defined]
        if unit_price is None:
            raise VariantNotAvailable(
                f"{variant.sku} has no price in the {channel.slug} channel.", field=field
            )
        by_weight = variant.sold_by == ProductVariant.SoldBy.WEIGHT
        unit_weight = 1 if by_weight else variant.weight_g
        producer = product.producer
        built.append(
            OrderLine(
                variant=variant,
                product_name=product.name,
                variant_label=variant.unit_label,
                sku=variant.sku,
                producer=producer,
                producer_name=producer.name,
                village_id=producer.village_id,
                village_name=producer.village.name,
                category_id=product.category_id,
                sold_by=variant.sold_by,
                unit_price=unit_price,
                unit_weight_g=unit_weight,
                quantity=quantity,
                weight_g=unit_weight * quantity,
                line_total=line_total(
                    unit_price=unit_price, quantity=quantity, sold_by=variant.sold_by
                ),
            )
        )
    return built


def _record_lots(lines: list[OrderLine], allocations: list[Any]) -> None:
    """OrderLineLot rows from the allocations; each line's `lot` is its first (FEFO) lot."""
    by_reference = {line.allocation_reference: line for line in lines}
    quantities: dict[tuple[int, int, int], int] = defaultdict(int)
    for allocation in allocations:  # in FEFO order within each line
        line = by_reference[allocation.reference]
        stock = allocation.stock
        if line.lot_id is None:
            line.lot_id = stock.lot_id
        quantities[(line.pk, stock.lot_id, stock.warehouse_id)] += allocation.quantity
    OrderLineLot.objects.bulk_create(
        [
            OrderLineLot(line_id=line_id, lot_id=lot_id, warehouse_id=warehouse_id, quantity=q)
            for (line_id, lot_id, warehouse_id), q in quantities.items()
        ]
    )
    OrderLine.objects.bulk_update(lines, ["lot"])


@transaction.atomic
def order_create_from_lines(
    *,
    channel: Channel,
    user: Any,
    email: str,
    lines: Sequence[tuple[Any, int]],
    delivery_method: str,
    address: dict[str, Any] | None,
    shipping: Decimal = Decimal("0.00"),
    checkout_token: UUID | str | None = None,
    allocate: bool = True,
    status: str = OrderStatus.UNFULFILLED,
    created_by: Any = None,
    receipt_number: str | None = None,
    note: str = "",
    is_demo: bool = False,
    warehouse_ids: Sequence[int] | None = None,
) -> Order:
    """Place an order for `lines` [(variant or its pk, quantity)] at today's prices in
    `channel`, reserving the stock (FEFO, reference "order-line:<pk>") when `allocate`,
    only from `warehouse_ids` when given (pick-up at the base: the base alone).

    All or nothing: an unknown, unpublished or unpriced variant, a bad quantity or too
    little stock (InsufficientStock names the SKU) raises and leaves no trace. With a
    `checkout_token` that already made an order, that order is returned unchanged.
    """
    if checkout_token is not None:
        existing = Order.objects.filter(checkout_token=checkout_token).first()
        if existing is not None:
            return existing
    if not channel.is_active:
        raise UnknownChannel(f"The {channel.slug} channel is closed.", field="channel")
    order_lines = _build_lines(_checked_lines(lines), channel)
    shipping = quantize(shipping)
    if shipping < 0:
        raise InvalidQuantity("Shipping cannot be negative.", field="shipping")
    subtotal = sum((line.line_total for line in order_lines), Decimal("0.00"))
    try:
        with transaction.atomic():  # a savepoint: a concurrent completion may win the token
            order = Order.objects.create(
                number=order_number_next(),
                channel=channel,
                user=user if getattr(user, "is_authenticated", False) else None,
                email=email or "",
                status=status,
                currency=channel.currency,
                subtotal=subtotal,
                shipping=shipping,
                total=subtotal + shipping,
                total_weight_g=sum(line.weight_g for line in order_lines),
                delivery_method=delivery_method,
                shipping_address=address,
                checkout_token=checkout_token,
                receipt_number=receipt_number,
                created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
                note=note,
                is_demo=is_demo,
            )
    except IntegrityError:
        existing = (
            Order.objects.filter(checkout_token=checkout_token).first() if checkout_token else None
        )
        if existing is None:
            raise
        return existing
    for line in order_lines:
        line.order = order
    OrderLine.objects.bulk_create(order_lines)
    if allocate:
        allocations = stock_allocate(
            lines=[
                AllocationRequest(
                    variant_id=line.variant_id,
                    quantity=line.quantity,
                    reference=line.allocation_reference,
                )
                for line in order_lines
            ],
            channel_slug=channel.slug,
            warehouse_ids=warehouse_ids,
        )
        _record_lots(order_lines, allocations)
    return order


def check_can_sell_at_base(actor: Any) -> None:
    if not (
        getattr(actor, "is_authenticated", False) and actor.is_active and actor.role == Role.STAFF
    ):
        raise PermissionDenied("Only alliance staff sell at the base counter.")


@transaction.atomic
def base_sale_create(
    *,
    actor: Any,
    lines: Sequence[tuple[Any, int]],
    payment_method: str,
    payment_reference: str = "",
    note: str = "",
) -> Order:
    """A sale at the base counter: an order in the `base` channel at base prices, from base
    stock only, handed over (BASE_SALE rows in the ledger) and paid (cash or bank transfer)
    at once, with a receipt number. Any refusal leaves nothing behind."""
    check_can_sell_at_base(actor)
    if payment_method not in COUNTER_PAYMENT_METHODS:
        raise PaymentMethodInvalid(
            "At the counter buyers pay cash or by bank transfer.", field="paymentMethod"
        )
    reference = (payment_reference or "").strip()
    if payment_method == Gateway.BANK_TRANSFER and not reference:
        raise PaymentReferenceRequired(
            "A bank transfer needs its reference.", field="paymentReference"
        )
    channel = Channel.objects.filter(slug=Channel.BASE).first()
    if channel is None:
        raise UnknownChannel("The base channel does not exist.", field="channel")
    receipt = receipt_number_next()
    order = order_create_from_lines(
        channel=channel,
        user=None,
        email="",
        lines=lines,
        delivery_method=DeliveryMethod.COUNTER,
        address=None,
        created_by=actor,
        receipt_number=receipt,
        note=note,
    )
    order_lines = list(order.lines.order_by("pk"))
    fulfillment = Fulfillment.objects.create(
        order=order, warehouse=base_warehouse(), created_by=actor
    )
    for line in order_lines:
        stock_fulfil_allocations(
            reference=line.allocation_reference,
            kind=StockMovement.Kind.BASE_SALE,
            actor=actor,
            reason=f"base sale {receipt}",
        )
    FulfillmentLine.objects.bulk_create(
        [
            FulfillmentLine(fulfillment=fulfillment, order_line=line, quantity=line.quantity)
            for line in order_lines
        ]
    )
    OrderLine.objects.filter(order=order).update(quantity_fulfilled=F("quantity"))
    order_lines_mark_done(order)
    order_set_status(order=order, status=OrderStatus.FULFILLED)
    payment = payment_create(
        order=order, gateway=payment_method, amount=order.total, reference=reference or receipt
    )
    payment_record_captured(payment=payment, amount=order.total)
    order.refresh_from_db()
    return order


def order_lines_mark_done(order: Order) -> int:
    """Stamp `fulfilled_at` on the order's lines that are now done: every unit shipped or
    refunded, at least one shipped. Settlement settles a line in the period of that stamp."""
    return OrderLine.objects.filter(
        order=order,
        fulfilled_at__isnull=True,
        quantity_fulfilled__gt=0,
        quantity_fulfilled__gte=F("quantity") - F("quantity_refunded"),
    ).update(fulfilled_at=timezone.now())
