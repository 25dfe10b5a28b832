"""Transfers of goods from a village collection point to the alliance base, in two steps.

Dispatch (`transfer_dispatch`): the goods leave the village. Each line writes one TRANSFER_OUT
row at the village; from then on the goods are in no warehouse: what is on the road is the
sum of the lines of transfers still in transit (`goods_in_transit`).

Receipt (`transfer_receive`): staff at the base count what arrived. Each line writes one
TRANSFER_IN row of the FULL quantity sent into the base's stock of the same variant and lot,
and when less arrived, one LOSS row of the shortfall at the base carrying the reason. So:

- per transfer, the ledger's TRANSFER_OUT and TRANSFER_IN rows cancel out once it is received
  (sent out = taken in), and a transfer in transit is exactly its unmatched TRANSFER_OUT rows;
- per line, sent = received + lost: the TRANSFER_IN row is what was sent, the LOSS row what
  went missing, and the base's stock grows by what was received;
- per warehouse, the stock-flow report stays exact (opening + in - out - lost = closing): the
  base never "loses" goods it did not take in, because it took them in first, and the village
  does not lose anything on the road (the goods had already left it).

Recording only the received quantity as TRANSFER_IN would leave the shortfall nowhere in
the ledger (the village already wrote it out) or force a loss row at the village, whose stock
never saw the loss. The demo county (alliance.core.demo.inventory) writes the same rows.

Who may do it:
- dispatch: alliance staff from any collection point; the first secretary of the source
  village for the goods of the village's producers lying in its collection point (the
  secretary oversees the point and organises the weekly run to the base). Cooperative
  operators may not: they bring goods to the point and keep their stock there, but moving it
  off to the base is the village's and the alliance's decision.
- receipt: alliance staff only (it happens at the base, which only staff run).
- reading transfers: staff all; a first secretary the transfers from the village's point
  and those carrying goods of the village's producers; an operator those carrying goods of
  its producers, and only those lines; consumers and anonymous users none.

Refusals raise a DomainError before anything is written, and each service is one
transaction, so a refused dispatch or receipt changes nothing. Stock rows are locked in pk
order (as allocation does), so transfers never deadlock with orders or with each other.
Expired lots are not dispatched (write them off at the village); goods that expire on the
road are still received (they are at the base and must be written off there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Prefetch, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import ProductVariant
from alliance.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from alliance.inventory.errors import (
    DuplicateLine,
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    LotExpired,
    ShortfallReasonRequired,
    TransferNotInTransit,
    WrongWarehouse,
)
from alliance.inventory.ledger import record_movement, stock_get_or_create
from alliance.inventory.models import Stock, StockMovement, Transfer, TransferLine, Warehouse
from alliance.inventory.permissions import can_change_stock, stock_read_scope
from alliance.inventory.warehouses import base_warehouse

MAX_TRANSFER_LINES = 500
MAX_TEXT_LENGTH = 1000
CODE_PREFIX = "T"
# Key of the transaction-level advisory lock that serialises transfer numbering.
TRANSFER_CODE_LOCK_KEY = 0x416C_5472  # "AlTr"

# What a transfer and its lines show (GraphQL and reports): joined in, never looked up per row.
TRANSFER_RELATIONS = ("source__village__town", "destination", "dispatched_by", "received_by")
LINE_RELATIONS = ("variant__product__producer__village__town", "lot__producer")


@dataclass(frozen=True)
class DispatchLine:
    stock_id: int
    quantity: int  # units, or grams for variants sold by weight


@dataclass(frozen=True)
class ReceivedLine:
    line_id: int
    quantity_received: int
    shortfall_reason: str = ""


# --- checks ---------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _check_whole_quantity(quantity: Any, *, field: str, allow_zero: bool) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidQuantity("The quantity must be a whole number.", field=field)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        low = "zero or more" if allow_zero else "more than zero"
        raise InvalidQuantity(f"The quantity must be {low}.", field=field)
    return quantity


def _clean_text(text: str | None, *, field: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise InventoryError(f"Keep it under {MAX_TEXT_LENGTH} characters.", field=field)
    return text


def _check_line_count(count: int) -> None:
    if count > MAX_TRANSFER_LINES:
        raise InventoryError(
            f"A transfer has at most {MAX_TRANSFER_LINES} lines; split it.", field="lines"
        )


def check_can_dispatch(actor: Any, *, source: Warehouse) -> None:
    """Staff from any collection point; a first secretary from the village's own."""
    if not (_active(actor) and actor.role in (Role.STAFF, Role.SECRETARY)):
        raise PermissionDenied(
            "Only alliance staff and the village's first secretary may dispatch transfers."
        )
    if actor.role == Role.SECRETARY and source.village_id != actor.village_id:
        raise PermissionDenied(
            "A first secretary dispatches only from the village's own collection point.",
            field="source",
        )


