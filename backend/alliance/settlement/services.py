"""Settlement writes: generating statements, confirming them, recording payouts, and the
commission rules. Staff only (checked here).

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
3. Totals come from one aggregate over the lines; statements left with no line are deleted.

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

Confirmation (`settlement_confirm`): drafts only, of periods that have ended; confirmed_at
and confirmed_by are set; from then on the statement and its lines are immutable (database
triggers, migration 0002). Payouts (`settlement_payout_create`): confirmed statements only,
a positive amount with at most 2 decimal places, never more than what remains (the
statement row is locked); when the payouts reach the net payable the statement is paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alliance.catalog.models import Category
from alliance.core.errors import NotFound
from alliance.core.money import quantize
from alliance.inventory.permissions import check_is_staff
from alliance.orders.models import PaymentStatus
from alliance.settlement.errors import (
    DefaultRuleRequired,
    InvalidAmount,
    InvalidDate,
    InvalidPayoutMethod,
    InvalidRate,
    NegativeNetPayable,
    Overpayment,
    PayoutReferenceRequired,
    PeriodNotStarted,
    PeriodOpen,
    StatementAlreadyPaid,
    StatementNotConfirmed,
    StatementNotDraft,
)
from alliance.settlement.models import (
    CommissionRule,
    Payout,
    PayoutMethod,
    SettlementPeriod,
    Statement,
    StatementStatus,
)
from alliance.settlement.periods import period_span, period_store
from alliance.settlement.rules import RateBook
from alliance.villages.models import Village

SETTLEABLE_PAYMENT_STATUSES = (
    PaymentStatus.FULLY_CHARGED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.FULLY_REFUNDED,
)
REFERENCE_MAX_LENGTH = Payout._meta.get_field("reference").max_length or 128
NOTE_MAX_LENGTH = CommissionRule._meta.get_field("note").max_length or 200
RATE_PLACES = 4
MAX_AMOUNT = Decimal("999999999999.99")


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

_DELETE_DRAFT_LINES = "DELETE FROM settlement_statementline WHERE statement_id = ANY(%(ids)s)"
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
"""

_DRAFT_IDS = """
SELECT village_id, id FROM settlement_statement
 WHERE period_id = %(period)s AND status = 'draft'
"""

# `rates`: one row per (village with a draft, category): its statement and its rate. Joined
# by hash with the order lines (a sequential scan: generation reads every unsettled line).
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
       -p.quantity, -(p.quantity * ol.unit_weight_g), -p.amount, sale.commission_rate,
       -round(p.amount * sale.commission_rate, 2),
       -p.amount + round(p.amount * sale.commission_rate, 2)
  FROM pending p
  JOIN settlement_statementline sale ON sale.order_line_id = p.order_line_id
                                    AND sale.kind = 'sale'
  JOIN settlement_statement ss ON ss.id = sale.statement_id
  JOIN drafts d ON d.village_id = ss.village_id
  JOIN orders_orderline ol ON ol.id = p.order_line_id
 WHERE ss.status <> 'draft' OR ss.period_id = %(period)s
 ORDER BY p.id
ON CONFLICT (refund_line_id) WHERE kind = 'refund' DO NOTHING
"""

_UPDATE_TOTALS = """
UPDATE settlement_statement s
   SET line_count = a.line_count,
       weight_g = a.weight_g,
       gross = a.gross,
       refunds = a.refunds,
       commission = a.commission,
       net_payable = a.gross - a.refunds - a.commission
  FROM (SELECT l.statement_id,
               count(*) AS line_count,
               coalesce(sum(l.weight_g), 0) AS weight_g,
               coalesce(sum(l.gross) FILTER (WHERE l.kind = 'sale'), 0) AS gross,
               coalesce(-sum(l.gross) FILTER (WHERE l.kind = 'refund'), 0) AS refunds,
               coalesce(sum(l.commission), 0) AS commission
          FROM settlement_statementline l
          JOIN settlement_statement d ON d.id = l.statement_id
         WHERE d.period_id = %(period)s AND d.status = 'draft'
         GROUP BY l.statement_id) a
 WHERE s.id = a.statement_id
"""

_DEFERRED_LINES = """
DELETE FROM settlement_statementline
 WHERE statement_id IN (SELECT id FROM settlement_statement
                         WHERE period_id = %(period)s AND status = 'draft' AND net_payable < 0)
