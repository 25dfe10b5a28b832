"""Reading orders, scoped by who asks.

- everyone signed in: their own orders, every line of them;
- an operator: also orders with lines of its producers, and of those only those lines;
- a first secretary: also orders with lines of its village, only those lines;
- staff: everything. Anonymous users: nothing.
Payments are shown to the buyer and to staff only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from alliance.accounts.models import Role
from alliance.orders.models import Order, OrderLine
from alliance.payments.models import Payment

NOTHING = Q(pk__in=[])


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def order_line_scope(user: Any) -> Q | None:
    """A filter on OrderLine for the lines `user` may read; None means all (staff)."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.STAFF:
        return None
    own = Q(order__user_id=user.pk)
    if user.role == Role.OPERATOR:
        return own | Q(producer__operators=user.pk)
    if user.role == Role.SECRETARY and user.village_id is not None:
        return own | Q(village_id=user.village_id)
    return own


def order_scope(user: Any) -> Q | None:
    """A filter on Order for the orders `user` may read; None means all (staff)."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.STAFF:
        return None
    own = Q(user_id=user.pk)
    if user.role == Role.OPERATOR:
        lines = OrderLine.objects.filter(order=OuterRef("pk"), producer__operators=user.pk)
        return own | Q(Exists(lines))
    if user.role == Role.SECRETARY and user.village_id is not None:
        lines = OrderLine.objects.filter(order=OuterRef("pk"), village_id=user.village_id)
        return own | Q(Exists(lines))
    return own


def sees_payments(user: Any, order: Order) -> bool:
    return _signed_in(user) and (user.role == Role.STAFF or order.user_id == user.pk)


def order_lines_visible(user: Any) -> QuerySet[OrderLine]:
    scope = order_line_scope(user)
    lines = OrderLine.objects.select_related("lot")
    return lines if scope is None else lines.filter(scope)


def orders_visible(user: Any) -> QuerySet[Order]:
    scope = order_scope(user)
    return Order.objects.all() if scope is None else Order.objects.filter(scope)


def with_relations(queryset: QuerySet[Order], user: Any) -> QuerySet[Order]:
    """Channel joined; the reader's lines (with their lot) and the payments prefetched:
    three queries for a page of any size."""
    return queryset.select_related("channel").prefetch_related(
        Prefetch("lines", queryset=order_lines_visible(user)),
        Prefetch("payments", queryset=Payment.objects.order_by("pk")),
    )


def order_list(
    user: Any,
    *,
    status: str | None = None,
    channel_slug: str | None = None,
    number: str | None = None,
) -> QuerySet[Order]:
    orders = orders_visible(user)
    if status:
        orders = orders.filter(status=status)
    if channel_slug:
        orders = orders.filter(channel__slug=channel_slug)
    if number:
        orders = orders.filter(number=number.strip())
    return with_relations(orders, user).order_by("-created_at", "-id")


def order_get(user: Any, *, order_id: int | None = None, number: str | None = None) -> Order | None:
    """One order in the user's scope, or None (unknown and out of scope look the same)."""
    orders = orders_visible(user)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    if number is not None:
        orders = orders.filter(number=number.strip())
    if order_id is None and number is None:
        return None
    return with_relations(orders, user).first()
