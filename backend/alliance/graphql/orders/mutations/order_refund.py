"""orderRefund: staff give back money of a paid order (Stripe, or cash at the counter)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.core.scalars import Money, money
from alliance.graphql.orders.mutations.order_fulfill import OrderLineQuantityInput
from alliance.graphql.orders.types import OrderType
from alliance.inventory.permissions import check_is_staff
from alliance.orders.models import Order
from alliance.orders.refund import order_refund
from alliance.payments.models import Refund

RefundStatusEnum = graphene.Enum.from_enum(Refund.Status, name="RefundStatus")


class RefundType(DjangoObjectType):
    amount = graphene.Field(Money, required=True)
    status = RefundStatusEnum(required=True)
    created = graphene.DateTime(required=True)

    class Meta:
        model = Refund
        name = "Refund"
        fields = ("amount", "status", "reason")

    @staticmethod
    def resolve_amount(root: Refund, info: graphene.ResolveInfo) -> Any:
        return money(root.amount)

    @staticmethod
    def resolve_status(root: Refund, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_created(root: Refund, info: graphene.ResolveInfo) -> Any:
        return root.created_at


class OrderRefund(BaseMutation):
    """Refund part or all of what an order's payment captured (staff only); never more than
    remains. `lines` say which goods the money is for; `restock` puts shipped goods that
    came back into the base's stock."""

    order = graphene.Field(OrderType)
    refund = graphene.Field(RefundType)

    class Arguments:
        order = graphene.ID(required=True)
        amount = graphene.Decimal(required=True, description="CNY, at most 2 decimal places.")
        lines = graphene.List(graphene.NonNull(OrderLineQuantityInput))
        reason = graphene.String()
        restock = graphene.Boolean(
            default_value=False, description="The goods of `lines` came back to the base."
        )

    @classmethod
    def perform(
        cls,
        root: Any,
        info: graphene.ResolveInfo,
        order: str,
        amount: Any,
        lines: list[Any] | None = None,
        reason: str | None = None,
        restock: bool = False,
    ) -> dict[str, Any]:
        user = get_user(info)
        check_is_staff(user, "refund orders")  # before looking anything up
        order_id = decode_id(order, "Order", field="order")
        requested = [
            (decode_id(line["line"], "OrderLine", field=f"lines.{i}.line"), line["quantity"])
            for i, line in enumerate(lines or [])
        ]
        refund = order_refund(
            actor=user,
            order_id=order_id,
            amount=amount,
            lines=requested or None,
            reason=reason or "",
            restock=bool(restock),
        )
        fresh = OrderType.get_queryset(Order.objects.filter(pk=order_id), info).first()
        return {"order": fresh, "refund": refund}
