"""checkoutCreate: a new checkout with its first lines."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_create
from alliance.graphql.checkout.inputs import CheckoutCreateInput
from alliance.graphql.checkout.lookups import lines_from_input
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class CheckoutCreate(BaseMutation):
    """Start a checkout. Signed in: it is yours alone. Signed out: keep the returned token."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        input = CheckoutCreateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        checkout = checkout_create(
            user=get_user(info),
            email=input.get("email"),
            lines=lines_from_input(input["lines"]),
        )
        return {"checkout": checkout}
