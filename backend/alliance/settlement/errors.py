"""Expected failures of settlement (each with a stable code; nothing is changed when raised)."""

from __future__ import annotations

from alliance.core.errors import DomainError


class SettlementError(DomainError):
    code = "INVALID"


class PeriodCodeInvalid(SettlementError):
    """Not a period code at all (e.g. "2026-13", "Oct 2026")."""

    code = "PERIOD_CODE_INVALID"


class PeriodKindMismatch(SettlementError):
    """A valid code of another kind than settings.SETTLEMENT_PERIOD (a week when the
    alliance settles by month)."""

    code = "PERIOD_KIND_MISMATCH"


class PeriodNotStarted(SettlementError):
    code = "PERIOD_NOT_STARTED"


class PeriodOpen(SettlementError):
    """The period has not ended: lines may still arrive, its statements stay drafts."""

    code = "PERIOD_OPEN"


class PeriodOverlaps(SettlementError):
    """The period would overlap one stored under another kind (the setting changed)."""

    code = "PERIOD_OVERLAPS"


class StatementNotDraft(SettlementError):
    code = "STATEMENT_NOT_DRAFT"


class StatementNotConfirmed(SettlementError):
    code = "STATEMENT_NOT_CONFIRMED"


class StatementAlreadyPaid(SettlementError):
    code = "STATEMENT_ALREADY_PAID"


class NegativeNetPayable(SettlementError):
    code = "NEGATIVE_NET_PAYABLE"


class InvalidAmount(SettlementError):
    code = "INVALID_AMOUNT"


class Overpayment(SettlementError):
    code = "OVERPAYMENT"


class InvalidPayoutMethod(SettlementError):
    code = "INVALID_PAYOUT_METHOD"


class PayoutReferenceRequired(SettlementError):
    code = "PAYOUT_REFERENCE_REQUIRED"


class InvalidDate(SettlementError):
    code = "INVALID_DATE"


class InvalidRate(SettlementError):
    code = "INVALID_RATE"


class DefaultRuleRequired(SettlementError):
    """The alliance's default rate (no village, no category) cannot be deleted."""

    code = "DEFAULT_RULE_REQUIRED"


class NoDefaultRule(SettlementError):
    code = "NO_DEFAULT_COMMISSION_RULE"
