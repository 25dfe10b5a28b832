"""Warehouses: the alliance base and one collection point per village."""

from __future__ import annotations

from collections.abc import Iterable

from alliance.catalog.models import Channel
from alliance.inventory.models import Warehouse
from alliance.villages.models import Village

BASE_CODE = "BASE"


def base_warehouse() -> Warehouse:
    return Warehouse.objects.get(kind=Warehouse.Kind.BASE)


def warehouses_ensure_for_villages(villages: Iterable[Village]) -> int:
    """Create the missing collection points of `villages` in one insert; returns how many."""
    villages = list(villages)
    have = set(Warehouse.objects.filter(village__in=villages).values_list("village_id", flat=True))
    new = [
        Warehouse(code=f"V{v.code}", kind=Warehouse.Kind.VILLAGE, village=v, name=f"{v.name}集货点")
        for v in villages
        if v.pk not in have
    ]
    Warehouse.objects.bulk_create(new)
    return len(new)


def warehouse_kinds_for_channel(channel_slug: str) -> tuple[str, ...]:
    """ONLINE ships from village collection points and the base; the BASE counter sells
    only what is at the base."""
    if channel_slug == Channel.BASE:
        return (Warehouse.Kind.BASE,)
    return (Warehouse.Kind.VILLAGE, Warehouse.Kind.BASE)
