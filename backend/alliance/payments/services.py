"""Recording what happened to a payment. No gateway calls here.

The gateways (alliance.payments.gateways.stripe, the demo gateway, the counter) decide what
happened; these services write it down, each under a row lock on the payment, so that a
webhook delivered 50 times at once, or events arriving out of order, change the payment
once and never move its status backwards.

For the next session (webhooks and orderRefund):
- a verified `payment_intent.succeeded` (or the demo gateway) calls
  `payment_record_captured(payment=..., amount=from_fen(...), psp_reference=pi.id)`;
- `orderRefund` locks the payment (`payment_lock`), calls `refund_check`, asks the gateway,
  then `refund_record_succeeded` (also from `charge.refunded` / `refund.updated` webhooks:
  idempotent by the refund's psp_reference).

The error classes live here for now (payments/errors.py belongs to the gateway module);
they can move there without changing their codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from alliance.core.money import quantize
from alliance.orders.models import Order, PaymentStatus
from alliance.payments.errors import (
    InvalidPaymentAmount as InvalidAmount,
)
from alliance.payments.errors import (
    PaymentAmountMismatch,
    PspReferenceMismatch,
    RefundExceedsCaptured,
    UnknownGateway,
)
from alliance.payments.models import Gateway, Payment, PaymentState, Refund
from alliance.payments.refund_lines import refund_lines_assign

# Where each status stands; a recorded event never lowers the rank. Failed and cancelled
# attempts may still be followed by a capture (the buyer retried and paid).
STATUS_RANK = {
    PaymentState.PENDING: 0,
    PaymentState.AUTHORIZED: 1,
    PaymentState.FAILED: 1,
    PaymentState.CANCELLED: 1,
    PaymentState.CAPTURED: 2,
    PaymentState.PARTIALLY_REFUNDED: 3,
    PaymentState.REFUNDED: 4,
}
CAPTURED_OR_LATER = frozenset(s for s, rank in STATUS_RANK.items() if rank >= 2)


def _amount(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise InvalidAmount("Amounts are Decimal, never float.", field=field)
    try:
        amount = quantize(value)
    except ValueError:
        raise InvalidAmount(f"{value!r} is not an amount of money.", field=field) from None
    if amount <= 0:
        raise InvalidAmount("The amount must be positive.", field=field)
    return amount


def payment_lock(payment: Payment | int) -> Payment:
    """The payment row, locked until the end of the caller's transaction."""
    pk = payment.pk if isinstance(payment, Payment) else payment
    return Payment.objects.select_for_update().get(pk=pk)


@transaction.atomic
def payment_create(
    *,
    order: Order,
    gateway: str,
    amount: Decimal,
    psp_reference: str | None = None,
    reference: str = "",
) -> Payment:
    if gateway not in Gateway.values:
        raise UnknownGateway(f"Unknown payment gateway {gateway!r}.", field="gateway")
    payment = Payment.objects.create(
        order=order,
        gateway=gateway,
        amount=_amount(amount),
        currency=order.currency,
        psp_reference=psp_reference or None,
        reference=reference,
    )
    order_payment_status_refresh(order.pk)
    return payment


@transaction.atomic
def payment_record_captured(
    *, payment: Payment, amount: Decimal, psp_reference: str | None = None
) -> Payment:
    """Record that `amount` was captured. Idempotent: a payment already captured (or
    refunded since) is returned unchanged, whatever arrives again or late."""
    amount = _amount(amount)
    locked = payment_lock(payment)
    if locked.status in CAPTURED_OR_LATER:
        return locked
    if amount > locked.amount:
        raise PaymentAmountMismatch(
            f"Captured {amount} exceeds the payment's {locked.amount}.", field="amount"
        )
    if psp_reference and locked.psp_reference and psp_reference != locked.psp_reference:
        raise PspReferenceMismatch(
            "The provider reference does not match this payment.", field="psp_reference"
        )
    locked.status = PaymentState.CAPTURED
    locked.captured_amount = amount
    locked.captured_at = timezone.now()
    if psp_reference and not locked.psp_reference:
        locked.psp_reference = psp_reference
    locked.save(
        update_fields=["status", "captured_amount", "captured_at", "psp_reference", "updated_at"]
    )
    order_payment_status_refresh(locked.order_id)
    return locked


