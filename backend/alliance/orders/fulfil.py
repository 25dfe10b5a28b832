"""Shipping paid orders, one warehouse at a time (orderFulfill).

`order_fulfil` sells what the order reserved in one warehouse: the goods leave the ledger as
ONLINE_SALE rows (with their weight) at that moment, a Fulfillment with its lines and the
tracking number is recorded, the lines' `quantity_fulfilled` grows, and the order becomes
partially_fulfilled or fulfilled. The buyer gets the shipment e-mail after the commit.

Who may ship which line is the inventory rule for changing stock
(alliance.inventory.permissions.can_change_stock): staff any line from any warehouse; a first
secretary its village's lines from its village's collection point; an operator its
producers' lines from there. Any refusal raises before anything is written, and the service
is one transaction, so a refused fulfilment changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from alliance.accounts.models import Role
from alliance.core.errors import NotFound, PermissionDenied
from alliance.inventory.allocation import allocated_in_warehouse, stock_fulfil_in_warehouse
from alliance.inventory.models import StockMovement, Warehouse
from alliance.inventory.permissions import can_change_stock
from alliance.orders.emails import order_shipment_email
from alliance.orders.errors import DuplicateLine, InvalidQuantity, OrderError
from alliance.orders.models import (
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from alliance.orders.services import order_lines_mark_done, order_set_status

FULFILLABLE_STATUSES = (OrderStatus.UNFULFILLED, OrderStatus.PARTIALLY_FULFILLED)
# A partial refund (e.g. one item could not be supplied) leaves the rest of a paid order to
# ship; a full refund does not.
PAID_STATUSES = (PaymentStatus.FULLY_CHARGED, PaymentStatus.PARTIALLY_REFUNDED)
TRACKING_NUMBER_MAX_LENGTH = Fulfillment._meta.get_field("tracking_number").max_length or 64


class OrderNotPaid(OrderError):
    code = "ORDER_NOT_PAID"


class OrderNotFulfillable(OrderError):
    """Cancelled, refunded, unconfirmed or already fulfilled."""

    code = "ORDER_NOT_FULFILLABLE"


class FulfilExceedsQuantity(OrderError):
    code = "FULFIL_EXCEEDS_QUANTITY"


class NotAllocatedInWarehouse(OrderError):
    """The line's goods are not (or not that many) reserved in this warehouse."""

    code = "NOT_ALLOCATED_IN_WAREHOUSE"


class NothingToFulfil(OrderError):
    code = "NOTHING_TO_FULFIL"


def _check_may_fulfil_at_all(actor: Any) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role in (Role.STAFF, Role.SECRETARY, Role.OPERATOR)
    ):
        raise PermissionDenied("You may not fulfil orders.")


def _requested(
    order_lines: dict[int, OrderLine], lines: Sequence[tuple[int, int]]
) -> list[tuple[OrderLine, int]]:
    if not lines:
        raise NothingToFulfil("Name at least one line to fulfil.", field="lines")
    seen: set[int] = set()
    requested = []
    for index, (line_id, quantity) in enumerate(lines):
        line = order_lines.get(int(line_id))
        if line is None:
            raise NotFound("This order has no such line.", field=f"lines.{index}.line")
        if line.pk in seen:
            raise DuplicateLine("Each line may appear once.", field=f"lines.{index}.line")
        seen.add(line.pk)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(
                f"The quantity must be a positive whole number, not {quantity!r}.",
                field=f"lines.{index}.quantity",
            )
        requested.append((line, quantity))
    return requested


