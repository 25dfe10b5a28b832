"""Sales report: orders, quantity, tonnage and value by village, producer, category, channel
and month, from one SQL aggregate (no Python loop over lines).

Counting rules (the team's shared rules, issue 5):
- a line counts in the period holding its order's `created_at`, when the order's payment was
  captured (Order.payment_status fully_charged, partially_refunded or fully_refunded);
  cancelled or unpaid orders never count;
- refunds count in the period holding `refund.succeeded_at`: every RefundLine of a
  succeeded refund, in the group of its order line (village, producer, category, channel)
  and in the month of the refund. Weight given back = RefundLine.quantity x unit weight
  (a money-only refund gives back no weight). Shipping refunds belong to no line and are not
  here (the reconciliation shows them);
- gross = sum of line totals; refunds = sum of RefundLine amounts; net = gross - refunds;
  weight_g = weight sold; net_weight_g = weight_g - returned_weight_g; kilograms (3
  places) and tonnes (3 places, half up) are Decimal from integer grams;
- `orders` counts distinct orders with a line in the group (refunds add none);
- `quantity` counts the units of lines sold by the unit; lines sold by weight (whose
  quantity counts grams) add their weight only;
- rows are ordered by the groups in the order asked (villages by division code, producers
  and categories by name / sort order, channels online then base, months in time);
- CATEGORY is the line's own category (a leaf such as 苹果); CATEGORY_ROOT is its top-level
  category (水果); MONTH is the local (Asia/Shanghai) month.
Scope: staff see the alliance; a first secretary only their village (forced); anyone else
is refused (alliance.reports.scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from alliance.catalog.models import Category, Channel
from alliance.core.errors import DomainError
from alliance.core.money import quantize
from alliance.core.weight import GRAMS_PER_TONNE, grams_to_kg
from alliance.orders.models import Order, OrderLine, PaymentStatus
from alliance.payments.models import Refund, RefundLine
from alliance.reports.ranges import DateRange, parse_range
from alliance.reports.scope import ReportScope, report_scope
from alliance.reports.sql import order_ids_of_range, report_transaction
from alliance.villages.models import Producer, Village

# Orders whose payment was captured (refunded later or not): they are sales.
PAID_ORDER_STATUSES = (
    PaymentStatus.FULLY_CHARGED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.FULLY_REFUNDED,
)
MAX_ROWS = 10_000  # GraphQL answers at most this many rows; exports pass max_rows=None
TONNE_PLACES = Decimal("0.001")


class GroupBy:
    VILLAGE = "VILLAGE"
    PRODUCER = "PRODUCER"
    CATEGORY = "CATEGORY"
    CATEGORY_ROOT = "CATEGORY_ROOT"
    CHANNEL = "CHANNEL"
    MONTH = "MONTH"
    ALL = (VILLAGE, PRODUCER, CATEGORY, CATEGORY_ROOT, CHANNEL, MONTH)


# group -> column of the `facts` CTE below
_KEY_COLUMN = {
    GroupBy.VILLAGE: "village_id",
    GroupBy.PRODUCER: "producer_id",
    GroupBy.CATEGORY: "category_id",
    GroupBy.CATEGORY_ROOT: "category_root_id",
    GroupBy.CHANNEL: "channel_id",
    GroupBy.MONTH: "month",
}


class InvalidGroupBy(DomainError):
    code = "INVALID_GROUP_BY"


class InvalidChannel(DomainError):
    code = "INVALID_CHANNEL"


class ReportTooLarge(DomainError):
    code = "REPORT_TOO_LARGE"


def tonnes(grams: int) -> Decimal:
    return (Decimal(grams) / GRAMS_PER_TONNE).quantize(TONNE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Named:
    """A group key: the row's id and what people call it."""

    id: int
    name: str
    code: str = ""  # village division code, category slug


@dataclass(frozen=True)
class SalesRow:
    village: Named | None = None
    producer: Named | None = None
    category: Named | None = None
    category_root: Named | None = None
    channel: str | None = None  # slug: online / base
    month: date | None = None  # first local day of the month
    orders: int = 0
    quantity: int = 0
    weight_g: int = 0  # sold
    returned_weight_g: int = 0
    gross: Decimal = Decimal("0.00")
    refunds: Decimal = Decimal("0.00")

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds

    @property
    def net_weight_g(self) -> int:
        return self.weight_g - self.returned_weight_g

    @property
    def weight_kg(self) -> Decimal:
        return grams_to_kg(self.weight_g)

    @property
    def weight_tonnes(self) -> Decimal:
        return tonnes(self.weight_g)

    @property
    def returned_weight_kg(self) -> Decimal:
        return grams_to_kg(self.returned_weight_g)

    @property
    def net_weight_kg(self) -> Decimal:
        return grams_to_kg(self.net_weight_g)

    @property
    def net_weight_tonnes(self) -> Decimal:
        return tonnes(self.net_weight_g)


