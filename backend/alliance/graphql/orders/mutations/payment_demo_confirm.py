"""orderPaymentDemoConfirm: the offline demo's "pay" button, through the very path of a
verified Stripe event (alliance.payments.gateways.demo)."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.mutations.payment_common import payment_for_caller
from alliance.graphql.orders.types import OrderType
from alliance.orders.models import Order
from alliance.payments.flow import DemoGatewayUnavailable, demo_gateway_available
from alliance.payments.gateways.demo import demo_pay
from alliance.payments.models import Gateway


class OrderPaymentDemoConfirm(BaseMutation):
    """Pay a demo payment (refused unless demo mode is on and no Stripe key is set)."""

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
        if not demo_gateway_available():
            raise DemoGatewayUnavailable(
                "The demo gateway is only available in demo mode without Stripe.",
                field="payment",
            )
        found = payment_for_caller(payment, get_user(info), token)
        if found.gateway != Gateway.DEMO:
            raise DemoGatewayUnavailable("This is not a demo payment.", field="payment")
        demo_pay(found.order)
        return {"order": Order.objects.get(pk=found.order_id)}
