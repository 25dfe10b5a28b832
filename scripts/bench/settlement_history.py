#!/usr/bin/env python
"""A settlement-scale sales history: at least 1,000,000 order lines in a database of its own.

    .venv/bin/python scripts/bench/settlement_history.py          # 1,000,000 lines, 18 months
    .venv/bin/python scripts/bench/settlement_history.py --lines 200000 --months 12
    .venv/bin/python scripts/bench/settlement_history.py --keep   # reuse it if already built

The database (`alliance_bench_settlement` unless --db) lives on the same PostgreSQL server as
the app (DATABASE_URL's, or the embedded one); without --keep it is dropped and rebuilt. It
is migrated, then given the demo county's structure (the same plan as `load_demo`: 6
townships, 63 villages, 210 producers, their products, variants and channel prices, one
collection point per village and the base; no photos, no demo stock) and a bench staff
account (bench-staff@example.com, no usable password), then the history below.

The history covers MONTHS local months up to --end (a local date, exclusive; default today),
the last one open. Everything is written by set-based SQL (INSERT ... SELECT over
generate_series, random() after setseed, no parallel workers): the same seed, end date and
sizes give the same rows. Each row satisfies the models' constraints and tells the same
story the services would have written:

- orders in both channels (online about 65 %: delivery or pick-up at the base, 2 % cancelled
  unpaid; base counter sales, cash or bank transfer), 1-5 lines each, distinct variants,
  snapshots and prices as order_create_from_lines makes them; a captured payment of the
  order's total for every order not cancelled (Stripe online, with a pi_ reference);
- online orders ship 2 h-4 days after they are placed (fulfilled_at, one Fulfillment per
  order and warehouse, ONLINE_SALE rows in the ledger); the latest are still unfulfilled and
  keep their Allocation rows (Stock.allocated). Counter sales are handed over at once
  (BASE_SALE rows);
- about 3 % of shipped orders get one succeeded refund 1-21 days later: either one line in
  full (a third of those with the goods back at the base: RETURN rows) or a money-only part
  spread over the lines (payments.refund_lines' rules); payments and orders carry the
  refunded amounts and statuses;
- the stock behind the sales: a harvest lot per variant and month (the variant's default lot
  when the product does not track lots), received at its village's collection point the day
  before the month starts, the base's share sent on that day's transfer (TRANSFER_OUT, then
  TRANSFER_IN of what was sent; 3 % of lines arrive short, the shortfall a LOSS with its
  reason), a few losses during the month, then the sales. Every outflow of a stock row comes
  after the inflows that cover it, so stock is never negative at any moment, and Stock rows
  hold exactly their ledger sums at the end;
- a few commission rules on top of the default one (6 villages at 3 %, honey at 8 %).

The script's session loads in bulk (see `generate(fast=True)`: foreign keys checked by one
anti-join each instead of row by row, plain indexes of the big tables built after the load;
a superuser session only, otherwise the ordinary path). It prints how long each step took,
the generator process's peak RSS (ru_maxrss) and, separately, its PostgreSQL backend's peak
RSS (VmHWM, when the server is local). `generate()` and `load_structure()` also serve the
test (tests/backend/bench/test_settlement_history_generator.py), which runs them at a tiny
scale inside the test database.
"""

from __future__ import annotations

import argparse
import calendar
import json
import math
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
DEFAULT_DB = "alliance_bench_settlement"
DEFAULT_SEED = 610627
ZONE = ZoneInfo("Asia/Shanghai")
STAFF_EMAIL = "bench-staff@example.com"
CONSUMERS_MAX = 5000
LINES_PER_ORDER = 2.5  # mean of the 1-5 distribution below

# Shares and rates of the story above (fractions).
ONLINE_SHARE = 0.65
DELIVERY_SHARE = 0.85  # of online orders; the rest are picked up at the base
CANCELLED_SHARE = 0.02  # of online orders
SIGNED_IN_SHARE = 0.8  # of online orders; the rest are guests
CASH_SHARE = 0.8  # of counter sales; the rest pay by bank transfer
FROM_VILLAGE_SHARE = 0.6  # of delivered online lines; the rest ship from the base
REFUND_SHARE = 0.03  # of shipped orders
LINE_REFUND_SHARE = 0.6  # of refunds: one line in full; the rest money only, spread
RESTOCK_SHARE = 0.2  # of refunds (a third of the line refunds): goods back at the base
LOSS_SHARE = 0.08  # of (variant, month, warehouse) stocks
SHORT_SHARE = 0.03  # of transfer lines

VILLAGE_LOSS_REASONS = ["分拣时剔除烂果和虫眼", "雨淋受潮，部分腐烂", "包装袋破损受潮"]
BASE_LOSS_REASONS = ["冷库温度异常，部分变质", "上架前检查发现腐烂", "搬运中箱体破损"]
SHORTFALL_REASONS = ["到货清点少于发货数量，途中丢失", "运输颠簸破损，拒收"]
ADDRESS = {
    "province": "陕西省",
    "city": "延安市",
    "district": "甘泉县",
    "street": "美水街道 府前路 12 号",
    "recipient": "王小明",
    "phone": "13800138000",
}


