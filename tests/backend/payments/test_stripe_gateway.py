"""The Stripe gateway through the real `stripe` SDK against the local Stripe server.

The server (tests/stripe_server) answers from Stripe's published fixtures and checks each
request against the installed SDK's `stripe.params` TypedDicts; `server.requests` is what
reached "Stripe".
"""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stripe

from alliance.payments import errors
from alliance.payments.gateways import stripe as gateway
from tests.stripe_server import StripeServer, event_body, sign

PI_PATH = "/v1/payment_intents"


def _create(key: str = "order:7:payment-intent", amount: str = "123.45"):
    return gateway.create_payment_intent(
        amount=Decimal(amount),
        order_reference="AM-000007",
        idempotency_key=key,
        return_url="https://shop.example.com/orders/AM-000007/",
        metadata={"order_id": "7"},
    )


def _paid_intent(server: StripeServer, amount: str, key: str) -> str:
    result = _create(key=key, amount=amount)
    server.succeed_payment_intent(result.id)
    return result.id


# --- PaymentIntent create / retrieve ---------------------------------------------------------


def test_create_payment_intent_sends_fen_cny_and_the_allowed_wallets(stripe_server):
    result = _create()

    assert result.amount == Decimal("123.45")
    assert result.currency == "CNY"
    assert result.status == "requires_payment_method"
    assert result.client_secret.startswith(f"{result.id}_secret_")
    assert result.return_url == "https://shop.example.com/orders/AM-000007/"
    assert result.metadata == {"order_id": "7", "order": "AM-000007"}
    [sent] = stripe_server.requests_to("POST", PI_PATH)
    assert sent.status == 200
    assert sent.idempotency_key == "order:7:payment-intent"
    assert sent.params["amount"] == "12345"
    assert sent.params["currency"] == "cny"
    assert sent.params["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert sent.params["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert "payment_method_types" not in sent.params
    assert "return_url" not in sent.params  # Stripe refuses it without confirm=true
    stored = stripe_server.payment_intents[result.id]
    assert stored["object"] == "payment_intent"
    assert stored["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]


def test_retrieve_payment_intent_reads_the_current_state(stripe_server):
    created = _create()
    stripe_server.succeed_payment_intent(created.id)

    result = gateway.retrieve_payment_intent(created.id)

    assert result.id == created.id
    assert result.status == "succeeded"
    assert result.amount == Decimal("123.45")
    assert result.latest_charge in stripe_server.charges


def test_retrieve_unknown_payment_intent_is_not_found(stripe_server):
    with pytest.raises(errors.PaymentNotFound) as caught:
        gateway.retrieve_payment_intent("pi_doesnotexist")

    assert caught.value.code == "PAYMENT_NOT_FOUND"
    assert caught.value.http_status == 404


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005"])
def test_invalid_amount_is_refused_before_any_request(stripe_server, amount):
    with pytest.raises(errors.InvalidPaymentAmount) as caught:
        _create(amount=amount)

    assert caught.value.code == "INVALID_AMOUNT"
    assert stripe_server.requests == []


def test_relative_return_url_is_refused_before_any_request(stripe_server):
    with pytest.raises(errors.PaymentRequestInvalid) as caught:
        gateway.create_payment_intent(
            amount=Decimal("10.00"),
            order_reference="AM-1",
            idempotency_key="order:1:payment-intent",
            return_url="/orders/AM-1/",
            metadata={},
        )

    assert caught.value.code == "PAYMENT_REQUEST_INVALID"
    assert stripe_server.requests == []


# --- the server validates against the SDK's own stripe.params --------------------------------


def _raw_client(server: StripeServer) -> stripe.StripeClient:
    return stripe.StripeClient(server.api_key, base_addresses={"api": server.url})


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"payment_method_types": ["card"]}, "payment_method_types", "parameter_unknown"),
        (
            {"payment_method_options": {"wechat_pay": {"client": "desktop"}}},
            "payment_method_options[wechat_pay][client]",
            "parameter_invalid",
        ),
        (
            {"payment_method_options": {"wechat_pay": {"channel": "web"}}},
            "payment_method_options[wechat_pay][channel]",
            "parameter_unknown",
        ),
        (
            {"allowed_payment_method_types": ["card", "unionpay"]},
            "allowed_payment_method_types[1]",
            "parameter_invalid",
        ),
        ({"amount": "12.34"}, "amount", "parameter_invalid_integer"),
        (
            {
                "allowed_payment_method_types": ["card"],
                "automatic_payment_methods": {"enabled": True},
            },
            "allowed_payment_method_types",
            "parameters_exclusive",
        ),
        ({"return_url": "https://shop.example.com/"}, "return_url", None),
    ],
)
def test_server_refuses_what_the_sdk_api_version_refuses(stripe_server, extra, param, code):
    params = {"amount": 1000, "currency": "cny", **extra}

    with pytest.raises(stripe.InvalidRequestError) as caught:
        _raw_client(stripe_server).v1.payment_intents.create(params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert caught.value.code == code
    assert stripe_server.payment_intents == {}


def test_server_refuses_a_missing_required_parameter(stripe_server):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _raw_client(stripe_server).v1.payment_intents.create({"currency": "cny"})  # type: ignore[typeddict-item]

    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "amount"
    assert stripe_server.payment_intents == {}


def test_server_refuses_a_wrong_api_key(stripe_server, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"

    with pytest.raises(errors.PaymentProviderNotConfigured) as caught:
        _create()

    assert caught.value.http_status == 401
    assert stripe_server.payment_intents == {}


def test_missing_secret_key_fails_before_any_request(stripe_server, settings):
    settings.STRIPE_SECRET_KEY = None

    with pytest.raises(errors.PaymentProviderNotConfigured) as caught:
        _create()

    assert caught.value.code == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    assert stripe_server.requests == []


# --- idempotency ---------------------------------------------------------------------------


def test_same_idempotency_key_replays_the_same_payment_intent(stripe_server):
    first = _create(key="order:8:payment-intent")
    second = _create(key="order:8:payment-intent")

    assert second.id == first.id
    assert second.client_secret == first.client_secret
    assert len(stripe_server.payment_intents) == 1
    sent = stripe_server.requests_to("POST", PI_PATH)
    assert [r.replayed for r in sent] == [False, True]
    assert {r.idempotency_key for r in sent} == {"order:8:payment-intent"}


def test_same_idempotency_key_with_other_parameters_is_a_conflict(stripe_server):
    first = _create(key="order:9:payment-intent", amount="10.00")

    with pytest.raises(errors.PaymentIdempotencyConflict) as caught:
        _create(key="order:9:payment-intent", amount="11.00")

    assert caught.value.code == "PAYMENT_IDEMPOTENCY_CONFLICT"
    assert list(stripe_server.payment_intents) == [first.id]
    assert stripe_server.payment_intents[first.id]["amount"] == 1000


def test_different_keys_make_different_payment_intents(stripe_server):
    a = _create(key="order:10:payment-intent")
    b = _create(key="order:11:payment-intent")

    assert a.id != b.id
    assert len(stripe_server.payment_intents) == 2


# --- provider failures and the SDK's retries -----------------------------------------------


def test_a_500_is_retried_with_the_same_key_and_succeeds(stripe_server):
    stripe_server.fail_next(1, status=500)

    result = _create(key="order:12:payment-intent")

    sent = stripe_server.requests_to("POST", PI_PATH)
    assert [(r.status, r.injected) for r in sent] == [(500, True), (200, False)]
    assert [r.idempotency_key for r in sent] == ["order:12:payment-intent"] * 2
    assert list(stripe_server.payment_intents) == [result.id]


def test_500s_beyond_the_retries_are_provider_unavailable(stripe_server):
    stripe_server.fail_next(3, status=500)

    with pytest.raises(errors.PaymentProviderUnavailable) as caught:
        _create()

    assert caught.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert caught.value.http_status == 500
    assert len(stripe_server.requests_to("POST", PI_PATH)) == 1 + gateway.MAX_NETWORK_RETRIES
    assert stripe_server.payment_intents == {}


def test_a_rate_limit_429_is_provider_unavailable_without_retry(stripe_server):
    stripe_server.fail_next(1, status=429)

    with pytest.raises(errors.PaymentProviderUnavailable) as caught:
        _create()

    assert caught.value.http_status == 429
    assert caught.value.provider_code == "rate_limit"
    # stripe-python retries 409/5xx and what Stripe marks Stripe-Should-Retry: true only.
    assert len(stripe_server.requests_to("POST", PI_PATH)) == 1
    assert stripe_server.payment_intents == {}


def test_a_429_marked_retryable_is_retried_and_succeeds(stripe_server):
    stripe_server.fail_next(1, status=429, should_retry=True)

    result = _create(key="order:13:payment-intent")

    sent = stripe_server.requests_to("POST", PI_PATH)
    assert [r.status for r in sent] == [429, 200]
    assert [r.idempotency_key for r in sent] == ["order:13:payment-intent"] * 2
    assert list(stripe_server.payment_intents) == [result.id]


def test_card_declined_is_payment_declined(stripe_server):
    stripe_server.fail_next(1, status=402)

    with pytest.raises(errors.PaymentDeclined) as caught:
        _create()

    assert caught.value.code == "PAYMENT_DECLINED"
    assert caught.value.decline_code == "generic_decline"
    assert caught.value.provider_code == "card_declined"
    assert len(stripe_server.requests_to("POST", PI_PATH)) == 1  # a decline is not retried
    assert stripe_server.payment_intents == {}


def test_connection_refused_is_provider_unavailable(stripe_server, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"  # nothing listens there now

    with pytest.raises(errors.PaymentProviderUnavailable) as caught:
        _create()

    assert caught.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert stripe_server.requests == []


# --- refunds ---------------------------------------------------------------------------------


def test_full_refund(stripe_server):
    pi_id = _paid_intent(stripe_server, "88.80", "order:20:payment-intent")

    refund = gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("88.80"), idempotency_key="refund:1"
    )

    assert refund.amount == Decimal("88.80")
    assert refund.currency == "CNY"
    assert refund.status == "succeeded"
    assert refund.payment_intent_id == pi_id
    charge = stripe_server.charges[refund.charge_id]
    assert charge["amount_refunded"] == 8880
    assert charge["refunded"] is True
    [sent] = stripe_server.requests_to("POST", "/v1/refunds")
    assert sent.params == {
        "payment_intent": pi_id,
        "amount": "8880",
        "reason": "requested_by_customer",
    }
    assert sent.idempotency_key == "refund:1"


def test_partial_refunds_then_over_refund_is_refused(stripe_server):
    pi_id = _paid_intent(stripe_server, "100.00", "order:21:payment-intent")

    first = gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("30.00"), idempotency_key="refund:2"
    )
    second = gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("69.99"), idempotency_key="refund:3"
    )
    with pytest.raises(errors.RefundExceedsCaptured) as caught:
        gateway.create_refund(
            payment_intent_id=pi_id, amount=Decimal("0.02"), idempotency_key="refund:4"
        )

    assert (first.amount, second.amount) == (Decimal("30.00"), Decimal("69.99"))
    assert caught.value.code == "REFUND_EXCEEDS_CAPTURED"
    assert caught.value.field == "amount"
    assert len(stripe_server.refunds) == 2
    charge = stripe_server.charges[first.charge_id]
    assert charge["amount_refunded"] == 9999
    assert charge["refunded"] is False


