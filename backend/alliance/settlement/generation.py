"""Generating a period's draft statements (staff only; alliance.settlement.services
re-exports `settlement_generate`).

Generation (`settlement_generate`) for period P, in one transaction:
1. P's row is locked (SELECT ... FOR UPDATE): two runs for the same period take turns.
   P's draft statements are locked and deleted with their lines; its confirmed and paid
   statements are never touched, and their villages get nothing more in P (what they would
   have got rolls into the next period).
2. A draft statement is made for every other village, then filled by two set-based
   INSERT ... SELECT statements (no Python loop over lines):
   - SALE lines: order lines whose order's payment was captured (payment status
     fully_charged, partially_refunded or fully_refunded) with fulfilled_at < P.ends_at, not
     settled in any statement (late lines of earlier periods are caught up here). gross =
     line_total; quantity and weight are the line's.
   - REFUND adjustments: lines of succeeded refunds with succeeded_at < P.ends_at, not yet
     settled, whose order line's SALE line is in a confirmed or paid statement or in this
     run: gross = -amount, quantity = -quantity given back, weight = -quantity x unit weight,
     with the rate of that SALE line. A refund in the same period as its sale appears in the
     same statement; a refund after the sale's statement was confirmed lands in the statement
     of the period being generated.
   Both inserts go in order of id with ON CONFLICT DO NOTHING on the partial unique indexes,
   so a concurrent run of another period never settles a line twice, never fails on it, and
   never deadlocks on it.
3. Totals come from one aggregate over the lines; drafts left with no line, and drafts
   with a negative net payable (see below), are deleted.
The rates come from alliance.settlement.rules, worked out in Python for each (village with a
draft, category) pair and joined in SQL as an unnest() table that also carries the draft's id.

Commission: the rate of the most specific rule (alliance.settlement.rules), copied onto the
line. commission = the line's gross x rate rounded to the fen HALF UP, per line, in SQL:
round(numeric, 2) in PostgreSQL rounds half away from zero, which is HALF UP for the
non-negative gross of a SALE line; a REFUND line's commission is computed on the refunded
amount (positive) and negated: -round(amount x rate, 2). So 0.10 at 5 % is 0.005 -> 0.01,
and refunding that 0.10 gives back exactly -0.01. net = gross - commission per line;
statement gross = sum of SALE gross, refunds = -sum of REFUND gross, commission = sum of all
commission, net payable = gross - refunds - commission (the model's check constraint).

Negative net payable (a village's refunds of earlier sales exceed its sales in P): no
statement ever has a negative net payable. Generation defers such a village: its draft
for P is deleted and its lines stay unsettled, so the next period's generation takes them
with that period's sales (they are all before its end), and the village is named in
GenerateResult.deferred. What the village owes is thus deducted from its next payable, not
lost and not paid out. A net payable of exactly 0 is a statement with nothing to pay:
confirming it makes it paid at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from alliance.inventory.permissions import check_is_staff
from alliance.orders.models import PaymentStatus
from alliance.settlement.errors import PeriodNotStarted
from alliance.settlement.models import SettlementPeriod, Statement
from alliance.settlement.periods import period_span, period_store
from alliance.settlement.rules import RateBook
from alliance.villages.models import Village

SETTLEABLE_PAYMENT_STATUSES = (
    PaymentStatus.FULLY_CHARGED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.FULLY_REFUNDED,
)


@dataclass
class GenerateResult:
    period: SettlementPeriod
    statements: list[Statement]  # every statement of the period (new drafts and untouched)
    lines_added: int  # SALE lines in the drafts this run made
    adjustments_added: int  # REFUND lines in the drafts this run made
    deferred: list[Village] = field(default_factory=list)  # negative net: rolled forward


# --------------------------------------------------------------------------------------------
# Generation SQL. %(name)s parameters; every statement is set-based.

_LOCK_DRAFTS = """
SELECT id FROM settlement_statement
 WHERE period_id = %(period)s AND status = 'draft'
 ORDER BY id FOR UPDATE
"""

_DELETE_DRAFTS = "DELETE FROM settlement_statement WHERE id = ANY(%(ids)s) AND status = 'draft'"

_INSERT_DRAFTS = """
INSERT INTO settlement_statement
    (created_at, updated_at, period_id, village_id, number, status, line_count, weight_g,
     gross, refunds, commission, net_payable, paid_amount, generated_at)
