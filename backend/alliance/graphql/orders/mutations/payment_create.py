"""orderPaymentCreate: start (or resume) paying an order online; the order becomes paid only
from a verified Stripe event (webhook or orderPaymentSync) or the demo gateway."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.core.errors import DomainError, NotFound
from alliance.graphql.core.context import get_user
from alliance.graphql.core.errors import errors_from_exception
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.types import PaymentType
from alliance.orders.models import Order
from alliance.payments.flow import check_can_pay, order_payment_start
from alliance.payments.models import Gateway


class OrderPaymentGateway(graphene.Enum):
    STRIPE = Gateway.STRIPE.value
    DEMO = Gateway.DEMO.value


class OrderPaymentCreate(BaseMutation):
    """Stripe: a PaymentIntent in CNY (card, Alipay, WeChat Pay) whose client secret the
    storefront hands to Stripe.js. DEMO: only in demo mode without Stripe; then confirm with
    orderPaymentDemoConfirm."""

    payment = graphene.Field(PaymentType)
    client_secret = graphene.String(description="For Stripe.js; null for the demo gateway.")
    publishable_key = graphene.String(description="Stripe's publishable key.")

    class Arguments:
        order = graphene.ID(required=True)
        gateway = OrderPaymentGateway(required=True)
        return_url = graphene.String(
            description="Absolute URL Stripe returns the buyer to (required for Stripe)."
        )
        token = graphene.UUID(
            description="The checkout token, for an order placed without signing in."
        )

    @classmethod
    def mutate(cls, root: Any, info: graphene.ResolveInfo, **data: Any) -> OrderPaymentCreate:
        # Not one transaction (unlike BaseMutation): the Payment row is committed before
        # Stripe is called, so that a failed call is retried with the same metadata under
        # the same idempotency key; order_payment_start makes its own transactions.
        try:
            output = cls.perform(root, info, **data)
        except DomainError as exc:
            return cls(errors=errors_from_exception(exc))
        return cls(errors=[], **output)

    @classmethod
    def perform(
        cls,
        root: Any,
        info: graphene.ResolveInfo,
        order: str,
        gateway: Any,
        return_url: str | None = None,
        token: Any = None,
    ) -> dict[str, Any]:
        user = get_user(info)
        found = Order.objects.filter(pk=decode_id(order, "Order", field="order")).first()
        if found is None:
            raise NotFound("Order not found.", field="order")
        check_can_pay(found, user, token)
        started = order_payment_start(
            order=found,
            user=user,
            gateway=getattr(gateway, "value", gateway),
            return_url=return_url,
            checkout_token=token,
        )
        return {
            "payment": started.payment,
            "client_secret": started.client_secret,
            "publishable_key": started.publishable_key,
        }
