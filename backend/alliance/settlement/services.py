"""Settlement writes: generating statements (alliance.settlement.generation, re-exported
here), confirming them, recording payouts, and the commission rules. Staff only (checked
here).

Confirmation (`settlement_confirm`): drafts only, of periods that have ended; confirmed_at
and confirmed_by are set; from then on the statement and its lines are immutable (database
triggers, migration 0002). Payouts (`settlement_payout_create`): confirmed statements only,
a positive amount with at most 2 decimal places, never more than what remains (the
statement row is locked); when the payouts reach the net payable the statement is paid.
A statement with net payable 0 is paid on confirmation; a negative one (generation never
leaves one: it defers the village, see alliance.settlement.generation, which also states
the rounding rules) is refused.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.catalog.models import Category
from alliance.core.errors import NotFound
from alliance.core.money import quantize
from alliance.inventory.permissions import check_is_staff
from alliance.settlement.errors import (
    DefaultRuleRequired,
    InvalidAmount,
    InvalidDate,
    InvalidPayoutMethod,
    InvalidRate,
    NegativeNetPayable,
    Overpayment,
    PayoutReferenceRequired,
    PeriodOpen,
    StatementAlreadyPaid,
    StatementNotConfirmed,
    StatementNotDraft,
)
from alliance.settlement.generation import (
    SETTLEABLE_PAYMENT_STATUSES,
    GenerateResult,
    settlement_generate,
)
from alliance.settlement.models import (
    CommissionRule,
    Payout,
    PayoutMethod,
    Statement,
    StatementStatus,
)
from alliance.villages.models import Village

__all__ = [
    "SETTLEABLE_PAYMENT_STATUSES",
    "GenerateResult",
    "commission_rule_delete",
    "commission_rule_set",
    "settlement_confirm",
    "settlement_generate",
    "settlement_payout_create",
]

REFERENCE_MAX_LENGTH = Payout._meta.get_field("reference").max_length or 128
NOTE_MAX_LENGTH = CommissionRule._meta.get_field("note").max_length or 200
RATE_PLACES = 4
MAX_AMOUNT = Decimal("999999999999.99")


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