SELECT %(now)s, %(now)s, %(period)s, v.id, 'JS' || %(code)s || '-' || v.code, 'draft', 0, 0,
       0, 0, 0, 0, 0, %(now)s
  FROM villages_village v
 WHERE NOT EXISTS (SELECT 1 FROM settlement_statement s
                    WHERE s.period_id = %(period)s AND s.village_id = v.id)
 ORDER BY v.id
RETURNING village_id, id
"""

# `rates`: one row per (village with a draft, category): its draft's id and its rate. The
# lines done before P's end are read in id order and anti-joined with the settled ones
# (the partial unique index order_line_settled_once): no join with the fresh drafts, whose
# row estimates the planner cannot know (that plan took minutes on a 1M-line history).
_INSERT_SALES = """
WITH rates AS (
    SELECT * FROM unnest(%(rate_villages)s::bigint[], %(rate_categories)s::bigint[],
                         %(rate_values)s::numeric[], %(rate_statements)s::bigint[])
                  AS r(village_id, category_id, rate, statement_id)
)
INSERT INTO settlement_statementline
    (statement_id, kind, order_line_id, refund_line_id, order_number, channel, producer_id,
     category_id, sku, product_name, occurred_at, quantity, weight_g, gross, commission_rate,
     commission, net)
SELECT r.statement_id, 'sale', ol.id, NULL, o.number, ch.slug, ol.producer_id,
       ol.category_id, ol.sku, ol.product_name, ol.fulfilled_at, ol.quantity, ol.weight_g,
       ol.line_total, r.rate,
       round(ol.line_total * r.rate, 2),
       ol.line_total - round(ol.line_total * r.rate, 2)
  FROM orders_orderline ol
  JOIN rates r ON r.village_id = ol.village_id AND r.category_id = ol.category_id
  JOIN orders_order o ON o.id = ol.order_id
  JOIN catalog_channel ch ON ch.id = o.channel_id
 WHERE ol.fulfilled_at IS NOT NULL
   AND ol.fulfilled_at < %(ends_at)s
   AND o.payment_status = ANY(%(paid)s)
   AND NOT EXISTS (SELECT 1 FROM settlement_statementline x
                    WHERE x.order_line_id = ol.id AND x.kind = 'sale')
 ORDER BY ol.id
ON CONFLICT (order_line_id) WHERE kind = 'sale' DO NOTHING
"""

# Driven from the refund lines not yet settled (few), each joined to its SALE line through
# the partial unique index on order_line_id.
_INSERT_REFUNDS = """
WITH drafts AS (
    SELECT * FROM unnest(%(draft_villages)s::bigint[], %(draft_statements)s::bigint[])
                  AS d(village_id, statement_id)
), pending AS MATERIALIZED (
    SELECT rl.id, rl.order_line_id, rl.quantity, rl.amount, rf.succeeded_at
      FROM payments_refundline rl
      JOIN payments_refund rf ON rf.id = rl.refund_id
     WHERE rf.status = 'succeeded'
       AND rf.succeeded_at < %(ends_at)s
       AND NOT EXISTS (SELECT 1 FROM settlement_statementline x
                        WHERE x.refund_line_id = rl.id AND x.kind = 'refund')
)
INSERT INTO settlement_statementline
    (statement_id, kind, order_line_id, refund_line_id, order_number, channel, producer_id,
     category_id, sku, product_name, occurred_at, quantity, weight_g, gross, commission_rate,
     commission, net)
