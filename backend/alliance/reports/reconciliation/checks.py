"""Discrepancy checks: each one SQL statement returning the problems (at most `limit` of
them, with how many there are in all), each problem with the records behind it.

- FULFILLED_NOT_PAID: order lines done (fulfilled_at) in the range whose order has no
  captured payment (no Payment captured, partially refunded or refunded);
- PAYMENT_MISMATCH (staff): orders created in the range that count as paid (or partially
  paid) whose captured payments do not add up to the order total;
- TRANSFER_SHORT: transfers received in the range with lines received short: the transfer,
  the short lines and the LOSS rows that booked the shortfall;
- STOCK_FLOW_MISMATCH, UNSETTLED_LINES, STATEMENT_NOT_PAID: built here from the sections'
  figures (alliance.reports.reconciliation.sections).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.core.money import quantize
from alliance.core.weight import grams_to_kg
from alliance.inventory.models import StockMovement, Transfer, TransferLine, Warehouse
from alliance.orders.models import Order, OrderLine, PaymentStatus
from alliance.payments.models import Payment
from alliance.payments.services import CAPTURED_OR_LATER
from alliance.reports.ranges import DateRange
from alliance.reports.reconciliation.types import Discrepancy, Kind, Record, WarehouseFlow
from alliance.reports.sales import PAID_ORDER_STATUSES
from alliance.reports.scope import ReportScope
from alliance.reports.sql import INDEX_RANGE_MAX_DAYS, fetchall, table

Found = tuple[list[Discrepancy], int]  # (at most `limit` problems, how many in all)


def _params(span: DateRange, scope: ReportScope, limit: int, cap: int) -> dict[str, Any]:
    return {
        "start": span.start_utc,
        "end": span.end_utc,
        "village": scope.village_id,
        "limit": limit,
        "cap": cap,
        "captured": sorted(CAPTURED_OR_LATER),
        "paid": [*PAID_ORDER_STATUSES, PaymentStatus.PARTIALLY_CHARGED],
    }


def _found(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][-1]) if rows else 0


def fulfilled_not_paid(span: DateRange, scope: ReportScope, *, limit: int, cap: int) -> Found:
    village = " AND l.village_id = %(village)s" if scope.village_id is not None else ""
    select = """
    SELECT o.id, o.number, o.payment_status, SUM(l.line_total), SUM(l.weight_g),
           (array_agg(l.id ORDER BY l.id))[1:%(cap)s],
           (array_agg(l.sku || ' × ' || l.quantity ORDER BY l.id))[1:%(cap)s],
           COUNT(*) OVER ()"""
    tail = """
     GROUP BY o.id, o.number, o.payment_status
     ORDER BY o.id
     LIMIT %(limit)s"""
    if span.days <= INDEX_RANGE_MAX_DAYS:
        # Lines by the fulfilled_at index; each of their orders probed once for a captured
        # payment by the payment.order_id index (LATERAL ... LIMIT 1), not a scan of payments.
        sql = f"""
        WITH done AS MATERIALIZED (
            SELECT l.id, l.order_id, l.line_total, l.weight_g, l.sku, l.quantity
              FROM {table(OrderLine)} l
             WHERE l.fulfilled_at >= %(start)s AND l.fulfilled_at < %(end)s{village}
        ), unpaid AS MATERIALIZED (
            SELECT d.order_id FROM (SELECT DISTINCT order_id FROM done) d
              LEFT JOIN LATERAL (
                  SELECT TRUE AS captured FROM {table(Payment)} p
                   WHERE p.order_id = d.order_id AND p.status = ANY(%(captured)s) LIMIT 1
              ) c ON TRUE
             WHERE c.captured IS NULL
        ){select}
          FROM unpaid u
          JOIN {table(Order)} o ON o.id = u.order_id
          JOIN done l ON l.order_id = u.order_id{tail}"""
    else:  # most lines are wanted: PostgreSQL hashes the captured payments once
        sql = f"""{select}
          FROM {table(OrderLine)} l JOIN {table(Order)} o ON o.id = l.order_id
         WHERE l.fulfilled_at >= %(start)s AND l.fulfilled_at < %(end)s{village}
           AND NOT EXISTS (SELECT 1 FROM {table(Payment)} p
                            WHERE p.order_id = o.id AND p.status = ANY(%(captured)s)){tail}"""
    rows = fetchall(sql, _params(span, scope, limit, cap))
    found = [
        Discrepancy(
            kind=Kind.FULFILLED_NOT_PAID,
            message=(
                f"Order {number}: {len(line_ids)} line(s) fulfilled but no payment was "
                f"captured (payment status {payment_status})."
            ),
            amount=quantize(value),
            weight_g=int(weight),
            records=[
                Record("Order", order_id, number),
                *(
                    Record("OrderLine", pk, label)
                    for pk, label in zip(line_ids, labels, strict=True)
                ),
            ],
        )
        for order_id, number, payment_status, value, weight, line_ids, labels, _ in rows
    ]
    return found, _found(rows)


def payment_mismatch(span: DateRange, *, limit: int, cap: int) -> Found:
    # Orders by the created_at index; each one's captured payments summed through the
    # payment.order_id index (LATERAL), never a scan of every payment.
    sql = f"""
    SELECT o.id, o.number, o.total, o.payment_status, pay.captured, pay.ids[1:%(cap)s],
           pay.labels[1:%(cap)s], COUNT(*) OVER ()
      FROM {table(Order)} o
     CROSS JOIN LATERAL (
         SELECT COALESCE(SUM(p.captured_amount), 0) AS captured,
                array_agg(p.id ORDER BY p.id) AS ids,
                array_agg(p.gateway || ' ' || p.captured_amount::text ORDER BY p.id) AS labels
           FROM {table(Payment)} p
          WHERE p.order_id = o.id AND p.status = ANY(%(captured)s)
     ) pay
     WHERE o.created_at >= %(start)s AND o.created_at < %(end)s
       AND o.payment_status = ANY(%(paid)s)
       AND pay.captured <> o.total
     ORDER BY o.id
     LIMIT %(limit)s
    """
    rows = fetchall(sql, _params(span, ReportScope(None), limit, cap))
    found = []
    for order_id, number, total, status, captured, payment_ids, labels, _ in rows:
        found.append(
            Discrepancy(
                kind=Kind.PAYMENT_MISMATCH,
                message=(
                    f"Order {number} totals {quantize(total)} but its captured payments add up "
                    f"to {quantize(captured)} (payment status {status})."
                ),
                amount=abs(quantize(total) - quantize(captured)),
                records=[
                    Record("Order", order_id, number),
                    *(
                        Record("Payment", pk, label)
                        for pk, label in zip(payment_ids or [], labels or [], strict=True)
                    ),
                ],
            )
        )
    return found, _found(rows)


def transfer_short(span: DateRange, scope: ReportScope, *, limit: int, cap: int) -> Found:
    village = " AND src.village_id = %(village)s" if scope.village_id is not None else ""
    movement = table(StockMovement)
    sql = f"""
    SELECT t.id, t.code, src.name,
           (array_agg(tl.id ORDER BY tl.id))[1:%(cap)s],
           (array_agg(v.sku || ': ' || tl.quantity || ' sent, ' || tl.quantity_received
                      || ' received' || CASE WHEN tl.shortfall_reason <> ''
                      THEN ' (' || tl.shortfall_reason || ')' ELSE '' END
                      ORDER BY tl.id))[1:%(cap)s],
           (SELECT array_agg(m.id ORDER BY m.id) FROM {movement} m
             WHERE m.transfer_id = t.id AND m.kind = 'loss'),
           (SELECT array_agg(m.quantity ORDER BY m.id) FROM {movement} m
             WHERE m.transfer_id = t.id AND m.kind = 'loss'),
           (SELECT COALESCE(-SUM(m.weight_g), 0) FROM {movement} m
             WHERE m.transfer_id = t.id AND m.kind = 'loss'),
           COUNT(*) OVER ()
      FROM {table(Transfer)} t
      JOIN {table(TransferLine)} tl ON tl.transfer_id = t.id
                                   AND tl.quantity_received < tl.quantity
      JOIN {table(ProductVariant)} v ON v.id = tl.variant_id
      JOIN {table(Warehouse)} src ON src.id = t.source_id
     WHERE t.status = 'received' AND t.received_at >= %(start)s AND t.received_at < %(end)s
           {village}
     GROUP BY t.id, t.code, src.name
     ORDER BY t.id
     LIMIT %(limit)s
    """
    rows = fetchall(sql, _params(span, scope, limit, cap))
    found = []
    for pk, code, source, line_ids, labels, loss_ids, loss_qty, lost_g, _ in rows:
        found.append(
            Discrepancy(
                kind=Kind.TRANSFER_SHORT,
                message=(
                    f"Transfer {code} from {source} arrived short: {len(line_ids)} line(s), "
                    f"{grams_to_kg(int(lost_g))} kg booked as loss at the base."
                ),
                weight_g=int(lost_g),
                records=[
                    Record("Transfer", pk, code),
                    *(
                        Record("TransferLine", lp, label)
                        for lp, label in zip(line_ids, labels, strict=True)
                    ),
                    *(
                        Record("StockMovement", mp, f"loss {q}")
                        for mp, q in zip(loss_ids or [], loss_qty or [], strict=True)
                    ),
                ],
            )
        )
    return found, _found(rows)


def stock_flow_mismatches(
    flows: list[WarehouseFlow], rows_off: list[tuple[Any, ...]]
) -> list[Discrepancy]:
    """A discrepancy per warehouse whose flow does not balance or whose Stock table
    disagrees with the ledger; the Stock rows at fault are its records."""
    by_warehouse: dict[int, list[Record]] = {}
    for warehouse_id, stock_id, sku, on_hand, ledger, _n in rows_off:
        by_warehouse.setdefault(warehouse_id, []).append(
            Record("Stock", stock_id, f"{sku}: {on_hand} on hand, ledger says {ledger}")
        )
    found = []
    for flow in flows:
        if flow.balanced:
            continue
        parts = []
        if flow.expected_closing_g != flow.closing_g:
            parts.append(
                f"opening + in - out = {grams_to_kg(flow.expected_closing_g)} kg but the "
                f"ledger closes at {grams_to_kg(flow.closing_g)} kg"
            )
        if flow.stock_table_g is not None and flow.stock_table_g != flow.closing_g:
            parts.append(
                f"the Stock table holds {grams_to_kg(flow.stock_table_g)} kg, the ledger "
                f"{grams_to_kg(flow.closing_g)} kg"
            )
        if flow.stock_quantity_off:
            parts.append(
                f"the Stock table holds {flow.stock_quantity_off:+d} unit(s) against the ledger"
            )
        if by_warehouse.get(flow.warehouse_id or 0):
            parts.append(
                f"{len(by_warehouse[flow.warehouse_id or 0])} stock row(s) differ from their "
                "own ledger"
            )
        difference = abs((flow.stock_table_g or flow.expected_closing_g) - flow.closing_g)
        found.append(
            Discrepancy(
                kind=Kind.STOCK_FLOW_MISMATCH,
                message=f"{flow.name}: " + "; ".join(parts) + ".",
                weight_g=difference,
                records=[
                    Record("Warehouse", flow.warehouse_id, flow.name),
                    *by_warehouse.get(flow.warehouse_id or 0, []),
                ],
            )
        )
    return found


def unsettled_lines(rows: list[tuple[Any, ...]]) -> list[Discrepancy]:
    """From statements.settled_lines: a discrepancy per village with lines of closed
    periods in no statement."""
    found = []
    for village_id, name, *_, count, value, weight, line_ids, labels in rows:
        found.append(
            Discrepancy(
                kind=Kind.UNSETTLED_LINES,
                message=(
                    f"{name}: {count} settleable line(s) of closed periods are in no "
                    f"statement ({quantize(value)} 元)."
                ),
                amount=quantize(value),
                weight_g=int(weight),
                records=[
                    Record("Village", village_id, name),
                    *(
                        Record("OrderLine", pk, label)
                        for pk, label in zip(line_ids or [], labels or [], strict=True)
                    ),
                ],
            )
        )
    return found


def statements_not_paid(unpaid: list[dict[str, Any]]) -> list[Discrepancy]:
    found = []
    for item in unpaid:
        net, paid = Decimal(item["net"]), Decimal(item["paid"])
        found.append(
            Discrepancy(
                kind=Kind.STATEMENT_NOT_PAID,
                message=(
                    f"Statement {item['number']} ({item['village']}, {item['period']}) was "
                    f"confirmed but {quantize(net - paid)} of {quantize(net)} is unpaid after "
                    "its period ended."
                ),
                amount=quantize(net - paid),
                records=[Record("Statement", int(item["id"]), str(item["number"]))],
            )
        )
    return found
