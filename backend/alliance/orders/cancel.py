"""Cancelling an order: its reserved stock goes back on sale, its status becomes cancelled.

Who: the buyer cancels its own order while it is unpaid; staff cancel any order not yet
(partly) fulfilled. Money first: an order with captured money is refused with ORDER_PAID
until it is refunded (orderRefund); nothing is refunded here. An order that cannot move to
cancelled (already cancelled, shipped, refunded) is refused with ORDER_STATUS_INVALID. Every
refusal changes nothing.

Locks: the order row first, then (through stock_deallocate) its stock rows in pk order: the
order in which checkoutComplete, orderFulfill and the unpaid-order expiry lock as well.

`order_release(order=...)` is the shared step of `order_cancel` and of
`orders_release_unpaid` (the expiry of unpaid online orders, run every few minutes by the
Celery task of the same name in alliance.orders.tasks): call it with the order row locked.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import Channel
from alliance.core.errors import NotFound, PermissionDenied
from alliance.inventory.allocation import stock_deallocate
from alliance.inventory.models import Allocation
from alliance.orders.errors import OrderPaid, OrderStatusInvalid
from alliance.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.selectors import orders_visible
from alliance.orders.services import order_set_status
from alliance.orders.status import can_move

logger = logging.getLogger(__name__)

# No money captured (a PaymentIntent may be open): the order may be released.
UNPAID = frozenset({PaymentStatus.NOT_CHARGED, PaymentStatus.PENDING})
# Captured money not (fully) given back: refund first.
PAID = frozenset(
    {
        PaymentStatus.PARTIALLY_CHARGED,
        PaymentStatus.FULLY_CHARGED,
        PaymentStatus.PARTIALLY_REFUNDED,
    }
)


def _is_staff(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False) and actor.is_active and actor.role == Role.STAFF
    )


def order_release(*, order: Order) -> int:
    """Release every line's reservation and mark the order cancelled; returns the quantity
    released. The caller holds the order's row lock and has checked who and whether.

    One stock_deallocate call for all lines (not one per line): it locks every stock row
    involved in a single pk-ordered statement, as stock_allocate does, so a cancellation and
    a checkout touching the same rows can never deadlock."""
    references = [
        line.allocation_reference for line in OrderLine.objects.filter(order_id=order.pk).only("pk")
    ]
    allocation_ids = list(
        Allocation.objects.filter(reference__in=references).values_list("pk", flat=True)
    )
    released = stock_deallocate(allocation_ids=allocation_ids) if allocation_ids else 0
    order_set_status(order=order, status=OrderStatus.CANCELLED)
    return released


@transaction.atomic
def order_cancel(*, actor: Any, order_id: int) -> Order:
    """Cancel order `order_id` as `actor`. An order the actor may not read is NOT_FOUND (no
    existence oracle); one it may read but not cancel is PERMISSION_DENIED."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Sign in to cancel an order.")
    if not orders_visible(actor).filter(pk=order_id).exists():
        raise NotFound("Order not found.", field="id")
    order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)
    staff = _is_staff(actor)
    if not staff and order.user_id != actor.pk:
        raise PermissionDenied("Only the buyer or the alliance staff may cancel this order.")
    if not can_move(order.status, OrderStatus.CANCELLED):
        raise OrderStatusInvalid(
            f"An order that is {order.status} cannot be cancelled.", field="id"
        )
    if order.payment_status in PAID:
        raise OrderPaid(
            "This order has been paid: refund it (orderRefund) before cancelling.", field="id"
        )
    if not staff and order.payment_status not in UNPAID:
        raise PermissionDenied("A refunded order is cancelled by the alliance staff.")
    order_release(order=order)
    order.refresh_from_db()
    return order


def unpaid_release_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Orders placed before this moment and still unpaid are released
    (settings.ORDER_UNPAID_RELEASE_MINUTES)."""
    minutes = settings.ORDER_UNPAID_RELEASE_MINUTES
    return (now or timezone.now()) - datetime.timedelta(minutes=minutes)


def _release_one_if_unpaid(order_id: int, older_than: datetime.datetime) -> bool:
    """In its own transaction: lock the order unless someone holds it (a payment being
    recorded right now wins: skip it, the next run looks again), re-check under the lock
    that it is still an old unpaid unconfirmed online order, release it."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                pk=order_id,
                channel__slug=Channel.ONLINE,
                status=OrderStatus.UNCONFIRMED,
                payment_status__in=UNPAID,
                created_at__lt=older_than,
            )
            .first()
        )
        if order is None:
            return False
        order_release(order=order)
        return True


def orders_release_unpaid(
    *, older_than: datetime.datetime | None = None, limit: int = 500
) -> list[int]:
    """Cancel online orders still waiting for payment that were placed before `older_than`
    (default: ORDER_UNPAID_RELEASE_MINUTES ago), putting their stock back on sale; each in
    its own transaction, so one failure or a busy row never holds the others back. Paid
    orders and orders being paid at this moment are left alone. Returns the released ids
    (at most `limit` per run; the next run takes the rest)."""
    cutoff = older_than or unpaid_release_cutoff()
    candidates = list(
        Order.objects.filter(
            channel__slug=Channel.ONLINE,
            status=OrderStatus.UNCONFIRMED,
            payment_status__in=UNPAID,
            created_at__lt=cutoff,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    released = []
    for order_id in candidates:
        try:
            if _release_one_if_unpaid(order_id, cutoff):
                released.append(order_id)
        except Exception:  # one broken order must not stop the others; it is logged
            logger.exception("Releasing unpaid order %s failed", order_id)
    return released
