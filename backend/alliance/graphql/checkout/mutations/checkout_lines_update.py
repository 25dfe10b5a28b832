"""Set line quantities (0 removes the line); accepts the current price."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_lines_update
from alliance.graphql.checkout.inputs import CheckoutLineInput
from alliance.graphql.checkout.lookups import lines_from_input
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class CheckoutLinesUpdate(BaseMutation):
    """Set line quantities (0 removes the line); accepts the current price."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        token = graphene.UUID(required=True)
        lines = graphene.List(graphene.NonNull(CheckoutLineInput), required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, token: Any, lines: list[Any]
    ) -> dict[str, Any]:
        checkout = checkout_lines_update(
            token=token, user=get_user(info), lines=lines_from_input(lines)
        )
        return {"checkout": checkout}
