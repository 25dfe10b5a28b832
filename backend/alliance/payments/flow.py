"""Paying an order: starting a payment, and applying what the provider says happened.

An order is paid ONLY by `payment_apply_event`: from a verified Stripe webhook
(alliance.payments.views), from the PaymentIntent retrieved from Stripe
(`payment_sync_from_provider`), or, offline, from the demo gateway
(alliance.payments.gateways.demo), which builds the same event and calls the same function.
Never from what the browser says.

Who may pay an order (`check_can_pay`): the order's buyer, or staff. An order placed
without signing in (no user) is paid by whoever presents the checkout token that made it
(`Order.checkout_token`): the storefront holds it from checkoutCreate to checkoutComplete.
Anyone else gets NOT_FOUND, the same answer as for an unknown order (no existence oracle).
Only unpaid online orders waiting for payment (status UNCONFIRMED) can be paid.

`payment_apply_event(event=...)` applies one event exactly once:
- the payment row is locked first (SELECT ... FOR UPDATE), then the event id is inserted
  (`INSERT ... ON CONFLICT (event_id) DO NOTHING`) in the SAME transaction as the effect: a
  delivery of an event already recorded (a replay, or one of 50 concurrent deliveries that
  waited for the lock) finds the row and does nothing (DUPLICATE);
- statuses never move backwards (alliance.payments.services.STATUS_RANK): processing,
  succeeded and refunded arriving in any order end in the same state. A refund reported
  before the capture (charge.refunded) records the capture from the charge first; a
  refund.* event before the capture asks Stripe for the PaymentIntent first;
- an event whose amount or currency does not match the payment is REJECTED: it is recorded
  with `processed_at` NULL (WebhookEvent has no outcome column: NULL means "recorded, not
  applied, see the log"), nothing else changes, and an error is logged;
- lock order: payment row, then order row (order_set_status). Keep that order elsewhere.

For the next engineer:
- checkoutComplete -> storefront: call orderPaymentCreate(order, STRIPE, returnUrl) (or
  `order_payment_start`) after the order exists; hand `client_secret` and the publishable
  key to Stripe.js `confirmPayment(return_url=...)`.
- orderRefund: lock the payment, `refund_check`, `gateways.stripe.create_refund(...,
  idempotency_key=f"refund:{refund.pk}")`, then `refund_record_succeeded(psp_reference=
  refund_result.id)`; the refund.* / charge.refunded webhooks for it are then no-ops.
- the expiry task cancels UNCONFIRMED orders; a payment captured afterwards is recorded
  (the money is real) but the order stays cancelled and an error is logged: refund it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import Channel
from alliance.core.errors import DomainError, NotFound
from alliance.core.money import from_fen, to_fen
from alliance.orders.emails import order_confirmation_email
from alliance.orders.models import Order, OrderStatus, PaymentStatus
from alliance.orders.services import order_set_status
from alliance.payments.errors import (
    PaymentProviderNotConfigured,
    PaymentProviderUnavailable,
    PaymentRequestInvalid,
)
from alliance.payments.gateways import stripe as stripe_gateway
from alliance.payments.models import Gateway, Payment, PaymentState, Refund, WebhookEvent
from alliance.payments.services import (
    CAPTURED_OR_LATER,
    order_payment_status_refresh,
    payment_create,
    payment_lock,
    payment_record_captured,
    refund_record_succeeded,
)

logger = logging.getLogger(__name__)

ONLINE_GATEWAYS = (Gateway.STRIPE, Gateway.DEMO)
# A payment of these statuses is reused by the next start (one PaymentIntent per order).
REUSABLE = (PaymentState.PENDING, PaymentState.AUTHORIZED, PaymentState.FAILED)
PAYABLE_PAYMENT_STATUSES = (PaymentStatus.NOT_CHARGED, PaymentStatus.PENDING)
# Raised out of payment_apply_event (nothing recorded: the webhook answers 503, Stripe
# delivers again); every other DomainError while applying makes the event REJECTED.
RETRY_LATER = (PaymentProviderUnavailable, PaymentProviderNotConfigured)


class OrderNotPayable(DomainError):
    code = "ORDER_NOT_PAYABLE"


class DemoGatewayUnavailable(DomainError):
    code = "DEMO_GATEWAY_UNAVAILABLE"


# Outcomes of payment_apply_event.
APPLIED = "applied"  # the event changed (or confirmed) the payment
DUPLICATE = "duplicate"  # this event id was applied before: nothing done
IGNORED = "ignored"  # a type we do not act on, or nothing to do
REJECTED = "rejected"  # amount/currency/reference mismatch: recorded, nothing changed
UNMATCHED = "unmatched"  # no payment of ours: recorded, nothing changed


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    client_secret: str | None
    publishable_key: str | None


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    data_object: dict[str, Any]
    payload: dict[str, Any]


# --- access -----------------------------------------------------------------------------------


def check_can_pay(order: Order, user: Any, checkout_token: UUID | str | None = None) -> None:
    """The buyer, staff, or (order without a user) the holder of its checkout token."""
    signed_in = bool(getattr(user, "is_authenticated", False) and user.is_active)
    if signed_in and user.role == Role.STAFF:
        return
    if order.user_id is not None:
        if signed_in and user.pk == order.user_id:
            return
    elif (
        checkout_token and order.checkout_token and str(order.checkout_token) == str(checkout_token)
    ):
        return
    raise NotFound("Order not found.", field="order")


def demo_gateway_available() -> bool:
    """The demo gateway: demo mode on, DEBUG on (alliance.E001) and no Stripe key
    (payments.E001). Read on every call, so a settings change applies at once."""
    return bool(
        getattr(settings, "DEMO_MODE", False)
        and getattr(settings, "DEBUG", False)
        and not getattr(settings, "STRIPE_SECRET_KEY", None)
    )


# --- starting a payment -----------------------------------------------------------------------


def _check_payable(order: Order) -> None:
    if order.channel.slug != Channel.ONLINE:
        raise OrderNotPayable("Only online orders are paid online.", field="order")
    if order.status != OrderStatus.UNCONFIRMED or order.payment_status not in (
        PAYABLE_PAYMENT_STATUSES
    ):
        raise OrderNotPayable("This order is not waiting for payment.", field="order")


def _check_return_url(return_url: str | None) -> str:
    parts = urlsplit(return_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PaymentRequestInvalid("returnUrl must be an absolute http(s) URL.", field="returnUrl")
    return return_url  # type: ignore[return-value]


def pending_payment(order_pk: int, gateway: str) -> Payment:
    """The order's open payment for `gateway`, or a new one; committed on its own so that
    a failed provider call leaves it in place and the retry sends the same metadata under
    the same idempotency key."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("channel").get(pk=order_pk)
        _check_payable(order)
        payment = (
            Payment.objects.filter(order=order, gateway=gateway, status__in=REUSABLE)
            .order_by("pk")
            .first()
        )
        if payment is None:
            payment = payment_create(order=order, gateway=gateway, amount=order.total)
        return payment