@dataclass(frozen=True)
class SalesReport:
    period: DateRange
    channel: str | None
    group_by: tuple[str, ...]
    rows: list[SalesRow]
    totals: SalesRow
    village_id: int | None = None  # a first secretary's report: their village
    village_name: str = ""
    notes: list[str] = field(default_factory=list)


def _clean_group_by(group_by: Iterable[Any]) -> tuple[str, ...]:
    seen: list[str] = []
    for item in group_by or ():
        name = str(getattr(item, "value", item)).upper()
        if name not in GroupBy.ALL:
            raise InvalidGroupBy(
                f"Cannot group by {item!r}; choose from {', '.join(GroupBy.ALL)}.",
                field="groupBy",
            )
        if name not in seen:
            seen.append(name)
    return tuple(seen)


def clean_channel(channel: str | None) -> str | None:
    if channel in (None, ""):
        return None
    slug = str(channel).strip().lower()
    if slug not in (Channel.ONLINE, Channel.BASE):
        raise InvalidChannel(
            f"Unknown channel {channel!r}: give {Channel.ONLINE} or {Channel.BASE}.",
            field="channel",
        )
    return slug


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _facts_sql(
    *, scope: ReportScope, channel: str | None, root: bool, days: int
) -> tuple[str, dict]:
    """The CTEs: one row per sold line and one per refunded line, with their group keys."""
    params: dict[str, Any] = {"paid": list(PAID_ORDER_STATUSES), "tz": settings.TIME_ZONE}
    where = ""
    if scope.village_id is not None:
        where += " AND l.village_id = %(village)s"
        params["village"] = scope.village_id
    if channel is not None:
        where += f" AND o.channel_id = (SELECT id FROM {_table(Channel)} WHERE slug = %(channel)s)"
        params["channel"] = channel
    root_cte = root_col = root_join = ""
    if root:
        root_cte = (
            f"cat_root(id, root_id) AS (SELECT id, id FROM {_table(Category)} "
            f"WHERE parent_id IS NULL UNION ALL SELECT c.id, r.root_id FROM {_table(Category)} c "
            "JOIN cat_root r ON c.parent_id = r.id), "
        )
        root_col = ", cr.root_id AS category_root_id"
        root_join = " LEFT JOIN cat_root cr ON cr.id = l.category_id"
    sql = f"""
    WITH RECURSIVE {root_cte}facts AS (
        SELECT l.village_id, l.producer_id, l.category_id, o.channel_id{root_col},
               o.month, o.id AS order_id,
               CASE WHEN l.sold_by = 'weight' THEN 0 ELSE l.quantity END AS quantity,
               l.weight_g AS weight_g, 0::bigint AS returned_weight_g,
               l.line_total AS gross, 0::numeric AS refunds
          FROM {_table(OrderLine)} l
          -- The local month once per order, not once per line (OFFSET 0 keeps PostgreSQL
          -- from pulling the subquery up and computing it after the join).
          JOIN (SELECT id, channel_id,
                       date_trunc('month', created_at AT TIME ZONE %(tz)s)::date AS month
                  FROM {_table(Order)}
                 WHERE created_at >= %(start)s AND created_at < %(end)s
                   AND payment_status = ANY(%(paid)s)
                OFFSET 0) o ON o.id = l.order_id{root_join}
         WHERE {order_ids_of_range("l.order_id", days)}{where}
        UNION ALL
        SELECT l.village_id, l.producer_id, l.category_id, o.channel_id{root_col},
               date_trunc('month', r.succeeded_at AT TIME ZONE %(tz)s)::date,
               NULL, 0, 0, rl.quantity * l.unit_weight_g, 0, rl.amount
          FROM {_table(RefundLine)} rl
          JOIN {_table(Refund)} r ON r.id = rl.refund_id
          JOIN {_table(OrderLine)} l ON l.id = rl.order_line_id
          JOIN {_table(Order)} o ON o.id = l.order_id{root_join}
         WHERE r.status = 'succeeded'
           AND r.succeeded_at >= %(start)s AND r.succeeded_at < %(end)s{where}
    )"""
    return sql, params


