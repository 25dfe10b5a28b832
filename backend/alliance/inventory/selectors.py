"""Reads of the inventory, scoped by who is asking, with what a list shows joined in.

Each list is one SQL statement however long the page: the rows it shows are reached through
foreign keys only, so `select_related` joins them in (no prefetch round trips).
Stock and the ledger are private (permissions.stock_read_scope): consumers and anonymous
users get empty lists. Warehouses are public collection points: everyone may list them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliance.inventory.errors import InvalidQuantity, InventoryError
from alliance.inventory.models import Allocation, Stock, StockMovement, Warehouse
from alliance.inventory.permissions import stock_read_scope

# What a stock or movement row shows: the variant with its product, producer and village,
# the warehouse with its village (and the villages' towns), the lot with its producer.
STOCK_RELATIONS = (
    "variant__product__producer__village__town",
    "warehouse__village__town",
    "lot__producer",
)


def _scoped(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    scope = stock_read_scope(user)
    return queryset if scope is None else queryset.filter(scope)


@dataclass(frozen=True)
class StockFilter:
    """Empty lists and None mean "no condition"."""

    warehouse_ids: Sequence[int] = field(default_factory=tuple)
    village_ids: Sequence[int] = field(default_factory=tuple)  # the producer's village
    producer_ids: Sequence[int] = field(default_factory=tuple)
    product_ids: Sequence[int] = field(default_factory=tuple)
    low_stock: int | None = None  # available (on hand - allocated) <= this
    expiring_within_days: int | None = None  # lot best-before <= today + days (expired too)
    on_hand_only: bool = False  # leave out rows whose on-hand is 0


def stock_list(
    user: Any, filters: StockFilter | None = None, *, today: datetime.date | None = None
) -> QuerySet[Stock]:
    """Stock rows `user` may read, filtered; ordered by warehouse (the base first), SKU, lot
    (earliest best-before first) and id."""
    filters = filters or StockFilter()
    if filters.low_stock is not None and filters.low_stock < 0:
        raise InvalidQuantity("The low-stock threshold cannot be negative.", field="lowStock")
    if filters.expiring_within_days is not None and filters.expiring_within_days < 0:
        raise InventoryError(
            "Expiring within a negative number of days means nothing.", field="expiringWithinDays"
        )
    qs = _scoped(Stock.objects.all(), user)
    if filters.warehouse_ids:
        qs = qs.filter(warehouse_id__in=list(filters.warehouse_ids))
    if filters.village_ids:
        qs = qs.filter(variant__product__producer__village_id__in=list(filters.village_ids))
    if filters.producer_ids:
        qs = qs.filter(variant__product__producer_id__in=list(filters.producer_ids))
    if filters.product_ids:
        qs = qs.filter(variant__product_id__in=list(filters.product_ids))
    if filters.low_stock is not None:
        qs = qs.filter(quantity__lte=F("allocated") + filters.low_stock)
    if filters.expiring_within_days is not None:
        limit = (today or timezone.localdate()) + datetime.timedelta(
            days=filters.expiring_within_days
        )
        qs = qs.filter(lot__best_before__isnull=False, lot__best_before__lte=limit)
    if filters.on_hand_only:
        qs = qs.filter(quantity__gt=0)
    return qs.select_related(*STOCK_RELATIONS).order_by(
        "warehouse__kind",
        "warehouse__code",
        "variant__sku",
        F("lot__best_before").asc(nulls_last=True),
        "lot__code",
        "pk",
    )


@dataclass(frozen=True)
class MovementFilter:
    kinds: Sequence[str] = field(default_factory=tuple)
    warehouse_ids: Sequence[int] = field(default_factory=tuple)
    created_from: datetime.datetime | None = None  # inclusive
    created_to: datetime.datetime | None = None  # exclusive


def movement_list(user: Any, filters: MovementFilter | None = None) -> QuerySet[StockMovement]:
    """Ledger rows `user` may read, filtered; the newest first."""
    filters = filters or MovementFilter()
    unknown = sorted(set(filters.kinds) - set(StockMovement.Kind.values))
    if unknown:
        raise InventoryError(f"Unknown movement kind: {unknown[0]!r}.", field="kinds")
    for name, moment in (("from", filters.created_from), ("to", filters.created_to)):
        if moment is not None and timezone.is_naive(moment):
            raise InventoryError(f"`{name}` needs a time zone.", field=name)
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        raise InventoryError("The period ends before it starts.", field="to")
    qs = _scoped(StockMovement.objects.all(), user)
    if filters.kinds:
        qs = qs.filter(kind__in=list(filters.kinds))
    if filters.warehouse_ids:
        qs = qs.filter(warehouse_id__in=list(filters.warehouse_ids))
    if filters.created_from is not None:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_to is not None:
        qs = qs.filter(created_at__lt=filters.created_to)
    return qs.select_related(*STOCK_RELATIONS, "actor", "transfer").order_by("-created_at", "-pk")


def warehouse_list(
    *, kind: str | None = None, village_id: int | None = None
) -> QuerySet[Warehouse]:
    """Active warehouses (public collection points): the base first, then villages by code."""
    qs = Warehouse.objects.filter(is_active=True)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if village_id is not None:
        qs = qs.filter(village_id=village_id)
    return qs.select_related("village__town").order_by("kind", "code", "pk")


def allocation_mismatches() -> list[tuple[int, int, int]]:
    """(stock id, allocated, sum of its Allocation rows) for every stock where they differ.

    One SQL statement, like ledger.ledger_mismatches().
    """
    reserved = (
        Allocation.objects.filter(stock_id=OuterRef("pk"))
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        Stock.objects.annotate(reserved=Coalesce(Subquery(reserved), Value(0)))
        .exclude(allocated=F("reserved"))
        .order_by("pk")
        .values_list("pk", "allocated", "reserved")
    )
    return list(rows)
