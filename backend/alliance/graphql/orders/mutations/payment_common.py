"""Shared by the orderPayment* mutations: looking up a payment the caller may act on."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from alliance.core.errors import NotFound
from alliance.graphql.core.ids import decode_id
from alliance.payments.flow import check_can_pay
from alliance.payments.models import Payment


def payment_for_caller(global_id: str, user: Any, token: UUID | None) -> Payment:
    """The payment behind `global_id` when the caller may pay its order (the buyer, staff,
    or the checkout token of an order without a user); NOT_FOUND otherwise."""
    pk = decode_id(global_id, "Payment", field="payment")
    payment = Payment.objects.select_related("order").filter(pk=pk).first()
    if payment is None:
        raise NotFound("Payment not found.", field="payment")
    try:
        check_can_pay(payment.order, user, token)
    except NotFound:
        raise NotFound("Payment not found.", field="payment") from None
    return payment
