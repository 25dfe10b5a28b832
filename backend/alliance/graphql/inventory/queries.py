"""Inventory reads: warehouses (public), stock and the ledger (scoped to the reader).

Consumers and anonymous users get empty `stocks` and `stockMovements` connections, not an
error: the lists are scoped like every node, and an out-of-scope `node(id:)` is null too.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from alliance.core.errors import DomainError
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id, decode_ids
from alliance.graphql.core.pagination import connection_args, paginate
from alliance.graphql.inventory.types import (
    MovementKindEnum,
    StockConnection,
    StockMovementConnection,
    TransferConnection,
    TransferStatusEnum,
    TransferType,
    WarehouseKindEnum,
    WarehouseType,
)
from alliance.inventory.selectors import (
    MovementFilter,
    StockFilter,
    movement_list,
    stock_list,
    warehouse_list,
)
from alliance.inventory.transfers import transfer_get, transfer_list


def _query_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code, "field": exc.field})


def _value(enum_value: Any) -> Any:
    return getattr(enum_value, "value", enum_value)


class StockFilterInput(graphene.InputObjectType):
    warehouses = graphene.List(graphene.NonNull(graphene.ID), description="Where the goods lie.")
    villages = graphene.List(
        graphene.NonNull(graphene.ID), description="Where the goods come from: the producer's."
    )
    producers = graphene.List(graphene.NonNull(graphene.ID))
    products = graphene.List(graphene.NonNull(graphene.ID))
    low_stock = graphene.Int(description="Only rows with quantityAvailable <= this.")
    expiring_within_days = graphene.Int(
        description="Only lots whose best-before is at most this many days away "
        "(already expired lots included; lots without a best-before left out)."
    )
    on_hand_only = graphene.Boolean(description="Leave out rows with nothing on hand.")


class PeriodInput(graphene.InputObjectType):
    from_ = graphene.DateTime(name="from", description="Inclusive.")
    to = graphene.DateTime(description="Exclusive.")


class StockMovementFilterInput(graphene.InputObjectType):
    kinds = graphene.List(graphene.NonNull(MovementKindEnum))
    warehouses = graphene.List(graphene.NonNull(graphene.ID))
    period = graphene.Field(PeriodInput, description="When the movement happened.")


class TransferFilterInput(graphene.InputObjectType):
    status = TransferStatusEnum(description="IN_TRANSIT: the goods on the road.")
    source = graphene.ID(description="The village collection point they left from.")


def _stock_filter(data: Any) -> StockFilter:
    if not data:
        return StockFilter()
    return StockFilter(
        warehouse_ids=decode_ids(data.get("warehouses"), "Warehouse", field="warehouses"),
        village_ids=decode_ids(data.get("villages"), "Village", field="villages"),
        producer_ids=decode_ids(data.get("producers"), "Producer", field="producers"),
        product_ids=decode_ids(data.get("products"), "Product", field="products"),
        low_stock=data.get("low_stock"),
        expiring_within_days=data.get("expiring_within_days"),
        on_hand_only=bool(data.get("on_hand_only")),
    )


def _movement_filter(data: Any) -> MovementFilter:
    if not data:
        return MovementFilter()
    period = data.get("period") or {}
    return MovementFilter(
        kinds=[_value(k) for k in data.get("kinds") or []],
        warehouse_ids=decode_ids(data.get("warehouses"), "Warehouse", field="warehouses"),
        created_from=period.get("from_"),
        created_to=period.get("to"),
    )


class InventoryQueries(graphene.ObjectType):
    warehouses = graphene.List(
        graphene.NonNull(WarehouseType),
        required=True,
        kind=WarehouseKindEnum(),
        village=graphene.ID(),
        description="Active warehouses (public): the base, then village collection points.",
    )
    stocks = graphene.Field(
        graphene.NonNull(StockConnection),
        filter=StockFilterInput(),
        description="Stock rows the user may read (empty for consumers and anonymous users).",
        **connection_args(),
    )
    stock_movements = graphene.Field(
        graphene.NonNull(StockMovementConnection),
        filter=StockMovementFilterInput(),
        description="The ledger, newest first, as far as the user may read it "
        "(empty for consumers and anonymous users).",
        **connection_args(),
    )

    transfers = graphene.Field(
        graphene.NonNull(TransferConnection),
        filter=TransferFilterInput(),
        description="Transfers village -> base the user may read, the latest dispatched first "
        "(empty for consumers and anonymous users).",
        **connection_args(),
    )
    transfer = graphene.Field(
        TransferType,
        id=graphene.ID(required=True),
        description="One transfer; null when unknown or out of the user's scope.",
    )

    @staticmethod
    def resolve_warehouses(
        root: Any, info: graphene.ResolveInfo, kind: Any = None, village: str | None = None
    ) -> Any:
        try:
            village_id = decode_id(village, "Village", field="village") if village else None
        except DomainError as exc:
            raise _query_error(exc) from None
        return warehouse_list(kind=_value(kind), village_id=village_id)

    @staticmethod
    def resolve_stocks(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        try:
            qs = stock_list(get_user(info), _stock_filter(filter))
        except DomainError as exc:
            raise _query_error(exc) from None
        return paginate(qs, StockConnection, first=first, after=after)

    @staticmethod
    def resolve_stock_movements(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        try:
            qs = movement_list(get_user(info), _movement_filter(filter))
        except DomainError as exc:
            raise _query_error(exc) from None
        return paginate(qs, StockMovementConnection, first=first, after=after)

    @staticmethod
    def resolve_transfers(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        data = filter or {}
        try:
            source = data.get("source")
            qs = transfer_list(
                get_user(info),
                status=_value(data.get("status")),
                source_ids=[decode_id(source, "Warehouse", field="source")] if source else [],
            )
        except DomainError as exc:
            raise _query_error(exc) from None
        return paginate(qs, TransferConnection, first=first, after=after)

    @staticmethod
    def resolve_transfer(root: Any, info: graphene.ResolveInfo, id: str) -> Any:
        try:
            transfer_id = decode_id(id, "Transfer", field="id")
        except DomainError as exc:
            raise _query_error(exc) from None
        return transfer_get(get_user(info), transfer_id)
