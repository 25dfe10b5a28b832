"""GraphQL types of orders and their payments, scoped by get_queryset (lists, node(id:)).

Lines and payments come from what alliance.orders.selectors prefetched: a page of orders
costs the same number of SQL queries whatever its size.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.accounts.models import Role
from alliance.graphql.catalog.types import ChannelType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.pagination import CountableConnection
from alliance.graphql.core.scalars import Money, Weight, money_from, weight_from
from alliance.graphql.inventory.types import LotType
from alliance.orders.models import DeliveryMethod, Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.selectors import (
    order_line_scope,
    orders_visible,
    sees_payments,
    with_relations,
)
from alliance.payments.models import Gateway, Payment, PaymentState

OrderStatusEnum = graphene.Enum.from_enum(OrderStatus, name="OrderStatus")
OrderPaymentStatusEnum = graphene.Enum.from_enum(PaymentStatus, name="OrderPaymentStatus")
OrderDeliveryMethodEnum = graphene.Enum.from_enum(DeliveryMethod, name="OrderDeliveryMethod")
PaymentGatewayEnum = graphene.Enum.from_enum(Gateway, name="PaymentGateway")
PaymentStatusEnum = graphene.Enum.from_enum(PaymentState, name="PaymentStatus")


class PaymentType(DjangoObjectType):
    gateway = PaymentGatewayEnum(required=True)
    status = PaymentStatusEnum(required=True)
    amount = graphene.Field(Money, resolver=money_from("amount"), required=True)
    captured_amount = graphene.Field(Money, resolver=money_from("captured_amount"), required=True)
    refunded_amount = graphene.Field(Money, resolver=money_from("refunded_amount"), required=True)

    class Meta:
        model = Payment
        name = "Payment"
        fields = ("gateway", "status", "amount", "captured_amount", "refunded_amount", "reference")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        # node(id:) and lists: the buyer's own payments, staff all (as OrderType.payments).
        user = get_user(info)
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return queryset.none()
        return queryset if user.role == Role.STAFF else queryset.filter(order__user_id=user.pk)

    @staticmethod
    def resolve_gateway(root: Payment, info: graphene.ResolveInfo) -> str:
        return root.gateway

    @staticmethod
    def resolve_status(root: Payment, info: graphene.ResolveInfo) -> str:
        return root.status


class OrderLineType(DjangoObjectType):
    unit_price = graphene.Field(
        Money,
        resolver=money_from("unit_price"),
        required=True,
        description="Per unit, or per kilogram when sold by weight.",
    )
    line_total = graphene.Field(Money, resolver=money_from("line_total"), required=True)
    weight = graphene.Field(Weight, resolver=weight_from("weight_g"), required=True)
    lot = graphene.Field(LotType, description="The first-expiring lot the goods came from.")

    class Meta:
        model = OrderLine
        name = "OrderLine"
        fields = (
            "product_name",
            "variant_label",
            "sku",
            "producer_name",
            "village_name",
            "quantity",
            "quantity_fulfilled",
            "quantity_refunded",
            "unit_price",
            "line_total",
            "lot",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        scope = order_line_scope(get_user(info))
        queryset = queryset if scope is None else queryset.filter(scope)
        return queryset.select_related("lot")

    @staticmethod
    def resolve_lot(root: OrderLine, info: graphene.ResolveInfo) -> Any:
        return root.lot if root.lot_id is not None else None


class OrderType(DjangoObjectType):
    channel = graphene.Field(ChannelType, required=True)
    status = OrderStatusEnum(required=True)
    payment_status = OrderPaymentStatusEnum(required=True)
    delivery_method = OrderDeliveryMethodEnum(required=True)
    created = graphene.DateTime(required=True)
    subtotal = graphene.Field(Money, resolver=money_from("subtotal"), required=True)
    shipping = graphene.Field(Money, resolver=money_from("shipping"), required=True)
    total = graphene.Field(Money, resolver=money_from("total"), required=True)
    total_weight = graphene.Field(Weight, resolver=weight_from("total_weight_g"), required=True)
    lines = graphene.List(
        graphene.NonNull(OrderLineType),
        required=True,
        description="The lines the reader may see (an operator: its producers' lines).",
    )
    payments = graphene.List(
        graphene.NonNull(PaymentType),
        required=True,
        description="Shown to the buyer and to staff; empty for others.",
    )

    class Meta:
        model = Order
        name = "Order"
        fields = (
            "number",
            "channel",
            "status",
            "payment_status",
            "email",
            "delivery_method",
            "receipt_number",
            "note",
            "lines",
            "payments",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        user = get_user(info)
        return with_relations(queryset.filter(pk__in=orders_visible(user).values("pk")), user)

    @staticmethod
    def resolve_channel(root: Order, info: graphene.ResolveInfo) -> Any:
        return root.channel

    @staticmethod
    def resolve_status(root: Order, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_payment_status(root: Order, info: graphene.ResolveInfo) -> str:
        return root.payment_status

    @staticmethod
    def resolve_delivery_method(root: Order, info: graphene.ResolveInfo) -> str:
        return root.delivery_method

    @staticmethod
    def resolve_created(root: Order, info: graphene.ResolveInfo) -> Any:
        return root.created_at

    @staticmethod
    def resolve_lines(root: Order, info: graphene.ResolveInfo) -> Any:
        if "lines" in getattr(root, "_prefetched_objects_cache", {}):
            return root.lines.all()
        return OrderLineType.get_queryset(root.lines.all(), info)

    @staticmethod
    def resolve_payments(root: Order, info: graphene.ResolveInfo) -> Any:
        if not sees_payments(get_user(info), root):
            return []
        return root.payments.all()


class OrderConnection(CountableConnection):
    class Meta:
        node = OrderType
