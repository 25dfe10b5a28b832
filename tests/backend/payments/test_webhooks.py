"""POST /webhooks/stripe/ with payloads signed exactly as Stripe signs them: the order is
paid only by a verified event, each event is applied once (replays, 50 concurrent
deliveries), out-of-order events end in the same state, and forged, stale or mismatched
events change nothing."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from alliance.inventory.models import Allocation
from alliance.orders.models import Order, OrderStatus, PaymentStatus
from alliance.payments.flow import order_payment_start
from alliance.payments.gateways import stripe as gateway
from alliance.payments.models import PaymentState, Refund, WebhookEvent
from tests.backend.payments.helpers import (
    RETURN_URL,
    TOTAL,
    TOTAL_FEN,
    deliver,
    event,
    now,
    signed,
    unpaid_order,
    with_fields,
)
from tests.stripe_server import StripeServer


def started(server: StripeServer) -> tuple[Order, dict[str, Any]]:
    """An unpaid order with its Stripe payment started; the PaymentIntent as Stripe holds it."""
    order = unpaid_order(None)
    payment = order_payment_start(
        order=order,
        user=None,
        gateway="stripe",
        return_url=RETURN_URL,
        checkout_token=order.checkout_token,
    ).payment
    return order, server.payment_intents[payment.psp_reference]


def paid_intent(server: StripeServer, pi: dict[str, Any]) -> dict[str, Any]:
    return with_fields(server.succeed_payment_intent(pi["id"]))


def snapshot(order: Order) -> tuple[Any, ...]:
    order.refresh_from_db()
    payment = order.payments.get()
    return (
        order.status,
        order.payment_status,
        payment.status,
        payment.captured_amount,
        payment.refunded_amount,
        Refund.objects.filter(payment=payment).count(),
    )


UNPAID = (
    OrderStatus.UNCONFIRMED,
    PaymentStatus.PENDING,
    PaymentState.PENDING,
    Decimal("0.00"),
    Decimal("0.00"),
    0,
)


def allocated(order: Order) -> int:
    references = [line.allocation_reference for line in order.lines.all()]
    return sum(a.quantity for a in Allocation.objects.filter(reference__in=references))


@pytest.mark.django_db
class TestWebhook:
    def test_a_signed_succeeded_event_pays_the_order(self, client, stripe_server):
        order, pi = started(stripe_server)
        assert pi["amount"] == TOTAL_FEN and pi["currency"] == "cny"
        assert pi["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
        assert snapshot(order) == UNPAID

        status, body = deliver(
            client, event("payment_intent.succeeded", paid_intent(stripe_server, pi))
        )

        assert (status, body) == (200, {"received": True, "outcome": "applied"})
        assert snapshot(order) == (
            OrderStatus.UNFULFILLED,
            PaymentStatus.FULLY_CHARGED,
            PaymentState.CAPTURED,
            TOTAL,
            Decimal("0.00"),
            0,
        )
        assert allocated(order) == 2  # reserved until fulfilment
        [recorded] = WebhookEvent.objects.all()
        assert recorded.type == "payment_intent.succeeded"
        assert recorded.processed_at is not None

    def test_a_replayed_event_changes_nothing(self, client, stripe_server):
        order, pi = started(stripe_server)
        body = event("payment_intent.succeeded", paid_intent(stripe_server, pi))
        deliver(client, body)
        after_first = snapshot(order)

        for _ in range(3):
            assert deliver(client, body) == (200, {"received": True, "outcome": "duplicate"})

        assert snapshot(order) == after_first
        assert WebhookEvent.objects.count() == 1

    @pytest.mark.parametrize(
        "signature",
        [
            pytest.param(lambda body: signed(body, timestamp=now() - 301), id="stale"),
            pytest.param(lambda body: signed(body, secret="whsec_attacker"), id="other-secret"),
            pytest.param(lambda body: signed(body + b" "), id="body-changed-after-signing"),
            pytest.param(lambda body: "t=1,v1=" + "0" * 64, id="forged"),
            pytest.param(lambda body: "", id="missing"),
        ],
    )
    def test_stale_forged_or_missing_signatures_are_refused_and_nothing_stored(
        self, client, stripe_server, signature
    ):
        order, pi = started(stripe_server)
        body = event("payment_intent.succeeded", paid_intent(stripe_server, pi))

        status, answer = deliver(client, body, signature(body))

        assert (status, answer) == (400, {"error": "INVALID_SIGNATURE"})
        assert not WebhookEvent.objects.exists()
        assert snapshot(order) == UNPAID

    def test_a_signature_just_inside_the_tolerance_is_accepted(self, client, stripe_server):
        order, pi = started(stripe_server)
        body = event("payment_intent.succeeded", paid_intent(stripe_server, pi))

        assert deliver(client, body, signed(body, timestamp=now() - 290))[0] == 200
        assert snapshot(order)[0] == OrderStatus.UNFULFILLED

    def test_without_a_webhook_secret_nothing_is_stored(self, client, stripe_server, settings):
        order, pi = started(stripe_server)
        body = event("payment_intent.succeeded", paid_intent(stripe_server, pi))
        settings.STRIPE_WEBHOOK_SECRET = ""

        assert deliver(client, body)[0] == 503
        assert not WebhookEvent.objects.exists()
        assert snapshot(order) == UNPAID

    def test_only_post_is_accepted(self, client):
        assert client.get("/webhooks/stripe/").status_code == 405

    @pytest.mark.parametrize(
        "fields",
        [
            {"amount": TOTAL_FEN - 1, "amount_received": TOTAL_FEN - 1},
            {"amount": TOTAL_FEN + 100, "amount_received": TOTAL_FEN + 100},
            {"currency": "usd"},
            {"currency": "hkd"},
        ],
        ids=["short", "more", "usd", "hkd"],
    )
    def test_a_wrong_amount_or_currency_is_rejected_and_changes_nothing(
        self, client, stripe_server, fields
    ):
        order, pi = started(stripe_server)
        wrong = with_fields(paid_intent(stripe_server, pi), **fields)

        status, answer = deliver(client, event("payment_intent.succeeded", wrong))

        assert (status, answer) == (200, {"received": True, "outcome": "rejected"})
        assert snapshot(order) == UNPAID
        [recorded] = WebhookEvent.objects.all()
        assert recorded.processed_at is None  # recorded, not applied: for a person to see

    def test_events_of_other_types_or_unknown_intents_are_recorded_and_ignored(
        self, client, stripe_server
    ):
        order, pi = started(stripe_server)
        stranger = with_fields(pi, id="pi_not_ours", metadata={})

        assert deliver(client, event("customer.created", {"id": "cus_1"}))[1]["outcome"] == (
            "ignored"
        )
        assert deliver(client, event("payment_intent.succeeded", stranger))[1]["outcome"] == (
            "unmatched"
        )
        assert snapshot(order) == UNPAID
        assert WebhookEvent.objects.count() == 2

    def test_a_failed_attempt_keeps_the_stock_and_a_later_success_pays(self, client, stripe_server):
        order, pi = started(stripe_server)
        payment = order.payments.get()
        failed = with_fields(pi, status="requires_payment_method")
        processing = with_fields(pi, status="processing")

        assert deliver(client, event("payment_intent.payment_failed", failed))[1]["outcome"] == (
            "applied"
        )
        payment.refresh_from_db()
        assert payment.status == PaymentState.FAILED
        assert allocated(order) == 2
        assert snapshot(order)[:2] == (OrderStatus.UNCONFIRMED, PaymentStatus.NOT_CHARGED)

        deliver(client, event("payment_intent.processing", processing))
        payment.refresh_from_db()
        assert payment.status == PaymentState.PENDING

        deliver(client, event("payment_intent.succeeded", paid_intent(stripe_server, pi)))
        # a late failure of the earlier attempt does not undo the payment
        deliver(client, event("payment_intent.payment_failed", failed))
        assert snapshot(order)[:3] == (
            OrderStatus.UNFULFILLED,
            PaymentStatus.FULLY_CHARGED,
            PaymentState.CAPTURED,
        )

    @pytest.mark.parametrize(
        "ordering",
        list(itertools.permutations(["processing", "succeeded", "refunded"])),
        ids=lambda o: "-".join(o),
    )
    def test_every_ordering_of_processing_succeeded_refunded_ends_in_the_same_state(
        self, client, stripe_server, ordering
    ):
        order, pi = started(stripe_server)
        processing = with_fields(pi, status="processing")
        succeeded = paid_intent(stripe_server, pi)
        refund = gateway.create_refund(
            payment_intent_id=pi["id"], amount=TOTAL, idempotency_key="refund:test"
        )
        charge = with_fields(
            stripe_server.charges[succeeded["latest_charge"]],
            refunds={"object": "list", "data": [stripe_server.refunds[refund.id]]},
        )
        bodies = {
            "processing": event("payment_intent.processing", processing),
            "succeeded": event("payment_intent.succeeded", succeeded),
            "refunded": event("charge.refunded", charge),
        }

        answers = [deliver(client, bodies[name]) for name in ordering]

        assert all(status == 200 for status, _ in answers)
        assert snapshot(order) == (
            OrderStatus.UNFULFILLED,
            PaymentStatus.FULLY_REFUNDED,
            PaymentState.REFUNDED,
            TOTAL,
            TOTAL,
            1,
        )
        assert Refund.objects.get().psp_reference == refund.id
        assert WebhookEvent.objects.count() == 3
        assert not WebhookEvent.objects.filter(processed_at=None).exists()

    def test_a_refund_reported_twice_counts_once_and_partial_refunds_add_up(
        self, client, stripe_server
    ):
        order, pi = started(stripe_server)
        succeeded = paid_intent(stripe_server, pi)
        deliver(client, event("payment_intent.succeeded", succeeded))
        first = gateway.create_refund(
            payment_intent_id=pi["id"], amount=Decimal("30.00"), idempotency_key="refund:a"
        )
        second = gateway.create_refund(
            payment_intent_id=pi["id"], amount=Decimal("12.50"), idempotency_key="refund:b"
        )
        first_obj = stripe_server.refunds[first.id]
        charge = with_fields(
            stripe_server.charges[succeeded["latest_charge"]],
            refunds={"object": "list", "data": [first_obj]},
        )

        deliver(client, event("refund.created", first_obj))
        deliver(client, event("charge.refunded", charge))  # the same refund again
        deliver(client, event("refund.updated", first_obj))
        deliver(client, event("refund.created", stripe_server.refunds[second.id]))

        assert snapshot(order) == (
            OrderStatus.UNFULFILLED,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentState.PARTIALLY_REFUNDED,
            TOTAL,
            Decimal("42.50"),
            2,
        )

    def test_a_refund_before_the_capture_asks_stripe_for_the_intent(self, client, stripe_server):
        order, pi = started(stripe_server)
        paid_intent(stripe_server, pi)
        refund = gateway.create_refund(
            payment_intent_id=pi["id"], amount=Decimal("10.00"), idempotency_key="refund:early"
        )
        retrieves_before = len(stripe_server.requests_to("GET", f"/v1/payment_intents/{pi['id']}"))

        status, answer = deliver(client, event("refund.created", stripe_server.refunds[refund.id]))

        assert (status, answer["outcome"]) == (200, "applied")
        assert (
            len(stripe_server.requests_to("GET", f"/v1/payment_intents/{pi['id']}"))
            == retrieves_before + 1
        )
        assert snapshot(order) == (
            OrderStatus.UNFULFILLED,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentState.PARTIALLY_REFUNDED,
            TOTAL,
            Decimal("10.00"),
            1,
        )

    def test_a_refund_larger_than_the_capture_is_rejected(self, client, stripe_server):
        order, pi = started(stripe_server)
        deliver(client, event("payment_intent.succeeded", paid_intent(stripe_server, pi)))
        too_much = {
            "id": "re_forged",
            "object": "refund",
            "amount": TOTAL_FEN + 1,
            "currency": "cny",
            "status": "succeeded",
            "payment_intent": pi["id"],
        }
        paid = snapshot(order)

        assert deliver(client, event("refund.created", too_much))[1]["outcome"] == "rejected"

        assert snapshot(order) == paid
        assert WebhookEvent.objects.filter(processed_at=None).count() == 1

    def test_a_refund_while_stripe_is_unreachable_is_retried_later(self, client, stripe_server):
        order, pi = started(stripe_server)
        paid_intent(stripe_server, pi)
        refund = gateway.create_refund(
            payment_intent_id=pi["id"], amount=Decimal("10.00"), idempotency_key="refund:x"
        )
        body = event("refund.created", stripe_server.refunds[refund.id])
        stripe_server.fail_next(3, status=500)

        assert deliver(client, body)[0] == 503
        assert not WebhookEvent.objects.exists()
        assert snapshot(order) == UNPAID

        assert deliver(client, body)[1]["outcome"] == "applied"  # Stripe's redelivery


# --- 50 concurrent deliveries -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_deliveries_of_one_event_apply_it_once(stripe_server):
    order, pi = started(stripe_server)
    body = event("payment_intent.succeeded", paid_intent(stripe_server, pi))
    signature = signed(body)
    threads = 50
    barrier = threading.Barrier(threads)
    outcomes: Counter[Any] = Counter()
    lock = threading.Lock()

    def deliver_once() -> None:
        try:
            barrier.wait()
            status, answer = deliver(Client(), body, signature)
            with lock:
                outcomes[(status, answer.get("outcome"))] += 1
        except Exception as exc:  # reported by the assertion below
            with lock:
                outcomes[repr(exc)] += 1
        finally:
            connection.close()

    pool = [threading.Thread(target=deliver_once) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in pool)
    assert outcomes == {(200, "applied"): 1, (200, "duplicate"): threads - 1}
    assert WebhookEvent.objects.count() == 1
    assert snapshot(order) == (
        OrderStatus.UNFULFILLED,
        PaymentStatus.FULLY_CHARGED,
        PaymentState.CAPTURED,
        TOTAL,
        Decimal("0.00"),
        0,
    )


@pytest.mark.django_db
def test_a_paid_order_gets_its_confirmation_mail_once(
    client, stripe_server, mailoutbox, django_capture_on_commit_callbacks
):
    order, pi = started(stripe_server)
    succeeded = event("payment_intent.succeeded", paid_intent(stripe_server, pi))

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, succeeded)
        deliver(client, succeeded)  # a replay sends nothing more

    assert len(mailoutbox) == 1
    assert order.number in mailoutbox[0].subject + mailoutbox[0].body
