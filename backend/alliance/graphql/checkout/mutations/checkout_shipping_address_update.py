"""Set the shipping address (a mainland Chinese address)."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_shipping_address_update
from alliance.graphql.checkout.inputs import ShippingAddressInput
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class CheckoutShippingAddressUpdate(BaseMutation):
    """Set the shipping address (a mainland Chinese address)."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        token = graphene.UUID(required=True)
        address = ShippingAddressInput(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, token: Any, address: Any
    ) -> dict[str, Any]:
        checkout = checkout_shipping_address_update(
            token=token, user=get_user(info), address=dict(address)
        )
        return {"checkout": checkout}
