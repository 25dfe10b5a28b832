"""POST /webhooks/stripe/: Stripe's events, verified, applied once.

The raw body is verified with STRIPE_WEBHOOK_SECRET (signature and 300 s tolerance) before
anything is read or stored: a forged, stale or unsigned delivery answers 400 and leaves no
trace. A verified event goes to alliance.payments.flow.payment_apply_event, which records
it and applies it in one transaction; the answer is 200 for applied, duplicate (replays),
ignored types, and for rejected or unmatched events (recorded and logged for a person:
Stripe redelivering them would not change the answer). A provider failure while applying
(a refund that overtook its capture while Stripe is unreachable) answers 503 with nothing
recorded, so Stripe delivers again later.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alliance.payments.errors import (
    InvalidSignature,
    InvalidWebhookPayload,
    PaymentGatewayError,
    PaymentProviderNotConfigured,
)
from alliance.payments.flow import payment_apply_event
from alliance.payments.gateways.stripe import verify_webhook

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except (InvalidSignature, InvalidWebhookPayload) as exc:
        logger.warning("stripe webhook refused: %s", exc.code)
        return JsonResponse({"error": exc.code}, status=400)
    except PaymentProviderNotConfigured as exc:
        logger.error("stripe webhook received but not configured")
        return JsonResponse({"error": exc.code}, status=503)
    try:
        outcome = payment_apply_event(event=event)
    except PaymentGatewayError as exc:
        logger.warning("stripe webhook %s not applied, Stripe will retry: %s", event.id, exc.code)
        return JsonResponse({"error": exc.code}, status=503)
    return JsonResponse({"received": True, "outcome": outcome})
