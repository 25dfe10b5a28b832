"""Completing a checkout: the cart becomes an unpaid order holding its stock.

`checkout_complete` runs in ONE transaction:
1. lock the checkout row (`checkout_lock`): concurrent completions of one checkout take turns;
   a checkout already completed returns the order it made (looked up by `checkout_token`),
   never a second one. The unique `Order.checkout_token` is the last defence:
   `order_create_from_lines` catches the IntegrityError and returns the existing order;
2. re-check everything with `checkout_summary` and refuse while it lists problems
   (INSUFFICIENT_STOCK, PRICE_CHANGED, NOT_AVAILABLE, EMAIL_REQUIRED,
   SHIPPING_ADDRESS_REQUIRED, NO_LINES, PICKUP_NOT_AVAILABLE): every problem becomes one error,
   nothing is written;
3. place the order (`orders.services.order_create_from_lines`) in status UNCONFIRMED
   (waiting for payment), allocating FEFO; pick-up at the base allocates from the base only.
   Its subtotal must equal the one the buyer saw (a price changed between the check and the
   insert refuses with PRICE_CHANGED instead of charging another amount);
4. set `completed_at`.

A concurrent buyer taking the last units between the check and the allocation makes
`stock_allocate` refuse with INSUFFICIENT_STOCK; the transaction rolls back whole.

For the next engineer: the payment (PaymentIntent for `order.total`) is created after this,
from the order; the paid transition (UNCONFIRMED -> UNFULFILLED) belongs to the payments
flow; an order left unpaid is cancelled by `alliance.orders.tasks.orders_release_unpaid`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from alliance.checkout.errors import CheckoutCompleted, CheckoutError, CheckoutNotReady
from alliance.checkout.models import Checkout, DeliveryMethod
from alliance.checkout.selectors import Problem, checkout_summary
from alliance.checkout.services import checkout_lock
from alliance.inventory.warehouses import base_warehouse
from alliance.orders.models import DeliveryMethod as OrderDeliveryMethod
from alliance.orders.models import Order, OrderStatus
from alliance.orders.services import order_create_from_lines

ORDER_DELIVERY_METHOD = {
    DeliveryMethod.DELIVERY: OrderDeliveryMethod.DELIVERY,
    DeliveryMethod.PICKUP_BASE: OrderDeliveryMethod.PICKUP,
}


def _problem_field(problem: Any) -> str | None:
    if problem.line is not None:
        return "lines"  # the message names the SKU
    return {
        Problem.EMAIL_REQUIRED: "email",
        Problem.SHIPPING_ADDRESS_REQUIRED: "shippingAddress",
        Problem.PICKUP_NOT_AVAILABLE: "deliveryMethod",
        Problem.NO_LINES: "lines",
    }.get(problem.code)


def _completed_order(token: UUID | str) -> Order:
    order = Order.objects.filter(checkout_token=token).first()
    if order is None:  # completed_at set by hand, or the order was removed: say so
        raise CheckoutCompleted("This checkout is already completed.", field="token")
    return order


@transaction.atomic
def checkout_complete(*, token: UUID | str, user: Any) -> Order:
    """Turn the checkout into an unpaid order holding its stock; the same order when it was
    already completed. Refusals (CheckoutNotReady, INSUFFICIENT_STOCK, NOT_FOUND) change
    nothing."""
    try:
        checkout: Checkout = checkout_lock(token=token, user=user)
    except CheckoutCompleted:  # access was checked before: the caller may see its order
        return _completed_order(token)

    summary = checkout_summary(checkout)
    if summary.problems:
        raise CheckoutNotReady(
            [
                CheckoutError(problem.message, code=problem.code, field=_problem_field(problem))
                for problem in summary.problems
            ]
        )

    pickup = checkout.delivery_method == DeliveryMethod.PICKUP_BASE
    order = order_create_from_lines(
        channel=checkout.channel,
        # checkout_lock let `user` in: the owner of the checkout, or (an anonymous checkout)
        # whoever holds the token, signed in or not
        user=user,
        email=checkout.email,
        lines=[(s.line.variant, s.line.quantity) for s in summary.lines],
        delivery_method=ORDER_DELIVERY_METHOD[DeliveryMethod(checkout.delivery_method)],
        address=None if pickup else checkout.shipping_address,
        shipping=summary.shipping,
        checkout_token=checkout.token,
        status=OrderStatus.UNCONFIRMED,
        warehouse_ids=[base_warehouse().pk] if pickup else None,
    )
    if order.subtotal != summary.subtotal or order.total != summary.total:
        # a price changed after the check: never charge an amount the buyer did not see
        raise CheckoutError(
            f"The total changed from {summary.total} to {order.total}; review the checkout.",
            code=Problem.PRICE_CHANGED,
            field="token",
        )
    checkout.completed_at = timezone.now()
    checkout.save(update_fields=["completed_at", "updated_at"])
    return order