def test_refund_larger_than_the_payment_is_refused(stripe_server):
    pi_id = _paid_intent(stripe_server, "50.00", "order:22:payment-intent")

    with pytest.raises(errors.RefundExceedsCaptured):
        gateway.create_refund(
            payment_intent_id=pi_id, amount=Decimal("50.01"), idempotency_key="refund:5"
        )

    assert stripe_server.refunds == {}


def test_refund_with_a_repeated_key_refunds_once(stripe_server):
    pi_id = _paid_intent(stripe_server, "40.00", "order:23:payment-intent")

    a = gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("10.00"), idempotency_key="refund:6"
    )
    b = gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("10.00"), idempotency_key="refund:6"
    )

    assert a.id == b.id
    assert len(stripe_server.refunds) == 1
    assert stripe_server.charges[a.charge_id]["amount_refunded"] == 1000


def test_refund_of_an_unpaid_intent_is_refused(stripe_server):
    pending = _create(key="order:24:payment-intent")

    with pytest.raises(errors.PaymentRequestInvalid) as caught:
        gateway.create_refund(
            payment_intent_id=pending.id, amount=Decimal("1.00"), idempotency_key="refund:7"
        )

    assert caught.value.provider_code == "payment_intent_unexpected_state"
    assert stripe_server.refunds == {}


