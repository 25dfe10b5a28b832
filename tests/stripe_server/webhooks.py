"""Webhook payloads signed exactly as Stripe signs them.

Stripe sends `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`;
the SDK's own `WebhookSignature.generate_signature_header` computes that header.
"""

from __future__ import annotations

import json
import time
from typing import Any

import stripe

from tests.stripe_server import fixtures


def sign(payload: bytes | str, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `payload` (signed at `timestamp`, default now)."""
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    return stripe.WebhookSignature.generate_signature_header(
        text, secret, timestamp=int(time.time()) if timestamp is None else timestamp
    )


def event_body(event_type: str, data_object: dict[str, Any]) -> bytes:
    """A serialized event (from the fixtures' `event` sample) carrying `data_object`."""
    event = fixtures.event(event_type=event_type, data_object=data_object, created=int(time.time()))
    return json.dumps(event).encode("utf-8")
