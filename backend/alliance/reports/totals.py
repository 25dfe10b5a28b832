"""The alliance's totals to date: the figures the county reports (allianceTotals). Public.

Same counting rules as the sales report (alliance.reports.sales) over all time:
- weight sold to date, net of goods given back: sum of the weight of lines of paid orders
  (payment captured) minus RefundLine.quantity x unit weight of succeeded refunds;
- value in yuan: sum of those lines' totals minus the RefundLine amounts of succeeded
  refunds (goods only: shipping is not a sale of the villages' products);
- villages: with sales, and in the alliance (every village); producers: with sales, and in
  total; orders: paid orders (payment captured, refunded later or not).
One SQL statement, cached 60 s in Django's cache under a key that names nothing about the
user (everyone sees the same figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from alliance.core.money import quantize
from alliance.core.weight import grams_to_kg
from alliance.orders.models import Order, OrderLine
from alliance.payments.models import Refund, RefundLine
from alliance.reports.sales import PAID_ORDER_STATUSES, tonnes
from alliance.reports.sql import report_transaction
from alliance.villages.models import Producer, Village

CACHE_KEY = "reports:alliance-totals:v1"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class AllianceTotals:
    weight_g: int  # sold, net of goods given back
    value: Decimal  # yuan: gross - refunds
    gross: Decimal
    refunds: Decimal
    villages_with_sales: int
    villages: int
    producers_with_sales: int
    producers: int
    orders: int
    as_of: datetime

    @property
    def kg(self) -> Decimal:
        return grams_to_kg(self.weight_g)

    @property
    def tonnes(self) -> Decimal:
        return tonnes(self.weight_g)


def _q(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def _sql() -> str:
    line, order = _q(OrderLine), _q(Order)
    paid_line = (
        f"SELECT 1 FROM {line} l JOIN {order} o ON o.id = l.order_id"
        " WHERE o.payment_status = ANY(%(paid)s) AND l.{column} = x.id"
    )
    return f"""
    WITH sold AS (
        SELECT COALESCE(SUM(l.weight_g), 0) AS weight_g, COALESCE(SUM(l.line_total), 0) AS gross
          FROM {line} l JOIN {order} o ON o.id = l.order_id
         WHERE o.payment_status = ANY(%(paid)s)
    ), returned AS (
        SELECT COALESCE(SUM(rl.quantity * l.unit_weight_g), 0) AS weight_g,
               COALESCE(SUM(rl.amount), 0) AS amount
          FROM {_q(RefundLine)} rl
          JOIN {_q(Refund)} r ON r.id = rl.refund_id
          JOIN {line} l ON l.id = rl.order_line_id
         WHERE r.status = 'succeeded'
    )
    SELECT sold.weight_g - returned.weight_g, sold.gross, returned.amount,
           (SELECT COUNT(*) FROM {order} WHERE payment_status = ANY(%(paid)s)),
           (SELECT COUNT(*) FROM {_q(Village)} x
             WHERE EXISTS ({paid_line.format(column="village_id")})),
           (SELECT COUNT(*) FROM {_q(Village)}),
           (SELECT COUNT(*) FROM {_q(Producer)} x
             WHERE EXISTS ({paid_line.format(column="producer_id")})),
           (SELECT COUNT(*) FROM {_q(Producer)})
      FROM sold, returned
    """


def alliance_totals_compute() -> AllianceTotals:
    """The totals now, from the database (one query)."""
    with report_transaction(), connection.cursor() as cursor:
        cursor.execute(_sql(), {"paid": list(PAID_ORDER_STATUSES)})
        row = cursor.fetchone()
    weight_g, gross, refunds, orders, villages_sold, villages, producers_sold, producers = row
    return AllianceTotals(
        weight_g=int(weight_g),
        value=quantize(gross - refunds),
        gross=quantize(gross),
        refunds=quantize(refunds),
        villages_with_sales=int(villages_sold),
        villages=int(villages),
        producers_with_sales=int(producers_sold),
        producers=int(producers),
        orders=int(orders),
        as_of=timezone.now(),
    )


def alliance_totals(*, fresh: bool = False) -> AllianceTotals:
    """The totals, at most CACHE_SECONDS old (`fresh`: recompute and re-cache)."""
    if not fresh:
        cached = cache.get(CACHE_KEY)
        if isinstance(cached, AllianceTotals):
            return cached
    totals = alliance_totals_compute()
    cache.set(CACHE_KEY, totals, CACHE_SECONDS)
    return totals


def format_totals(totals: AllianceTotals) -> tuple[str, str]:
    """The two lines people read (Chinese, English), e.g.
    累计销售 1,408.2 吨 / 6,812,345.67 元 · 63 个村 · 210 个经营主体 · 12,345 笔订单"""
    t = f"{totals.tonnes:,.1f}"
    v = f"{totals.value:,.2f}"
    chinese = (
        f"累计销售 {t} 吨 / {v} 元 · {totals.villages_with_sales} 个村"
        f" · {totals.producers_with_sales} 个经营主体 · {totals.orders:,} 笔订单"
    )
    english = (
        f"Sold to date {t} t / ¥{v} · {totals.villages_with_sales} villages"
        f" · {totals.producers_with_sales} producers · {totals.orders:,} orders"
    )
    return chinese, english
