"""Writing the demo history's plan: one COPY per table, ids drawn from the tables' own
sequences (so that rows name each other before they are inserted), created_at as planned
(Django's auto_now_add would stamp today on every row). About 30 SQL statements whatever
the size of the year.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import F
from django.utils import timezone

from alliance.accounts.models import User
from alliance.catalog.models import Channel, Product
from alliance.core.demo.history.data import (
    DEMO_STAFF_EMAIL,
    ORDER_PREFIX,
    RECEIPT_PREFIX,
    TRANSFER_PREFIX,
)
from alliance.core.demo.history.load import plan_demo_history
from alliance.core.demo.history.model import (
    HistoryPlan,
    LinePlan,
    OrderPlan,
    TransferLinePlan,
)
from alliance.core.errors import DomainError
from alliance.inventory.models import Lot, Stock, StockMovement, Transfer, TransferLine, Warehouse
from alliance.orders.models import (
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderLineLot,
    OrderStatus,
    PaymentStatus,
)
from alliance.payments.models import Payment, PaymentState, Refund, RefundLine

if TYPE_CHECKING:
    from alliance.core.demo.loader import DemoResult

Kind = StockMovement.Kind


def _ids(model: type[models.Model], count: int) -> list[int]:
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[models.Model], rows: list[dict[str, Any]]) -> int:
    """Insert `rows` (attname -> value; every NOT NULL column without a default given) with
    one COPY. Django's auto_now_add would stamp today on created_at: COPY keeps history."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields]
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields if f.has_default()}
    jsons = {f.attname for f in fields if isinstance(f, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for name in names:
                    value = row[name] if name in row else defaults.get(name)
                    if name in jsons and value is not None:
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)
    return len(rows)


def _next_number(model: type[models.Model], field_name: str, prefix: str) -> int:
    values = model.objects.filter(**{f"{field_name}__startswith": prefix}).values_list(
        field_name, flat=True
    )
    numbers = [int(v[len(prefix) :]) for v in values if v[len(prefix) :].isdigit()]
    return max(numbers, default=0) + 1


class _Writer:
    def __init__(self, plan: HistoryPlan, *, staff_id: int | None, base_id: int) -> None:
        self.plan = plan
        self.staff_id = staff_id
        self.base_id = base_id
        self.channels = dict(Channel.objects.values_list("slug", "pk"))
        self.counts: dict[str, int] = {}

    def write(self) -> dict[str, int]:
        self._publications()
        self._lots()
        self._transfers()
        self._orders()
        self._stock()
        return self.counts

    def _publications(self) -> None:
        if not self.plan.published:
            return
        ids, moments = zip(*sorted(self.plan.published.items()), strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Product._meta.db_table} p SET published_at = x.at "
                "FROM unnest(%s::bigint[], %s::timestamptz[]) AS x(id, at) "
                "WHERE p.id = x.id AND p.published_at > x.at",
                [list(ids), list(moments)],
            )

    def _lots(self) -> None:
        new = [lot for lot in self.plan.lots if lot.pk is None]
        for lot, pk in zip(new, _ids(Lot, len(new)), strict=True):
            lot.pk = pk
            if not lot.is_default:  # never sold past its best-before
                assert lot.best_before is not None and lot.last_day is not None
                lot.best_before = max(lot.best_before, lot.last_day)
        self.counts["lots"] = _copy(
            Lot,
            [
                {
                    "id": lot.pk,
                    "variant_id": lot.variant.id,
                    "producer_id": lot.variant.producer_id,
                    "code": lot.code,
                    "harvest_date": lot.harvest,
                    "best_before": lot.best_before,
                    "is_default": lot.is_default,
                    "created_at": lot.first_at,
                    "updated_at": lot.first_at,
                }
                for lot in new
            ],
        )

    def _transfers(self) -> None:
        ships = {id(t.ship): t.ship for t in self.plan.transfer_lines if t.ship.transfer_id is None}
        new = sorted(ships.values(), key=lambda s: (s.dispatched_at, s.source_id))
        number = _next_number(Transfer, "code", TRANSFER_PREFIX)
        rows = []
        for offset, (ship, pk) in enumerate(zip(new, _ids(Transfer, len(new)), strict=True)):
            ship.transfer_id = pk
            rows.append(
                {
                    "id": pk,
                    "code": f"{TRANSFER_PREFIX}{number + offset:05d}",
                    "source_id": ship.source_id,
                    "destination_id": self.base_id,
                    "status": Transfer.Status.RECEIVED,
                    "dispatched_by_id": self.staff_id,
                    "dispatched_at": ship.dispatched_at,
                    "received_by_id": self.staff_id,
                    "received_at": ship.received_at,
                    "note": "每周定期调运",
                    "created_at": ship.dispatched_at,
                    "updated_at": ship.received_at,
                }
            )
        self.counts["transfers"] = _copy(Transfer, rows)

        # An existing transfer may already carry an untracked variant's default lot: its
        # line grows instead (one line per lot and transfer).
        merged: dict[tuple[int, int], TransferLinePlan] = {}
        for t in self.plan.transfer_lines:
            key = (t.ship.transfer_id, t.lot.pk)
            if key in merged:
                merged[key].sent += t.sent
                merged[key].short += t.short
                merged[key].reason = merged[key].reason or t.reason
            else:
                merged[key] = TransferLinePlan(t.ship, t.lot, t.sent, t.short, t.reason)
        existing = {
            (transfer_id, lot_id): pk
            for pk, transfer_id, lot_id in TransferLine.objects.filter(
                transfer_id__in={k[0] for k in merged}, lot_id__in={k[1] for k in merged}
            ).values_list("pk", "transfer_id", "lot_id")
        }
        for key, t in merged.items():
            if key in existing:
                TransferLine.objects.filter(pk=existing[key]).update(
                    quantity=F("quantity") + t.sent,
                    quantity_received=F("quantity_received") + t.sent - t.short,
                )
        fresh = [t for key, t in merged.items() if key not in existing]
        _copy(
            TransferLine,
            [
                {
                    "id": pk,
                    "transfer_id": t.ship.transfer_id,
                    "variant_id": t.lot.variant.id,
                    "lot_id": t.lot.pk,
                    "quantity": t.sent,
                    "quantity_received": t.sent - t.short,
                    "shortfall_reason": t.reason,
                    "created_at": t.ship.dispatched_at,
                    "updated_at": t.ship.received_at,
                }
                for t, pk in zip(fresh, _ids(TransferLine, len(fresh)), strict=True)
            ],
        )

    def _orders(self) -> None:
        orders = self.plan.orders
        counter = 0
        for index, (order, pk) in enumerate(zip(orders, _ids(Order, len(orders)), strict=True)):
            order.pk = pk
            day = timezone.localdate(order.at)
            order.number = f"{ORDER_PREFIX}{day:%Y%m%d}-{index + 1:06d}"
            if order.channel == Channel.BASE:
                counter += 1
                order.receipt = f"{RECEIPT_PREFIX}{day:%Y%m%d}-{counter:04d}"
        lines = [line for order in orders for line in order.lines]
        for line, pk in zip(lines, _ids(OrderLine, len(lines)), strict=True):
            line.pk = pk
        self.counts["orders"] = _copy(Order, [self._order_row(o) for o in orders])
        self.counts["order lines"] = _copy(OrderLine, [self._line_row(line) for line in lines])
        sold = [line for line in lines if not line.order.cancelled]
        _copy(
            OrderLineLot,
            [
                {
                    "id": pk,
                    "line_id": line.pk,
                    "lot_id": line.lot.pk,  # type: ignore[union-attr]
                    "warehouse_id": line.warehouse_id,
                    "quantity": line.quantity,
                }
                for line, pk in zip(sold, _ids(OrderLineLot, len(sold)), strict=True)
            ],
        )
        self._fulfillments(orders)
        self._payments(orders)

    def _order_row(self, order: OrderPlan) -> dict[str, Any]:
        full = order.refunded >= order.total and not order.cancelled
        if order.cancelled:
            status, paid = OrderStatus.CANCELLED, PaymentStatus.NOT_CHARGED
        elif order.refunds:
            status = OrderStatus.REFUNDED if full else OrderStatus.FULFILLED
            paid = PaymentStatus.FULLY_REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
        else:
            status, paid = OrderStatus.FULFILLED, PaymentStatus.FULLY_CHARGED
        updated = order.at + timedelta(minutes=30) if order.cancelled else order.last_event
        return {
            "id": order.pk,
            "number": order.number,
            "channel_id": self.channels[order.channel],
            "user_id": order.user_id,
            "email": order.email,
            "status": status,
            "payment_status": paid,
            "currency": "CNY",
            "subtotal": order.subtotal,
            "shipping": order.shipping,
            "total": order.total,
            "total_weight_g": order.weight_g,
            "delivery_method": order.delivery,
            "shipping_address": order.address,
            "checkout_token": order.token,
            "receipt_number": order.receipt or None,
            "created_by_id": self.staff_id if order.channel == Channel.BASE else None,
            "note": order.note,
            "is_demo": True,
            "created_at": order.at,
            "updated_at": updated,
        }

    def _line_row(self, line: LinePlan) -> dict[str, Any]:
        v, order = line.variant, line.order
        done = not order.cancelled
        return {
            "id": line.pk,
            "order_id": order.pk,
            "variant_id": v.id,
            "product_name": v.product_name,
            "variant_label": v.unit_label,
            "sku": v.sku,
            "producer_id": v.producer_id,
            "producer_name": v.producer_name,
            "village_id": v.village_id,
            "village_name": v.village_name,
            "category_id": v.category_id,
            "sold_by": v.sold_by,
            "unit_price": line.unit_price,
            "unit_weight_g": v.unit_g,
            "quantity": line.quantity,
            "weight_g": line.weight_g,
            "line_total": line.total,
            "lot_id": line.lot.pk if line.lot and done else None,
            "quantity_fulfilled": line.quantity if done else 0,
            "quantity_refunded": line.refunded,
            "fulfilled_at": line.shipped_at if done else None,
            "created_at": order.at,
            "updated_at": order.last_event,
        }

    def _fulfillments(self, orders: list[OrderPlan]) -> None:
        groups: list[tuple[OrderPlan, int, list[LinePlan]]] = []
        for order in orders:
            if order.cancelled:
                continue
            by_warehouse: dict[int, list[LinePlan]] = defaultdict(list)
            for line in order.lines:
                by_warehouse[line.warehouse_id].append(line)  # type: ignore[index]
            groups.extend((order, w, lines) for w, lines in by_warehouse.items())
        ids = _ids(Fulfillment, len(groups))
        self.counts["fulfillments"] = _copy(
            Fulfillment,
            [
                {
                    "id": pk,
                    "order_id": order.pk,
                    "warehouse_id": warehouse_id,
                    "tracking_number": order.tracking.get(warehouse_id, ""),
                    "created_by_id": self.staff_id,
                    "created_at": lines[0].shipped_at,
                    "updated_at": lines[0].shipped_at,
                }
                for (order, warehouse_id, lines), pk in zip(groups, ids, strict=True)
            ],
        )
        rows = [(pk, line) for (_, _, lines), pk in zip(groups, ids, strict=True) for line in lines]
        _copy(
            FulfillmentLine,
            [
                {
                    "id": pk,
                    "fulfillment_id": fulfillment,
                    "order_line_id": line.pk,
                    "quantity": line.quantity,
                }
                for (fulfillment, line), pk in zip(
                    rows, _ids(FulfillmentLine, len(rows)), strict=True
                )
            ],
        )

    def _payments(self, orders: list[OrderPlan]) -> None:
        paid = [o for o in orders if not o.cancelled]
        payment_ids = dict(zip((id(o) for o in paid), _ids(Payment, len(paid)), strict=True))
        rows = []
        for order in paid:
            refunded = order.refunded
            state = PaymentState.CAPTURED
            if refunded:
                full = refunded >= order.total
                state = PaymentState.REFUNDED if full else PaymentState.PARTIALLY_REFUNDED
            online = order.channel == Channel.ONLINE
            rows.append(
                {
                    "id": payment_ids[id(order)],
                    "order_id": order.pk,
                    "gateway": order.gateway,
                    "psp_reference": order.psp if online else None,
                    "amount": order.total,
                    "currency": "CNY",
                    "status": state,
                    "captured_amount": order.total,
                    "refunded_amount": refunded,
                    "reference": order.reference or ("" if online else order.receipt),
                    "captured_at": order.paid_at,
                    "created_at": order.at,
                    "updated_at": max([order.paid_at, *(r.at for r in order.refunds)]),  # type: ignore[list-item]
                }
            )
        self.counts["payments"] = _copy(Payment, rows)
        refunds = [(order, r) for order in paid for r in order.refunds]
        refund_ids = _ids(Refund, len(refunds))
        self.counts["refunds"] = _copy(
            Refund,
            [
                {
                    "id": pk,
                    "payment_id": payment_ids[id(order)],
                    "amount": r.amount,
                    "psp_reference": None,
                    "status": Refund.Status.SUCCEEDED,
                    "reason": r.reason,
                    "succeeded_at": r.at,
                    "created_by_id": self.staff_id,
                    "created_at": r.at,
                    "updated_at": r.at,
                }
                for (order, r), pk in zip(refunds, refund_ids, strict=True)
            ],
        )
        parts = [
            (pk, part) for (_, r), pk in zip(refunds, refund_ids, strict=True) for part in r.parts
        ]
        _copy(
            RefundLine,
            [
                {
                    "id": pk,
                    "refund_id": refund_id,
                    "order_line_id": line.pk,
                    "quantity": quantity,
                    "amount": amount,
                }
                for (refund_id, (line, quantity, amount)), pk in zip(
                    parts, _ids(RefundLine, len(parts)), strict=True
                )
            ],
        )
        self.counts["refunds with returns"] = sum(r.restock for _, r in refunds)

    def _stock(self) -> None:
        """Stock rows for the history's lots (used up: 0 on hand) and the ledger rows, in
        time order; rows of existing default lots keep their quantity (the history adds as
        much as it takes)."""
        moves = sorted(self.plan.moves, key=lambda m: (m.at, m.quantity < 0))
        keys = {(m.variant.id, m.warehouse_id, m.lot.pk) for m in moves}
        existing = {
            (s.variant_id, s.warehouse_id, s.lot_id): s
            for s in Stock.objects.filter(
                lot_id__in={k[2] for k in keys}, variant_id__in={k[0] for k in keys}
            )
        }
        balance: dict[tuple[int, int, int], int] = defaultdict(int)
        for m in moves:
            key = (m.variant.id, m.warehouse_id, m.lot.pk)
            balance[key] += m.quantity
            if balance[key] < 0:  # a planning bug: never write a ledger that dips below 0
                raise DomainError(f"Demo history: stock of {m.variant.sku} would go negative.")
        new_keys = sorted(k for k in keys if k not in existing)
        stock_ids = dict(zip(new_keys, _ids(Stock, len(new_keys)), strict=True))
        first_at: dict[tuple[int, int, int], datetime] = {}
        for m in moves:
            first_at.setdefault((m.variant.id, m.warehouse_id, m.lot.pk), m.at)  # type: ignore[arg-type]
        self.counts["stocks"] = _copy(
            Stock,
            [
                {
                    "id": stock_ids[k],
                    "variant_id": k[0],
                    "warehouse_id": k[1],
                    "lot_id": k[2],
                    "quantity": balance[k],
                    "allocated": 0,
                    "created_at": first_at[k],
                    "updated_at": first_at[k],
                }
                for k in new_keys
            ],
        )
        for key, stock in existing.items():
            if balance.get(key):
                Stock.objects.filter(pk=stock.pk).update(quantity=F("quantity") + balance[key])
        stock_ids.update({k: s.pk for k, s in existing.items()})
        rows = []
        for m, pk in zip(moves, _ids(StockMovement, len(moves)), strict=True):
            key = (m.variant.id, m.warehouse_id, m.lot.pk)
            reason, reference = m.reason, ""
            if m.line is not None:
                order = m.line.order
                reference = f"order-line:{m.line.pk}"
                if m.kind == Kind.BASE_SALE:
                    reason = f"base sale {order.receipt}"
                elif m.kind == Kind.ONLINE_SALE:
                    reason = f"order {order.number}"
                elif m.kind == Kind.RETURN:
                    refund = next(r for r in order.refunds if r.restock)
                    reason = f"return, order {order.number}: {refund.reason}"
            rows.append(
                {
                    "id": pk,
                    "kind": m.kind,
                    "stock_id": stock_ids[key],  # type: ignore[index]
                    "variant_id": m.variant.id,
                    "warehouse_id": m.warehouse_id,
                    "lot_id": m.lot.pk,
                    "quantity": m.quantity,
                    "weight_g": m.quantity * m.variant.unit_g,
                    "actor_id": self.staff_id,
                    "reason": reason,
                    "transfer_id": m.ship.transfer_id if m.ship else None,
                    "reference": reference,
                    "created_at": m.at,
                }
            )
        self.counts["stock movements"] = _copy(StockMovement, rows)


def ensure_demo_history(
    result: DemoResult, *, scale: float = 1.0, now: datetime | None = None
) -> HistoryPlan | None:
    """Write the year of sales if the demo county has none yet (no demo order): returns the
    plan written, or None when there was nothing to do."""
    if Order.objects.filter(is_demo=True).exists():
        return None
    plan = plan_demo_history(scale=scale, now=now)
    if plan is None or not plan.orders:
        return None
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL, is_demo=True).first()
    base_id = Warehouse.objects.values_list("pk", flat=True).get(kind=Warehouse.Kind.BASE)
    counts = _Writer(plan, staff_id=staff.pk if staff else None, base_id=base_id).write()
    for key, n in counts.items():
        result.created[key] = result.created.get(key, 0) + n
    return plan
