"""orderFulfill: ship a paid order's lines from one warehouse, with a tracking number."""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.types import WarehouseType
from alliance.graphql.orders.types import OrderLineType, OrderType
from alliance.orders.fulfil import order_fulfil
from alliance.orders.models import Fulfillment, FulfillmentLine, Order


class FulfillmentLineType(DjangoObjectType):
    order_line = graphene.Field(OrderLineType, required=True)

    class Meta:
        model = FulfillmentLine
        name = "FulfillmentLine"
        fields = ("order_line", "quantity")

    @staticmethod
    def resolve_order_line(root: FulfillmentLine, info: graphene.ResolveInfo) -> Any:
        return root.order_line


class FulfillmentType(DjangoObjectType):
    warehouse = graphene.Field(WarehouseType, required=True)
    created = graphene.DateTime(required=True)
    lines = graphene.List(graphene.NonNull(FulfillmentLineType), required=True)

    class Meta:
        model = Fulfillment
        name = "Fulfillment"
        fields = ("tracking_number", "warehouse", "lines")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        return queryset.none()  # not reachable by node(id:); read through the mutation

    @staticmethod
    def resolve_warehouse(root: Fulfillment, info: graphene.ResolveInfo) -> Any:
        return root.warehouse

    @staticmethod
    def resolve_created(root: Fulfillment, info: graphene.ResolveInfo) -> Any:
        return root.created_at

    @staticmethod
    def resolve_lines(root: Fulfillment, info: graphene.ResolveInfo) -> Any:
        return root.lines.select_related("order_line__lot")


class OrderLineQuantityInput(graphene.InputObjectType):
    line = graphene.ID(required=True, description="An OrderLine ID.")
    quantity = graphene.Int(
        required=True, description="Units, or grams for variants sold by weight."
    )


class OrderFulfill(BaseMutation):
    """Ship lines of a paid order from one warehouse: the goods leave the ledger as online
    sales now. Without `lines`, everything reserved there that you may ship. Staff: any line;
    a first secretary: its village's lines, an operator: its producers' lines, from the
    village's collection point."""

    order = graphene.Field(OrderType)
    fulfillment = graphene.Field(FulfillmentType)

    class Arguments:
        order = graphene.ID(required=True)
        warehouse = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(OrderLineQuantityInput))
        tracking_number = graphene.String()

    @classmethod
    def perform(
        cls,
        root: Any,
        info: graphene.ResolveInfo,
        order: str,
        warehouse: str,
        lines: list[Any] | None = None,
        tracking_number: str | None = None,
    ) -> dict[str, Any]:
        user = get_user(info)
        order_id = decode_id(order, "Order", field="order")
        warehouse_id = decode_id(warehouse, "Warehouse", field="warehouse")
        requested = (
            None
            if lines is None
            else [
                (decode_id(line["line"], "OrderLine", field=f"lines.{i}.line"), line["quantity"])
                for i, line in enumerate(lines)
            ]
        )
        fulfillment = order_fulfil(
            actor=user,
            order_id=order_id,
            warehouse_id=warehouse_id,
            lines=requested,
            tracking_number=tracking_number or "",
        )
        fresh = OrderType.get_queryset(Order.objects.filter(pk=order_id), info).first()
        return {"order": fresh, "fulfillment": fulfillment}
