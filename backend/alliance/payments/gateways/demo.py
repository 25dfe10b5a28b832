"""The demo gateway: the storefront's whole payment flow on a machine without internet.

Available only when demo mode is on, DEBUG is on and no Stripe key is set
(`alliance.payments.flow.demo_gateway_available`; the system checks alliance.E001 and
payments.E001 refuse the other combinations at start-up). `demo_pay` does not write a
payment itself: it builds the event Stripe would send (`payment_intent.succeeded`, amount
in fen, CNY, our payment id in the metadata) and hands it to
`alliance.payments.flow.payment_apply_event`, the very path of a verified Stripe webhook.
"""

from __future__ import annotations

import time

from alliance.core.money import to_fen
from alliance.orders.models import Order
from alliance.payments.flow import (
    DemoGatewayUnavailable,
    demo_gateway_available,
    payment_apply_event,
    pending_payment,
)
from alliance.payments.models import Gateway, Payment


def demo_event(payment: Payment, order_number: str) -> dict[str, object]:
    """The `payment_intent.succeeded` event Stripe would send for `payment`."""
    fen = to_fen(payment.amount)
    intent_id = f"demo_pi_{payment.pk}"
    return {
        "id": f"demo_evt_{payment.pk}_succeeded",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": fen,
                "amount_received": fen,
                "currency": payment.currency.lower(),
                "status": "succeeded",
                "metadata": {"order_number": order_number, "payment_id": str(payment.pk)},
            }
        },
    }


def demo_pay(order: Order) -> str:
    """Pay `order` with the demo gateway (its pending demo payment, made if missing).
    Returns the outcome of payment_apply_event (APPLIED, or DUPLICATE when paid before)."""
    if not demo_gateway_available():
        raise DemoGatewayUnavailable(
            "The demo gateway is only available in demo mode without Stripe.", field="gateway"
        )
    payment = pending_payment(order.pk, Gateway.DEMO)
    return payment_apply_event(event=demo_event(payment, order.number), gateway=Gateway.DEMO)
