"""Stripe gateway: PaymentIntents in CNY (card, Alipay, WeChat Pay), refunds, balance
transactions and webhook verification. The only module that imports `stripe`.

Everything leaves here as our own types: amounts as Decimal CNY (fen only inside this
module, via alliance.core.money), results as frozen dataclasses, failures as
alliance.payments.errors (stable codes). No database access: callers record results through
alliance.payments.services.

Settings are read on each call (STRIPE_SECRET_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET),
so tests point them at tests/stripe_server. The SDK retries a request that failed with a
network error, 409 or 5xx (and a 429 that Stripe marks `Stripe-Should-Retry: true`) up to
MAX_NETWORK_RETRIES times, with the SAME idempotency key, so a retried create cannot make a
second PaymentIntent. Idempotency keys are the caller's, one per business operation:
`order:<pk>:payment-intent`, `refund:<pk>` - never random, so that a repeated mutation or
task replays Stripe's stored answer instead of acting twice.

For the next engineer:
- checkoutComplete: `create_payment_intent(amount=order.total, order_reference=order.number,
  idempotency_key=f"order:{order.pk}:payment-intent", return_url=<storefront order page>,
  metadata={"order_id": str(order.pk)})`, store `result.id` as Payment.psp_reference and
  give `client_secret` and `return_url` to the storefront; Stripe.js `confirmPayment` takes
  the return_url (Stripe refuses `return_url` on create without `confirm=true`).
- /webhooks/stripe/: `verify_webhook(request.body, request.headers["Stripe-Signature"])`
  -> WebhookEvent; INVALID_SIGNATURE answers 400. Then record `event.id` once (unique row,
  same transaction as the effect) and dispatch on `event.type`
  (payment_intent.succeeded / payment_failed, charge.refunded, refund.updated/failed).
- orderRefund: check the remaining amount first (payments.services.refund_check), then
  `create_refund(payment_intent_id=..., amount=..., idempotency_key=f"refund:{refund.pk}")`.
- reconciliation: `list_balance_transactions(created_gte=..., created_lt=...)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from alliance.core.money import from_fen, quantize, to_fen
from alliance.payments.errors import (
    InvalidPaymentAmount,
    InvalidSignature,
    InvalidWebhookPayload,
    PaymentDeclined,
    PaymentGatewayError,
    PaymentIdempotencyConflict,
    PaymentNotFound,
    PaymentProviderNotConfigured,
    PaymentProviderUnavailable,
    PaymentRequestInvalid,
    RefundExceedsCaptured,
)

logger = logging.getLogger(__name__)

CURRENCY = "cny"
ALLOWED_PAYMENT_METHOD_TYPES = ("card", "alipay", "wechat_pay")
MAX_NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE_SECONDS = 300
PAGE_SIZE = 100
RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]


@dataclass(frozen=True)
class PaymentIntentResult:
    id: str
    client_secret: str | None
    status: str
    amount: Decimal
    currency: str
    latest_charge: str | None
    metadata: dict[str, str]
    return_url: str | None = None


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str | None
    amount: Decimal
    currency: str
    payment_intent_id: str | None
    charge_id: str | None


@dataclass(frozen=True)
class BalanceTransactionResult:
    id: str
    type: str
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    created: datetime
    source: str | None
    status: str
    # The PaymentIntent of the charge or refund behind it (the expanded source): how the
    # reconciliation finds our Payment (psp_reference); None for payouts, fees, ...
    payment_intent_id: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: datetime
    data_object: dict[str, Any]
    payload: dict[str, Any]


# --- client and error mapping ---------------------------------------------------------------


def _client() -> stripe.StripeClient:
    api_key = getattr(settings, "STRIPE_SECRET_KEY", None)
    if not api_key:
        raise PaymentProviderNotConfigured("Stripe is not configured (STRIPE_SECRET_KEY).")
    return _cached_client(api_key, getattr(settings, "STRIPE_API_BASE", None))


@lru_cache(maxsize=8)
def _cached_client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base.rstrip("/")} if api_base else None,
        max_network_retries=MAX_NETWORK_RETRIES,
    )


@contextmanager
def _translate_errors() -> Iterator[None]:
    """Stripe's exceptions -> our DomainErrors with stable codes."""
    try:
        yield
    except stripe.StripeError as exc:
        raise _domain_error(exc) from exc