"""

_DELETE_EMPTY_OR_NEGATIVE = """
DELETE FROM settlement_statement
 WHERE period_id = %(period)s AND status = 'draft' AND (line_count = 0 OR net_payable < 0)
RETURNING village_id, line_count, net_payable
"""

_COUNT_ADDED = """
SELECT count(*) FILTER (WHERE l.kind = 'sale'), count(*) FILTER (WHERE l.kind = 'refund')
  FROM settlement_statementline l
  JOIN settlement_statement s ON s.id = l.statement_id
 WHERE s.period_id = %(period)s AND s.status = 'draft'
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
                cursor.execute(_DELETE_DRAFT_LINES, {"ids": old_drafts})
                cursor.execute(_DELETE_DRAFTS, {"ids": old_drafts})
            cursor.execute(_INSERT_DRAFTS, params)
            cursor.execute(_DRAFT_IDS, params)
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
            cursor.execute(_DEFERRED_LINES, params)
            cursor.execute(_DELETE_EMPTY_OR_NEGATIVE, params)
            deferred_ids = sorted(v for v, count, net in cursor.fetchall() if count and net < 0)
            cursor.execute(_COUNT_ADDED, params)
            lines_added, adjustments_added = cursor.fetchone()
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


# --------------------------------------------------------------------------------------------
# Confirmation and payouts