SELECT d.statement_id, 'refund', p.order_line_id, p.id, sale.order_number, sale.channel,
       sale.producer_id, sale.category_id, sale.sku, sale.product_name, p.succeeded_at,
       -p.quantity,
       -(p.quantity * (SELECT ol.unit_weight_g FROM orders_orderline ol
                        WHERE ol.id = p.order_line_id)),
       -p.amount, sale.commission_rate,
       -round(p.amount * sale.commission_rate, 2),
       -p.amount + round(p.amount * sale.commission_rate, 2)
  FROM pending p
  -- one index probe per pending refund line (LIMIT 1: the line's one SALE line), never a
  -- scan of every settled line
  JOIN LATERAL (SELECT * FROM settlement_statementline s
                 WHERE s.order_line_id = p.order_line_id AND s.kind = 'sale'
                 LIMIT 1) sale ON true
  JOIN settlement_statement ss ON ss.id = sale.statement_id
  JOIN drafts d ON d.village_id = ss.village_id
 WHERE ss.status <> 'draft' OR ss.period_id = %(period)s
 ORDER BY p.id
ON CONFLICT (refund_line_id) WHERE kind = 'refund' DO NOTHING
"""

# Totals of the new drafts from their lines; RETURNING tells how many lines of each kind
# each holds and which ones came out negative.
_UPDATE_TOTALS = """
UPDATE settlement_statement s
   SET line_count = a.line_count,
       weight_g = a.weight_g,
       gross = a.gross,
       refunds = a.refunds,
       commission = a.commission,
       net_payable = a.gross - a.refunds - a.commission
  FROM (SELECT statement_id,
               count(*) AS line_count,
               count(*) FILTER (WHERE kind = 'sale') AS sales,
               coalesce(sum(weight_g), 0) AS weight_g,
               coalesce(sum(gross) FILTER (WHERE kind = 'sale'), 0) AS gross,
               coalesce(-sum(gross) FILTER (WHERE kind = 'refund'), 0) AS refunds,
               coalesce(sum(commission), 0) AS commission
          FROM settlement_statementline
         WHERE statement_id = ANY(%(draft_statements)s::bigint[])
         GROUP BY statement_id) a
 WHERE s.id = a.statement_id
RETURNING s.village_id, a.line_count, a.sales, s.net_payable
"""

# Drafts with no line, and drafts with a negative net payable (deferred: their lines go
# back to the unsettled pool, for the next period).
_DELETE_LINES = "DELETE FROM settlement_statementline WHERE statement_id = ANY(%(ids)s::bigint[])"
_DELETE_STATEMENTS = """
DELETE FROM settlement_statement
 WHERE id = ANY(%(draft_statements)s::bigint[]) AND (line_count = 0 OR net_payable < 0)
"""


def settlement_generate(
    *, actor: Any, period_code: str, now: datetime | None = None
) -> GenerateResult:
    """(Re)generate the draft statements of `period_code` (see the module docstring).

    A period that has not started is refused (PERIOD_NOT_STARTED); the current, open period
    may be generated: it makes drafts, which cannot be confirmed before the period ends."""
    check_is_staff(actor, "generate settlement statements")
    span = period_span(period_code)
    now = now or timezone.now()
    if span.starts_at > now:
        raise PeriodNotStarted(
            f"{span.code} has not started (it starts {timezone.localtime(span.starts_at):%Y-%m-%d}"
            "): there is nothing to settle yet.",
            field="period",
        )
    with transaction.atomic():
        period = period_store(span)
        period = SettlementPeriod.objects.select_for_update().get(pk=period.pk)
        book = RateBook.load()
        params: dict[str, Any] = {
            "period": period.pk,
            "code": period.code,
            "now": now,
            "ends_at": period.ends_at,
            "paid": [str(s) for s in SETTLEABLE_PAYMENT_STATUSES],
        }
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_DRAFTS, params)
            old_drafts = [row[0] for row in cursor.fetchall()]
            if old_drafts:
                cursor.execute(_DELETE_LINES, {"ids": old_drafts})
                cursor.execute(_DELETE_DRAFTS, {"ids": old_drafts})
            cursor.execute(_INSERT_DRAFTS, params)
            drafts = dict(cursor.fetchall())  # village id -> its new draft's id
            villages, categories, rates = book.table(sorted(drafts))
            params |= {
                "rate_villages": villages,
                "rate_categories": categories,
                "rate_values": rates,
                "rate_statements": [drafts[v] for v in villages],
                "draft_villages": list(drafts),
                "draft_statements": list(drafts.values()),
            }
            cursor.execute(_INSERT_SALES, params)
            cursor.execute(_INSERT_REFUNDS, params)
            cursor.execute(_UPDATE_TOTALS, params)
            filled = cursor.fetchall()  # (village, lines, of which sales, net payable)
            deferred_ids = sorted(village for village, _, _, net in filled if net < 0)
            kept = [(lines, sales) for _, lines, sales, net in filled if net >= 0]
            lines_added = sum(sales for _, sales in kept)
            adjustments_added = sum(lines - sales for lines, sales in kept)
            if deferred_ids:
                cursor.execute(
                    _DELETE_LINES, {"ids": [drafts[village] for village in deferred_ids]}
                )
            cursor.execute(_DELETE_STATEMENTS, params)
        statements = list(
            Statement.objects.filter(period=period)
            .select_related("period", "village__town")
            .order_by("village__code")
        )
        deferred = list(Village.objects.filter(pk__in=deferred_ids).order_by("code"))
    return GenerateResult(
        period=period,
        statements=statements,
        lines_added=int(lines_added),
        adjustments_added=int(adjustments_added),
        deferred=deferred,
    )
