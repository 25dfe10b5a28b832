"""Set the e-mail address the order confirmation goes to."""

from typing import Any

import graphene

from alliance.checkout.services import checkout_email_update
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class CheckoutEmailUpdate(BaseMutation):
    """Set the e-mail address the order confirmation goes to."""

    checkout = graphene.Field(CheckoutType)

    class Arguments:
        token = graphene.UUID(required=True)
        email = graphene.String(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, token: Any, email: str
    ) -> dict[str, Any]:
        checkout = checkout_email_update(token=token, user=get_user(info), email=email)
        return {"checkout": checkout}
