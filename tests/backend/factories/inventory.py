"""Inventory fixtures. Stock is only ever put in place through the ledger (record_movement),
so every fixture keeps on-hand == sum(ledger)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from alliance.catalog.models import ProductVariant
from alliance.inventory.ledger import record_movement, stock_get_or_create
from alliance.inventory.models import Lot, Stock, StockMovement, Warehouse
from alliance.inventory.warehouses import base_warehouse, warehouses_ensure_for_villages
from alliance.villages.models import Village


def village_warehouse(village: Village) -> Warehouse:
    warehouses_ensure_for_villages([village])
    return Warehouse.objects.get(village=village)


def the_base() -> Warehouse:
    return base_warehouse()


def lot(
    variant: ProductVariant,
    code: str | None = None,
    *,
    best_before_days: int | None = 30,
    harvest_days_ago: int = 3,
) -> Lot:
    today = timezone.localdate()
    return Lot.objects.create(
        variant=variant,
        producer=variant.product.producer,
        code=code or f"L{Lot.objects.count() + 1:04d}",
        harvest_date=today - timedelta(days=harvest_days_ago),
        best_before=None if best_before_days is None else today + timedelta(days=best_before_days),
    )


def expired_lot(variant: ProductVariant, code: str = "OLD") -> Lot:
    today: date = timezone.localdate()
    return Lot.objects.create(
        variant=variant,
        producer=variant.product.producer,
        code=code,
        harvest_date=today - timedelta(days=60),
        best_before=today - timedelta(days=1),
    )


def stock_in(warehouse: Warehouse, lot_: Lot, quantity: int) -> Stock:
    """Put `quantity` of a lot in a warehouse through a receipt row in the ledger."""
    stock = stock_get_or_create(variant=lot_.variant, warehouse=warehouse, lot=lot_)
    record_movement(
        stock=stock, kind=StockMovement.Kind.RECEIPT, quantity=quantity, reason="test fixture"
    )
    stock.refresh_from_db()
    return stock
