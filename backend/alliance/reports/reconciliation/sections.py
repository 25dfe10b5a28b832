"""The aggregate sections of a reconciliation: sales, payments, statements, stock flow.

Each section is one or two SQL statements whose size does not depend on the number of
lines: period filters are on indexed instants (orders.created_at, payments.captured_at,
refunds.succeeded_at, order lines' fulfilled_at, the ledger's created_at; see
reports/migrations/0002_report_indexes.py), and every figure is a SUM/COUNT with FILTER.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.core.money import quantize
from alliance.inventory.models import Stock, StockMovement, Warehouse
from alliance.orders.models import Order, OrderLine
from alliance.payments.models import Gateway, Payment, Refund, RefundLine
from alliance.reports.ranges import DateRange
from alliance.reports.reconciliation.types import (
    GatewayFigures,
    PaymentsSection,
    SalesSection,
    StatementFigures,
    StatementsSection,
    StockSection,
    WarehouseFlow,
)
from alliance.reports.sales import PAID_ORDER_STATUSES
from alliance.reports.scope import ReportScope
from alliance.reports.sql import (
    INDEX_RANGE_MAX_DAYS,
    fetchall,
    fetchone,
    ids_between,
    order_ids_of_range,
    table,
)
from alliance.settlement.models import SettlementPeriod, Statement, StatementLine, StatementStatus
from alliance.villages.models import Village

Mv = StockMovement.Kind


def _money(value: Any) -> Decimal:
    return quantize(value or 0)


def _base_params(span: DateRange, scope: ReportScope) -> dict[str, Any]:
    return {
        "start": span.start_utc,
        "end": span.end_utc,
        "paid": list(PAID_ORDER_STATUSES),
        "village": scope.village_id,
    }


# --- a. sales -------------------------------------------------------------------------------


def sales_section(span: DateRange, scope: ReportScope) -> SalesSection:
    """Paid orders created in the range; refunds succeeded in it. One statement."""
    village = " AND l.village_id = %(village)s" if scope.village_id is not None else ""
    order, line = table(Order), table(OrderLine)
    if scope.is_alliance:
        shipping = (
            f"SELECT COALESCE(SUM(o.shipping), 0) FROM {order} o WHERE o.created_at >= %(start)s"
            " AND o.created_at < %(end)s AND o.payment_status = ANY(%(paid)s)"
        )
        refunds = (
            f"SELECT COALESCE(SUM(r.amount), 0) FROM {table(Refund)} r WHERE r.status = "
            "'succeeded' AND r.succeeded_at >= %(start)s AND r.succeeded_at < %(end)s"
        )
    else:  # a village is owed no shipping, and gives none back
        shipping = "SELECT 0::numeric"
        refunds = "SELECT amount FROM given_back"
    sql = f"""
    WITH sold AS (
        SELECT COUNT(*) AS lines, COUNT(DISTINCT l.order_id) AS orders,
               COALESCE(SUM(l.line_total), 0) AS goods, COALESCE(SUM(l.weight_g), 0) AS weight_g
          FROM {line} l JOIN {order} o ON o.id = l.order_id
         WHERE o.created_at >= %(start)s AND o.created_at < %(end)s
           AND {order_ids_of_range("l.order_id", span.days)}
           AND o.payment_status = ANY(%(paid)s){village}
    ), given_back AS (
        SELECT COALESCE(SUM(rl.amount), 0) AS amount,
               COALESCE(SUM(rl.quantity * l.unit_weight_g), 0) AS weight_g
          FROM {table(RefundLine)} rl
          JOIN {table(Refund)} r ON r.id = rl.refund_id
          JOIN {line} l ON l.id = rl.order_line_id
         WHERE r.status = 'succeeded'
           AND r.succeeded_at >= %(start)s AND r.succeeded_at < %(end)s{village}
    )
    SELECT sold.orders, sold.lines, sold.goods, ({shipping}), ({refunds}), given_back.amount,
           sold.weight_g, given_back.weight_g
      FROM sold, given_back
    """
    orders, lines, goods, shipping_sum, refunded, goods_back, weight, returned = fetchone(
        sql, _base_params(span, scope)
    )
    return SalesSection(
        orders=int(orders),
        lines=int(lines),
        goods=_money(goods),
        shipping=_money(shipping_sum),
        refunds=_money(refunded),
        refunds_goods=_money(goods_back),
        weight_g=int(weight),
        returned_weight_g=int(returned),
    )


# --- b. payments ----------------------------------------------------------------------------


def payments_section(span: DateRange) -> PaymentsSection:
    """Captured (by captured_at) and refunded (by succeeded_at) per gateway. One statement."""
    sql = f"""
    SELECT gateway, 'captured', COUNT(*), COALESCE(SUM(captured_amount), 0)
      FROM {table(Payment)}
     WHERE captured_at >= %(start)s AND captured_at < %(end)s
     GROUP BY gateway
    UNION ALL
    SELECT p.gateway, 'refunded', COUNT(*), COALESCE(SUM(r.amount), 0)
      FROM {table(Refund)} r JOIN {table(Payment)} p ON p.id = r.payment_id
     WHERE r.status = 'succeeded' AND r.succeeded_at >= %(start)s AND r.succeeded_at < %(end)s
     GROUP BY p.gateway
    """
    figures: dict[str, dict[str, Any]] = {g: {} for g in Gateway.values}
    for gateway, what, count, amount in fetchall(
        sql, {"start": span.start_utc, "end": span.end_utc}
    ):
        figures.setdefault(gateway, {})[what] = (int(count), _money(amount))
    gateways = [
        GatewayFigures(
            gateway=gateway,
            payments=f.get("captured", (0, 0))[0],
            captured=_money(f.get("captured", (0, 0))[1]),
            refund_count=f.get("refunded", (0, 0))[0],
            refunded=_money(f.get("refunded", (0, 0))[1]),
        )
        for gateway, f in figures.items()
    ]
    total = GatewayFigures(
        gateway="total",
        payments=sum(g.payments for g in gateways),
        captured=sum((g.captured for g in gateways), Decimal("0.00")),
        refund_count=sum(g.refund_count for g in gateways),
        refunded=sum((g.refunded for g in gateways), Decimal("0.00")),
    )
    return PaymentsSection(gateways=gateways, total=total)


# --- d. statements --------------------------------------------------------------------------


def statements_section(
    span: DateRange, scope: ReportScope, *, now: datetime
) -> tuple[StatementsSection, list[dict[str, Any]]]:
    """Statements of the settlement periods overlapping the range, by status, and the
    confirmed statements still unpaid after their period ended. One statement."""
    village = " AND s.village_id = %(village)s" if scope.village_id is not None else ""
    sql = f"""
    WITH periods AS (
        SELECT id, code, starts_at, ends_at FROM {table(SettlementPeriod)}
         WHERE starts_at < %(end)s AND ends_at > %(start)s
    ), st AS (
        SELECT s.status, COUNT(*) AS n, COALESCE(SUM(s.line_count), 0) AS lines,
               COALESCE(SUM(s.weight_g), 0) AS weight_g, COALESCE(SUM(s.gross), 0) AS gross,
               COALESCE(SUM(s.refunds), 0) AS refunds,
               COALESCE(SUM(s.commission), 0) AS commission,
               COALESCE(SUM(s.net_payable), 0) AS net_payable,
               COALESCE(SUM(s.paid_amount), 0) AS paid,
               json_agg(json_build_object(
                   'id', s.id, 'number', s.number, 'period', p.code, 'village', v.name,
                   'net', s.net_payable::text, 'paid', s.paid_amount::text) ORDER BY s.id)
                 FILTER (WHERE s.status = %(confirmed)s AND p.ends_at <= %(now)s
                         AND s.paid_amount < s.net_payable) AS unpaid
          FROM {table(Statement)} s
          JOIN periods p ON p.id = s.period_id
          JOIN {table(Village)} v ON v.id = s.village_id
         WHERE TRUE{village}
         GROUP BY s.status
    )
    SELECT (SELECT array_agg(code ORDER BY starts_at) FROM periods), st.*
      FROM (SELECT 1) one LEFT JOIN st ON TRUE
    """
    params = {
        **_base_params(span, scope),
        "confirmed": StatementStatus.CONFIRMED,
        "now": now,
    }
    periods: list[str] = []
    by_status: dict[str, StatementFigures] = {}
    unpaid: list[dict[str, Any]] = []
    for row in fetchall(sql, params):  # one row per status (3 at most)
        periods = list(row[0] or [])
        if row[1] is None:
            continue
        status, n, lines, weight, gross, refunds, commission, net, paid, late = row[1:]
        by_status[status] = StatementFigures(
            status=status,
            statements=int(n),
            lines=int(lines),
            weight_g=int(weight),
            gross=_money(gross),
            refunds=_money(refunds),
            commission=_money(commission),
            net_payable=_money(net),
            paid=_money(paid),
        )
        unpaid.extend(late or [])
    ordered = [by_status.get(s, StatementFigures(s)) for s in StatementStatus.values]
    total = StatementFigures(
        status="total",
        statements=sum(f.statements for f in ordered),
        lines=sum(f.lines for f in ordered),
        weight_g=sum(f.weight_g for f in ordered),
        gross=sum((f.gross for f in ordered), Decimal("0.00")),
        refunds=sum((f.refunds for f in ordered), Decimal("0.00")),
        commission=sum((f.commission for f in ordered), Decimal("0.00")),
        net_payable=sum((f.net_payable for f in ordered), Decimal("0.00")),
        paid=sum((f.paid for f in ordered), Decimal("0.00")),
    )
    return StatementsSection(periods=periods, by_status=ordered, total=total), unpaid


def _settled_join(days: int) -> str:
    """SQL joining `s.settled` (TRUE or NULL) to each order line `l`: whether a SALE
    statement line settles it. A short range probes the unique index once per line (LATERAL
    ... LIMIT 1); a long one lets PostgreSQL hash-join the statement lines (cheaper when
    most of them are wanted)."""
    lines = table(StatementLine)
    if days <= INDEX_RANGE_MAX_DAYS:
        return (
            f"LEFT JOIN LATERAL (SELECT TRUE AS settled FROM {lines} sl WHERE "
            "sl.order_line_id = l.id AND sl.kind = 'sale' LIMIT 1) s ON TRUE"
        )
    return (
        f"LEFT JOIN (SELECT order_line_id, TRUE AS settled FROM {lines} WHERE kind = 'sale') s"
        " ON s.order_line_id = l.id"
    )


def settled_lines(
    span: DateRange, scope: ReportScope, *, closed_before: datetime, max_records: int
) -> tuple[tuple[int, Decimal, int, Decimal], list[tuple[Any, ...]]]:
    """Settleable lines done in the range (paid order, fulfilled_at set) and how many are in
    a statement; per village, the lines of closed periods (done before `closed_before`) in
    none, with at most `max_records` of them. One aggregate statement, and a second one
    listing the unsettled lines only when there are some."""
    village = " AND l.village_id = %(village)s" if scope.village_id is not None else ""
    done = "l.fulfilled_at >= %(start)s AND l.fulfilled_at < %(end)s"
    orders = (
        ids_between("o.id", table(OrderLine), "order_id", done.replace("l.", ""))
        if span.days <= INDEX_RANGE_MAX_DAYS
        else "TRUE"
    )
    lines_of_range = f"""
          FROM {table(OrderLine)} l
          JOIN {table(Order)} o ON o.id = l.order_id
          {_settled_join(span.days)}
         WHERE {done}{village} AND {orders} AND o.payment_status = ANY(%(paid)s)"""
    late = "s.settled IS NULL AND l.fulfilled_at < %(closed)s"
    sql = f"""
    SELECT l.village_id, COUNT(*), COALESCE(SUM(l.line_total), 0),
           COUNT(*) FILTER (WHERE s.settled),
           COALESCE(SUM(l.line_total) FILTER (WHERE s.settled), 0),
           COUNT(*) FILTER (WHERE {late}),
           COALESCE(SUM(l.line_total) FILTER (WHERE {late}), 0),
           COALESCE(SUM(l.weight_g) FILTER (WHERE {late}), 0)
      {lines_of_range}
     GROUP BY l.village_id
    """
    params = {**_base_params(span, scope), "closed": closed_before, "cap": max_records}
    rows = fetchall(sql, params)  # one per village (63 at most)
    totals = (
        sum(int(r[1]) for r in rows),
        sum((_money(r[2]) for r in rows), Decimal("0.00")),
        sum(int(r[3]) for r in rows),
        sum((_money(r[4]) for r in rows), Decimal("0.00")),
    )
    if not any(r[5] for r in rows):
        return totals, []
    listed = f"""
    SELECT x.village_id, v.name, x.id, x.label FROM (
        SELECT l.village_id, l.id, o.number || ' · ' || l.sku AS label,
               ROW_NUMBER() OVER (PARTITION BY l.village_id ORDER BY l.id) AS n
          {lines_of_range} AND {late}
    ) x JOIN {table(Village)} v ON v.id = x.village_id
     WHERE x.n <= %(cap)s
     ORDER BY v.code, x.id
    """
    records: dict[int, tuple[str, list[int], list[str]]] = {}
    for village_id, name, pk, label in fetchall(listed, params):  # at most cap per village
        entry = records.setdefault(village_id, (name, [], []))
        entry[1].append(pk)
        entry[2].append(label)
    by_village = {r[0]: r for r in rows}
    late_rows = [
        (village_id, name, *by_village[village_id][1:], pks, labels)
        for village_id, (name, pks, labels) in records.items()
    ]
    return totals, late_rows


# --- e. stock flow --------------------------------------------------------------------------


_FLOW_KINDS = {
    "received_g": Mv.RECEIPT,
    "transferred_in_g": Mv.TRANSFER_IN,
    "returns_g": Mv.RETURN,
    "sold_online_g": Mv.ONLINE_SALE,
    "sold_base_g": Mv.BASE_SALE,
    "transferred_out_g": Mv.TRANSFER_OUT,
    "lost_g": Mv.LOSS,
    "adjustments_g": Mv.ADJUSTMENT,
}
_OUTGOING = {"sold_online_g", "sold_base_g", "transferred_out_g", "lost_g"}


def stock_flow(span: DateRange, scope: ReportScope, *, now: datetime) -> StockSection:
    """Per warehouse: opening (ledger before the start) + in - out = closing (ledger before
    the end), in grams, from one aggregate over the ledger. When the range includes now, the
    closing is compared with the Stock table (on hand x unit weight, and on-hand units: one
    aggregate over the Stock rows); the Stock rows at fault are looked for only in a
    warehouse that disagrees (stock_rows_off)."""
    where_wh = " WHERE w.village_id = %(village)s" if scope.village_id is not None else ""
    sums = ",\n".join(
        f"COALESCE(SUM(m.weight_g) FILTER (WHERE m.created_at >= %(start)s "
        f"AND m.kind = '{kind}'), 0) AS {name}"
        for name, kind in _FLOW_KINDS.items()
    )
    sql = f"""
    WITH flow AS (
        SELECT m.warehouse_id,
               COALESCE(SUM(m.weight_g) FILTER (WHERE m.created_at < %(start)s), 0) AS opening,
               {sums},
               COALESCE(SUM(m.weight_g), 0) AS closing,
               COALESCE(SUM(m.quantity), 0) AS closing_quantity
          FROM {table(StockMovement)} m
         WHERE m.created_at < %(end)s
         GROUP BY m.warehouse_id
    )
    SELECT w.id, w.code, w.name, f.*
      FROM {table(Warehouse)} w LEFT JOIN flow f ON f.warehouse_id = w.id{where_wh}
     ORDER BY w.kind, w.code
    """
    params = _base_params(span, scope)
    checked = span.end_utc > now
    on_hand = _stock_table(scope) if checked else {}
    flows: list[WarehouseFlow] = []
    for row in fetchall(sql, params):  # one per warehouse
        pk, code, name, _wid, opening, *kinds, closing, closing_quantity = row
        values = {
            name_: (-int(v or 0) if name_ in _OUTGOING else int(v or 0))
            for name_, v in zip(_FLOW_KINDS, kinds, strict=True)
        }
        table_g, table_quantity = on_hand.get(pk, (0, 0))
        flows.append(
            WarehouseFlow(
                warehouse_id=pk,
                code=code,
                name=name,
                opening_g=int(opening or 0),
                closing_g=int(closing or 0),
                stock_table_g=table_g if checked else None,
                stock_quantity_off=(table_quantity - int(closing_quantity or 0)) if checked else 0,
                **values,
            )
        )
    total = WarehouseFlow(
        warehouse_id=None,
        code="",
        name="合计",
        opening_g=sum(f.opening_g for f in flows),
        closing_g=sum(f.closing_g for f in flows),
        stock_table_g=sum(f.stock_table_g or 0 for f in flows) if checked else None,
        stock_quantity_off=sum(f.stock_quantity_off for f in flows),
        **{name_: sum(getattr(f, name_) for f in flows) for name_ in _FLOW_KINDS},
    )
    return StockSection(warehouses=flows, total=total, checked_against_stock=checked)


def _stock_table(scope: ReportScope) -> dict[int, tuple[int, int]]:
    """warehouse id -> (grams on hand by the Stock table, units on hand). One aggregate over
    the Stock rows (not the ledger)."""
    village = (
        f" WHERE s.warehouse_id IN (SELECT id FROM {table(Warehouse)} WHERE village_id = "
        "%(village)s)"
        if scope.village_id is not None
        else ""
    )
    sql = f"""
    SELECT s.warehouse_id,
           COALESCE(SUM(s.quantity * CASE WHEN v.sold_by = 'weight' THEN 1 ELSE v.weight_g END),
                    0),
           COALESCE(SUM(s.quantity), 0)
      FROM {table(Stock)} s JOIN {table(ProductVariant)} v ON v.id = s.variant_id{village}
     GROUP BY s.warehouse_id
    """
    rows = fetchall(sql, {"village": scope.village_id})
    return {pk: (int(grams), int(units)) for pk, grams, units in rows}


def stock_rows_off(scope: ReportScope, warehouse_ids: list[int], cap: int) -> list[tuple]:
    """Stock rows of `warehouse_ids` whose on-hand differs from their ledger (at most `cap`
    per warehouse). Only asked when the stock check found some."""
    if not warehouse_ids:
        return []
    sql = f"""
    SELECT * FROM (
        SELECT s.warehouse_id, s.id, v.sku, s.quantity, COALESCE(l.quantity, 0),
               ROW_NUMBER() OVER (PARTITION BY s.warehouse_id ORDER BY s.id) AS n
          FROM {table(Stock)} s
          JOIN {table(ProductVariant)} v ON v.id = s.variant_id
          LEFT JOIN (SELECT stock_id, SUM(quantity) AS quantity FROM {table(StockMovement)}
                      WHERE warehouse_id = ANY(%(ids)s) GROUP BY stock_id) l
                 ON l.stock_id = s.id
         WHERE s.warehouse_id = ANY(%(ids)s) AND s.quantity <> COALESCE(l.quantity, 0)
    ) x WHERE n <= %(cap)s
    """
    return fetchall(sql, {"ids": warehouse_ids, "cap": cap})
