"""Payment records: captures never go backwards and count once; refunds never exceed captures."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from alliance.orders.models import PaymentStatus
from alliance.payments.models import Payment, PaymentState, Refund
from alliance.payments.services import (
    PaymentAmountMismatch,
    RefundExceedsCaptured,
    payment_create,
    payment_record_captured,
    refund_check,
    refund_record_succeeded,
)
from tests.backend.factories.accounts import consumer
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return online_order(consumer(), [(stocked_variant(at_village=10, online="50.00"), 2)])


@pytest.fixture
def payment(order):
    return payment_create(order=order, gateway="stripe", amount=order.total, psp_reference="pi_1")


def test_a_new_payment_makes_the_order_pending(order, payment):
    order.refresh_from_db()
    assert payment.status == PaymentState.PENDING
    assert order.payment_status == PaymentStatus.PENDING


def test_capture_is_recorded_once_however_often_it_arrives(order, payment):
    for _ in range(3):
        payment_record_captured(payment=payment, amount=Decimal("100.00"), psp_reference="pi_1")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentState.CAPTURED
    assert payment.captured_amount == Decimal("100.00")
    assert order.payment_status == PaymentStatus.FULLY_CHARGED


def test_a_late_failure_or_capture_never_moves_the_status_backwards(order, payment):
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    refund_record_succeeded(payment=payment, amount=Decimal("30.00"), psp_reference="re_1")
    # the capture event arrives again, late
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentState.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("30.00")
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_capture_after_a_failed_attempt_counts(payment):
    Payment.objects.filter(pk=payment.pk).update(status=PaymentState.FAILED)
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    payment.refresh_from_db()
    assert payment.status == PaymentState.CAPTURED


def test_a_capture_above_the_payment_is_refused_and_changes_nothing(payment):
    with pytest.raises(PaymentAmountMismatch):
        payment_record_captured(payment=payment, amount=Decimal("100.01"))
    payment.refresh_from_db()
    assert payment.status == PaymentState.PENDING
    assert payment.captured_amount == Decimal("0.00")


def test_refunds_are_capped_at_what_was_captured(order, payment):
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    payment.refresh_from_db()
    assert refund_check(payment, Decimal("100.00")) == Decimal("100.00")
    Refund.objects.create(payment=payment, amount=Decimal("60.00"), status="pending")
    with pytest.raises(RefundExceedsCaptured) as exc:
        refund_check(payment, Decimal("40.01"))
    assert exc.value.code == "REFUND_EXCEEDS_CAPTURED"
    assert refund_check(payment, Decimal("40.00")) == Decimal("40.00")


def test_a_refund_recorded_twice_counts_once_and_full_refund_is_final(order, payment):
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    refund_record_succeeded(payment=payment, amount=Decimal("70.00"), psp_reference="re_1")
    refund_record_succeeded(payment=payment, amount=Decimal("70.00"), psp_reference="re_1")
    with pytest.raises(RefundExceedsCaptured):
        refund_record_succeeded(payment=payment, amount=Decimal("30.01"), psp_reference="re_2")
    refund_record_succeeded(payment=payment, amount=Decimal("30.00"), psp_reference="re_3")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.refunded_amount == Decimal("100.00")
    assert payment.status == PaymentState.REFUNDED
    assert order.payment_status == PaymentStatus.FULLY_REFUNDED
    assert Refund.objects.filter(payment=payment).count() == 2


def test_a_pending_refund_confirmed_later_counts_once(payment):
    payment_record_captured(payment=payment, amount=Decimal("100.00"))
    Refund.objects.create(
        payment=payment, amount=Decimal("100.00"), psp_reference="re_9", status="pending"
    )
    refund_record_succeeded(payment=payment, amount=Decimal("100.00"), psp_reference="re_9")
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("100.00")
    assert Refund.objects.get(psp_reference="re_9").status == "succeeded"


def test_the_database_refuses_refunds_beyond_captures_and_duplicate_psp_references(order, payment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(order=order, gateway="stripe", amount=1, psp_reference="pi_1")
    # the same reference at another gateway, and several cash payments, are fine
    Payment.objects.create(order=order, gateway="demo", amount=1, psp_reference="pi_1")
    Payment.objects.create(order=order, gateway="cash", amount=1)
    Payment.objects.create(order=order, gateway="cash", amount=1)
