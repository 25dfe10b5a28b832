"""The one place where on-hand stock changes: a conditional update plus its ledger row.

Callers lock what they change in a consistent order (stock rows by pk) or rely on the
conditional update below; either way available stock (on hand - allocated) never goes
negative, and the database constraints on Stock are the last line of defence.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliance.catalog.models import ProductVariant
from alliance.catalog.pricing import line_weight_g
from alliance.inventory.errors import InsufficientStock, InvalidQuantity
from alliance.inventory.models import Lot, Stock, StockMovement, Transfer, Warehouse


def movement_weight_g(variant: ProductVariant, quantity: int) -> int:
    """Grams moved: quantities of weight-sold variants already count grams."""
    return line_weight_g(variant=variant, quantity=quantity)


def stock_get_or_create(*, variant: ProductVariant, warehouse: Warehouse, lot: Lot) -> Stock:
    stock, _ = Stock.objects.get_or_create(variant=variant, warehouse=warehouse, lot=lot)
    return stock


@transaction.atomic
def record_movement(
    *,
    stock: Stock,
    kind: str,
    quantity: int,
    actor: Any = None,
    reason: str = "",
    transfer: Transfer | None = None,
    reference: str = "",
    release_allocated: int = 0,
    variant: ProductVariant | None = None,
    at: Any = None,
) -> StockMovement:
    """Change `stock` on hand by `quantity` (signed) and append the ledger row.

    `release_allocated` (>= 0) is reserved stock that this movement consumes (a sale of an
    allocated order line): on hand and allocated both go down. A decrease never takes stock
    that is reserved for someone else: it fails with InsufficientStock and changes nothing.
    """
    if quantity == 0:
        raise InvalidQuantity("A stock movement needs a non-zero quantity.", field="quantity")
    if release_allocated < 0 or release_allocated > max(0, -quantity):
        raise InvalidQuantity("Cannot release more reserved stock than leaves.", field="quantity")
    rows = Stock.objects.filter(pk=stock.pk)
    if quantity < 0:
        # after the change: quantity + delta >= allocated - release, i.e. available stays >= 0
        rows = rows.filter(quantity__gte=F("allocated") - release_allocated - quantity)
    if release_allocated:
        rows = rows.filter(allocated__gte=release_allocated)
    updated = rows.update(
        quantity=F("quantity") + quantity,
        allocated=F("allocated") - release_allocated,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise InsufficientStock(
            f"Not enough stock: {-quantity} requested, less is available.", field="quantity"
        )
    variant = variant or stock.variant
    return StockMovement.objects.create(
        kind=kind,
        stock=stock,
        variant_id=stock.variant_id,
        warehouse_id=stock.warehouse_id,
        lot_id=stock.lot_id,
        quantity=quantity,
        weight_g=movement_weight_g(variant, quantity),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        transfer=transfer,
        reference=reference,
        created_at=at or timezone.now(),
    )


def ledger_mismatches() -> list[tuple[int, int, int]]:
    """(stock id, on hand, ledger sum) for every stock whose on-hand differs from its ledger.

    One SQL statement (an aggregate joined to the stock table), fine for millions of rows.
    """
    ledger_sum = (
        StockMovement.objects.filter(stock_id=OuterRef("pk"))
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        Stock.objects.annotate(ledger=Coalesce(Subquery(ledger_sum), Value(0)))
        .exclude(quantity=F("ledger"))
        .values_list("pk", "quantity", "ledger")
    )
    return list(rows)