def order_payment_start(
    *,
    order: Order,
    user: Any,
    gateway: str,
    return_url: str | None = None,
    checkout_token: UUID | str | None = None,
) -> PaymentStart:
    """Start (or resume) paying `order`: its pending Payment and, for Stripe, the
    PaymentIntent (one per order: idempotency key `order:<pk>:payment-intent`).

    Not atomic on purpose: the Payment row is committed before Stripe is called and the
    order row is not held locked during the network call. Call it outside a transaction
    (orderPaymentCreate does)."""
    check_can_pay(order, user, checkout_token)
    order = Order.objects.select_related("channel").get(pk=order.pk)
    _check_payable(order)
    if gateway == Gateway.DEMO:
        if not demo_gateway_available():
            raise DemoGatewayUnavailable(
                "The demo gateway is only available in demo mode without Stripe.",
                field="gateway",
            )
        return PaymentStart(pending_payment(order.pk, gateway), None, None)
    if gateway != Gateway.STRIPE:
        raise OrderNotPayable(f"Orders are not paid online with {gateway!r}.", field="gateway")
    return_url = _check_return_url(return_url)
    payment = pending_payment(order.pk, gateway)
    if payment.psp_reference:  # resumed: the intent exists, read its client secret
        intent = stripe_gateway.retrieve_payment_intent(payment.psp_reference)
    else:
        intent = stripe_gateway.create_payment_intent(
            amount=payment.amount,
            order_reference=order.number,
            idempotency_key=f"order:{order.pk}:payment-intent",
            return_url=return_url,
            metadata={"order_number": order.number, "payment_id": str(payment.pk)},
        )
        with transaction.atomic():
            payment = payment_lock(payment)
            if not payment.psp_reference:
                payment.psp_reference = intent.id
                payment.save(update_fields=["psp_reference", "updated_at"])
    return PaymentStart(
        payment=payment,
        client_secret=intent.client_secret,
        publishable_key=getattr(settings, "STRIPE_PUBLISHABLE_KEY", None) or None,
    )


