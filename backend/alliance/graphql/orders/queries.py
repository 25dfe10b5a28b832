"""Order reads: `orders` (a page) and `order` (by id or number), scoped by role."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from alliance.core.errors import DomainError
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.pagination import connection_args, paginate
from alliance.graphql.orders.types import OrderConnection, OrderStatusEnum, OrderType
from alliance.orders.selectors import order_get, order_list


class OrderFilterInput(graphene.InputObjectType):
    status = OrderStatusEnum()
    channel = graphene.String(description="Channel slug: online or base.")
    number = graphene.String(description="The exact order number, e.g. AM20261129-000123.")


class OrderQueries(graphene.ObjectType):
    orders = graphene.Field(
        graphene.NonNull(OrderConnection),
        filter=OrderFilterInput(),
        description="Orders the user may read, newest first (a consumer: its own; an operator "
        "or first secretary: those with its lines; staff: all).",
        **connection_args(),
    )
    order = graphene.Field(
        OrderType,
        id=graphene.ID(),
        number=graphene.String(),
        description="One order by id or number; null when unknown or out of scope.",
    )

    @staticmethod
    def resolve_orders(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        data = filter or {}
        status = data.get("status")
        qs = order_list(
            get_user(info),
            status=getattr(status, "value", status),
            channel_slug=data.get("channel"),
            number=data.get("number"),
        )
        return paginate(qs, OrderConnection, first=first, after=after)

    @staticmethod
    def resolve_order(
        root: Any, info: graphene.ResolveInfo, id: str | None = None, number: str | None = None
    ) -> Any:
        if id is None and not number:
            raise GraphQLError("Give the order's id or its number.")
        try:
            order_id = decode_id(id, "Order", field="id") if id is not None else None
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code}) from None
        return order_get(get_user(info), order_id=order_id, number=number or None)
