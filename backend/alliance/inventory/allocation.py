"""Reserving stock for orders (FEFO, never an expired lot), releasing it, and turning it into
sales.

Concurrency: every service here first locks the stock rows it may change, all of them in one
statement ordered by pk (`SELECT ... FOR NO KEY UPDATE OF stock ORDER BY id`). Two buyers whose
orders name the same variants in opposite orders therefore lock in the same order and never
deadlock; the second one waits, then reads the availability the first one left. The writes are
conditional updates as well, so even a caller that skipped the lock could not oversell.

Allocation rows name what they reserve with `reference` (an order line, e.g. "order-line:17").
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from alliance.catalog.models import Channel, ProductVariant
from alliance.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    ReferenceRequired,
    UnknownChannel,
    UnknownVariant,
)
from alliance.inventory.ledger import record_movement
from alliance.inventory.models import Allocation, Stock, StockMovement, Warehouse
from alliance.inventory.warehouses import warehouse_kinds_for_channel

REFERENCE_MAX_LENGTH = Allocation._meta.get_field("reference").max_length or 64
SALE_KIND_FOR_CHANNEL = {
    Channel.ONLINE: StockMovement.Kind.ONLINE_SALE,
    Channel.BASE: StockMovement.Kind.BASE_SALE,
}


@dataclass(frozen=True)
class AllocationRequest:
    """One order line to reserve: `quantity` units (grams for weight-sold variants)."""

    variant_id: int
    quantity: int
    reference: str


def _not_expired(today: datetime.date) -> Q:
    return Q(lot__best_before__isnull=True) | Q(lot__best_before__gte=today)


def _sellable_stocks(
    *, variant_ids: Iterable[int], kinds: Sequence[str], today: datetime.date
) -> QuerySet[Stock]:
    """Stock rows of `variant_ids` in active warehouses of `kinds`, in lots not expired."""
    return Stock.objects.filter(
        variant_id__in=list(variant_ids),
        warehouse__kind__in=kinds,
        warehouse__is_active=True,
    ).filter(_not_expired(today))


def _fefo_key(stock: Stock) -> tuple[Any, ...]:
    """Earliest best-before first, lots without one last; then the oldest harvest; then the
    base before a village collection point (goods already at the hub ship without a transfer);
    then the oldest stock row, so that the order is total and repeatable."""
    lot = stock.lot
    return (
        lot.best_before is None,
        lot.best_before or datetime.date.max,
        lot.harvest_date or datetime.date.max,
        stock.warehouse.kind != Warehouse.Kind.BASE,
        stock.pk,
    )


def _check_lines(lines: Sequence[AllocationRequest]) -> None:
    if not lines:
        raise InvalidQuantity("Nothing to allocate: no lines.", field="lines")
    for line in lines:
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(
                f"The quantity to allocate must be a positive whole number, not {quantity!r}.",
                field="quantity",
            )
        reference = line.reference
        if not isinstance(reference, str) or not reference.strip():
            raise ReferenceRequired("Each allocation needs a reference.", field="reference")
        if len(reference) > REFERENCE_MAX_LENGTH:
            raise ReferenceRequired(
                f"A reference has at most {REFERENCE_MAX_LENGTH} characters.", field="reference"
            )


def _insufficient(
    variant: ProductVariant, requested: int, available: int, line_index: int
) -> InsufficientStock:
    error = InsufficientStock(
        f"Not enough stock of {variant.sku}: {requested} requested, {available} available.",
        field="quantity",
    )
    error.variant_id = variant.pk  # type: ignore[attr-defined]
    error.sku = variant.sku  # type: ignore[attr-defined]
    error.requested = requested  # type: ignore[attr-defined]
    error.available = available  # type: ignore[attr-defined]
    error.line_index = line_index  # type: ignore[attr-defined]
    return error


def _lock_stocks(stocks: QuerySet[Stock]) -> list[Stock]:
    """Lock the given stock rows (only them, not the joined warehouse or lot rows) in pk
    order, the one order every service in this module uses."""
    return list(
        stocks.select_related("lot", "warehouse", "variant")
        .select_for_update(of=("self",), no_key=True)
        .order_by("pk")
    )


@transaction.atomic
def stock_allocate(
    *,
    lines: Sequence[AllocationRequest],
    channel_slug: str,
    warehouse_ids: Sequence[int] | None = None,
) -> list[Allocation]:
    """Reserve every line from warehouses serving `channel_slug`, first-expiring lot first.

    A line may be split over several lots and warehouses. All or nothing: when any line
    cannot be met in full, InsufficientStock names its SKU and what is available, and
    nothing is reserved. Returns the Allocation rows created (one per line and stock row).
    """
    lines = list(lines)
    _check_lines(lines)
    channel = Channel.objects.filter(slug=channel_slug, is_active=True).first()
    if channel is None:
        raise UnknownChannel(f"Unknown sales channel: {channel_slug!r}.", field="channel")
    variant_ids = sorted({line.variant_id for line in lines})
    variants = {v.pk: v for v in ProductVariant.objects.filter(pk__in=variant_ids).only("sku")}
    missing = [pk for pk in variant_ids if pk not in variants]
    if missing:
        raise UnknownVariant(f"Unknown product variant: {missing[0]}.", field="variant_id")

    candidates = _sellable_stocks(
        variant_ids=variant_ids,
        kinds=warehouse_kinds_for_channel(channel.slug),
        today=timezone.localdate(),
    ).filter(quantity__gt=F("allocated"))
    if warehouse_ids is not None:
        candidates = candidates.filter(warehouse_id__in=list(warehouse_ids))
    # One statement locks the candidate rows of ALL lines in pk order. PostgreSQL re-checks
    # the WHERE clause on rows it had to wait for, so rows emptied meanwhile drop out.
    locked = _lock_stocks(candidates)

    by_variant: dict[int, list[Stock]] = defaultdict(list)
    for stock in sorted(locked, key=_fefo_key):
        by_variant[stock.variant_id].append(stock)
    left = {stock.pk: stock.quantity - stock.allocated for stock in locked}

    plan: list[tuple[AllocationRequest, Stock, int]] = []
    for index, line in enumerate(lines):
        need = line.quantity
        available = sum(left[stock.pk] for stock in by_variant[line.variant_id])
        if available < need:
            raise _insufficient(variants[line.variant_id], need, available, index)
        for stock in by_variant[line.variant_id]:
            take = min(need, left[stock.pk])
            if take <= 0:
                continue
            plan.append((line, stock, take))
            left[stock.pk] -= take
            need -= take
            if need == 0:
                break

    per_stock: dict[int, int] = defaultdict(int)
    for _, stock, take in plan:
        per_stock[stock.pk] += take
    now = timezone.now()
    for stock_pk in sorted(per_stock):
        taken = per_stock[stock_pk]
        updated = Stock.objects.filter(pk=stock_pk, quantity__gte=F("allocated") + taken).update(
            allocated=F("allocated") + taken, updated_at=now
        )
        if updated != 1:  # cannot happen while the row is locked; the atomic block undoes all
            raise InsufficientStock("Stock changed during allocation.", field="quantity")

    return Allocation.objects.bulk_create(
        [
            Allocation(stock=stock, channel=channel, reference=line.reference, quantity=take)
            for line, stock, take in plan
        ]
    )


def _allocations_of(
    *, reference: str | None, allocation_ids: Iterable[int] | None
) -> QuerySet[Allocation]:
    if reference is None and allocation_ids is None:
        raise ReferenceRequired("Name the reference or the allocations.", field="reference")
    allocations = Allocation.objects.all()
    if reference is not None:
        allocations = allocations.filter(reference=reference)
    if allocation_ids is not None:
        allocations = allocations.filter(pk__in=list(allocation_ids))
    return allocations


def _lock_allocations(allocations: QuerySet[Allocation]) -> list[Allocation]:
    """Lock the stock rows under `allocations` in pk order, then read the allocations anew
    (after the wait, so a concurrent release or sale of the same ones is seen). Allocations
    committed after the stock rows were chosen, on rows not locked here, are left alone: they
    count as made after this call, and touching their rows now would break the lock order."""
    locked = {
        s.pk for s in _lock_stocks(Stock.objects.filter(pk__in=allocations.values("stock_id")))
    }
    return list(
        allocations.filter(stock_id__in=locked)
        .select_related("stock__variant", "channel")
        .select_for_update(of=("self",))
        .order_by("stock_id", "pk")
    )


@transaction.atomic
def stock_deallocate(
    *, reference: str | None = None, allocation_ids: Iterable[int] | None = None
) -> int:
    """Release the stock reserved under `reference` (or the given allocation ids).

    Idempotent: releasing what is already released changes nothing. Returns the quantity
    released.
    """
    allocations = _lock_allocations(
        _allocations_of(reference=reference, allocation_ids=allocation_ids)
    )
    per_stock: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        per_stock[allocation.stock_id] += allocation.quantity
    now = timezone.now()
    for stock_pk in sorted(per_stock):
        released = per_stock[stock_pk]
        updated = Stock.objects.filter(pk=stock_pk, allocated__gte=released).update(
            allocated=F("allocated") - released, updated_at=now
        )
        if updated != 1:
            raise InventoryError(
                "Reserved stock is out of step with its allocations.", field="reference"
            )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    return sum(per_stock.values())


@transaction.atomic
def stock_fulfil_allocations(
    *, reference: str, kind: str | None = None, actor: Any = None, reason: str = ""
) -> list[StockMovement]:
    """Turn what is reserved under `reference` into sales (the order ships, or is handed
    over at the counter): one sale row per stock row, consuming the reservation, then the
    allocations are gone. `kind` defaults to the sale kind of the allocation's channel
    (online_sale / base_sale) and must match it. Selling an already sold reference again
    changes nothing and returns no rows."""
    if not isinstance(reference, str) or not reference.strip():
        raise ReferenceRequired("Name the reference to fulfil.", field="reference")
    if kind is not None and kind not in SALE_KIND_FOR_CHANNEL.values():
        raise InventoryError(f"{kind!r} is not a sale.", field="kind")
    allocations = _lock_allocations(_allocations_of(reference=reference, allocation_ids=None))
    movements = []
    for allocation in allocations:
        sale_kind = SALE_KIND_FOR_CHANNEL.get(allocation.channel.slug)
        if sale_kind is None or (kind is not None and kind != sale_kind):
            raise InventoryError(
                f"Stock reserved for channel {allocation.channel.slug!r} "
                f"cannot be sold as {kind!r}.",
                field="kind",
            )
        movements.append(
            record_movement(
                stock=allocation.stock,
                kind=sale_kind,
                quantity=-allocation.quantity,
                release_allocated=allocation.quantity,
                actor=actor,
                reason=reason,
                reference=reference,
                variant=allocation.stock.variant,
            )
        )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    return movements


def _available(variant_ids: Iterable[int], kinds: Sequence[str]) -> dict[int, int]:
    ids = set(variant_ids)
    if not ids:
        return {}
    rows = (
        _sellable_stocks(variant_ids=ids, kinds=kinds, today=timezone.localdate())
        .order_by()
        .values("variant_id")
        .annotate(available=Sum(F("quantity") - F("allocated")))
        .values_list("variant_id", "available")
    )
    result = dict.fromkeys(ids, 0)
    result.update({variant_id: int(available or 0) for variant_id, available in rows})
    return result


def quantity_available(variant_ids: Iterable[int], channel_slug: str) -> dict[int, int]:
    """Units each variant can still be sold in a channel (on hand - reserved, in lots not
    expired, in warehouses serving the channel); one SQL query, 0 for variants without stock.
    """
    return _available(variant_ids, warehouse_kinds_for_channel(channel_slug))


def base_pickup_available(variant_ids: Iterable[int]) -> dict[int, int]:
    """Units of each variant at the alliance base (what a buyer can pick up there)."""
    return _available(variant_ids, (Warehouse.Kind.BASE,))


def allocated_in_warehouse(*, references: Iterable[str], warehouse_id: int) -> dict[str, int]:
    """Units reserved under each of `references` in one warehouse (0 when none); one query."""
    refs = list(references)
    result = dict.fromkeys(refs, 0)
    rows = (
        Allocation.objects.filter(reference__in=refs, stock__warehouse_id=warehouse_id)
        .order_by()
        .values("reference")
        .annotate(total=Sum("quantity"))
        .values_list("reference", "total")
    )
    result.update({reference: int(total) for reference, total in rows})
    return result


@transaction.atomic
def stock_fulfil_in_warehouse(
    *,
    warehouse_id: int,
    quantities: dict[str, int],
    kind: str | None = None,
    actor: Any = None,
    reason: str = "",
) -> list[StockMovement]:
    """Sell part of what is reserved: for each reference, `quantities[reference]` units of its
    allocations in `warehouse_id` (first-expiring lot first) become sale rows in the ledger;
    the allocations shrink by what was sold (and go when emptied). Allocations of the same
    reference in other warehouses stay reserved.

    All or nothing: a reference with less reserved in that warehouse than asked raises
    InsufficientStock (naming the reference) and nothing is sold. The stock rows of ALL
    references are locked in one statement in pk order, like every service here.
    """
    if not quantities:
        raise InvalidQuantity("Nothing to fulfil.", field="lines")
    for reference, quantity in quantities.items():
        if not isinstance(reference, str) or not reference.strip():
            raise ReferenceRequired("Name the reference to fulfil.", field="reference")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(
                f"The quantity to fulfil must be a positive whole number, not {quantity!r}.",
                field="quantity",
            )
    if kind is not None and kind not in SALE_KIND_FOR_CHANNEL.values():
        raise InventoryError(f"{kind!r} is not a sale.", field="kind")
    allocations_here = Allocation.objects.filter(
        reference__in=list(quantities), stock__warehouse_id=warehouse_id
    )
    _lock_stocks(Stock.objects.filter(pk__in=allocations_here.values("stock_id")))
    allocations = list(
        allocations_here.select_related(
            "stock__variant", "stock__lot", "stock__warehouse", "channel"
        )
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    by_reference: dict[str, list[Allocation]] = defaultdict(list)
    for allocation in sorted(allocations, key=lambda a: (*_fefo_key(a.stock), a.pk)):
        by_reference[allocation.reference].append(allocation)

    plan: list[tuple[Allocation, int]] = []
    for reference, quantity in quantities.items():
        reserved = sum(a.quantity for a in by_reference[reference])
        if reserved < quantity:
            error = InsufficientStock(
                f"Only {reserved} of {reference} is reserved in this warehouse, "
                f"{quantity} requested.",
                field="quantity",
            )
            error.reference = reference  # type: ignore[attr-defined]
            error.available = reserved  # type: ignore[attr-defined]
            raise error
        need = quantity
        for allocation in by_reference[reference]:
            take = min(need, allocation.quantity)
            if take <= 0:
                break
            plan.append((allocation, take))
            need -= take

    movements = []
    emptied: list[int] = []
    for allocation, take in sorted(plan, key=lambda item: (item[0].stock_id, item[0].pk)):
        sale_kind = SALE_KIND_FOR_CHANNEL.get(allocation.channel.slug)
        if sale_kind is None or (kind is not None and kind != sale_kind):
            raise InventoryError(
                f"Stock reserved for channel {allocation.channel.slug!r} "
                f"cannot be sold as {kind!r}.",
                field="kind",
            )
        movements.append(
            record_movement(
                stock=allocation.stock,
                kind=sale_kind,
                quantity=-take,
                release_allocated=take,
                actor=actor,
                reason=reason,
                reference=allocation.reference,
                variant=allocation.stock.variant,
            )
        )
        if take == allocation.quantity:
            emptied.append(allocation.pk)
        else:
            Allocation.objects.filter(pk=allocation.pk).update(
                quantity=F("quantity") - take, updated_at=timezone.now()
            )
    Allocation.objects.filter(pk__in=emptied).delete()
    return movements