# --- applying events --------------------------------------------------------------------------


def _as_event(event: Any) -> _Event:
    if isinstance(event, stripe_gateway.WebhookEvent):
        return _Event(event.id, event.type, dict(event.data_object), event.payload)
    return _Event(str(event["id"]), str(event["type"]), dict(event["data"]["object"]), dict(event))


def _payment_intent_id(ev: _Event) -> str | None:
    obj = ev.data_object
    value = obj.get("id") if ev.type.startswith("payment_intent.") else obj.get("payment_intent")
    return value if isinstance(value, str) and value else None


def _find_payment(ev: _Event, gateway: str) -> Payment | None:
    """By the provider's reference; else by our payment id in the intent's metadata (an
    event may arrive before the reference is saved)."""
    pi_id = _payment_intent_id(ev)
    if pi_id:
        payment = Payment.objects.filter(gateway=gateway, psp_reference=pi_id).first()
        if payment is not None:
            return payment
    if ev.type.startswith("payment_intent."):
        raw = (ev.data_object.get("metadata") or {}).get("payment_id")
        if isinstance(raw, str) and raw.isdigit():
            return Payment.objects.filter(
                gateway=gateway, pk=int(raw), psp_reference__isnull=True
            ).first()
    return None


def _record_event(ev: _Event, gateway: str) -> bool:
    """Insert the event row (processed now); False when this event id is already there."""
    table = WebhookEvent._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (gateway, event_id, type, payload, received_at, processed_at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, %s)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [gateway, ev.id, ev.type, json.dumps(ev.payload), now, now],
        )
        return cursor.fetchone() is not None


def _not_applied(ev: _Event, outcome: str, message: str, *args: Any) -> str:
    WebhookEvent.objects.filter(event_id=ev.id).update(processed_at=None)
    log = logger.error if outcome == REJECTED else logger.warning
    log("payment event %s (%s) %s: " + message, ev.id, ev.type, outcome, *args)
    return outcome


def _amount_matches(payment: Payment, currency: Any, fen: Any) -> bool:
    return (
        isinstance(currency, str)
        and currency.upper() == payment.currency
        and isinstance(fen, int)
        and not isinstance(fen, bool)
        and fen == to_fen(payment.amount)
    )


def _mark_paid(payment: Payment) -> None:
    """The order, fully charged, leaves waiting-for-payment (allocations stay)."""
    order = Order.objects.get(pk=payment.order_id)
    if order.payment_status != PaymentStatus.FULLY_CHARGED:
        return
    if order.status == OrderStatus.UNCONFIRMED:
        order_set_status(order=order, status=OrderStatus.UNFULFILLED)
        order_confirmation_email(order)  # sent after this transaction commits
    elif order.status == OrderStatus.CANCELLED:
        logger.error(
            "order %s was paid (payment %s) after it was cancelled: refund it",
            order.number,
            payment.pk,
        )


