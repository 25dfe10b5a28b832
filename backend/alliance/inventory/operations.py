"""Stock operations at a warehouse: receipts, write-offs and stocktakes.

Each operation is one transaction: it checks the actor's scope, validates the input, then
changes on-hand stock only through the ledger (record_movement). A refusal raises a
DomainError before anything is written, and the transaction makes sure nothing survives
if a later step fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import ProductVariant
from alliance.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from alliance.inventory.errors import (
    CountBelowAllocated,
    DuplicateLine,
    InsufficientStock,
    InvalidLotDates,
    InvalidQuantity,
    InventoryError,
    LotCodeConflict,
    LotExpired,
    LotRequired,
    ReasonRequired,
    UnknownLot,
    WrongWarehouse,
)
from alliance.inventory.ledger import movement_weight_g, record_movement, stock_get_or_create
from alliance.inventory.models import Lot, Stock, StockMovement, Warehouse
from alliance.inventory.permissions import can_change_stock, stock_read_scope

# One movement of more than 100 tonnes is a typo, whatever the unit.
MAX_MOVEMENT_WEIGHT_G = 100_000_000
MAX_COUNT_LINES = 1000
MAX_LOT_CODE_LENGTH = 64
MAX_REASON_LENGTH = 1000
DEFAULT_COUNT_REASON = "stocktake"


@dataclass(frozen=True)
class NewLot:
    """A harvest batch named on receipt; dates are optional (honey and grains keep long)."""

    code: str
    harvest_date: date | None = None
    best_before: date | None = None


@dataclass(frozen=True)
class CountLine:
    """One line of a stocktake: an existing stock row, or goods of (variant, lot) found in
    the warehouse that have no stock row yet (`lot` may be None for products without lots)."""

    counted: int
    stock_id: int | None = None
    variant: ProductVariant | None = None
    lot: Lot | None = None


# --- checks ---------------------------------------------------------------------------------


def _check_stock_keeper(actor: Any) -> None:
    """Only signed-in operators, first secretaries and staff keep stock at all."""
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role in (Role.OPERATOR, Role.SECRETARY, Role.STAFF)
    ):
        raise PermissionDenied("Only stock keepers may change stock.")


def _check_can_change(actor: Any, stock_producer: Any, warehouse: Warehouse, field: str) -> None:
    if not can_change_stock(actor, producer=stock_producer, warehouse=warehouse):
        raise PermissionDenied(
            "You may not change this producer's stock in this warehouse.", field=field
        )


def _quantity_error(
    variant: ProductVariant, quantity: Any, *, field: str, allow_zero: bool = False
) -> InvalidQuantity | None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        return InvalidQuantity("The quantity must be a whole number.", field=field)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        low = "zero or more" if allow_zero else "more than zero"
        return InvalidQuantity(f"The quantity must be {low}.", field=field)
    if movement_weight_g(variant, quantity) > MAX_MOVEMENT_WEIGHT_G:
        return InvalidQuantity(
            f"{quantity} of {variant.sku} weighs more than 100 t; check the quantity.",
            field=field,
        )
    return None


def _check_quantity(variant: ProductVariant, quantity: Any, *, field: str = "quantity") -> None:
    error = _quantity_error(variant, quantity, field=field)
    if error is not None:
        raise error


def _clean_reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ReasonRequired("Say why the stock is written off.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InventoryError(
            f"The reason is longer than {MAX_REASON_LENGTH} characters.", field="reason"
        )
    return reason


# --- lots -----------------------------------------------------------------------------------


def lot_default_for_variant(variant: ProductVariant) -> Lot:
    """The variant's one default lot (no dates), created on first use; safe under races
    (a concurrent creation hits the unique constraint and the existing row is read)."""
    lot, _ = Lot.objects.get_or_create(
        variant=variant,
        is_default=True,
        defaults={"code": Lot.DEFAULT_CODE, "producer_id": variant.product.producer_id},
    )
    return lot


def _new_lot_get_or_create(variant: ProductVariant, new_lot: NewLot, today: date) -> Lot:
    code = (new_lot.code or "").strip()
    if not code:
        raise LotRequired("The new lot needs a code.", field="newLot.code")
    if len(code) > MAX_LOT_CODE_LENGTH:
        raise InventoryError(
            f"The lot code is longer than {MAX_LOT_CODE_LENGTH} characters.", field="newLot.code"
        )
    if code.upper() == Lot.DEFAULT_CODE:
        raise InventoryError(
            f"{Lot.DEFAULT_CODE!r} is reserved for products without lots.", field="newLot.code"
        )
    harvest, best_before = new_lot.harvest_date, new_lot.best_before
    if harvest is not None and harvest > today:
        raise InvalidLotDates("The harvest date is in the future.", field="newLot.harvestDate")
    if harvest is not None and best_before is not None and best_before < harvest:
        raise InvalidLotDates(
            "The best-before date is before the harvest date.", field="newLot.bestBefore"
        )
    if best_before is not None and best_before < today:
        raise LotExpired(
            f"Lot {code} expired on {best_before.isoformat()}; expired goods are not received.",
            field="newLot.bestBefore",
        )
    lot, created = Lot.objects.get_or_create(
        variant=variant,
        code=code,
        defaults={
            "producer_id": variant.product.producer_id,
            "harvest_date": harvest,
            "best_before": best_before,
        },
    )
    if not created and (lot.harvest_date, lot.best_before) != (harvest, best_before):
        raise LotCodeConflict(
            f"Lot {code} of {variant.sku} already exists with other dates "
            f"(harvest {lot.harvest_date}, best before {lot.best_before}).",
            field="newLot.code",
        )
    return lot


def lot_get_or_create(
    *,
    variant: ProductVariant,
    lot_id: int | None = None,
    new_lot: NewLot | None = None,
    today: date | None = None,
) -> Lot:
    """The lot that a receipt of `variant` goes into.

    Products that track lots name either an existing lot of this variant (`lot_id`) or a
    new one (`new_lot`; an existing code with the same dates is the same batch). Products
    that do not track lots always use the variant's default lot. An expired lot is refused.
    """
    today = today or timezone.localdate()
    if lot_id is not None and new_lot is not None:
        raise InventoryError("Name an existing lot or a new lot, not both.", field="lot")
    if not variant.product.tracks_lots:
        if new_lot is not None:
            raise UnknownLot(
                f"{variant.sku} does not track lots; leave the lot empty.", field="newLot"
            )
        lot = lot_default_for_variant(variant)
        if lot_id is not None and lot_id != lot.pk:
            raise UnknownLot(
                f"{variant.sku} does not track lots; leave the lot empty.", field="lot"
            )
        return lot
    if new_lot is not None:
        return _new_lot_get_or_create(variant, new_lot, today)
    if lot_id is None:
        raise LotRequired(
            f"{variant.sku} tracks harvest lots: name an existing lot or a new one.", field="lot"
        )
    lot = Lot.objects.filter(pk=lot_id, variant=variant).first()
    if lot is None:
        raise UnknownLot("No such lot of this variant.", field="lot")
    if lot.is_expired(today):
        raise LotExpired(
            f"Lot {lot.code} expired on {lot.best_before}; expired goods are not received.",
            field="lot",
        )
    return lot


# --- receipt --------------------------------------------------------------------------------


@transaction.atomic
def stock_receive(
    *,
    actor: Any,
    warehouse: Warehouse,
    variant: ProductVariant,
    quantity: int,
    lot_id: int | None = None,
    new_lot: NewLot | None = None,
    reason: str = "",
) -> StockMovement:
    """Goods arrive at a village collection point: a RECEIPT row, stock goes up.

    Goods reach the base only by transfer, so the warehouse must be a village's.
    """
    _check_stock_keeper(actor)
    if warehouse.kind != Warehouse.Kind.VILLAGE:
        raise WrongWarehouse(
            "Goods are received at a village collection point; the base receives transfers.",
            field="warehouse",
        )
    _check_can_change(actor, variant.product.producer, warehouse, "warehouse")
    _check_quantity(variant, quantity)
    reason = _clean_reason(reason, required=False)
    lot = lot_get_or_create(variant=variant, lot_id=lot_id, new_lot=new_lot)
    stock = stock_get_or_create(variant=variant, warehouse=warehouse, lot=lot)
    movement = record_movement(
        stock=stock,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        actor=actor,
        reason=reason,
        variant=variant,
    )
    stock.refresh_from_db()
    return movement


# --- write-off ------------------------------------------------------------------------------


def _lock_stock_in_scope(actor: Any, stock_id: int, *, field: str) -> Stock:
    """Lock one stock row the actor may see; out of scope reads as not found (no oracle)."""
    queryset = Stock.objects.select_related("variant__product__producer", "warehouse", "lot")
    scope = stock_read_scope(actor)
    if scope is not None:
        queryset = queryset.filter(scope)
    stock = queryset.select_for_update(of=("self",)).filter(pk=stock_id).first()
    if stock is None:
        raise NotFound("Stock not found.", field=field)
    return stock


@transaction.atomic
def stock_write_off(*, actor: Any, stock_id: int, quantity: int, reason: str) -> StockMovement:
    """Spoiled or lost goods leave the books: a LOSS row. Stock reserved for orders is not
    written off (release the reservation first)."""
    _check_stock_keeper(actor)
    stock = _lock_stock_in_scope(actor, stock_id, field="stock")
    _check_can_change(actor, stock.variant.product.producer, stock.warehouse, "stock")
    reason = _clean_reason(reason, required=True)
    _check_quantity(stock.variant, quantity)
    if quantity > stock.available:
        raise InsufficientStock(
            f"Only {stock.available} can be written off: {stock.quantity} on hand, "
            f"{stock.allocated} reserved for orders.",
            field="quantity",
        )
    movement = record_movement(
        stock=stock,
        kind=StockMovement.Kind.LOSS,
        quantity=-quantity,
        actor=actor,
        reason=reason,
        variant=stock.variant,
    )
    stock.refresh_from_db()
    return movement


# --- stocktake ------------------------------------------------------------------------------


def _as_count_line(item: Any) -> CountLine:
    """Accept CountLine, (stock_id, counted) or ((variant, lot), counted)."""
    if isinstance(item, CountLine):
        return item
    key, counted = item
    if isinstance(key, tuple):
        variant, lot = key
        return CountLine(counted=counted, variant=variant, lot=lot)
    return CountLine(counted=counted, stock_id=key)


def _stock_id_for_found_goods(actor: Any, warehouse: Warehouse, line: CountLine, index: int) -> int:
    """A (variant, lot) line: goods found that may have no stock row yet."""
    variant = line.variant
    if variant is None:
        raise InventoryError("A line names a stock or a variant.", field=f"lines.{index}.stock")
    _check_can_change(actor, variant.product.producer, warehouse, f"lines.{index}.stock")
    lot = line.lot
    if lot is None:
        if variant.product.tracks_lots:
            raise LotRequired(f"{variant.sku} tracks harvest lots.", field=f"lines.{index}.lot")
        lot = lot_default_for_variant(variant)
    elif lot.variant_id != variant.pk:
        raise UnknownLot("No such lot of this variant.", field=f"lines.{index}.lot")
    return stock_get_or_create(variant=variant, warehouse=warehouse, lot=lot).pk


@transaction.atomic
def stock_count(
    *, actor: Any, warehouse: Warehouse, counts: Sequence[Any], reason: str = ""
) -> list[StockMovement]:
    """A stocktake in one warehouse: each counted quantity replaces on-hand stock, and each
    difference becomes one ADJUSTMENT row (none when the count agrees).

    All stock rows are locked in pk order first (no deadlock with other counts or sales),
    then every line is checked; any refusal changes nothing. A count below what is reserved
    for orders is refused: those reservations would no longer be covered.
    """
    _check_stock_keeper(actor)
    lines = [_as_count_line(item) for item in counts]
    if not lines:
        raise InventoryError("A stocktake needs at least one line.", code="REQUIRED", field="lines")
    if len(lines) > MAX_COUNT_LINES:
        raise InventoryError(
            f"A stocktake has at most {MAX_COUNT_LINES} lines; split it.", field="lines"
        )
    reason = _clean_reason(reason, required=False) or DEFAULT_COUNT_REASON

    stock_ids: list[int] = []
    for index, line in enumerate(lines):
        if line.stock_id is not None:
            stock_ids.append(line.stock_id)
        else:
            stock_ids.append(_stock_id_for_found_goods(actor, warehouse, line, index))
    seen: set[int] = set()
    for index, stock_id in enumerate(stock_ids):
        if stock_id in seen:
            raise DuplicateLine("The same stock is counted twice.", field=f"lines.{index}.stock")
        seen.add(stock_id)

    queryset = Stock.objects.select_related("variant__product__producer", "warehouse", "lot")
    scope = stock_read_scope(actor)
    if scope is not None:
        queryset = queryset.filter(scope)
    locked = {
        s.pk: s
        for s in queryset.select_for_update(of=("self",)).filter(pk__in=stock_ids).order_by("pk")
    }

    allowed: dict[int, bool] = {}  # producer id -> may change in this warehouse
    errors: list[DomainError] = []
    for index, (line, stock_id) in enumerate(zip(lines, stock_ids, strict=True)):
        stock = locked.get(stock_id)
        if stock is None:
            raise NotFound("Stock not found.", field=f"lines.{index}.stock")
        if stock.warehouse_id != warehouse.pk:
            raise WrongWarehouse(
                f"This stock is in {stock.warehouse.name}, not in {warehouse.name}.",
                field=f"lines.{index}.stock",
            )
        producer = stock.variant.product.producer
        if producer.pk not in allowed:
            allowed[producer.pk] = can_change_stock(actor, producer=producer, warehouse=warehouse)
        if not allowed[producer.pk]:
            raise PermissionDenied(
                "You may not count this producer's stock in this warehouse.",
                field=f"lines.{index}.stock",
            )
        error = _quantity_error(
            stock.variant, line.counted, field=f"lines.{index}.counted", allow_zero=True
        )
        if error is not None:
            errors.append(error)
        elif line.counted < stock.allocated:
            errors.append(
                CountBelowAllocated(
                    f"Counted {line.counted} of {stock.variant.sku} (lot {stock.lot.code}), "
                    f"but {stock.allocated} are reserved for orders; release or fulfil "
                    "those orders first.",
                    field=f"lines.{index}.counted",
                )
            )
    if errors:
        raise ValidationFailed(errors)

    reference = f"count:{uuid.uuid4().hex[:16]}"
    movements: list[StockMovement] = []
    for line, stock_id in sorted(zip(lines, stock_ids, strict=True), key=lambda pair: pair[1]):
        stock = locked[stock_id]
        difference = line.counted - stock.quantity
        if difference == 0:
            continue
        movements.append(
            record_movement(
                stock=stock,
                kind=StockMovement.Kind.ADJUSTMENT,
                quantity=difference,
                actor=actor,
                reason=reason,
                reference=reference,
                variant=stock.variant,
            )
        )
        stock.refresh_from_db()
    return movements