def refund_check(
    payment: Payment, amount: Decimal, *, exclude_refund_id: int | None = None
) -> Decimal:
    """Refuse a refund that would take back more than was captured (counting refunds still
    pending, but `exclude_refund_id`). Call it with the payment locked (`payment_lock`) so
    that two refunds cannot both pass. Returns the amount, quantized."""
    amount = _amount(amount)
    pending_refunds = Refund.objects.filter(payment_id=payment.pk, status=Refund.Status.PENDING)
    if exclude_refund_id is not None:
        pending_refunds = pending_refunds.exclude(pk=exclude_refund_id)
    pending = pending_refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    refundable = payment.captured_amount - payment.refunded_amount - pending
    if amount > refundable:
        raise RefundExceedsCaptured(
            f"Cannot refund {amount}: only {max(refundable, Decimal('0.00'))} is refundable.",
            field="amount",
        )
    return amount


@transaction.atomic
def refund_record_succeeded(
    *,
    payment: Payment,
    amount: Decimal,
    psp_reference: str | None = None,
    reason: str = "",
    actor: Any = None,
    lines: Sequence[tuple[Any, int]] = (),
) -> Refund:
    """Record a refund the gateway has made. Idempotent by `psp_reference`: the same
    provider refund recorded twice counts once. `lines` [(OrderLine, quantity)] names the
    goods the money is for; a refund naming none (a refund made in Stripe's dashboard) is
    spread over the order's lines (alliance.payments.refund_lines)."""
    locked = payment_lock(payment)
    existing = (
        Refund.objects.filter(payment_id=locked.pk, psp_reference=psp_reference).first()
        if psp_reference
        else None
    )
    if existing is not None and existing.status == Refund.Status.SUCCEEDED:
        return existing
    if existing is not None:  # a pending refund of ours, now confirmed
        amount = refund_check(locked, existing.amount, exclude_refund_id=existing.pk)
        refund = existing
        refund.status = Refund.Status.SUCCEEDED
        refund.succeeded_at = timezone.now()
        refund.save(update_fields=["status", "succeeded_at", "updated_at"])
    else:
        amount = refund_check(locked, amount)
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            psp_reference=psp_reference or None,
            status=Refund.Status.SUCCEEDED,
            succeeded_at=timezone.now(),
            reason=reason,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    refund_lines_assign(refund, lines)
    locked.refunded_amount += amount
    locked.status = (
        PaymentState.REFUNDED
        if locked.refunded_amount >= locked.captured_amount
        else PaymentState.PARTIALLY_REFUNDED
    )
    locked.save(update_fields=["refunded_amount", "status", "updated_at"])
    order_payment_status_refresh(locked.order_id)
    return refund


def order_payment_status_refresh(order_id: int) -> str:
    """Derive the order's payment status from its payments (one aggregate, one update)."""
    totals = Payment.objects.filter(order_id=order_id).aggregate(
        captured=Sum("captured_amount"),
        refunded=Sum("refunded_amount"),
        open=Count("pk", filter=Q(status__in=[PaymentState.PENDING, PaymentState.AUTHORIZED])),
    )
    captured = totals["captured"] or Decimal("0")
    refunded = totals["refunded"] or Decimal("0")
    order_total = Order.objects.values_list("total", flat=True).get(pk=order_id)
    if refunded > 0:
        status = (
            PaymentStatus.FULLY_REFUNDED
            if refunded >= captured
            else PaymentStatus.PARTIALLY_REFUNDED
        )
    elif captured > 0:
        status = (
            PaymentStatus.FULLY_CHARGED
            if captured >= order_total
            else PaymentStatus.PARTIALLY_CHARGED
        )
    elif totals["open"]:
        status = PaymentStatus.PENDING
    else:
        status = PaymentStatus.NOT_CHARGED
    Order.objects.filter(pk=order_id).update(payment_status=status, updated_at=timezone.now())
    return status
