"""checkoutComplete: the checkout becomes an unpaid order holding its stock."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import Prefetch, prefetch_related_objects

from alliance.checkout.complete import checkout_complete
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.types import OrderType
from alliance.orders.models import OrderLine


class CheckoutComplete(BaseMutation):
    """Re-check prices and stock, reserve the stock and place the order (waiting for
    payment). Completing the same checkout again returns the same order. Refused, with one
    error per problem and nothing changed, while the checkout shows problems."""

    order = graphene.Field(OrderType)

    class Arguments:
        token = graphene.UUID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, token: Any) -> dict[str, Any]:
        order = checkout_complete(token=token, user=get_user(info))
        # Whoever may use the checkout sees every line of the order it made (an anonymous
        # buyer too, who cannot read it through `order` later); OrderType uses this prefetch.
        prefetch_related_objects(
            [order], Prefetch("lines", queryset=OrderLine.objects.select_related("lot"))
        )
        return {"order": order}