def _report_sql(
    *,
    keys: Sequence[str],
    scope: ReportScope,
    channel: str | None,
    limit: int | None,
    days: int,
) -> tuple[str, dict]:
    facts, params = _facts_sql(
        scope=scope, channel=channel, root=GroupBy.CATEGORY_ROOT in keys, days=days
    )
    columns = [_KEY_COLUMN[k] for k in keys]
    key_select = "".join(f"{c}, " for c in columns)
    grouping = f"GROUPING SETS (({', '.join(columns)}), ())" if columns else "()"
    is_total = f"GROUPING({columns[0]}) = 1" if columns else "TRUE"
    joins, names, order = [], [], []
    for key in keys:
        if key == GroupBy.VILLAGE:
            joins.append(f"LEFT JOIN {_table(Village)} v ON v.id = a.village_id")
            names.append("a.village_id, v.name, v.code")
            order.append("v.code")
        elif key == GroupBy.PRODUCER:
            joins.append(f"LEFT JOIN {_table(Producer)} p ON p.id = a.producer_id")
            names.append("a.producer_id, p.name")
            order.append("p.name, a.producer_id")
        elif key == GroupBy.CATEGORY:
            joins.append(f"LEFT JOIN {_table(Category)} c ON c.id = a.category_id")
            names.append("a.category_id, c.name, c.slug")
            order.append("c.sort_order, c.id")
        elif key == GroupBy.CATEGORY_ROOT:
            joins.append(f"LEFT JOIN {_table(Category)} cr2 ON cr2.id = a.category_root_id")
            names.append("a.category_root_id, cr2.name, cr2.slug")
            order.append("cr2.sort_order, cr2.id")
        elif key == GroupBy.CHANNEL:
            joins.append(f"LEFT JOIN {_table(Channel)} ch ON ch.id = a.channel_id")
            names.append("ch.slug")
            order.append("ch.id")
        else:
            names.append("a.month")
            order.append("a.month")
    sql = f"""{facts},
    agg AS (
        SELECT {key_select}{is_total} AS is_total,
               COUNT(DISTINCT order_id) AS orders, COALESCE(SUM(quantity), 0) AS quantity,
               COALESCE(SUM(weight_g), 0) AS weight_g,
               COALESCE(SUM(returned_weight_g), 0) AS returned_weight_g,
               COALESCE(SUM(gross), 0) AS gross, COALESCE(SUM(refunds), 0) AS refunds
          FROM facts GROUP BY {grouping}
    )
    SELECT a.is_total, a.orders, a.quantity, a.weight_g, a.returned_weight_g, a.gross,
           a.refunds{"".join(f", {c}" for c in names)}
      FROM agg a {" ".join(joins)}
     ORDER BY a.is_total DESC{"".join(f", {o}" for o in order)}"""
    if limit is not None:
        sql += f" LIMIT {int(limit) + 2}"  # the totals row, the rows, one more to detect
    return sql, params


def _row(keys: Sequence[str], record: Sequence[Any]) -> SalesRow:
    """A SalesRow from a result row: is_total, the figures, then each key's columns."""
    orders, quantity, weight_g, returned, gross, refunds = record[1:7]
    values: dict[str, Any] = {
        "orders": int(orders),
        "quantity": int(quantity),
        "weight_g": int(weight_g),
        "returned_weight_g": int(returned),
        "gross": quantize(gross),
        "refunds": quantize(refunds),
    }
    rest = iter(record[7:])
    for key in keys:
        if key == GroupBy.VILLAGE:
            pk, name, code = next(rest), next(rest), next(rest)
            values["village"] = None if pk is None else Named(pk, name, code)
        elif key == GroupBy.PRODUCER:
            pk, name = next(rest), next(rest)
            values["producer"] = None if pk is None else Named(pk, name)
        elif key in (GroupBy.CATEGORY, GroupBy.CATEGORY_ROOT):
            pk, name, slug = next(rest), next(rest), next(rest)
            attr = "category" if key == GroupBy.CATEGORY else "category_root"
            values[attr] = None if pk is None else Named(pk, name, slug)
        elif key == GroupBy.CHANNEL:
            values["channel"] = next(rest)
        else:
            values["month"] = next(rest)
    return SalesRow(**values)


def sales_report(
    *,
    actor: Any,
    period: str | DateRange,
    channel: str | None = None,
    group_by: Iterable[Any] = (),
    max_rows: int | None = MAX_ROWS,
) -> SalesReport:
    """The sales of `period` (a period string, see alliance.reports.ranges), optionally of
    one channel, grouped by `group_by` (GroupBy names): one SQL query."""
    scope = report_scope(actor, "Sales reports")
    span = period if isinstance(period, DateRange) else parse_range(period)
    slug = clean_channel(channel)
    keys = _clean_group_by(group_by)
    sql, params = _report_sql(keys=keys, scope=scope, channel=slug, limit=max_rows, days=span.days)
    params.update(start=span.start_utc, end=span.end_utc)
    with report_transaction(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        records = cursor.fetchall()
    rows: list[SalesRow] = []
    totals = SalesRow()
    for record in records:  # one per group (at most max_rows + 2), never one per line
        if record[0]:
            totals = _row((), record)
        else:
            rows.append(_row(keys, record))
    if not keys:
        rows = [totals]
    if max_rows is not None and len(rows) > max_rows:
        raise ReportTooLarge(
            f"The report has more than {max_rows} rows: group by less, or export it.",
            field="groupBy",
        )
    notes = [
        "CATEGORY is each line's own category; CATEGORY_ROOT its top-level category.",
        "quantity counts units of lines sold by the unit; lines sold by weight add weight only.",
    ]
    return SalesReport(
        period=span,
        channel=slug,
        group_by=keys,
        rows=rows,
        totals=totals,
        village_id=scope.village_id,
        village_name=scope.village_name,
        notes=notes,
    )
