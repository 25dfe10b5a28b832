"""Stripe objects built from Stripe's published fixtures (data/fixtures3.json).

Each builder deep-copies the upstream sample object and overrides every state field, because
the samples show shapes, not states (see data/README.md). Fields newer than the fixtures
(`allowed_payment_method_types`, API 2026-09-30 and later) are added here.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "fixtures3.json"
API_VERSION = "2026-10-28.endive"
_ALPHABET = string.ascii_letters + string.digits


@cache
def _resources() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))["resources"]


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of the upstream sample object `name` (e.g. "payment_intent")."""
    return copy.deepcopy(_resources()[name])


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def payment_intent(
    *,
    amount: int,
    currency: str,
    created: int,
    allowed_payment_method_types: list[str] | None,
    payment_method_options: dict[str, Any],
    metadata: dict[str, str],
    description: str | None = None,
) -> dict[str, Any]:
    obj = fixture("payment_intent")
    pi_id = new_id("pi")
    obj.update(
        id=pi_id,
        amount=amount,
        amount_capturable=0,
        amount_received=0,
        currency=currency,
        created=created,
        status="requires_payment_method",
        client_secret=f"{pi_id}_secret_{new_id('s')[2:]}",
        latest_charge=None,
        canceled_at=None,
        cancellation_reason=None,
        next_action=None,
        last_payment_error=None,
        processing=None,
        payment_method=None,
        transfer_data=None,
        shipping=None,
        customer=None,
        description=description,
        metadata=metadata,
        payment_method_options=payment_method_options,
        allowed_payment_method_types=allowed_payment_method_types,
        # What Stripe computes from the allowed list for this amount/currency.
        payment_method_types=list(allowed_payment_method_types or ["card"]),
        automatic_payment_methods=None if allowed_payment_method_types else {"enabled": True},
        payment_method_configuration_details=None,
        managed_payments=None,
    )
    return obj


def charge(
    *, amount: int, currency: str, created: int, payment_intent_id: str, balance_transaction: str
) -> dict[str, Any]:
    obj = fixture("charge")
    obj.update(
        id=new_id("ch"),
        amount=amount,
        amount_captured=amount,
        amount_refunded=0,
        refunded=False,
        captured=True,
        paid=True,
        status="succeeded",
        currency=currency,
        created=created,
        payment_intent=payment_intent_id,
        balance_transaction=balance_transaction,
        failure_code=None,
        failure_message=None,
        metadata={},
    )
    return obj


def refund(
    *,
    amount: int,
    currency: str,
    created: int,
    charge_id: str,
    payment_intent_id: str,
    reason: str | None,
    metadata: dict[str, str],
    balance_transaction: str,
) -> dict[str, Any]:
    obj = fixture("refund")
    obj.update(
        id=new_id("re"),
        amount=amount,
        currency=currency,
        created=created,
        charge=charge_id,
        payment_intent=payment_intent_id,
        reason=reason,
        status="succeeded",
        metadata=metadata,
        balance_transaction=balance_transaction,
    )
    return obj


def balance_transaction(
    *, txn_id: str, amount: int, fee: int, currency: str, created: int, kind: str, source: str
) -> dict[str, Any]:
    obj = fixture("balance_transaction")
    obj.update(
        id=txn_id,
        amount=amount,
        fee=fee,
        fee_details=(
            [{"amount": fee, "application": None, "currency": currency, "type": "stripe_fee"}]
            if fee
            else []
        ),
        net=amount - fee,
        currency=currency,
        created=created,
        available_on=created,
        type=kind,
        reporting_category=kind,
        source=source,
        status="pending",
        description=None,
    )
    return obj


def event(*, event_type: str, data_object: dict[str, Any], created: int) -> dict[str, Any]:
    """A webhook event (`payment_intent.succeeded`, `charge.refunded`, ...) around an object."""
    obj = fixture("event")
    obj.update(
        id=new_id("evt"),
        type=event_type,
        created=created,
        api_version=API_VERSION,
        data={"object": copy.deepcopy(data_object)},
        livemode=False,
        pending_webhooks=1,
        request={"id": None, "idempotency_key": None},
    )
    return obj