def _domain_error(exc: stripe.StripeError) -> PaymentGatewayError:
    provider_code = exc.code or (exc.error.code if exc.error else None)
    details: dict[str, Any] = {
        "provider_code": provider_code,
        "request_id": exc.request_id,
        "http_status": exc.http_status,
    }
    param = getattr(exc, "param", None) or None
    logger.warning(
        "stripe error %s (code=%s, status=%s, request=%s): %s",
        type(exc).__name__,
        provider_code,
        exc.http_status,
        exc.request_id,
        exc.user_message or str(exc),
    )
    if isinstance(exc, stripe.CardError):
        decline = (exc.error.decline_code if exc.error else None) or None
        return PaymentDeclined(
            "The payment was declined. Please try another payment method.",
            decline_code=decline,
            **details,
        )
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError):
        return PaymentProviderUnavailable(
            "The payment provider is not reachable right now. Please try again shortly.",
            **details,
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentProviderNotConfigured(
            "The payment provider refused our credentials.", **details
        )
    if isinstance(exc, stripe.IdempotencyError):
        return PaymentIdempotencyConflict(
            "This payment operation was already sent with different details.", **details
        )
    if isinstance(exc, stripe.InvalidRequestError):
        if exc.code == "resource_missing":
            return PaymentNotFound("The payment is unknown to the provider.", **details)
        if exc.code in ("amount_too_large", "charge_already_refunded"):
            return RefundExceedsCaptured(
                "The refund is larger than what remains to refund.", field="amount", **details
            )
        return PaymentRequestInvalid(
            f"The payment provider refused the request: {exc.user_message or exc}",
            field=param,
            **details,
        )
    return PaymentGatewayError("The payment provider failed.", **details)


def _positive_fen(amount: Decimal) -> int:
    if not isinstance(amount, Decimal):
        raise InvalidPaymentAmount("Amount must be a Decimal.", field="amount")
    fen = to_fen(amount)
    if fen <= 0 or quantize(amount) != amount:
        raise InvalidPaymentAmount(
            "Amount must be positive with at most 2 decimal places.", field="amount"
        )
    return fen


def _payment_intent_result(
    pi: stripe.PaymentIntent, return_url: str | None = None
) -> PaymentIntentResult:
    latest = pi.latest_charge
    return PaymentIntentResult(
        id=pi.id,
        client_secret=pi.client_secret,
        status=pi.status,
        amount=from_fen(pi.amount),
        currency=pi.currency.upper(),
        latest_charge=latest if isinstance(latest, str) or latest is None else latest.id,
        metadata={
            str(k): str(v) for k, v in (pi.metadata.to_dict() if pi.metadata else {}).items()
        },
        return_url=return_url,
    )


def _ts(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


# --- operations -------------------------------------------------------------------------------


def create_payment_intent(
    *,
    amount: Decimal,
    order_reference: str,
    idempotency_key: str,
    return_url: str,
    metadata: dict[str, str],
) -> PaymentIntentResult:
    """A PaymentIntent for `amount` CNY that the customer pays by card, Alipay or WeChat Pay.

    `return_url` is checked (absolute http(s); Alipay and WeChat Pay redirect there) and
    handed back for Stripe.js `confirmPayment`; it is not sent on create, which Stripe
    refuses without `confirm=true`.
    """
    fen = _positive_fen(amount)
    if urlsplit(return_url).scheme not in ("http", "https") or not urlsplit(return_url).netloc:
        raise PaymentRequestInvalid(
            "return_url must be an absolute http(s) URL.", field="returnUrl"
        )
    if not idempotency_key:
        raise PaymentRequestInvalid("An idempotency key is required.")
    params: dict[str, Any] = {
        "amount": fen,
        "currency": CURRENCY,
        "allowed_payment_method_types": list(ALLOWED_PAYMENT_METHOD_TYPES),
        "payment_method_options": {"wechat_pay": {"client": "web"}},
        "description": f"Order {order_reference}",
        "metadata": {**{str(k): str(v) for k, v in metadata.items()}, "order": order_reference},
    }
    with _translate_errors():
        pi = _client().v1.payment_intents.create(
            params,  # type: ignore[arg-type] - built above, checked by the test server
            {"idempotency_key": idempotency_key},
        )
    return _payment_intent_result(pi, return_url)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntentResult:
    with _translate_errors():
        pi = _client().v1.payment_intents.retrieve(payment_intent_id)
    return _payment_intent_result(pi)


def create_refund(
    *,
    payment_intent_id: str,
    amount: Decimal,
    idempotency_key: str,
    reason: RefundReason = "requested_by_customer",
) -> RefundResult:
    """Refund `amount` CNY of a succeeded PaymentIntent (callers check the remaining first;
    Stripe refuses an over-refund too: REFUND_EXCEEDS_CAPTURED)."""
    fen = _positive_fen(amount)
    if not idempotency_key:
        raise PaymentRequestInvalid("An idempotency key is required.")
    with _translate_errors():
        refund = _client().v1.refunds.create(
            {"payment_intent": payment_intent_id, "amount": fen, "reason": reason},
            {"idempotency_key": idempotency_key},
        )
    charge = refund.charge
    return RefundResult(
        id=refund.id,
        status=refund.status,
        amount=from_fen(refund.amount),
        currency=refund.currency.upper(),
        payment_intent_id=payment_intent_id,
        charge_id=charge if isinstance(charge, str) or charge is None else charge.id,
    )


def list_balance_transactions(
    *, created_gte: datetime, created_lt: datetime
) -> list[BalanceTransactionResult]:
    """Every balance transaction created in [created_gte, created_lt), all pages, newest first,
    with its source expanded (a charge or refund names its PaymentIntent)."""
    if created_gte.tzinfo is None or created_lt.tzinfo is None:
        raise ValueError("aware datetimes required")
    params: dict[str, Any] = {
        "created": {"gte": int(created_gte.timestamp()), "lt": int(created_lt.timestamp())},
        "limit": PAGE_SIZE,
        "expand": ["data.source"],
    }
    results: list[BalanceTransactionResult] = []
    with _translate_errors():
        page = _client().v1.balance_transactions.list(params)  # type: ignore[arg-type]
        for txn in page.auto_paging_iter():
            source = txn.source
            results.append(
                BalanceTransactionResult(
                    id=txn.id,
                    type=txn.type,
                    amount=from_fen(txn.amount),
                    fee=from_fen(txn.fee),
                    net=from_fen(txn.net),
                    currency=txn.currency.upper(),
                    created=_ts(txn.created),
                    source=source if isinstance(source, str) or source is None else source.id,
                    status=txn.status,
                    payment_intent_id=_payment_intent_of(source),
                )
            )
    return results


def _payment_intent_of(source: Any) -> str | None:
    """The PaymentIntent id of an expanded charge or refund; None otherwise."""
    if source is None or isinstance(source, str):
        return None
    intent = getattr(source, "payment_intent", None)
    if intent is None or isinstance(intent, str):
        return intent
    return str(intent.id)


def verify_webhook(payload: bytes, sig_header: str) -> WebhookEvent:
    """A webhook body checked against STRIPE_WEBHOOK_SECRET (signature and 300 s tolerance)."""
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", None)
    if not secret:
        raise PaymentProviderNotConfigured("Stripe webhooks are not configured.")
    try:
        stripe.WebhookSignature.verify_header(
            payload, sig_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature("The webhook signature is invalid or too old.") from exc
    try:
        event = json.loads(payload)
        return WebhookEvent(
            id=str(event["id"]),
            type=str(event["type"]),
            created=_ts(int(event["created"])),
            data_object=dict(event["data"]["object"]),
            payload=event,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhookPayload("The webhook body is not a Stripe event.") from exc
