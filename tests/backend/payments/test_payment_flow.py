"""Paying an order: starting a Stripe payment (PaymentIntent in CNY fen), resuming it, who
may pay, syncing from the provider, the demo gateway (same path as a Stripe event), the
system check, and the GraphQL mutations. Stripe is the real SDK against tests/stripe_server.
"""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from graphql_relay import to_global_id

from alliance.core.checks import check_demo_mode
from alliance.core.errors import NotFound
from alliance.inventory.models import Allocation
from alliance.orders.models import Order, OrderStatus, PaymentStatus
from alliance.orders.services import order_set_status
from alliance.payments.checks import check_demo_gateway
from alliance.payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid
from alliance.payments.flow import (
    APPLIED,
    DUPLICATE,
    IGNORED,
    DemoGatewayUnavailable,
    OrderNotPayable,
    order_payment_start,
    payment_sync_from_provider,
)
from alliance.payments.gateways.demo import demo_pay
from alliance.payments.models import Gateway, Payment, PaymentState, WebhookEvent
from tests.backend.factories.accounts import consumer, staff
from tests.backend.payments.helpers import RETURN_URL, TOTAL, TOTAL_FEN, unpaid_order

pytestmark = pytest.mark.django_db

PI_PATH = "/v1/payment_intents"


