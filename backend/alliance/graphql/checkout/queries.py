from __future__ import annotations

from typing import Any

import graphene

from alliance.checkout.errors import CheckoutNotFound
from alliance.checkout.models import Checkout
from alliance.checkout.selectors import checkout_get
from alliance.graphql.checkout.types import CheckoutType
from alliance.graphql.core.context import get_user


class CheckoutQueries(graphene.ObjectType):
    checkout = graphene.Field(
        CheckoutType,
        token=graphene.UUID(required=True),
        description="A checkout by its token: anonymous ones for whoever holds the token, a "
        "signed-in buyer's only for that buyer. Null when not found.",
    )

    @staticmethod
    def resolve_checkout(root: Any, info: graphene.ResolveInfo, token: Any) -> Checkout | None:
        try:
            return checkout_get(token=token, user=get_user(info))
        except CheckoutNotFound:
            return None