# --- balance transactions ------------------------------------------------------------------


def test_balance_transactions_in_a_window_across_pages(stripe_server):
    base = int(time.time()) - 7200
    inside = []
    for i in range(gateway.PAGE_SIZE + 5):
        pi = _create(key=f"order:{100 + i}:payment-intent", amount="10.00")
        stripe_server.succeed_payment_intent(pi.id, at=base + i)
        inside.append(pi.id)
    before = _create(key="order:900:payment-intent")
    stripe_server.succeed_payment_intent(before.id, at=base - 1)
    at_end = _create(key="order:901:payment-intent")
    stripe_server.succeed_payment_intent(at_end.id, at=base + 1000)

    rows = gateway.list_balance_transactions(
        created_gte=datetime.fromtimestamp(base, tz=UTC),
        created_lt=datetime.fromtimestamp(base + 1000, tz=UTC),
    )

    assert len(rows) == gateway.PAGE_SIZE + 5
    charge_of = {pi: stripe_server.payment_intents[pi]["latest_charge"] for pi in inside}
    assert {r.source for r in rows} == set(charge_of.values())
    assert all(r.type == "charge" and r.currency == "CNY" for r in rows)
    assert rows[0].amount == Decimal("10.00")
    assert rows[0].fee == Decimal("0.30")
    assert rows[0].net == Decimal("9.70")
    assert rows[0].created == datetime.fromtimestamp(base + gateway.PAGE_SIZE + 4, tz=UTC)
    pages = stripe_server.requests_to("GET", "/v1/balance_transactions")
    assert len(pages) == 2
    assert "starting_after" not in pages[0].params
    assert pages[1].params["starting_after"] == rows[gateway.PAGE_SIZE - 1].id