@dataclass(frozen=True)
class Month:
    start: date  # local, first day
    end: date  # local, exclusive (the history's end for the open month)
    weight: float  # share of the orders, before normalising

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass
class Result:
    seconds: float = 0.0
    backend_peak_mb: float | None = None  # the PostgreSQL backend's VmHWM, when readable
    steps: list[tuple[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def plan_months(end: date, months: int) -> list[Month]:
    """`months` local months, the last one holding the day before `end`, cut at `end`."""
    if months < 1:
        raise ValueError("at least one month")
    last = end - timedelta(days=1)
    year, month = last.year, last.month
    plan = []
    for _ in range(months):
        start = date(year, month, 1)
        month_end = min(date(year + month // 12, month % 12 + 1, 1), end)
        # Seasonal: harvest (October-November) and Spring Festival buying sell most.
        season = 1 + 0.3 * math.cos(2 * math.pi * (month - 10.5) / 12)
        full = calendar.monthrange(year, month)[1]
        plan.append(Month(start, month_end, season * (month_end - start).days / full))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return plan[::-1]


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


# --- the demo county's structure --------------------------------------------------------------


def load_structure() -> dict[str, int]:
    """Towns, villages, producers, products, variants and prices of the demo county's plan
    (alliance.core.demo), and the collection points; nothing if villages already exist."""
    from django.db import transaction
    from django.utils import timezone

    from alliance.catalog.models import (
        Category,
        Channel,
        Product,
        ProductVariant,
        VariantChannelPrice,
    )
    from alliance.core.demo.county import plan_county
    from alliance.core.demo.products import plan_products
    from alliance.inventory.warehouses import warehouses_ensure_for_villages
    from alliance.villages.models import Producer, Town, Village

    if Village.objects.exists():
        return {}
    county = plan_county(DEFAULT_SEED)
    plans = plan_products(county, DEFAULT_SEED)
    now = timezone.now()
    with transaction.atomic():
        towns = Town.objects.bulk_create(
            [Town(code=t.code, name=t.name, name_en=t.name_en, is_demo=True) for t in county.towns]
        )
        town_of = {t.code: t for t in towns}
        villages = Village.objects.bulk_create(
            [
                Village(
                    code=v.code,
                    name=v.name,
                    town=town_of[v.town_code],
                    kind=v.kind,
                    story=v.story,
                    is_demo=True,
                )
                for v in county.villages
            ]
        )
        village_of = {v.code: v for v in villages}
        warehouses_ensure_for_villages(villages)
        producers = Producer.objects.bulk_create(
            [
                Producer(
                    name=p.name,
                    kind=p.kind,
                    village=village_of[p.village_code],
                    description=p.description,
                    is_demo=True,
                )
                for p in county.producers
            ]
        )
        producer_of = {(p.village.code, p.name): p for p in producers}
        categories = {c.slug: c for c in Category.objects.all()}
        channels = {c.slug: c for c in Channel.objects.all()}
        products = Product.objects.bulk_create(
            [
                Product(
                    producer=producer_of[(p.producer.village_code, p.producer.name)],
                    category=categories[p.category_slug],
                    name=p.name,
                    description=p.description,
                    origin=p.origin,
                    status="published" if p.published else "draft",
                    published_at=now - timedelta(days=p.published_days_ago)
                    if p.published
                    else None,
                    tracks_lots=p.tracks_lots,
                    is_demo=True,
                )
                for p in plans
            ],
            batch_size=500,
        )
        variants, prices = [], []
        for plan, product in zip(plans, products, strict=True):
            for order, v in enumerate(plan.variants):
                variant = ProductVariant(
                    product=product,
                    sku=v.sku,
                    unit_label=v.unit_label,
                    weight_g=v.weight_g,
                    sold_by=v.sold_by,
                    sort_order=order,
                )
                variants.append(variant)
                prices.append(
                    VariantChannelPrice(
                        variant=variant, channel=channels[Channel.ONLINE], price=v.online_price
                    )
                )
                prices.append(
                    VariantChannelPrice(
                        variant=variant, channel=channels[Channel.BASE], price=v.base_price
                    )
                )
        ProductVariant.objects.bulk_create(variants, batch_size=500)
        VariantChannelPrice.objects.bulk_create(prices, batch_size=500)
    return {
        "towns": len(towns),
        "villages": len(villages),
        "producers": len(producers),
        "products": len(products),
        "variants": len(variants),
    }


# --- the history, in SQL ----------------------------------------------------------------------

SESSION = [
    # Determinism: random() must run in one process in plan order (no parallel workers, no
    # synchronised scans starting mid-table). The rest only makes the bulk work faster.
    "SET LOCAL max_parallel_workers_per_gather = 0",
    "SET LOCAL synchronize_seqscans = off",
    "SET LOCAL work_mem = '256MB'",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "SET LOCAL synchronous_commit = off",
    "SET LOCAL TimeZone = 'UTC'",
]

DROP_WORK = """
DROP TABLE IF EXISTS bench_month, bench_variant, bench_o0, bench_order0, bench_order, bench_line0,
    bench_line1, bench_line,
    bench_lot, bench_need, bench_supply, bench_transfer, bench_refund, bench_refund_line,
    bench_fulfillment, bench_move, bench_stock
"""

STEPS: list[tuple[str, str]] = [
    (
        "variants",
        """
CREATE TEMP TABLE bench_variant AS
SELECT row_number() OVER (ORDER BY md5(%(seed_text)s || v.sku)) AS rn,
       v.id AS variant_id, v.sku, v.unit_label, v.sold_by,
       CASE WHEN v.sold_by = 'weight' THEN 1 ELSE v.weight_g END AS unit_weight_g,
       p.name AS product_name, p.category_id, p.tracks_lots,
       pr.id AS producer_id, pr.name AS producer_name,
       vi.id AS village_id, vi.name AS village_name, w.id AS village_wh, w.code AS village_wh_code,
       po.price AS online_price, pb.price AS base_price
FROM catalog_productvariant v
JOIN catalog_product p ON p.id = v.product_id AND p.status = 'published'
JOIN villages_producer pr ON pr.id = p.producer_id
JOIN villages_village vi ON vi.id = pr.village_id
JOIN inventory_warehouse w ON w.village_id = vi.id AND w.is_active
JOIN catalog_variantchannelprice po
  ON po.variant_id = v.id AND po.channel_id = %(online)s AND po.is_available
JOIN catalog_variantchannelprice pb
  ON pb.variant_id = v.id AND pb.channel_id = %(base)s AND pb.is_available
""",
    ),
    (
        "users",
        """
INSERT INTO accounts_user (id, password, is_superuser, created_at, updated_at, email,
    full_name, role, is_active, is_staff, is_demo, village_id)
SELECT %(user0)s + 1, '!', false, %(start_at)s, %(start_at)s, %(staff_email)s,
    '联盟工作人员（压测）', 'staff', true, true, false, NULL::bigint
UNION ALL
SELECT %(user0)s + 1 + i, '!', false, %(start_at)s, %(start_at)s,
    'buyer' || lpad(i::text, 5, '0') || '@example.com', '顾客' || i, 'consumer', true, false,
    false, NULL
FROM generate_series(1, %(consumers)s) i
""",
    ),
    (
        "orders (plan)",
        """
SELECT setseed(%(seed_orders)s);
CREATE TEMP TABLE bench_o0 AS
SELECT i, random() AS r_month, random() AS r_day, random() AS r_sec, random() AS r_chan,
       random() AS r_k, random() AS r_user, random() AS r_deliv, random() AS r_state,
       random() AS r_fulfil, random() AS r_var, random() AS r_step, random() AS r_pay,
       random() AS r_ref1, random() AS r_ref2, random() AS r_ref3, random() AS r_ref4
FROM generate_series(1, %(candidates)s) AS i;

CREATE TEMP TABLE bench_order0 AS
WITH placed AS (
    SELECT o.*, m.idx AS month_idx,
           m.start_at + floor(o.r_day * m.days) * interval '1 day'
               + (28800 + floor(o.r_sec * 50400)) * interval '1 second' AS created_at,
           o.r_chan < %(online_share)s AS online,
           CASE WHEN o.r_k < 0.30 THEN 1 WHEN o.r_k < 0.55 THEN 2 WHEN o.r_k < 0.75 THEN 3
                WHEN o.r_k < 0.90 THEN 4 ELSE 5 END AS k
    FROM bench_o0 o JOIN bench_month m ON o.r_month >= m.cum_lo AND o.r_month < m.cum_hi
), counted AS (
    SELECT *, sum(k) OVER (ORDER BY i) AS cum FROM placed
), kept AS (
    SELECT *, online AND r_state < %(cancelled_share)s AS cancelled
    FROM counted WHERE cum - k < %(lines)s
)
SELECT row_number() OVER (ORDER BY created_at, i) + %(order0)s AS id, month_idx, created_at,
       online, k, r_var, r_step, r_ref1, r_ref2, r_ref3, r_ref4, cancelled,
       CASE WHEN NOT online THEN 'counter'
            WHEN r_deliv < %(delivery_share)s THEN 'delivery' ELSE 'pickup' END AS delivery_method,
       CASE WHEN online AND r_user < %(signed_in_share)s
            THEN %(user0)s + 2 + floor(r_user / %(signed_in_share)s * %(consumers)s)::bigint
       END AS user_id,
       CASE WHEN cancelled THEN NULL
            WHEN NOT online THEN created_at + interval '1 minute'  -- handed over at once
            WHEN created_at + interval '2 hours' + r_fulfil * interval '4 days' < %(end_at)s
            THEN created_at + interval '2 hours' + r_fulfil * interval '4 days'
       END AS ship_at,  -- NULL: cancelled, or still to ship when the history ends
       CASE WHEN online THEN 'stripe'
            WHEN r_pay < %(cash_share)s THEN 'cash' ELSE 'bank_transfer' END AS gateway
FROM kept;
ANALYZE bench_order0;
""",
    ),
    (
        "order lines (plan)",
        """
CREATE TEMP TABLE bench_line0 AS
SELECT o.id AS order_id, j, o.k, o.online, o.delivery_method, o.month_idx, o.r_var, o.r_step
FROM bench_order0 o CROSS JOIN LATERAL generate_series(0, o.k - 1) AS j
ORDER BY o.id, j;
ANALYZE bench_line0;

SELECT setseed(%(seed_lines)s);
CREATE TEMP TABLE bench_line1 AS
WITH drawn AS (
    SELECT s.*, row_number() OVER () + %(line0)s AS id, random() AS r_q, random() AS r_wh
    FROM (SELECT * FROM bench_line0 ORDER BY order_id, j OFFSET 0) s
), chosen AS (
    SELECT d.*, v.*,
           CASE WHEN v.sold_by = 'weight' THEN 250 * (2 + floor(d.r_q * 19))::bigint
                WHEN d.online THEN 1 + floor(power(d.r_q, 2.5) * 5)::bigint
                ELSE 1 + floor(power(d.r_q, 2) * 8)::bigint END AS quantity,
           CASE WHEN d.online THEN v.online_price ELSE v.base_price END AS unit_price,
           CASE WHEN d.delivery_method = 'delivery' AND d.r_wh < %(from_village_share)s
                THEN v.village_wh ELSE %(base_wh)s END AS warehouse_id
    FROM drawn d
    JOIN bench_variant v ON v.rn = mod(
        floor(%(variant_count)s * power(d.r_var, 1.5))::bigint
            + d.j * (1 + floor(d.r_step * %(step_max)s)::bigint),
        %(variant_count)s) + 1
)
SELECT c.*, c.quantity * c.unit_weight_g AS weight_g,
       CASE WHEN c.sold_by = 'weight' THEN round(c.unit_price * c.quantity / 1000, 2)
            ELSE round(c.unit_price * c.quantity, 2) END AS line_total,
       CASE WHEN c.tracks_lots THEN c.month_idx ELSE -1 END AS lot_month
FROM chosen c;
ANALYZE bench_line1 (order_id, variant_id, lot_month, warehouse_id);

CREATE TEMP TABLE bench_order AS
SELECT o.*, t.subtotal, t.weight_g,
       CASE WHEN o.delivery_method = 'delivery' AND t.subtotal < 99 THEN 10.00 ELSE 0.00 END
           ::numeric(14, 2) AS shipping,
       CASE WHEN NOT o.cancelled
            THEN row_number() OVER (PARTITION BY o.cancelled ORDER BY o.id) + %(payment0)s
       END AS payment_id
FROM bench_order0 o
JOIN (SELECT order_id, sum(line_total) AS subtotal, sum(weight_g) AS weight_g
      FROM bench_line1 GROUP BY order_id) t ON t.order_id = o.id;
ALTER TABLE bench_order ADD PRIMARY KEY (id);
ANALYZE bench_order;
""",
    ),
    (
        "lots",
        """
-- One lot per variant and month (its harvest); products without lots use a default lot.
CREATE TEMP TABLE bench_lot AS
SELECT row_number() OVER (ORDER BY x.variant_id, x.lot_month) + %(lot0)s AS id, x.*,
       CASE WHEN x.lot_month < 0 THEN 'DEFAULT' ELSE m.lot_code END AS code,
       CASE WHEN x.lot_month < 0 THEN NULL ELSE m.harvest END AS harvest_date
FROM (SELECT DISTINCT variant_id, lot_month, producer_id FROM bench_line1) x
LEFT JOIN bench_month m ON m.idx = x.lot_month;
ANALYZE bench_lot;

INSERT INTO inventory_lot (id, created_at, updated_at, code, harvest_date, best_before,
    is_default, producer_id, variant_id)
SELECT id, %(start_at)s, %(start_at)s, code, harvest_date, harvest_date + 120,
       lot_month < 0, producer_id, variant_id
FROM bench_lot ORDER BY id;

CREATE TEMP TABLE bench_line AS
SELECT l.*, b.id AS lot_id
FROM bench_line1 l JOIN bench_lot b ON b.variant_id = l.variant_id AND b.lot_month = l.lot_month;
ALTER TABLE bench_line ADD PRIMARY KEY (id);
CREATE INDEX ON bench_line (order_id);
ANALYZE bench_line (id, order_id, variant_id, lot_id, warehouse_id);
""",
    ),
    (
        "refunds (plan)",
        """
CREATE TEMP TABLE bench_refund AS
WITH chosen AS (
    SELECT o.*, o.ship_at + interval '1 day' + o.r_ref3 * interval '20 days' AS at,
           o.r_ref2 < %(line_refund_share)s AS whole_line,
           o.r_ref2 < %(restock_share)s AS restock
    FROM bench_order o
    WHERE o.ship_at IS NOT NULL AND o.r_ref1 < %(refund_share)s
)
SELECT row_number() OVER (ORDER BY c.at, c.id) + %(refund0)s AS id, c.id AS order_id,
       c.payment_id, c.gateway, c.at, c.whole_line, c.restock, l.id AS line_id,
       CASE WHEN c.whole_line THEN l.line_total
            ELSE greatest(0.01, round(c.subtotal * (0.1 + 0.3 * c.r_ref4)::numeric, 2))
       END AS amount,
       c.subtotal + c.shipping AS total
FROM chosen c
JOIN bench_line l ON l.order_id = c.id AND l.j = floor(c.r_ref4 * c.k)::int
WHERE c.at < %(end_at)s;
ANALYZE bench_refund;

-- Rule 1 (a named line: its whole value) and rule 2 (money only: spread over the lines by
-- their value, floored to the fen, the fen left over to the largest remainders).
CREATE TEMP TABLE bench_refund_line AS
SELECT r.id AS refund_id, r.line_id AS order_line_id, l.quantity, r.amount
FROM bench_refund r JOIN bench_line l ON l.id = r.line_id
WHERE r.whole_line
UNION ALL
SELECT refund_id, order_line_id, 0, share
FROM (
    SELECT refund_id, order_line_id,
           floored + CASE WHEN rk <= fen_left THEN 0.01 ELSE 0 END AS share
    FROM (
        SELECT s.*,
               round((s.amount - sum(s.floored) OVER (PARTITION BY s.refund_id)) * 100)
                   AS fen_left,
               row_number() OVER (PARTITION BY s.refund_id ORDER BY s.exact - s.floored DESC,
                                  s.order_line_id) AS rk
        FROM (
            SELECT r.id AS refund_id, l.id AS order_line_id, r.amount,
                   r.amount * l.line_total / o.subtotal AS exact,
                   floor(r.amount * l.line_total / o.subtotal * 100) / 100 AS floored
            FROM bench_refund r
            JOIN bench_order o ON o.id = r.order_id
            JOIN bench_line l ON l.order_id = r.order_id
            WHERE NOT r.whole_line
        ) s
    ) t
) u
WHERE share > 0;
ANALYZE bench_refund_line;
""",
    ),
    (
        "orders",
        """
INSERT INTO orders_order (id, created_at, updated_at, number, email, status, payment_status,
    currency, subtotal, shipping, total, total_weight_g, delivery_method, shipping_address,
    checkout_token, receipt_number, note, is_demo, channel_id, created_by_id, user_id)
SELECT o.id, o.created_at, coalesce(r.at, o.ship_at, o.created_at),
       'AM' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
           || lpad(o.id::text, greatest(7, length(o.id::text)), '0'),
       CASE WHEN NOT o.online THEN ''
            WHEN o.user_id IS NULL THEN 'guest' || o.id || '@example.com'
            ELSE 'buyer' || lpad((o.user_id - %(user0)s - 1)::text, 5, '0') || '@example.com'
       END,
       CASE WHEN o.cancelled THEN 'cancelled'
            WHEN r.amount >= o.subtotal + o.shipping THEN 'refunded'
            WHEN o.ship_at IS NULL THEN 'unfulfilled'
            ELSE 'fulfilled' END,
       CASE WHEN o.cancelled THEN 'not_charged'
            WHEN r.amount >= o.subtotal + o.shipping THEN 'fully_refunded'
            WHEN r.amount > 0 THEN 'partially_refunded'
            ELSE 'fully_charged' END,
       'CNY', o.subtotal, o.shipping, o.subtotal + o.shipping, o.weight_g, o.delivery_method,
       CASE WHEN o.delivery_method = 'delivery' THEN %(address)s::jsonb END,
       NULL,
       CASE WHEN NOT o.online THEN
           'R' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
               || lpad(o.id::text, greatest(7, length(o.id::text)), '0') END,
       '', false, CASE WHEN o.online THEN %(online)s ELSE %(base)s END,
       CASE WHEN NOT o.online THEN %(user0)s + 1 END, o.user_id
FROM bench_order o LEFT JOIN bench_refund r ON r.order_id = o.id
ORDER BY o.id
""",
    ),
    (
        "order lines",
        """
INSERT INTO orders_orderline (id, created_at, updated_at, product_name, variant_label, sku,
    producer_name, village_name, sold_by, unit_price, unit_weight_g, quantity, weight_g,
    line_total, quantity_fulfilled, quantity_refunded, category_id, lot_id, order_id,
    producer_id, variant_id, village_id, fulfilled_at)
SELECT l.id, o.created_at, coalesce(o.ship_at, o.created_at), l.product_name, l.unit_label,
       l.sku, l.producer_name, l.village_name, l.sold_by, l.unit_price, l.unit_weight_g,
       l.quantity, l.weight_g, l.line_total,
       CASE WHEN o.ship_at IS NULL THEN 0 ELSE l.quantity END,
       CASE WHEN r.whole_line AND r.line_id = l.id THEN l.quantity ELSE 0 END,
       l.category_id, l.lot_id, l.order_id, l.producer_id, l.variant_id, l.village_id, o.ship_at
FROM bench_line l
JOIN bench_order o ON o.id = l.order_id
LEFT JOIN bench_refund r ON r.order_id = l.order_id
ORDER BY l.id;

INSERT INTO orders_orderlinelot (id, quantity, line_id, lot_id, warehouse_id)
SELECT id - %(line0)s + %(line_lot0)s, quantity, id, lot_id, warehouse_id
FROM bench_line ORDER BY id;
""",
    ),
    (
        "fulfilments",
        """
CREATE TEMP TABLE bench_fulfillment AS
SELECT row_number() OVER (ORDER BY l.order_id, l.warehouse_id) + %(fulfillment0)s AS id,
       l.order_id, l.warehouse_id, min(o.ship_at) AS at, min(o.delivery_method) AS method
FROM bench_line l JOIN bench_order o ON o.id = l.order_id
WHERE o.ship_at IS NOT NULL
GROUP BY l.order_id, l.warehouse_id;
ANALYZE bench_fulfillment;

INSERT INTO orders_fulfillment (id, created_at, updated_at, tracking_number, created_by_id,
    warehouse_id, order_id)
SELECT id, at, at,
       CASE WHEN method = 'delivery' THEN 'SF' || lpad(id::text, 12, '0') ELSE '' END,
       %(user0)s + 1, warehouse_id, order_id
FROM bench_fulfillment ORDER BY id;

INSERT INTO orders_fulfillmentline (id, quantity, fulfillment_id, order_line_id)
SELECT l.id - %(line0)s + %(fulfillment_line0)s, l.quantity, f.id, l.id
FROM bench_line l
JOIN bench_fulfillment f ON f.order_id = l.order_id AND f.warehouse_id = l.warehouse_id
ORDER BY l.id;
""",
    ),
    (
        "payments and refunds",
        """
INSERT INTO payments_payment (id, created_at, updated_at, gateway, psp_reference, amount,
    currency, status, captured_amount, refunded_amount, reference, captured_at, order_id)
SELECT o.payment_id, o.created_at, coalesce(r.at, o.created_at + interval '90 seconds'),
       o.gateway,
       CASE WHEN o.gateway = 'stripe' THEN 'pi_bench_' || o.id END,
       o.subtotal + o.shipping, 'CNY',
       CASE WHEN r.amount >= o.subtotal + o.shipping THEN 'refunded'
            WHEN r.amount > 0 THEN 'partially_refunded' ELSE 'captured' END,
       o.subtotal + o.shipping, coalesce(r.amount, 0),
       CASE WHEN o.gateway = 'cash'
            THEN 'R' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
                 || lpad(o.id::text, greatest(7, length(o.id::text)), '0')
            WHEN o.gateway = 'bank_transfer' THEN 'BANK-' || lpad(o.id::text, 9, '0')
            ELSE '' END,
       o.created_at + CASE WHEN o.online THEN interval '90 seconds'
                           ELSE interval '30 seconds' END,
       o.id
FROM bench_order o LEFT JOIN bench_refund r ON r.order_id = o.id
WHERE NOT o.cancelled
ORDER BY o.payment_id;

INSERT INTO payments_refund (id, created_at, updated_at, amount, psp_reference, status, reason,
    created_by_id, payment_id, succeeded_at)
SELECT id, at, at, amount, CASE WHEN gateway = 'stripe' THEN 're_bench_' || id END,
       'succeeded',
       CASE WHEN restock THEN '退货退款' WHEN whole_line THEN '商品质量问题，整行退款'
            ELSE '部分退款（协商补偿）' END,
       %(user0)s + 1, payment_id, at
FROM bench_refund ORDER BY id;

INSERT INTO payments_refundline (id, quantity, amount, order_line_id, refund_id)
SELECT row_number() OVER (ORDER BY refund_id, order_line_id) + %(refund_line0)s, quantity,
       amount, order_line_id, refund_id
FROM bench_refund_line;
""",
    ),
    (
        "stock plan",
        """
-- What each (variant, month) lot needs in each warehouse: the goods of its lines that were
-- not cancelled (sold, or still reserved), plus a loss now and then.
SELECT setseed(%(seed_stock)s);
CREATE TEMP TABLE bench_need AS
SELECT n.*,
       CASE WHEN random() < %(loss_share)s THEN ceil(n.goods * 0.02)::bigint + 1 ELSE 0 END
           AS loss,
       random() AS r_reason
FROM (
    SELECT l.variant_id, l.month_idx, l.lot_id, l.warehouse_id, l.unit_weight_g,
           sum(l.quantity) AS goods
    FROM bench_line l JOIN bench_order o ON o.id = l.order_id
    WHERE NOT o.cancelled
    GROUP BY l.variant_id, l.month_idx, l.lot_id, l.warehouse_id, l.unit_weight_g
    ORDER BY l.variant_id, l.month_idx, l.warehouse_id
    OFFSET 0
) n;
ANALYZE bench_need;

SELECT setseed(%(seed_supply)s);
CREATE TEMP TABLE bench_supply AS
SELECT s.*, v.village_wh, v.village_wh_code,
       s.village_goods + s.village_loss + ceil(s.village_goods * 0.05)::bigint + 1 AS kept,
       CASE WHEN s.base_goods > 0 AND random() < %(short_share)s
            THEN ceil(s.base_goods * 0.03)::bigint + 1 ELSE 0 END AS short,
       random() AS r_reason
FROM (
    SELECT variant_id, month_idx, lot_id, min(unit_weight_g) AS unit_weight_g,
           coalesce(sum(goods) FILTER (WHERE warehouse_id <> %(base_wh)s), 0) AS village_goods,
           coalesce(sum(loss) FILTER (WHERE warehouse_id <> %(base_wh)s), 0) AS village_loss,
           coalesce(sum(goods) FILTER (WHERE warehouse_id = %(base_wh)s), 0) AS base_goods,
           coalesce(sum(loss) FILTER (WHERE warehouse_id = %(base_wh)s), 0) AS base_loss
    FROM bench_need
    GROUP BY variant_id, month_idx, lot_id
    ORDER BY variant_id, month_idx
    OFFSET 0
) s
JOIN bench_variant v ON v.variant_id = s.variant_id;
ALTER TABLE bench_supply ADD COLUMN sent bigint, ADD COLUMN transfer_id bigint;
UPDATE bench_supply SET sent = CASE WHEN base_goods > 0
    THEN base_goods + base_loss + ceil(base_goods * 0.05)::bigint + 1 + short ELSE 0 END;

CREATE TEMP TABLE bench_transfer AS
SELECT row_number() OVER (ORDER BY m.idx, t.village_wh) + %(transfer0)s AS id,
       t.village_wh, t.month_idx, m.dispatched_at, m.received_at,
       'BT-' || t.village_wh_code || '-' || m.lot_code AS code
FROM (SELECT DISTINCT village_wh, village_wh_code, month_idx FROM bench_supply
      WHERE sent > 0) t
JOIN bench_month m ON m.idx = t.month_idx;
UPDATE bench_supply s SET transfer_id = t.id
FROM bench_transfer t WHERE t.village_wh = s.village_wh AND t.month_idx = s.month_idx
    AND s.sent > 0;
ANALYZE bench_supply;
ANALYZE bench_transfer;
""",
    ),
    (
        "transfers",
        """
INSERT INTO inventory_transfer (id, created_at, updated_at, code, status, dispatched_at,
    received_at, note, dispatched_by_id, received_by_id, destination_id, source_id)
SELECT id, dispatched_at, received_at, code, 'received', dispatched_at, received_at, '',
       %(user0)s + 1, %(user0)s + 1, %(base_wh)s, village_wh
FROM bench_transfer ORDER BY id;

INSERT INTO inventory_transferline (id, created_at, updated_at, quantity, quantity_received,
    shortfall_reason, lot_id, transfer_id, variant_id)
SELECT row_number() OVER (ORDER BY s.transfer_id, s.lot_id) + %(transfer_line0)s,
       t.dispatched_at, t.received_at, s.sent, s.sent - s.short,
       CASE WHEN s.short > 0
            THEN (%(shortfall_reasons)s::text[])[1 + floor(s.r_reason * %(n_shortfall)s)::int]
            ELSE '' END,
       s.lot_id, s.transfer_id, s.variant_id
FROM bench_supply s JOIN bench_transfer t ON t.id = s.transfer_id;
""",
    ),
    (
        "ledger (plan)",
        """
CREATE TEMP TABLE bench_move (
    kind text, variant_id bigint, warehouse_id bigint, lot_id bigint, quantity bigint,
    weight_g bigint, at timestamptz, transfer_id bigint, reference text, reason text,
    actor_id bigint
);
-- The lot reaches its collection point the day before its month.
INSERT INTO bench_move
SELECT 'receipt', s.variant_id, s.village_wh, s.lot_id, s.kept + s.sent,
       (s.kept + s.sent) * s.unit_weight_g, m.receipt_at, NULL, '', '合作社交货入库',
       %(user0)s + 1
FROM bench_supply s JOIN bench_month m ON m.idx = s.month_idx;
-- The base's share leaves that afternoon and is taken in that evening; what did not arrive
-- is a loss at the base with the reason (as inventory.transfers.transfer_receive books it).
INSERT INTO bench_move
SELECT kind, s.variant_id, wh, s.lot_id, qty, qty * s.unit_weight_g, at, t.id,
       'transfer:' || t.code, reason, %(user0)s + 1
FROM bench_supply s
JOIN bench_transfer t ON t.id = s.transfer_id
CROSS JOIN LATERAL (VALUES
    ('transfer_out', s.village_wh, -s.sent, t.dispatched_at, ''),
    ('transfer_in', %(base_wh)s, s.sent, t.received_at, ''),
    ('loss', %(base_wh)s, -s.short, t.received_at,
     (%(shortfall_reasons)s::text[])[1 + floor(s.r_reason * %(n_shortfall)s)::int])
) AS x(kind, wh, qty, at, reason)
WHERE x.qty <> 0;
-- Now and then some goods spoil during the month.
INSERT INTO bench_move
SELECT 'loss', n.variant_id, n.warehouse_id, n.lot_id, -n.loss, -n.loss * n.unit_weight_g,
       CASE WHEN n.warehouse_id = %(base_wh)s THEN m.base_loss_at ELSE m.village_loss_at END,
       NULL, '',
       CASE WHEN n.warehouse_id = %(base_wh)s
            THEN (%(base_loss_reasons)s::text[])[1 + floor(n.r_reason * %(n_base_loss)s)::int]
            ELSE (%(village_loss_reasons)s::text[])[
                1 + floor(n.r_reason * %(n_village_loss)s)::int] END,
       %(user0)s + 1
FROM bench_need n JOIN bench_month m ON m.idx = n.month_idx
WHERE n.loss > 0;
-- The sales: one row per shipped line, when it shipped (counter sales: when handed over).
INSERT INTO bench_move
SELECT CASE WHEN o.online THEN 'online_sale' ELSE 'base_sale' END, l.variant_id,
       l.warehouse_id, l.lot_id, -l.quantity, -l.weight_g, o.ship_at, NULL,
       'order-line:' || l.id,
       CASE WHEN o.online
            THEN 'order AM' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                 || '-' || lpad(o.id::text, greatest(7, length(o.id::text)), '0')
            ELSE 'base sale R' || to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                 || '-' || lpad(o.id::text, greatest(7, length(o.id::text)), '0') END,
       %(user0)s + 1
FROM bench_line l JOIN bench_order o ON o.id = l.order_id
WHERE o.ship_at IS NOT NULL;
-- Goods given back with a refund return to the base, same lot.
INSERT INTO bench_move
SELECT 'return', l.variant_id, %(base_wh)s, l.lot_id, l.quantity, l.weight_g, r.at, NULL,
       'order-line:' || l.id, 'return, order ' || r.order_id, %(user0)s + 1
FROM bench_refund r JOIN bench_line l ON l.id = r.line_id
WHERE r.restock;
ANALYZE bench_move;
""",
    ),
    (
        "stock",
        """
CREATE TEMP TABLE bench_stock AS
SELECT row_number() OVER (ORDER BY g.variant_id, g.warehouse_id, g.lot_id) + %(stock0)s AS id,
       g.*, coalesce(a.allocated, 0) AS allocated
FROM (
    SELECT variant_id, warehouse_id, lot_id, sum(quantity) AS quantity, min(at) AS first_at,
           max(at) AS last_at
    FROM bench_move GROUP BY variant_id, warehouse_id, lot_id
) g
LEFT JOIN (
    SELECT l.variant_id, l.warehouse_id, l.lot_id, sum(l.quantity) AS allocated
    FROM bench_line l JOIN bench_order o ON o.id = l.order_id
    WHERE o.ship_at IS NULL AND NOT o.cancelled
    GROUP BY l.variant_id, l.warehouse_id, l.lot_id
) a USING (variant_id, warehouse_id, lot_id);
CREATE UNIQUE INDEX ON bench_stock (variant_id, warehouse_id, lot_id);
ANALYZE bench_stock;

INSERT INTO inventory_stock (id, created_at, updated_at, quantity, allocated, lot_id,
    variant_id, warehouse_id)
SELECT id, first_at, last_at, quantity, allocated, lot_id, variant_id, warehouse_id
FROM bench_stock ORDER BY id;

INSERT INTO inventory_allocation (id, created_at, updated_at, reference, quantity, channel_id,
    stock_id)
SELECT row_number() OVER (ORDER BY l.id) + %(allocation0)s, o.created_at, o.created_at,
       'order-line:' || l.id, l.quantity, %(online)s, s.id
FROM bench_line l
JOIN bench_order o ON o.id = l.order_id
JOIN bench_stock s USING (variant_id, warehouse_id, lot_id)
WHERE o.ship_at IS NULL AND NOT o.cancelled;
""",
    ),
    (
        "ledger",
        """
INSERT INTO inventory_stockmovement (id, kind, quantity, weight_g, reason, reference,
    created_at, actor_id, lot_id, stock_id, variant_id, transfer_id, warehouse_id)
SELECT row_number() OVER (
           ORDER BY m.at,  -- at one instant, goods come in before they go out
                    array_position(ARRAY['receipt', 'transfer_in', 'return', 'transfer_out',
                                         'loss', 'online_sale', 'base_sale'], m.kind),
                    m.variant_id, m.warehouse_id, m.lot_id, m.reference) + %(movement0)s,
       m.kind, m.quantity, m.weight_g, m.reason, m.reference, m.at, m.actor_id, m.lot_id,
       s.id, m.variant_id, m.transfer_id, m.warehouse_id
FROM bench_move m JOIN bench_stock s USING (variant_id, warehouse_id, lot_id);
""",
    ),
    (
        "commission rules",
        """
INSERT INTO settlement_commissionrule (created_at, updated_at, rate, note, village_id,
    category_id)
SELECT %(start_at)s, %(start_at)s, 0.0300, '压测：重点帮扶村', id, NULL
FROM (SELECT id FROM villages_village ORDER BY code LIMIT 6) v
ON CONFLICT DO NOTHING;
INSERT INTO settlement_commissionrule (created_at, updated_at, rate, note, village_id,
    category_id)
SELECT %(start_at)s, %(start_at)s, 0.0800, '压测：蜂蜜', NULL, id
FROM catalog_category WHERE slug = 'honey'
ON CONFLICT DO NOTHING;
""",
    ),
]

SEQUENCES = [
    "accounts_user",
    "orders_order",
    "orders_orderline",
    "orders_orderlinelot",
    "orders_fulfillment",
    "orders_fulfillmentline",
    "payments_payment",
    "payments_refund",
    "payments_refundline",
    "inventory_lot",
    "inventory_transfer",
    "inventory_transferline",
    "inventory_stock",
    "inventory_allocation",
    "inventory_stockmovement",
]

# The tables that get a row per order or per line: plain indexes are built after the load.
BULK_TABLES = [
    "orders_order",
    "orders_orderline",
    "orders_orderlinelot",
    "orders_fulfillment",
    "orders_fulfillmentline",
    "payments_payment",
    "inventory_stockmovement",
]

# id offsets: each table's rows are numbered after what it holds already
OFFSETS = {
    "user0": "accounts_user",
    "order0": "orders_order",
    "line0": "orders_orderline",
    "line_lot0": "orders_orderlinelot",
    "fulfillment0": "orders_fulfillment",
    "fulfillment_line0": "orders_fulfillmentline",
    "payment0": "payments_payment",
    "refund0": "payments_refund",
    "refund_line0": "payments_refundline",
    "lot0": "inventory_lot",
    "transfer0": "inventory_transfer",
    "transfer_line0": "inventory_transferline",
    "stock0": "inventory_stock",
    "allocation0": "inventory_allocation",
    "movement0": "inventory_stockmovement",
}

COUNTED = [
    ("orders", "orders_order"),
    ("order lines", "orders_orderline"),
    ("payments", "payments_payment"),
    ("refunds", "payments_refund"),
    ("refund lines", "payments_refundline"),
    ("fulfilments", "orders_fulfillment"),
    ("lots", "inventory_lot"),
    ("transfers", "inventory_transfer"),
    ("stock rows", "inventory_stock"),
    ("allocations", "inventory_allocation"),
    ("stock movements", "inventory_stockmovement"),
]


def _seed_value(seed: int, stream: int) -> float:
    """setseed() takes a double in [-1, 1]; one per random stream, all from the seed."""
    return ((seed * 7919 + stream * 104729) % 2_000_001) / 1_000_000 - 1


def generate(
    *,
    lines: int,
    months: int,
    seed: int,
    end: date,
    fast: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Result:
    """Write the history (see the module docstring) on Django's default connection, in one
    transaction. Needs the structure (load_structure) and sales tables without bench rows.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: at COMMIT, PostgreSQL checks
    each inserted row's keys one by one (about 40 % of the time at 1M lines). With `fast`
    (a superuser session only) the inserts run with session_replication_role = replica,
    which queues no such checks, and every foreign key of the tables written is then checked
    by one anti-join each before the commit (verify_foreign_keys): a dangling key still
    aborts the whole transaction. Check and unique constraints are enforced either way."""
    from django.db import DatabaseError, connection, transaction

    from alliance.catalog.models import Channel
    from alliance.inventory.warehouses import base_warehouse

    if lines < 1:
        raise ValueError("at least one line")
    started = time.perf_counter()
    result = Result()
    month_plan = plan_months(end, months)
    total_weight = sum(m.weight for m in month_plan)
    orders = math.ceil(lines / LINES_PER_ORDER)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in SESSION:
            cursor.execute(statement)
        if fast:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            fast = bool(cursor.fetchone()[0])
        if fast:
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:  # only possible before the session's first temporary table
                with transaction.atomic():
                    cursor.execute("SET LOCAL temp_buffers = '1GB'")
            except DatabaseError:
                pass
            deferred_indexes = indexes_drop(cursor, BULK_TABLES)
        cursor.execute(DROP_WORK)
        cursor.execute(
            """
            CREATE TEMP TABLE bench_month (
                idx int PRIMARY KEY, lot_code text, start_at timestamptz, end_at timestamptz,
                days int, cum_lo float8, cum_hi float8, harvest date, receipt_at timestamptz,
                dispatched_at timestamptz, received_at timestamptz,
                village_loss_at timestamptz, base_loss_at timestamptz)
            """
        )
        cum = 0.0
        rows = []
        for idx, m in enumerate(month_plan):
            lo, cum = cum, cum + m.weight / total_weight
            hi = 2.0 if idx == len(month_plan) - 1 else cum
            eve = m.start - timedelta(days=1)
            loss_day = m.start + timedelta(days=min(9, m.days - 1))
            rows.append(
                (
                    idx,
                    f"B{m.start:%Y%m}",
                    local_midnight(m.start),
                    local_midnight(m.end),
                    m.days,
                    lo,
                    hi,
                    eve,
                    local_midnight(eve) + timedelta(hours=9),
                    local_midnight(eve) + timedelta(hours=14),
                    local_midnight(eve) + timedelta(hours=18),
                    local_midnight(loss_day) + timedelta(hours=10),
                    local_midnight(loss_day) + timedelta(hours=15),
                )
            )
        cursor.executemany("INSERT INTO bench_month VALUES (" + ", ".join(["%s"] * 13) + ")", rows)
        params: dict[str, Any] = {
            "seed_text": str(seed),
            "seed_orders": _seed_value(seed, 1),
            "seed_lines": _seed_value(seed, 2),
            "seed_stock": _seed_value(seed, 3),
            "seed_supply": _seed_value(seed, 4),
            "lines": lines,
            "candidates": int(orders * 1.2) + 50,
            "start_at": local_midnight(month_plan[0].start),
            "end_at": local_midnight(end),
            "online": Channel.objects.get(slug=Channel.ONLINE).pk,
            "base": Channel.objects.get(slug=Channel.BASE).pk,
            "base_wh": base_warehouse().pk,
            "staff_email": STAFF_EMAIL,
            "consumers": max(10, min(CONSUMERS_MAX, orders // 20)),
            "online_share": ONLINE_SHARE,
            "delivery_share": DELIVERY_SHARE,
            "cancelled_share": CANCELLED_SHARE,
            "signed_in_share": SIGNED_IN_SHARE,
            "cash_share": CASH_SHARE,
            "from_village_share": FROM_VILLAGE_SHARE,
            "refund_share": REFUND_SHARE,
            "line_refund_share": LINE_REFUND_SHARE,
            "restock_share": RESTOCK_SHARE,
            "loss_share": LOSS_SHARE,
            "short_share": SHORT_SHARE,
            "address": json.dumps(ADDRESS, ensure_ascii=False),
            "village_loss_reasons": VILLAGE_LOSS_REASONS,
            "n_village_loss": len(VILLAGE_LOSS_REASONS),
            "base_loss_reasons": BASE_LOSS_REASONS,
            "n_base_loss": len(BASE_LOSS_REASONS),
            "shortfall_reasons": SHORTFALL_REASONS,
            "n_shortfall": len(SHORTFALL_REASONS),
        }
        for key, table in OFFSETS.items():
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            params[key] = cursor.fetchone()[0]
        cursor.execute("SELECT 1 FROM accounts_user WHERE email = %s", [STAFF_EMAIL])
        if cursor.fetchone():
            raise RuntimeError(f"{STAFF_EMAIL} exists: this database already holds a history")

        verbose = bool(os.environ.get("BENCH_VERBOSE"))
        for label, sql in STEPS:
            began = time.perf_counter()
            for statement in (part.strip() for part in sql.split(";\n")):
                if not statement:
                    continue
                at = time.perf_counter()
                cursor.execute(statement, params)
                if verbose:
                    first = next(x for x in statement.splitlines() if not x.startswith("--"))
                    print(f"    {time.perf_counter() - at:7.2f} s  {first[:70]}", flush=True)
            if label == "variants":
                cursor.execute("SELECT count(*) FROM bench_variant")
                count = cursor.fetchone()[0]
                if count < 10:
                    raise RuntimeError(f"only {count} published variants priced in both channels")
                params["variant_count"] = count
                params["step_max"] = max(1, count // 5 - 1)
            seconds = time.perf_counter() - began
            result.steps.append((label, seconds))
            if progress:
                progress(label, seconds)

        for table in SEQUENCES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), 1))"
            )
        for sequence in ("orders_order_number_seq", "orders_receipt_number_seq"):
            cursor.execute(
                f"SELECT setval('{sequence}', greatest((SELECT max(id) FROM orders_order), 1))"
            )
        cursor.execute(DROP_WORK)
        if fast:
            began = time.perf_counter()
            for definition in deferred_indexes:
                cursor.execute(definition)
            result.steps.append(("indexes rebuilt", time.perf_counter() - began))
            if progress:
                progress(*result.steps[-1])
            began = time.perf_counter()
            cursor.execute("SET LOCAL session_replication_role = origin")
            verify_foreign_keys(cursor, [*SEQUENCES, "settlement_commissionrule"])
            result.steps.append(("foreign keys checked", time.perf_counter() - began))
            if progress:
                progress(*result.steps[-1])
        for key, table in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {table}")
            result.counts[key] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_backend_pid()")
        result.backend_peak_mb = process_peak_mb(cursor.fetchone()[0])
        began = time.perf_counter()
    result.steps.append(("commit", time.perf_counter() - began))
    if progress:
        progress(*result.steps[-1])
    result.seconds = time.perf_counter() - started
    return result


def indexes_drop(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the plain (not unique, not constraint) indexes of `tables`; returns their
    definitions. Building an index once after a bulk load is faster than updating it row by
    row; primary keys and unique indexes stay, so uniqueness is checked all along."""
    cursor.execute(
        """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY 1
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def verify_foreign_keys(cursor: Any, tables: list[str]) -> None:
    """Every single-column foreign key of `tables`, checked set-wise; raises on a dangling one."""
    cursor.execute(
        """
        SELECT c.conname, c.conrelid::regclass::text, a.attname,
               c.confrelid::regclass::text, af.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        ORDER BY 1
        """,
        [tables],
    )
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
        " AND cardinality(conkey) <> 1",
        [tables],
    )
    if cursor.fetchone()[0]:
        raise RuntimeError("a multi-column foreign key: verify_foreign_keys cannot check it")
    for name, table, column, parent, parent_column in keys:
        cursor.execute(
            f'SELECT count(*) FROM {table} x WHERE x."{column}" IS NOT NULL AND NOT EXISTS '
            f'(SELECT 1 FROM {parent} p WHERE p."{parent_column}" = x."{column}")'
        )
        dangling = cursor.fetchone()[0]
        if dangling:
            raise RuntimeError(f"{dangling} rows of {table} break {name}")


# --- the database -----------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def server_url() -> str:
    """DATABASE_URL, or the embedded server's (started or joined)."""
    if str(BACKEND) not in sys.path:
        sys.path.insert(0, str(BACKEND))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".data" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from config.embedded_db import embedded_database_url

    return embedded_database_url()


def database_comment(url: str, name: str) -> dict[str, Any] | None:
    """What the generator wrote about a database it built (None: absent or not built)."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "")
    except ValueError:
        return {}


def recreate_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ).format(sql.Identifier(name))
        )


def comment_database(url: str, name: str, meta: dict[str, Any]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(json.dumps(meta))
            )
        )


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + os.urandom(16).hex())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def process_peak_mb(pid: int) -> float | None:
    """Peak RSS (VmHWM) of another local process, e.g. our PostgreSQL backend; None when the
    server is elsewhere or its /proc entry is not readable. It counts the shared buffers
    the backend touched."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build(args: argparse.Namespace) -> int:
    base = server_url()
    meta = database_comment(base, args.db)
    if args.keep and meta:
        print(f"`{args.db}` is there (--keep): {json.dumps(meta, ensure_ascii=False)}")
        return 0
    print(f"building `{args.db}` ...", flush=True)
    recreate_database(base, args.db)
    setup_django(with_database(base, args.db))

    from django.core.management import call_command
    from django.db import connection

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - began
    began = time.perf_counter()
    structure = load_structure()
    structure_s = time.perf_counter() - began
    print(f"  migrate {migrate_s:6.1f} s", flush=True)
    print(f"  structure {structure_s:4.1f} s  {structure}", flush=True)

    def progress(label: str, seconds: float) -> None:
        print(f"  {label:<22} {seconds:7.1f} s   peak RSS {peak_rss_mb():6.0f} MB", flush=True)

    result = generate(
        lines=args.lines,
        months=args.months,
        seed=args.seed,
        end=args.end,
        fast=True,
        progress=progress,
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # outside the transaction: settled, as in production
    vacuum_s = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    meta = {
        "lines": args.lines,
        "months": args.months,
        "seed": args.seed,
        "end": args.end.isoformat(),
        "counts": result.counts,
        "generate_s": round(result.seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "backend_peak_mb": result.backend_peak_mb and round(result.backend_peak_mb),
    }
    connection.close()
    comment_database(base, args.db, meta)
    print()
    print(f"history in `{args.db}` (ends {args.end}, local, exclusive; seed {args.seed}):")
    for key, count in result.counts.items():
        print(f"  {key:<16} {count:>10,}")
    print(f"generation (SQL) {result.seconds:7.1f} s")
    print(f"VACUUM ANALYZE   {vacuum_s:7.1f} s")
    print(f"database size    {size / 2**20:7.0f} MB")
    print(
        f"peak RSS of this process {peak_rss_mb():.0f} MB (ru_maxrss; the PostgreSQL server "
        "process is separate and not counted)"
    )
    if result.backend_peak_mb is not None:
        print(
            f"peak RSS of its PostgreSQL backend {result.backend_peak_mb:.0f} MB (VmHWM, "
            "shared buffers included; work_mem 256 MB, temp_buffers 1 GB in that session)"
        )
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines (at least)")
    parser.add_argument("--months", type=int, default=18, help="local months of history")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"database name (default {DEFAULT_DB})")
    parser.add_argument("--keep", action="store_true", help="reuse the database if built")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=datetime.now(ZONE).date(),
        help="local date the history ends before (default today)",
    )
    args = parser.parse_args(argv)
    if args.lines < 1 or not 1 <= args.months <= 60:
        parser.error("--lines must be positive and --months between 1 and 60")
    return args


if __name__ == "__main__":
    sys.exit(build(parse_args(None)))