@transaction.atomic
def order_fulfil(
    *,
    actor: Any,
    order_id: int,
    warehouse_id: int,
    lines: Sequence[tuple[int, int]] | None = None,
    tracking_number: str = "",
) -> Fulfillment:
    """Ship `lines` [(order line id, quantity)] of a paid order from one warehouse; with
    `lines=None`, everything reserved there that `actor` may ship. Returns the Fulfillment."""
    _check_may_fulfil_at_all(actor)
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.", field="order")
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound("Warehouse not found.", field="warehouse")
    tracking = (tracking_number or "").strip()
    if len(tracking) > TRACKING_NUMBER_MAX_LENGTH:
        raise InvalidQuantity(
            f"A tracking number has at most {TRACKING_NUMBER_MAX_LENGTH} characters.",
            field="trackingNumber",
        )
    if order.status not in FULFILLABLE_STATUSES:
        raise OrderNotFulfillable(
            f"An order that is {order.status} cannot be fulfilled.", field="order"
        )
    if order.payment_status not in PAID_STATUSES:
        raise OrderNotPaid("Only paid orders are shipped.", field="order")

    order_lines = {
        line.pk: line for line in OrderLine.objects.filter(order=order).select_related("producer")
    }
    reserved = allocated_in_warehouse(
        references=[line.allocation_reference for line in order_lines.values()],
        warehouse_id=warehouse.pk,
    )
    if lines is None:
        requested = [
            (line, reserved[line.allocation_reference])
            for line in order_lines.values()
            if reserved[line.allocation_reference] > 0
            and can_change_stock(actor, producer=line.producer, warehouse=warehouse)
        ]
        if not requested:
            raise NothingToFulfil(
                "Nothing you may ship is reserved for this order in this warehouse.",
                field="warehouse",
            )
    else:
        requested = _requested(order_lines, lines)

    for index, (line, quantity) in enumerate(requested):
        field = f"lines.{index}" if lines is not None else "warehouse"
        if not can_change_stock(actor, producer=line.producer, warehouse=warehouse):
            raise PermissionDenied(
                f"You may not ship {line.sku} from {warehouse.name}.", field=f"{field}.line"
            )
        # Units refunded are not shipped any more (conservative: a refund of goods that
        # had shipped and came back also lowers what is left to ship).
        remaining = max(0, line.quantity - line.quantity_fulfilled - line.quantity_refunded)
        if quantity > remaining:
            raise FulfilExceedsQuantity(
                f"{line.sku}: {quantity} requested, {remaining} left to ship.",
                field=f"{field}.quantity",
            )
        if quantity > reserved[line.allocation_reference]:
            raise NotAllocatedInWarehouse(
                f"{line.sku}: {reserved[line.allocation_reference]} reserved in "
                f"{warehouse.name}, {quantity} requested.",
                field=f"{field}.quantity",
            )

    stock_fulfil_in_warehouse(
        warehouse_id=warehouse.pk,
        quantities={line.allocation_reference: quantity for line, quantity in requested},
        kind=StockMovement.Kind.ONLINE_SALE,
        actor=actor,
        reason=f"order {order.number}",
    )
    fulfillment = Fulfillment.objects.create(
        order=order, warehouse=warehouse, tracking_number=tracking, created_by=actor
    )
    FulfillmentLine.objects.bulk_create(
        [
            FulfillmentLine(fulfillment=fulfillment, order_line=line, quantity=quantity)
            for line, quantity in requested
        ]
    )
    for line, quantity in requested:
        updated = OrderLine.objects.filter(
            pk=line.pk, quantity_fulfilled__lte=F("quantity") - quantity
        ).update(quantity_fulfilled=F("quantity_fulfilled") + quantity)
        if updated != 1:  # the order row is locked: cannot happen; the transaction undoes all
            raise FulfilExceedsQuantity(f"{line.sku} was shipped meanwhile.", field="lines")
    order_lines_mark_done(order)

    all_shipped = not OrderLine.objects.filter(
        order=order, quantity_fulfilled__lt=F("quantity") - F("quantity_refunded")
    ).exists()
    new_status = OrderStatus.FULFILLED if all_shipped else OrderStatus.PARTIALLY_FULFILLED
    if new_status != order.status:
        order_set_status(order=order, status=new_status)
    order_shipment_email(fulfillment)
    return fulfillment
