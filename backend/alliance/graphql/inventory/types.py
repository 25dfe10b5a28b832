"""GraphQL types of the inventory. Every type is scoped (get_queryset) to what the user may see.

Relations of stock and ledger rows are declared fields that return what the selectors joined
in (alliance.inventory.selectors). Fields derived from a foreign key to a type with its own
get_queryset (ProductVariant, Transfer, User) would look each related row up again, one
query per row; the row itself is already in the reader's scope, and so is what it names.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.accounts.models import Role
from alliance.core.weight import grams_to_kg
from alliance.graphql.accounts.types import UserType
from alliance.graphql.catalog.types import ProductVariantType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.pagination import CountableConnection
from alliance.inventory.ledger import movement_weight_g
from alliance.inventory.models import (
    Lot,
    Stock,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from alliance.inventory.permissions import stock_read_scope
from alliance.inventory.selectors import STOCK_RELATIONS
from alliance.inventory.transfers import (
    LINE_RELATIONS,
    TRANSFER_RELATIONS,
    transfer_line_read_scope,
    transfer_lines_prefetch,
    transfer_read_scope,
)

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
    variant = graphene.Field(ProductVariantType, required=True)
    is_expired = graphene.Boolean(required=True, description="Best-before is in the past.")

    class Meta:
        model = Lot
        name = "Lot"
        fields = ("code", "harvest_date", "best_before", "producer", "variant", "is_default")
        interfaces = (graphene.relay.Node,)

    @staticmethod
    def resolve_variant(root: Lot, info: graphene.ResolveInfo) -> Any:
        return root.variant

    @staticmethod
    def resolve_is_expired(root: Lot, info: graphene.ResolveInfo) -> bool:
        return root.is_expired()


class StockType(DjangoObjectType):
    variant = graphene.Field(ProductVariantType, required=True)
    warehouse = graphene.Field(WarehouseType, required=True)
    lot = graphene.Field(LotType, required=True)
    quantity_available = graphene.Int(required=True, description="On hand minus reserved.")
    weight_g = graphene.BigInt(required=True, description="Weight on hand in grams.")
    weight_kg = graphene.Decimal(required=True, description="Weight on hand in kilograms.")
    available_weight_kg = graphene.Decimal(
        required=True, description="Weight of what is not reserved, in kilograms."
    )

    class Meta:
        model = Stock
        name = "Stock"
        fields = ("variant", "warehouse", "lot", "quantity", "allocated", "updated_at")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        return _scoped(queryset, info).select_related(*STOCK_RELATIONS)

    @staticmethod
    def resolve_variant(root: Stock, info: graphene.ResolveInfo) -> Any:
        return root.variant

    @staticmethod
    def resolve_warehouse(root: Stock, info: graphene.ResolveInfo) -> Any:
        return root.warehouse

    @staticmethod
    def resolve_lot(root: Stock, info: graphene.ResolveInfo) -> Any:
        return root.lot

    @staticmethod
    def resolve_quantity_available(root: Stock, info: graphene.ResolveInfo) -> int:
        return root.available

    @staticmethod
    def resolve_weight_g(root: Stock, info: graphene.ResolveInfo) -> int:
        return movement_weight_g(root.variant, root.quantity)

    @staticmethod
    def resolve_weight_kg(root: Stock, info: graphene.ResolveInfo) -> Any:
        return grams_to_kg(movement_weight_g(root.variant, root.quantity))

    @staticmethod
    def resolve_available_weight_kg(root: Stock, info: graphene.ResolveInfo) -> Any:
        return grams_to_kg(movement_weight_g(root.variant, root.available))


class StockConnection(CountableConnection):
    class Meta:
        node = StockType


class StockMovementType(DjangoObjectType):
    kind = MovementKindEnum(required=True)
    weight_kg = graphene.Decimal(required=True)
    variant = graphene.Field(ProductVariantType, required=True)
    warehouse = graphene.Field(WarehouseType, required=True)
    lot = graphene.Field(LotType, required=True)
    actor = graphene.Field(
        UserType, description="Who made the change: shown to staff, and to the actor."
    )
    transfer = graphene.Field(lambda: TransferType)

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
        return _scoped(queryset, info).select_related(*STOCK_RELATIONS, "actor", "transfer")

    @staticmethod
    def resolve_kind(root: StockMovement, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_variant(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return root.variant

    @staticmethod
    def resolve_warehouse(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return root.warehouse

    @staticmethod
    def resolve_lot(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return root.lot

    @staticmethod
    def resolve_actor(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        if root.actor_id is None:
            return None
        user = get_user(info)
        if getattr(user, "role", None) == Role.STAFF or root.actor_id == user.pk:
            return root.actor
        return None  # other users' accounts stay private (as UserType.get_queryset)

    @staticmethod
    def resolve_transfer(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return root.transfer if root.transfer_id is not None else None

    @staticmethod
    def resolve_weight_kg(root: StockMovement, info: graphene.ResolveInfo) -> Any:
        return grams_to_kg(root.weight_g)


class StockMovementConnection(CountableConnection):
    class Meta:
        node = StockMovementType


class TransferLineType(DjangoObjectType):
    variant = graphene.Field(ProductVariantType, required=True)
    lot = graphene.Field(LotType, required=True)
    weight_g = graphene.BigInt(required=True, description="Weight sent, in grams.")

    class Meta:
        model = TransferLine
        name = "TransferLine"
        fields = ("variant", "lot", "quantity", "quantity_received", "shortfall_reason")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        scope = transfer_line_read_scope(get_user(info))
        queryset = queryset if scope is None else queryset.filter(scope)
        return queryset.select_related(*LINE_RELATIONS)

    @staticmethod
    def resolve_variant(root: TransferLine, info: graphene.ResolveInfo) -> Any:
        return root.variant

    @staticmethod
    def resolve_lot(root: TransferLine, info: graphene.ResolveInfo) -> Any:
        return root.lot

    @staticmethod
    def resolve_weight_g(root: TransferLine, info: graphene.ResolveInfo) -> int:
        annotated = getattr(root, "weight_g", None)  # transfers.transfer_lines_prefetch
        if annotated is not None:
            return int(annotated)
        return movement_weight_g(root.variant, root.quantity)


def _user_if_visible(info: graphene.ResolveInfo, user_id: int | None, user: Any) -> Any:
    """Staff see who acted; others see only themselves (as UserType.get_queryset)."""
    if user_id is None:
        return None
    reader = get_user(info)
    if getattr(reader, "role", None) == Role.STAFF or user_id == reader.pk:
        return user()
    return None


class TransferType(DjangoObjectType):
    status = TransferStatusEnum(required=True)
    lines = graphene.List(graphene.NonNull(TransferLineType), required=True)
    dispatched_by = graphene.Field(UserType, description="Shown to staff, and to that user.")
    received_by = graphene.Field(UserType, description="Shown to staff, and to that user.")

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
        scope = transfer_read_scope(user)
        queryset = queryset if scope is None else queryset.filter(scope)
        return queryset.select_related(*TRANSFER_RELATIONS).prefetch_related(
            transfer_lines_prefetch(user)
        )

    @staticmethod
    def resolve_status(root: Transfer, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_lines(root: Transfer, info: graphene.ResolveInfo) -> Any:
        """The lines the reader may see (an operator: its producers' lines only)."""
        if "lines" in getattr(root, "_prefetched_objects_cache", {}):
            return root.lines.all()
        return transfer_lines_prefetch(get_user(info)).queryset.filter(transfer=root)

    @staticmethod
    def resolve_dispatched_by(root: Transfer, info: graphene.ResolveInfo) -> Any:
        return _user_if_visible(info, root.dispatched_by_id, lambda: root.dispatched_by)

    @staticmethod
    def resolve_received_by(root: Transfer, info: graphene.ResolveInfo) -> Any:
        return _user_if_visible(info, root.received_by_id, lambda: root.received_by)


class TransferConnection(CountableConnection):
    class Meta:
        node = TransferType
