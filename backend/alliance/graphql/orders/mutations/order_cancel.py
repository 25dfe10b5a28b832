"""orderCancel: the buyer (own order, unpaid) or staff cancel an order; its stock is released."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.types import OrderType
from alliance.orders.cancel import order_cancel
from alliance.orders.models import Order
from alliance.orders.selectors import with_relations


class OrderCancel(BaseMutation):
    """Cancel an order and put its reserved stock back on sale. The buyer may cancel its own
    order while unpaid; staff any order not yet fulfilled. A paid order is refused with
    ORDER_PAID (refund it first with orderRefund)."""

    order = graphene.Field(OrderType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        user = get_user(info)
        order = order_cancel(actor=user, order_id=decode_id(id, "Order", field="id"))
        return {"order": with_relations(Order.objects.filter(pk=order.pk), user).get()}
