"""orderPaymentSync: read the PaymentIntent from Stripe and apply its state (for when the
webhook is late), through the same path as the webhook."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.mutations.payment_common import payment_for_caller
from alliance.graphql.orders.types import OrderType, PaymentType
from alliance.orders.models import Order
from alliance.payments.flow import payment_sync_from_provider
from alliance.payments.models import Payment


class OrderPaymentSync(BaseMutation):
    payment = graphene.Field(PaymentType)
    order = graphene.Field(OrderType)

    class Arguments:
        payment = graphene.ID(required=True)
        token = graphene.UUID(
            description="The checkout token, for an order placed without signing in."
        )

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, payment: str, token: Any = None
    ) -> dict[str, Any]:
        found = payment_for_caller(payment, get_user(info), token)
        payment_sync_from_provider(found)
        return {
            "payment": Payment.objects.get(pk=found.pk),
            "order": Order.objects.get(pk=found.order_id),
        }