def _capture(ev: _Event, payment: Payment, fen: Any, currency: Any) -> str:
    if payment.status in CAPTURED_OR_LATER:
        return IGNORED
    if not _amount_matches(payment, currency, fen):
        raise _Refused(
            f"{fen} {currency} does not match payment {payment.pk} of "
            f"{payment.amount} {payment.currency}"
        )
    payment_record_captured(
        payment=payment, amount=from_fen(fen), psp_reference=_payment_intent_id(ev)
    )
    payment.refresh_from_db()
    _mark_paid(payment)
    return APPLIED


def _on_succeeded(ev: _Event, payment: Payment) -> str:
    obj = ev.data_object
    fen = obj.get("amount_received") or obj.get("amount")
    return _capture(ev, payment, fen, obj.get("currency"))


def _on_processing(ev: _Event, payment: Payment) -> str:
    # A new attempt after a failed one is pending again; captured or later never changes.
    if payment.status != PaymentState.FAILED:
        return IGNORED
    payment.status = PaymentState.PENDING
    payment.save(update_fields=["status", "updated_at"])
    order_payment_status_refresh(payment.order_id)
    return APPLIED


def _on_failed(ev: _Event, payment: Payment) -> str:
    # Stock stays reserved: the buyer may retry until the order expires.
    if payment.status not in (PaymentState.PENDING, PaymentState.AUTHORIZED):
        return IGNORED
    payment.status = PaymentState.FAILED
    payment.save(update_fields=["status", "updated_at"])
    order_payment_status_refresh(payment.order_id)
    return APPLIED


def _checked_refund(payment: Payment, refund: Any) -> tuple[str, int]:
    if not isinstance(refund, dict):
        raise _Refused("a refund that is not an object")
    fen, currency = refund.get("amount"), refund.get("currency")
    if (
        not refund.get("id")
        or not isinstance(fen, int)
        or isinstance(fen, bool)
        or fen <= 0
        or not isinstance(currency, str)
        or currency.upper() != payment.currency
    ):
        raise _Refused(f"refund {refund.get('id')}: {fen} {currency}")
    return str(refund["id"]), fen


def _record_refund(payment: Payment, psp_reference: str, fen: int) -> str:
    """Idempotent by the provider's refund id (refund_record_succeeded)."""
    if Refund.objects.filter(
        payment=payment, psp_reference=psp_reference, status=Refund.Status.SUCCEEDED
    ).exists():
        return IGNORED
    refund_record_succeeded(
        payment=payment, amount=from_fen(fen), psp_reference=psp_reference, reason="stripe"
    )
    return APPLIED


def _on_charge_refunded(ev: _Event, payment: Payment) -> str:
    charge = ev.data_object
    listed = (charge.get("refunds") or {}).get("data") or []
    # Check everything before changing anything.
    refunds = [
        _checked_refund(payment, r)
        for r in listed
        if isinstance(r, dict) and r.get("status") == "succeeded"
    ]
    outcome = IGNORED
    if payment.status not in CAPTURED_OR_LATER:  # the refund overtook the success event
        outcome = _capture(ev, payment, charge.get("amount_captured"), charge.get("currency"))
    for psp_reference, fen in refunds:  # without the list, the refund.* events record them
        if _record_refund(payment, psp_reference, fen) == APPLIED:
            outcome = APPLIED
    return outcome