def start(order: Order, user, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("gateway", Gateway.STRIPE)
    kwargs.setdefault("return_url", RETURN_URL)
    return order_payment_start(order=order, user=user, **kwargs)


def state(order: Order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.status, order.payment_status


@pytest.fixture
def buyer():
    return consumer()


@pytest.fixture
def order(buyer):
    return unpaid_order(buyer)


@pytest.fixture
def demo_settings(settings):
    settings.DEMO_MODE = True
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    return settings


# --- starting a Stripe payment ----------------------------------------------------------------


def test_start_creates_a_payment_intent_in_fen_cny_for_card_alipay_and_wechat(
    stripe_server, order, buyer
):
    started = start(order, buyer)

    payment = Payment.objects.get(order=order)
    assert started.payment.pk == payment.pk
    assert payment.gateway == Gateway.STRIPE
    assert payment.amount == TOTAL
    assert payment.status == PaymentState.PENDING
    assert payment.psp_reference in stripe_server.payment_intents
    assert started.client_secret.startswith(f"{payment.psp_reference}_secret_")
    assert started.publishable_key == "pk_test_local_stripe_server"
    [sent] = stripe_server.requests_to("POST", PI_PATH)
    assert sent.status == 200
    assert sent.idempotency_key == f"order:{order.pk}:payment-intent"
    assert sent.params["amount"] == str(TOTAL_FEN)
    assert sent.params["currency"] == "cny"
    assert sent.params["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert sent.params["metadata"]["order_number"] == order.number
    assert sent.params["metadata"]["payment_id"] == str(payment.pk)
    assert state(order) == (OrderStatus.UNCONFIRMED, PaymentStatus.PENDING)


def test_starting_again_resumes_the_same_payment_and_intent(stripe_server, order, buyer):
    first = start(order, buyer)
    again = start(order, buyer)

    assert again.payment.pk == first.payment.pk
    assert again.client_secret == first.client_secret
    assert Payment.objects.filter(order=order).count() == 1
    assert len(stripe_server.requests_to("POST", PI_PATH)) == 1
    assert len(stripe_server.payment_intents) == 1


def test_a_provider_failure_keeps_the_payment_and_the_retry_sends_the_same_request(
    stripe_server, order, buyer
):
    stripe_server.fail_next(3, status=500)  # the SDK tries 3 times
    with pytest.raises(PaymentProviderUnavailable):
        start(order, buyer)
    kept = Payment.objects.get(order=order)
    assert kept.psp_reference is None
    assert stripe_server.payment_intents == {}

    started = start(order, buyer)

    assert started.payment.pk == kept.pk
    assert Payment.objects.filter(order=order).count() == 1
    sent = stripe_server.requests_to("POST", PI_PATH)
    assert [r.status for r in sent] == [500, 500, 500, 200]
    assert {r.idempotency_key for r in sent} == {f"order:{order.pk}:payment-intent"}
    assert sent[-1].params["metadata"]["payment_id"] == str(kept.pk)
    assert Payment.objects.get(pk=kept.pk).psp_reference in stripe_server.payment_intents


def test_someone_else_cannot_start_paying_an_order(stripe_server, order):
    with pytest.raises(NotFound):
        start(order, consumer())
    with pytest.raises(NotFound):
        start(order, None)

    assert not Payment.objects.filter(order=order).exists()
    assert stripe_server.requests == []


def test_staff_may_start_the_payment_of_a_buyer(stripe_server, order):
    assert start(order, staff()).payment.order_id == order.pk


def test_an_anonymous_order_is_paid_with_the_checkout_token_that_made_it(stripe_server):
    order = unpaid_order(None)
    with pytest.raises(NotFound):
        start(order, None)
    with pytest.raises(NotFound):
        start(order, consumer(), checkout_token="00000000-0000-0000-0000-000000000000")
    assert not Payment.objects.filter(order=order).exists()

    started = start(order, None, checkout_token=str(order.checkout_token))

    assert started.payment.order_id == order.pk


def test_an_order_that_is_not_waiting_for_payment_is_refused(stripe_server, order, buyer):
    order_set_status(order=order, status=OrderStatus.CANCELLED)

    with pytest.raises(OrderNotPayable):
        start(order, buyer)

    assert not Payment.objects.filter(order=order).exists()
    assert stripe_server.requests == []


def test_a_bad_return_url_is_refused_before_anything_is_written(stripe_server, order, buyer):
    for url in (None, "", "/orders/1/", "javascript:alert(1)"):
        with pytest.raises(PaymentRequestInvalid):
            start(order, buyer, return_url=url)

    assert not Payment.objects.filter(order=order).exists()
    assert stripe_server.requests == []


# --- sync from the provider -------------------------------------------------------------------


def test_sync_from_the_provider_pays_the_order_through_the_event_path(stripe_server, order, buyer):
    payment = start(order, buyer).payment
    assert payment_sync_from_provider(payment) == IGNORED  # not paid yet: nothing recorded
    assert not WebhookEvent.objects.exists()
    stripe_server.succeed_payment_intent(payment.psp_reference)

    assert payment_sync_from_provider(payment) == APPLIED
    assert payment_sync_from_provider(payment) == DUPLICATE

    payment.refresh_from_db()
    assert payment.status == PaymentState.CAPTURED
    assert payment.captured_amount == TOTAL
    assert state(order) == (OrderStatus.UNFULFILLED, PaymentStatus.FULLY_CHARGED)
    [recorded] = WebhookEvent.objects.all()
    assert recorded.event_id == f"sync:{payment.psp_reference}:succeeded"
    assert recorded.processed_at is not None
    # paid, not yet fulfilled: the stock stays allocated to the lines
    assert Allocation.objects.filter(
        reference__in=[line.allocation_reference for line in order.lines.all()]
    ).exists()


# --- the demo gateway -------------------------------------------------------------------------


def test_the_demo_gateway_pays_through_the_same_event_path(demo_settings, order, buyer):
    started = start(order, buyer, gateway=Gateway.DEMO, return_url=None)
    assert started.client_secret is None

    assert demo_pay(order) == APPLIED

    payment = Payment.objects.get(order=order)
    assert payment.pk == started.payment.pk
    assert payment.gateway == Gateway.DEMO
    assert payment.status == PaymentState.CAPTURED
    assert payment.captured_amount == TOTAL
    assert payment.psp_reference == f"demo_pi_{payment.pk}"
    [recorded] = WebhookEvent.objects.all()
    assert recorded.gateway == Gateway.DEMO
    assert recorded.type == "payment_intent.succeeded"
    assert recorded.payload["data"]["object"]["amount_received"] == TOTAL_FEN
    assert state(order) == (OrderStatus.UNFULFILLED, PaymentStatus.FULLY_CHARGED)
    with pytest.raises(OrderNotPayable):  # paid: nothing left to pay
        demo_pay(order)


@pytest.mark.parametrize(
    ("demo_mode", "debug", "stripe_key"),
    [(False, True, ""), (True, True, "sk_test_real"), (True, False, "")],
    ids=["demo-mode-off", "stripe-key-set", "debug-off"],
)
def test_the_demo_gateway_is_refused_outside_the_offline_demo(
    settings, order, buyer, demo_mode, debug, stripe_key
):
    settings.DEMO_MODE, settings.DEBUG, settings.STRIPE_SECRET_KEY = demo_mode, debug, stripe_key

    with pytest.raises(DemoGatewayUnavailable):
        start(order, buyer, gateway=Gateway.DEMO)
    with pytest.raises(DemoGatewayUnavailable):
        demo_pay(order)

    assert not Payment.objects.filter(order=order).exists()
    assert not WebhookEvent.objects.exists()
    assert state(order) == (OrderStatus.UNCONFIRMED, PaymentStatus.NOT_CHARGED)


def test_system_checks_refuse_demo_mode_with_a_stripe_key_or_without_debug(settings):
    settings.DEMO_MODE, settings.DEBUG, settings.STRIPE_SECRET_KEY = True, True, ""
    assert check_demo_gateway(None) == []
    assert check_demo_mode(None) == []

    settings.STRIPE_SECRET_KEY = "sk_live_x"
    assert [e.id for e in check_demo_gateway(None)] == ["payments.E001"]
    assert "payments.E001" in {e.id for e in run_checks(tags=["security"])}  # registered

    settings.DEMO_MODE = False
    assert check_demo_gateway(None) == []

    settings.DEMO_MODE, settings.DEBUG, settings.STRIPE_SECRET_KEY = True, False, ""
    assert check_demo_gateway(None) == []  # that case is alliance.E001's, not repeated
    assert [e.id for e in check_demo_mode(None)] == ["alliance.E001"]


# --- GraphQL ------------------------------------------------------------------------------------

CREATE = """
mutation($order: ID!, $gateway: OrderPaymentGateway!, $returnUrl: String, $token: UUID) {
  orderPaymentCreate(order: $order, gateway: $gateway, returnUrl: $returnUrl, token: $token) {
    payment { id gateway status amount { amount currency } }
    clientSecret publishableKey
    errors { field code message }
  }
}
"""
DEMO_CONFIRM = """
mutation($payment: ID!, $token: UUID) {
  orderPaymentDemoConfirm(payment: $payment, token: $token) {
    order { number status paymentStatus }
    errors { field code }
  }
}
"""
SYNC = """
mutation($payment: ID!) {
  orderPaymentSync(payment: $payment) {
    payment { status capturedAmount { amount } }
    order { status paymentStatus }
    errors { field code }
  }
}
"""


def order_id(order: Order) -> str:
    return to_global_id("Order", order.pk)


def test_order_payment_create_gives_the_client_secret_to_the_buyer(
    gql, stripe_server, order, buyer
):
    data = gql.as_user(buyer).data(
        CREATE, {"order": order_id(order), "gateway": "STRIPE", "returnUrl": RETURN_URL}
    )["orderPaymentCreate"]

    assert data["errors"] == []
    payment = Payment.objects.get(order=order)
    assert data["payment"]["gateway"] == "STRIPE"
    assert data["payment"]["status"] == "PENDING"
    assert data["payment"]["amount"] == {"amount": "112.00", "currency": "CNY"}
    assert data["clientSecret"].startswith(f"{payment.psp_reference}_secret_")
    assert data["publishableKey"] == "pk_test_local_stripe_server"

    synced = gql.data(SYNC, {"payment": data["payment"]["id"]})["orderPaymentSync"]
    assert synced["errors"] == []
    assert synced["payment"]["status"] == "PENDING"
    stripe_server.succeed_payment_intent(payment.psp_reference)
    synced = gql.data(SYNC, {"payment": data["payment"]["id"]})["orderPaymentSync"]
    assert synced["payment"] == {"status": "CAPTURED", "capturedAmount": {"amount": "112.00"}}
    assert synced["order"] == {"status": "UNFULFILLED", "paymentStatus": "FULLY_CHARGED"}


def test_order_payment_create_answers_not_found_to_another_user(gql, stripe_server, order):
    data = gql.as_user(consumer()).data(
        CREATE, {"order": order_id(order), "gateway": "STRIPE", "returnUrl": RETURN_URL}
    )["orderPaymentCreate"]

    assert data["payment"] is None
    assert [(e["code"], e["field"]) for e in data["errors"]] == [("NOT_FOUND", "order")]
    assert not Payment.objects.exists()
    assert stripe_server.requests == []


def test_demo_payment_through_graphql_for_an_anonymous_order(gql, demo_settings):
    order = unpaid_order(None)
    token = str(order.checkout_token)
    created = gql.data(CREATE, {"order": order_id(order), "gateway": "DEMO", "token": token})[
        "orderPaymentCreate"
    ]
    assert created["errors"] == []
    assert created["clientSecret"] is None
    payment_id = created["payment"]["id"]

    refused = gql.data(DEMO_CONFIRM, {"payment": payment_id})["orderPaymentDemoConfirm"]
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]  # no token
    assert state(order) == (OrderStatus.UNCONFIRMED, PaymentStatus.PENDING)

    paid = gql.data(DEMO_CONFIRM, {"payment": payment_id, "token": token})[
        "orderPaymentDemoConfirm"
    ]
    assert paid["errors"] == []
    assert paid["order"]["status"] == "UNFULFILLED"
    assert paid["order"]["paymentStatus"] == "FULLY_CHARGED"


def test_demo_confirm_is_refused_when_a_stripe_key_is_set(gql, demo_settings, order, buyer):
    created = gql.as_user(buyer).data(CREATE, {"order": order_id(order), "gateway": "DEMO"})
    payment_id = created["orderPaymentCreate"]["payment"]["id"]
    demo_settings.STRIPE_SECRET_KEY = "sk_test_now_configured"

    data = gql.data(DEMO_CONFIRM, {"payment": payment_id})["orderPaymentDemoConfirm"]

    assert [e["code"] for e in data["errors"]] == ["DEMO_GATEWAY_UNAVAILABLE"]
    assert Payment.objects.get(order=order).status == PaymentState.PENDING
    assert not WebhookEvent.objects.exists()
    assert state(order) == (OrderStatus.UNCONFIRMED, PaymentStatus.PENDING)
