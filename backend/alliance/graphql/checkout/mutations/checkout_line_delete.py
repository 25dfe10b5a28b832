"""Remove one line from a checkout."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_line_delete
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


class CheckoutLineDelete(BaseMutation):
    """Remove one line from a checkout."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        token = graphene.UUID(required=True)
        line_id = graphene.ID(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, token: Any, line_id: str
    ) -> dict[str, Any]:
        checkout = checkout_line_delete(
            token=token,
            user=get_user(info),
            line_id=decode_id(line_id, "CheckoutLine", field="lineId"),
        )
        return {"checkout": checkout}