def _locked_statement(statement_id: int) -> Statement:
    statement = (
        Statement.objects.select_for_update(of=("self",))
        .select_related("period", "village")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None:
        raise NotFound("Statement not found.", field="id")
    return statement


@transaction.atomic
def settlement_confirm(*, actor: Any, statement_id: int) -> Statement:
    """Confirm a draft of an ended period; a statement with nothing to pay is paid at once."""
    check_is_staff(actor, "confirm settlement statements")
    statement = _locked_statement(statement_id)
    if statement.status != StatementStatus.DRAFT:
        raise StatementNotDraft(
            f"Statement {statement.number} is already {statement.status}.", field="id"
        )
    now = timezone.now()
    if statement.period.ends_at > now:
        raise PeriodOpen(
            f"Period {statement.period.code} has not ended: lines can still arrive, so its "
            "statements stay drafts until it ends.",
            field="id",
        )
    if statement.net_payable < 0:  # generation never leaves one; refuse whatever made it
        raise NegativeNetPayable(
            f"Statement {statement.number} has a negative net payable "
            f"({statement.net_payable}); regenerate the period to roll it forward.",
            field="id",
        )
    statement.status = StatementStatus.CONFIRMED
    statement.confirmed_at = now
    statement.confirmed_by = actor
    statement.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
    if statement.net_payable == 0:
        statement.status = StatementStatus.PAID
        statement.paid_at = now
        statement.save(update_fields=["status", "paid_at", "updated_at"])
    return statement


def _checked_amount(amount: Any) -> Decimal:
    if isinstance(amount, float) or isinstance(amount, bool):
        raise InvalidAmount("Amounts are Decimal, never float.", field="amount")
    if not isinstance(amount, Decimal | int | str):
        raise InvalidAmount(f"{amount!r} is not an amount of money.", field="amount")
    try:
        exact = Decimal(str(amount).strip())
        value = quantize(exact)
    except (ValueError, InvalidOperation, ArithmeticError):
        raise InvalidAmount(f"{amount!r} is not an amount of money.", field="amount") from None
    if not exact.is_finite() or value != exact or value <= 0 or value > MAX_AMOUNT:
        raise InvalidAmount(
            "The amount must be positive with at most 2 decimal places.", field="amount"
        )
    return value


@transaction.atomic
def settlement_payout_create(
    *,
    actor: Any,
    statement_id: int,
    amount: Any,
    paid_on: date,
    method: str,
    reference: str = "",
) -> Payout:
    """Record money paid to the village for a confirmed statement; never more than remains."""
    check_is_staff(actor, "record payouts")
    value = _checked_amount(amount)
    if method not in PayoutMethod.values:
        raise InvalidPayoutMethod(
            f"Payouts are made by {' or '.join(PayoutMethod.values)}, not {method!r}.",
            field="method",
        )
    reference = (reference or "").strip()
    if method == PayoutMethod.BANK_TRANSFER and not reference:
        raise PayoutReferenceRequired(
            "A bank transfer needs its bank reference.", field="reference"
        )
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise PayoutReferenceRequired(
            f"The reference has at most {REFERENCE_MAX_LENGTH} characters.", field="reference"
        )
    if not isinstance(paid_on, date) or isinstance(paid_on, datetime):
        raise InvalidDate("paidOn must be a date.", field="paidOn")
    if paid_on > timezone.localdate():
        raise InvalidDate("A payout cannot be dated in the future.", field="paidOn")

    statement = _locked_statement(statement_id)
    if statement.status == StatementStatus.DRAFT:
        raise StatementNotConfirmed(
            f"Statement {statement.number} is a draft: confirm it before paying.", field="statement"
        )
    if statement.status == StatementStatus.PAID:
        raise StatementAlreadyPaid(f"Statement {statement.number} is paid.", field="statement")
    if paid_on < statement.period.end_date:
        raise InvalidDate(
            f"A payout for {statement.period.code} is made after the period, not on {paid_on}.",
            field="paidOn",
        )
    remaining = statement.net_payable - statement.paid_amount
    if value > remaining:
        raise Overpayment(
            f"{value} would overpay statement {statement.number}: {remaining} remains to pay "
            f"(net payable {statement.net_payable}, paid {statement.paid_amount}).",
            field="amount",
        )
    payout = Payout.objects.create(
        statement=statement,
        amount=value,
        paid_on=paid_on,
        method=method,
        reference=reference,
        created_by=actor,
    )
    statement.paid_amount = statement.paid_amount + value
    fields = ["paid_amount", "updated_at"]
    if statement.paid_amount == statement.net_payable:
        statement.status = StatementStatus.PAID
        statement.paid_at = timezone.now()
        fields += ["status", "paid_at"]
    statement.save(update_fields=fields)
    return payout


# --------------------------------------------------------------------------------------------
# Commission rules


def _checked_rate(rate: Any) -> Decimal:
    if isinstance(rate, float) or isinstance(rate, bool):
        raise InvalidRate("Rates are Decimal, never float.", field="rate")
    try:
        value = Decimal(str(rate).strip())
    except (InvalidOperation, ValueError):
        raise InvalidRate(f"{rate!r} is not a rate.", field="rate") from None
    if not value.is_finite() or not (Decimal(0) <= value < Decimal(1)):
        raise InvalidRate("The rate is a fraction from 0 up to (not including) 1.", field="rate")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RATE_PLACES:
        raise InvalidRate(
            f"The rate has at most {RATE_PLACES} decimal places (0.0525 = 5.25 %).", field="rate"
        )
    return value.quantize(Decimal(1).scaleb(-RATE_PLACES))


@transaction.atomic
def commission_rule_set(
    *,
    actor: Any,
    rate: Any,
    village_id: int | None = None,
    category_id: int | None = None,
    note: str = "",
) -> CommissionRule:
    """Create or change the rule of a scope (alliance default, village, category, or both).
    Lines already generated keep the rate they were given."""
    check_is_staff(actor, "set commission rules")
    value = _checked_rate(rate)
    if village_id is not None and not Village.objects.filter(pk=village_id).exists():
        raise NotFound("Village not found.", field="village")
    if category_id is not None and not Category.objects.filter(pk=category_id).exists():
        raise NotFound("Category not found.", field="category")
    note = (note or "").strip()[:NOTE_MAX_LENGTH]
    scope = {"village_id": village_id, "category_id": category_id}
    rule = CommissionRule.objects.select_for_update().filter(**scope).first()
    if rule is None:
        try:
            with transaction.atomic():
                return CommissionRule.objects.create(rate=value, note=note, **scope)
        except IntegrityError:  # created meanwhile by another request: change that one
            rule = CommissionRule.objects.select_for_update().get(**scope)
    rule.rate = value
    rule.note = note
    rule.save(update_fields=["rate", "note", "updated_at"])
    return rule


@transaction.atomic
def commission_rule_delete(*, actor: Any, rule_id: int) -> None:
    check_is_staff(actor, "delete commission rules")
    rule = CommissionRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("Commission rule not found.", field="id")
    if rule.village_id is None and rule.category_id is None:
        raise DefaultRuleRequired(
            "The alliance's default rate cannot be deleted; change its rate instead.", field="id"
        )
    rule.delete()
