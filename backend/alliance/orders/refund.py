"""Refunding paid orders, in full or in part (orderRefund; staff only).

`order_refund` never gives back more than was captured minus what was already refunded or
is being refunded (payments.services.refund_check, under the payment's row lock; the order
row is locked too, so two refunds of one order run one after the other).

- Stripe payments: a Refund row is written `pending`, then
  gateways.stripe.create_refund is called with the idempotency key
  "order:<order pk>:refund:<n>" (n = this order's refunds so far + 1: a refund that failed
  and was rolled back is retried under the same key, so Stripe answers its stored result
  instead of refunding twice). A refund Stripe reports `succeeded` is recorded at once
  (refund_record_succeeded); a `pending` one stays pending with its psp reference until the
  `charge.refunded` / `refund.updated` webhook records it (idempotent by that reference).
- Cash, bank transfer (the base counter) and demo payments: the money is handed back by a
  person; the refund is recorded as succeeded directly.

`lines` [(order line id, quantity)] says which goods the money is for (quantity_refunded).
With `restock=True` those goods came back: they must have been shipped, and they re-enter
the alliance base as RETURN rows in the ledger (same lot). A full refund moves a
(partially) fulfilled order to `refunded`; an unfulfilled order keeps its status (cancel it
with orderCancel to release its stock).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from alliance.core.errors import NotFound
from alliance.core.money import quantize
from alliance.inventory.ledger import record_movement, stock_get_or_create
from alliance.inventory.models import StockMovement
from alliance.inventory.permissions import check_is_staff
from alliance.inventory.warehouses import base_warehouse
from alliance.orders.errors import DuplicateLine, InvalidQuantity, OrderError
from alliance.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.services import order_lines_mark_done, order_set_status
from alliance.orders.status import can_move
from alliance.payments.errors import InvalidPaymentAmount, PaymentGatewayError
from alliance.payments.gateways import stripe as stripe_gateway
from alliance.payments.models import Gateway, Payment, Refund
from alliance.payments.refund_lines import refund_lines_assign
from alliance.payments.services import (
    CAPTURED_OR_LATER,
    order_payment_status_refresh,
    payment_lock,
    refund_check,
    refund_record_succeeded,
)

REASON_MAX_LENGTH = 1000


class NothingToRefund(OrderError):
    """The order has no captured payment."""

    code = "NOTHING_TO_REFUND"


class RefundExceedsQuantity(OrderError):
    code = "REFUND_EXCEEDS_QUANTITY"


class ReturnExceedsFulfilled(OrderError):
    """Goods put back into stock must have left it first."""

    code = "RETURN_EXCEEDS_FULFILLED"


class RefundFailed(PaymentGatewayError):
    code = "REFUND_FAILED"


def _checked_amount(amount: Any) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, Decimal | int | str):
        raise InvalidPaymentAmount("Amounts are Decimal, never float.", field="amount")
    try:
        value = quantize(amount)
    except (ValueError, ArithmeticError):
        raise InvalidPaymentAmount(
            f"{amount!r} is not an amount of money.", field="amount"
        ) from None
    if value <= 0 or value != Decimal(str(amount)):
        raise InvalidPaymentAmount(
            "The amount must be positive with at most 2 decimal places.", field="amount"
        )
    return value


def _checked_lines(
    order: Order, lines: Sequence[tuple[int, int]], *, restock: bool
) -> list[tuple[OrderLine, int]]:
    order_lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    seen: set[int] = set()
    checked = []
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
        if line.quantity_refunded + quantity > line.quantity:
            raise RefundExceedsQuantity(
                f"{line.sku}: {line.quantity - line.quantity_refunded} left to refund, "
                f"{quantity} requested.",
                field=f"lines.{index}.quantity",
            )
        if restock and line.quantity_refunded + quantity > line.quantity_fulfilled:
            raise ReturnExceedsFulfilled(
                f"{line.sku}: only shipped goods can come back "
                f"({line.quantity_fulfilled} shipped, {line.quantity_refunded} refunded).",
                field=f"lines.{index}.quantity",
            )
        checked.append((line, quantity))
    return checked


def _refund_through_stripe(
    *,
    payment: Payment,
    order: Order,
    amount: Decimal,
    reason: str,
    actor: Any,
    lines: Sequence[tuple[OrderLine, int]],
) -> Refund:
    number = Refund.objects.filter(payment__order=order).count() + 1
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        status=Refund.Status.PENDING,
        reason=reason,
        created_by=actor,
    )
    refund_lines_assign(refund, lines)
    result = stripe_gateway.create_refund(
        payment_intent_id=payment.psp_reference or "",
        amount=amount,
        idempotency_key=f"order:{order.pk}:refund:{number}",
    )
    if result.status in ("failed", "canceled"):
        raise RefundFailed("The payment provider could not make the refund.", field="amount")
    if result.amount != amount:
        raise RefundFailed("The provider refunded a different amount.", field="amount")
    refund.psp_reference = result.id
    refund.save(update_fields=["psp_reference", "updated_at"])
    if result.status == "succeeded":
        return refund_record_succeeded(
            payment=payment, amount=amount, psp_reference=result.id, actor=actor
        )
    order_payment_status_refresh(order.pk)  # pending: the webhook records it later
    return refund


@transaction.atomic
def order_refund(
    *,
    actor: Any,
    order_id: int,
    amount: Any,
    lines: Sequence[tuple[int, int]] | None = None,
    reason: str = "",
    restock: bool = False,
) -> Refund:
    """Refund `amount` CNY of the order's captured payment. Returns the Refund row
    (succeeded, or pending while Stripe finishes it)."""
    check_is_staff(actor, "refund orders")
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.", field="order")
    value = _checked_amount(amount)
    reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    if restock and not lines:
        raise InvalidQuantity("Name the lines whose goods came back.", field="lines")
    checked = _checked_lines(order, lines or [], restock=restock)
    captured = (
        Payment.objects.filter(order=order, status__in=CAPTURED_OR_LATER).order_by("-pk").first()
    )
    if captured is None:
        raise NothingToRefund("The order has no captured payment to refund.", field="order")
    payment = payment_lock(captured)
    refund_check(payment, value)  # REFUND_EXCEEDS_CAPTURED before any gateway call

    for line, quantity in checked:
        OrderLine.objects.filter(
            pk=line.pk, quantity_refunded__lte=F("quantity") - quantity
        ).update(quantity_refunded=F("quantity_refunded") + quantity)
        if restock:
            if line.lot_id is None:
                raise ReturnExceedsFulfilled(f"{line.sku} has no lot to return to.", field="lines")
            stock = stock_get_or_create(
                variant=line.variant, warehouse=base_warehouse(), lot=line.lot
            )
            record_movement(
                stock=stock,
                kind=StockMovement.Kind.RETURN,
                quantity=quantity,
                actor=actor,
                reason=f"return, order {order.number}" + (f": {reason}" if reason else ""),
                reference=line.allocation_reference,
            )

    order_lines_mark_done(order)  # refunding the unshipped rest completes a line

    if payment.gateway == Gateway.STRIPE:
        refund = _refund_through_stripe(
            payment=payment, order=order, amount=value, reason=reason, actor=actor, lines=checked
        )
    else:
        refund = refund_record_succeeded(
            payment=payment, amount=value, reason=reason, actor=actor, lines=checked
        )

    order.refresh_from_db(fields=["payment_status", "status"])
    if order.payment_status == PaymentStatus.FULLY_REFUNDED and can_move(
        order.status, OrderStatus.REFUNDED
    ):
        order_set_status(order=order, status=OrderStatus.REFUNDED)
    return refund