def _on_refund(ev: _Event, payment: Payment) -> str:
    refund = ev.data_object
    status = refund.get("status")
    if status == "succeeded":
        psp_reference, fen = _checked_refund(payment, refund)
        if payment.status not in CAPTURED_OR_LATER:
            # The refund overtook the capture: ask Stripe about the intent first.
            pi_id = _payment_intent_id(ev)
            if pi_id:
                _apply_intent(payment, stripe_gateway.retrieve_payment_intent(pi_id))
                payment.refresh_from_db()
            if payment.status not in CAPTURED_OR_LATER:
                raise _Refused("a refund of a payment that was never captured")
        return _record_refund(payment, psp_reference, fen)
    if status in ("failed", "canceled"):
        ours = Refund.objects.filter(payment=payment, psp_reference=refund.get("id")).first()
        if ours is None:
            return IGNORED
        if ours.status == Refund.Status.PENDING:
            ours.status = Refund.Status.FAILED
            ours.save(update_fields=["status", "updated_at"])
            return APPLIED
        if ours.status == Refund.Status.SUCCEEDED:
            raise _Refused(f"refund {ours.pk} failed after it was recorded as succeeded")
    return IGNORED  # pending: recorded when it succeeds


class _Refused(Exception):
    """The event contradicts what we know: record it as rejected, change nothing."""


HANDLERS = {
    "payment_intent.succeeded": _on_succeeded,
    "payment_intent.processing": _on_processing,
    "payment_intent.payment_failed": _on_failed,
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
}


def payment_apply_event(*, event: Any, gateway: str = Gateway.STRIPE) -> str:
    """Apply a verified event (gateways.stripe.WebhookEvent, or an event-shaped dict from
    the demo gateway or a sync) exactly once; returns APPLIED, DUPLICATE, IGNORED,
    REJECTED or UNMATCHED. Provider failures (a refund before the capture while Stripe is
    down) raise and record nothing, so the webhook answers non-2xx and Stripe delivers
    again."""
    ev = _as_event(event)
    handler = HANDLERS.get(ev.type)
    with transaction.atomic():
        payment = _find_payment(ev, gateway) if handler else None
        if payment is not None:
            payment = payment_lock(payment)  # every event of a payment takes turns here
        if not _record_event(ev, gateway):
            return DUPLICATE
        if handler is None:
            return IGNORED
        if payment is None:
            return _not_applied(ev, UNMATCHED, "no payment for %s", _payment_intent_id(ev))
        try:
            with transaction.atomic():  # a savepoint: a refusal undoes a partial effect
                return handler(ev, payment)
        except _Refused as refused:
            return _not_applied(ev, REJECTED, "%s", refused)
        except DomainError as exc:
            if isinstance(exc, RETRY_LATER):
                raise  # the provider failed: nothing recorded, the delivery is retried
            return _not_applied(ev, REJECTED, "%s: %s", exc.code, exc)


# --- sync from the provider -------------------------------------------------------------------

_SYNCED_TYPES = {
    "succeeded": "payment_intent.succeeded",
    "processing": "payment_intent.processing",
}


def _apply_intent(payment: Payment, intent: stripe_gateway.PaymentIntentResult) -> str:
    event_type = _SYNCED_TYPES.get(intent.status)
    if event_type is None:
        return IGNORED
    fen = to_fen(intent.amount)
    event = {
        "id": f"sync:{intent.id}:{intent.status}",
        "type": event_type,
        "created": int(datetime.now(tz=UTC).timestamp()),
        "data": {
            "object": {
                "id": intent.id,
                "object": "payment_intent",
                "amount": fen,
                "amount_received": fen if intent.status == "succeeded" else 0,
                "currency": intent.currency.lower(),
                "status": intent.status,
                "metadata": dict(intent.metadata),
            }
        },
    }
    return payment_apply_event(event=event, gateway=payment.gateway)


def payment_sync_from_provider(payment: Payment) -> str:
    """Read the PaymentIntent from Stripe and apply its state through `payment_apply_event`
    (for when webhooks are late). Returns the outcome."""
    if payment.gateway != Gateway.STRIPE or not payment.psp_reference:
        raise OrderNotPayable("This payment has no Stripe PaymentIntent to read.", field="payment")
    return _apply_intent(payment, stripe_gateway.retrieve_payment_intent(payment.psp_reference))
