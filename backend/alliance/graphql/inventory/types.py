"""GraphQL types of the inventory. Every type is scoped (get_queryset) to what the user may see."""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.core.weight import grams_to_kg
from alliance.graphql.core.context import get_user
from alliance.graphql.core.pagination import CountableConnection
from alliance.inventory.models import (
    Lot,
    Stock,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from alliance.inventory.permissions import stock_read_scope

WarehouseKindEnum = graphene.Enum.from_enum(Warehouse.Kind, name="WarehouseKind")
MovementKindEnum = graphene.Enum.from_enum(StockMovement.Kind, name="StockMovementKind")
TransferStatusEnum = graphene.Enum.from_enum(Transfer.Status, name="TransferStatus")


def _scoped(queryset: Any, info: graphene.ResolveInfo, prefix: str = "") -> Any:
    scope = stock_read_scope(get_user(info), prefix)
    return queryset if scope is None else queryset.filter(scope)


class WarehouseType(DjangoObjectType):
    kind = WarehouseKindEnum(required=True)

    class Meta:
        model = Warehouse
        name = "Warehouse"
        fields = ("code", "name", "kind", "village", "address", "is_active")
        interfaces = (graphene.relay.Node,)

    @staticmethod
    def resolve_kind(root: Warehouse, info: graphene.ResolveInfo) -> str:
        return root.kind


class LotType(DjangoObjectType):
    class Meta:
        model = Lot
        name = "Lot"
        fields = ("code", "harvest_date", "best_before", "producer", "variant", "is_default")
        interfaces = (graphene.relay.Node,)


class StockType(DjangoObjectType):
    quantity_available = graphene.Int(required=True)

    class Meta:
        model = Stock
        name = "Stock"
        fields = ("variant", "warehouse", "lot", "quantity", "allocated")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        return _scoped(queryset, info)

    @staticmethod
    def resolve_quantity_available(root: Stock, info: graphene.ResolveInfo) -> int:
        return root.available


class StockConnection(CountableConnection):
    class Meta:
        node = StockType


class StockMovementType(DjangoObjectType):
    kind = MovementKindEnum(required=True)
    weight_kg = graphene.Decimal(required=True)

    class Meta:
        model = StockMovement
        name = "StockMovement"
        fields = (
            "kind",
            "variant",
            "warehouse",
            "lot",
            "quantity",
            "weight_g",
            "actor",
            "reason",
            "transfer",
            "reference",
            "created_at",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        return _scoped(queryset, info)

    @staticmethod
    def resolve_kind(root: StockMovement, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_weight_kg(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return grams_to_kg(root.weight_g)


class StockMovementConnection(CountableConnection):
    class Meta:
        node = StockMovementType


class TransferLineType(DjangoObjectType):
    class Meta:
        model = TransferLine
        name = "TransferLine"
        fields = ("variant", "lot", "quantity", "quantity_received", "shortfall_reason")


class TransferType(DjangoObjectType):
    status = TransferStatusEnum(required=True)
    lines = graphene.List(graphene.NonNull(TransferLineType), required=True)

    class Meta:
        model = Transfer
        name = "Transfer"
        fields = (
            "code",
            "source",
            "destination",
            "status",
            "dispatched_by",
            "dispatched_at",
            "received_by",
            "received_at",
            "note",
            "lines",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        user = get_user(info)
        scope = stock_read_scope(user, "lines__")
        if scope is None:
            return queryset
        return queryset.filter(scope).distinct()

    @staticmethod
    def resolve_status(root: Transfer, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_lines(root: Transfer, info: graphene.ResolveInfo) -> Any:
        return root.lines.all()


class TransferConnection(CountableConnection):
    class Meta:
        node = TransferType
