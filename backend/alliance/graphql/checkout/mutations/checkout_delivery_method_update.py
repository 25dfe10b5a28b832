"""Choose delivery, or pick-up at the alliance base (only when the base holds every line)."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_delivery_method_update
from alliance.graphql.checkout.types import CheckoutType, DeliveryMethodEnum
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class CheckoutDeliveryMethodUpdate(BaseMutation):
    """Choose delivery, or pick-up at the alliance base (only when the base holds every line)."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        token = graphene.UUID(required=True)
        method = DeliveryMethodEnum(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, token: Any, method: Any
    ) -> dict[str, Any]:
        checkout = checkout_delivery_method_update(
            token=token, user=get_user(info), method=getattr(method, "value", method)
        )
        return {"checkout": checkout}