def _as_dispatch_line(item: Any) -> DispatchLine:
    if isinstance(item, DispatchLine):
        return item
    stock_id, quantity = item
    return DispatchLine(stock_id=stock_id, quantity=quantity)


def _as_received_line(item: Any) -> ReceivedLine:
    if isinstance(item, ReceivedLine):
        return item
    line_id, quantity, *rest = item
    reason = (rest[0] or "") if rest else ""
    return ReceivedLine(line_id=line_id, quantity_received=quantity, shortfall_reason=reason)


# --- numbering ------------------------------------------------------------------------------


def _next_transfer_code() -> str:
    """`T<local date>-<nnnn>`, numbered per day. Numbering is serialised by an advisory lock
    held until the transaction ends, so two dispatches never pick the same number."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TRANSFER_CODE_LOCK_KEY])
    prefix = f"{CODE_PREFIX}{timezone.localdate():%Y%m%d}-"
    taken = Transfer.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(code[len(prefix) :]) for code in taken if code[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


# --- dispatch -------------------------------------------------------------------------------


@transaction.atomic
def transfer_dispatch(
    *,
    actor: Any,
    source: Warehouse,
    lines: Sequence[Any],
    note: str = "",
    destination: Warehouse | None = None,
) -> Transfer:
    """Send goods from a village collection point to the base: a Transfer in transit, its
    lines, and one TRANSFER_OUT row per line at the village.

    `lines` are DispatchLine or (stock id, quantity) pairs; each stock must lie in `source`
    and have the quantity available (on hand minus what is reserved for orders).
    """
    check_can_dispatch(actor, source=source)
    if source.kind != Warehouse.Kind.VILLAGE:
        raise WrongWarehouse("Transfers leave from a village collection point.", field="source")
    destination = destination or base_warehouse()
    if destination.kind != Warehouse.Kind.BASE:
        raise WrongWarehouse("Transfers go to the alliance base.", field="destination")
    items = [_as_dispatch_line(item) for item in lines]
    if not items:
        raise InventoryError("A transfer needs at least one line.", code="REQUIRED", field="lines")
    _check_line_count(len(items))
    note = _clean_text(note, field="note")

    seen: set[int] = set()
    for index, item in enumerate(items):
        if item.stock_id in seen:
            raise DuplicateLine(
                "The same stock appears twice; put it on one line.", field=f"lines.{index}.stock"
            )
        seen.add(item.stock_id)
        _check_whole_quantity(item.quantity, field=f"lines.{index}.quantity", allow_zero=False)

    queryset = Stock.objects.select_related("variant__product__producer", "warehouse", "lot")
    scope = stock_read_scope(actor)
    if scope is not None:
        queryset = queryset.filter(scope)
    locked = {
        s.pk: s
        for s in queryset.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=seen)
        .order_by("pk")
    }

    today = timezone.localdate()
    errors: list[DomainError] = []
    for index, item in enumerate(items):
        field = f"lines.{index}.stock"
        stock = locked.get(item.stock_id)
        if stock is None:
            raise NotFound("Stock not found.", field=field)  # out of scope reads the same
        if stock.warehouse_id != source.pk:
            raise WrongWarehouse(
                f"This stock is in {stock.warehouse.name}, not in {source.name}.", field=field
            )
        producer = stock.variant.product.producer
        if actor.role != Role.STAFF and not can_change_stock(
            actor, producer=producer, warehouse=source
        ):
            raise PermissionDenied(
                "You may not dispatch this producer's goods from this collection point.",
                field=field,
            )
        if stock.lot.is_expired(today):
            errors.append(
                LotExpired(
                    f"Lot {stock.lot.code} of {stock.variant.sku} expired on "
                    f"{stock.lot.best_before}; write it off instead of moving it.",
                    field=field,
                )
            )
        elif item.quantity > stock.available:
            errors.append(
                InsufficientStock(
                    f"Only {stock.available} of {stock.variant.sku} (lot {stock.lot.code}) can "
                    f"leave: {stock.quantity} on hand, {stock.allocated} reserved for orders.",
                    field=f"lines.{index}.quantity",
                )
            )
    if errors:
        raise ValidationFailed(errors)

    now = timezone.now()
    transfer = Transfer.objects.create(
        code=_next_transfer_code(),
        source=source,
        destination=destination,
        status=Transfer.Status.IN_TRANSIT,
        dispatched_by=actor,
        dispatched_at=now,
        note=note,
    )
    reference = f"transfer:{transfer.code}"
    ordered = sorted(items, key=lambda item: item.stock_id)
    TransferLine.objects.bulk_create(
        [
            TransferLine(
                transfer=transfer,
                variant_id=locked[item.stock_id].variant_id,
                lot_id=locked[item.stock_id].lot_id,
                quantity=item.quantity,
            )
            for item in ordered
        ]
    )
    for item in ordered:
        stock = locked[item.stock_id]
        record_movement(
            stock=stock,
            kind=StockMovement.Kind.TRANSFER_OUT,
            quantity=-item.quantity,
            actor=actor,
            reason=note,
            transfer=transfer,
            reference=reference,
            variant=stock.variant,
            at=now,
        )
    return transfer


# --- receipt --------------------------------------------------------------------------------


@transaction.atomic
def transfer_receive(*, actor: Any, transfer_id: int, received: Sequence[Any] = ()) -> Transfer:
    """Staff at the base take a transfer in: TRANSFER_IN of what was sent, and a LOSS with
    the reason for what did not arrive (see the module docstring).

    `received` are ReceivedLine or (line id, quantity received[, shortfall reason]); lines
    not named arrived in full. Receiving a transfer twice is refused and changes nothing.
    A reason given for a line that arrived in full is not stored (there is no shortfall).
    """
    if not (_active(actor) and actor.role == Role.STAFF):
        raise PermissionDenied("Only alliance staff may receive transfers at the base.")
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("source", "destination")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise NotFound("Transfer not found.", field="transfer")
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise TransferNotInTransit(
            f"Transfer {transfer.code} is not in transit: it was received "
            f"{timezone.localtime(transfer.received_at):%Y-%m-%d %H:%M}.",
            field="transfer",
        )
    lines = {line.pk: line for line in transfer.lines.select_related("variant", "lot")}
    items = [_as_received_line(item) for item in received]
    _check_line_count(len(items))

    counted: dict[int, tuple[int, str]] = {}
    errors: list[DomainError] = []
    for index, item in enumerate(items):
        line = lines.get(item.line_id)
        if line is None:
            raise NotFound("No such line on this transfer.", field=f"lines.{index}.line")
        if item.line_id in counted:
            raise DuplicateLine("The same line appears twice.", field=f"lines.{index}.line")
        field = f"lines.{index}.quantityReceived"
        try:
            quantity = _check_whole_quantity(item.quantity_received, field=field, allow_zero=True)
        except InvalidQuantity as exc:
            errors.append(exc)
            counted[item.line_id] = (line.quantity, "")
            continue
        reason = _clean_text(item.shortfall_reason, field=f"lines.{index}.shortfallReason")
        if quantity > line.quantity:
            errors.append(
                InvalidQuantity(
                    f"{quantity} received, but only {line.quantity} of {line.variant.sku} "
                    f"(lot {line.lot.code}) were sent.",
                    field=field,
                )
            )
        elif quantity < line.quantity and not reason:
            errors.append(
                ShortfallReasonRequired(
                    f"{line.quantity - quantity} of {line.variant.sku} (lot {line.lot.code}) "
                    "did not arrive: say why.",
                    field=f"lines.{index}.shortfallReason",
                )
            )
        counted[item.line_id] = (quantity, reason if quantity < line.quantity else "")
    if errors:
        raise ValidationFailed(errors)

    destination = transfer.destination
    stock_ids = {
        pk: stock_get_or_create(variant=line.variant, warehouse=destination, lot=line.lot).pk
        for pk, line in lines.items()
    }
    stocks = {
        s.pk: s
        for s in Stock.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=stock_ids.values())
        .order_by("pk")
    }
    now = timezone.now()
    reference = f"transfer:{transfer.code}"
    for pk in sorted(lines, key=lambda pk: stock_ids[pk]):
        line = lines[pk]
        stock = stocks[stock_ids[pk]]
        quantity, reason = counted.get(pk, (line.quantity, ""))
        record_movement(
            stock=stock,
            kind=StockMovement.Kind.TRANSFER_IN,
            quantity=line.quantity,
            actor=actor,
            transfer=transfer,
            reference=reference,
            variant=line.variant,
            at=now,
        )
        shortfall = line.quantity - quantity
        if shortfall:
            record_movement(
                stock=stock,
                kind=StockMovement.Kind.LOSS,
                quantity=-shortfall,
                actor=actor,
                reason=reason,
                transfer=transfer,
                reference=reference,
                variant=line.variant,
                at=now,
            )
        line.quantity_received = quantity
        line.shortfall_reason = reason
        line.updated_at = now
    TransferLine.objects.bulk_update(
        list(lines.values()), ["quantity_received", "shortfall_reason", "updated_at"]
    )
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_by = actor
    transfer.received_at = now
    transfer.save(update_fields=["status", "received_by", "received_at", "updated_at"])
    return transfer


# --- reads ----------------------------------------------------------------------------------


def transfer_line_read_scope(user: Any, prefix: str = "") -> Q | None:
    """A filter for TransferLine rows (under `prefix`) `user` may read; None = all."""
    p = prefix
    if not _active(user):
        return Q(pk__in=[])
    if user.role == Role.STAFF:
        return None
    if user.role == Role.SECRETARY:
        return Q(**{f"{p}transfer__source__village_id": user.village_id}) | Q(
            **{f"{p}variant__product__producer__village_id": user.village_id}
        )
    if user.role == Role.OPERATOR:
        return Q(**{f"{p}variant__product__producer__in": user.producers.all()})
    return Q(pk__in=[])


def transfer_read_scope(user: Any) -> Q | None:
    """A filter for Transfer rows `user` may read (one with a line they may read); None = all.

    Written with a subquery rather than a join through the lines, so a transfer is never
    listed twice and no DISTINCT is needed."""
    line_scope = transfer_line_read_scope(user)
    if line_scope is None:
        return None
    if not _active(user) or user.role not in (Role.SECRETARY, Role.OPERATOR):
        return Q(pk__in=[])
    return Q(pk__in=TransferLine.objects.filter(line_scope).values("transfer_id"))


def _line_weight_g() -> Case:
    """Grams on a line, in SQL (as ledger.movement_weight_g)."""
    return Case(
        When(variant__sold_by=ProductVariant.SoldBy.WEIGHT, then=F("quantity")),
        default=F("quantity") * F("variant__weight_g"),
        output_field=BigIntegerField(),
    )


def transfer_lines_prefetch(user: Any) -> Prefetch:
    """The lines `user` may read, with what they show joined in and their weight."""
    lines = TransferLine.objects.select_related(*LINE_RELATIONS).annotate(weight_g=_line_weight_g())
    scope = transfer_line_read_scope(user)
    if scope is not None:
        lines = lines.filter(scope)
    return Prefetch("lines", queryset=lines.order_by("pk"))


def transfer_list(
    user: Any, *, status: str | None = None, source_ids: Iterable[int] = ()
) -> QuerySet[Transfer]:
    """Transfers `user` may read, the latest dispatched first, lines prefetched: two SQL
    queries for a page however many transfers and lines it holds."""
    if status is not None and status not in Transfer.Status.values:
        raise InventoryError(f"Unknown transfer status {status!r}.", field="status")
    qs = Transfer.objects.all()
    scope = transfer_read_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if status is not None:
        qs = qs.filter(status=status)
    source_ids = list(source_ids)
    if source_ids:
        qs = qs.filter(source_id__in=source_ids)
    return (
        qs.select_related(*TRANSFER_RELATIONS)
        .prefetch_related(transfer_lines_prefetch(user))
        .order_by("-dispatched_at", "-pk")
    )


def transfer_get(user: Any, transfer_id: int) -> Transfer | None:
    """One transfer `user` may read, or None (out of scope reads as not found)."""
    return transfer_list(user).filter(pk=transfer_id).first()


def goods_in_transit(
    user: Any, *, source_ids: Iterable[int] = (), variant_ids: Iterable[int] = ()
) -> QuerySet[TransferLine]:
    """What is on the road: the lines of transfers in transit that `user` may read, each
    annotated with `weight_g`, the oldest dispatch first. These goods are in no warehouse."""
    qs = TransferLine.objects.filter(transfer__status=Transfer.Status.IN_TRANSIT)
    scope = transfer_line_read_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    source_ids, variant_ids = list(source_ids), list(variant_ids)
    if source_ids:
        qs = qs.filter(transfer__source_id__in=source_ids)
    if variant_ids:
        qs = qs.filter(variant_id__in=variant_ids)
    return (
        qs.select_related(*LINE_RELATIONS, "transfer__source", "transfer__destination")
        .annotate(weight_g=_line_weight_g())
        .order_by("transfer__dispatched_at", "transfer_id", "pk")
    )


def goods_in_transit_weight_g(user: Any, **filters: Any) -> int:
    """Total grams on the road (what `goods_in_transit` lists), in one query."""
    total = (
        goods_in_transit(user, **filters)
        .order_by()
        .aggregate(total=Coalesce(Sum("weight_g"), 0))["total"]
    )
    return int(total)