def test_balance_transactions_include_refunds_as_negative(stripe_server):
    pi_id = _paid_intent(stripe_server, "20.00", "order:30:payment-intent")
    gateway.create_refund(
        payment_intent_id=pi_id, amount=Decimal("5.00"), idempotency_key="refund:8"
    )
    now = int(time.time())

    rows = gateway.list_balance_transactions(
        created_gte=datetime.fromtimestamp(now - 60, tz=UTC),
        created_lt=datetime.fromtimestamp(now + 60, tz=UTC),
    )

    by_type = {r.type: r for r in rows}
    assert set(by_type) == {"charge", "refund"}
    assert by_type["refund"].amount == Decimal("-5.00")
    assert by_type["charge"].net == Decimal("19.40")


# --- webhooks --------------------------------------------------------------------------------

SECRET = "whsec_local_stripe_server"


def _succeeded_event() -> bytes:
    return event_body(
        "payment_intent.succeeded",
        {"id": "pi_test123", "object": "payment_intent", "amount": 12345, "currency": "cny"},
    )


def test_webhook_with_a_good_signature_is_accepted(stripe_server):
    body = _succeeded_event()

    event = gateway.verify_webhook(body, sign(body, SECRET))

    assert event.type == "payment_intent.succeeded"
    assert event.id == json.loads(body)["id"]
    assert event.data_object["id"] == "pi_test123"
    assert event.created.tzinfo is not None


def test_webhook_just_inside_the_tolerance_is_accepted(stripe_server):
    body = _succeeded_event()

    event = gateway.verify_webhook(body, sign(body, SECRET, timestamp=int(time.time()) - 290))

    assert event.type == "payment_intent.succeeded"


@pytest.mark.parametrize("case", ["forged", "stale", "wrong_secret", "missing", "garbage"])
def test_webhook_with_a_bad_signature_is_refused(stripe_server, case):
    body = _succeeded_event()
    header = sign(body, SECRET)
    if case == "forged":
        body = body.replace(b"12345", b"1")  # amount changed after signing
    elif case == "stale":
        header = sign(body, SECRET, timestamp=int(time.time()) - 301)
    elif case == "wrong_secret":
        header = sign(body, "whsec_someone_else")
    elif case == "missing":
        header = ""
    else:
        header = "t=abc,v0=zzz"

    with pytest.raises(errors.InvalidSignature) as caught:
        gateway.verify_webhook(body, header)

    assert caught.value.code == "INVALID_SIGNATURE"


def test_webhook_signed_but_not_an_event_is_refused(stripe_server):
    body = b'{"not": "an event"}'

    with pytest.raises(errors.InvalidWebhookPayload) as caught:
        gateway.verify_webhook(body, sign(body, SECRET))

    assert caught.value.code == "INVALID_PAYLOAD"


def test_webhook_without_a_configured_secret_is_refused(stripe_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = None
    body = _succeeded_event()

    with pytest.raises(errors.PaymentProviderNotConfigured):
        gateway.verify_webhook(body, sign(body, SECRET))
