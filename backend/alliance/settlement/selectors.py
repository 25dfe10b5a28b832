"""Reading settlement, scoped by who asks.

- staff: every statement, period and rule;
- a first secretary: the statements of their village;
- an operator: the statements of the villages of their producers (read only, whole
  statements: the village is paid as one);
- consumers and anonymous users: nothing.
Commission rules: staff all; secretaries and operators the rules that can apply to their
villages (the default, category rules, their villages' rules); others none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from alliance.accounts.models import Role
from alliance.settlement.models import (
    CommissionRule,
    Payout,
    SettlementPeriod,
    Statement,
    StatementLine,
)
from alliance.villages.models import Producer

NOTHING = Q(pk__in=[])


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def reader_village_ids(user: Any) -> list[int] | None:
    """The villages whose statements `user` may read; None means all (staff)."""
    if not _signed_in(user):
        return []
    if user.role == Role.STAFF:
        return None
    if user.role == Role.SECRETARY and user.village_id is not None:
        return [user.village_id]
    if user.role == Role.OPERATOR:
        return sorted(
            set(Producer.objects.filter(operators=user.pk).values_list("village_id", flat=True))
        )
    return []


def reads_settlement(user: Any) -> bool:
    return _signed_in(user) and user.role in (Role.STAFF, Role.SECRETARY, Role.OPERATOR)


def statement_scope(user: Any, prefix: str = "") -> Q | None:
    """A filter on Statement (or on rows reaching it through `prefix`); None means all."""
    villages = reader_village_ids(user)
    if villages is None:
        return None
    if not villages:
        return NOTHING
    return Q(**{f"{prefix}village_id__in": villages})


def statements_visible(user: Any) -> QuerySet[Statement]:
    scope = statement_scope(user)
    return Statement.objects.all() if scope is None else Statement.objects.filter(scope)


def with_relations(queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    """Period and village (with its town) joined, payouts prefetched: two queries a page."""
    return queryset.select_related("period", "village__town").prefetch_related(
        Prefetch("payouts", queryset=Payout.objects.order_by("pk"))
    )


def statement_list(
    user: Any,
    *,
    period_code: str | None = None,
    village_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Statement]:
    """Statements `user` may read, newest period first, then by village code."""
    queryset = statements_visible(user)
    if period_code:
        queryset = queryset.filter(period__code=period_code.strip())
    if village_id is not None:
        queryset = queryset.filter(village_id=village_id)
    if status:
        queryset = queryset.filter(status=status)
    return with_relations(queryset.order_by("-period__starts_at", "village__code", "pk"))


def statement_get(user: Any, statement_id: int) -> Statement | None:
    """One statement, or None when it does not exist or `user` may not read it."""
    return with_relations(statements_visible(user).filter(pk=statement_id)).first()


def statement_lines_visible(user: Any) -> QuerySet[StatementLine]:
    scope = statement_scope(user, prefix="statement__")
    lines = StatementLine.objects.all()
    return lines if scope is None else lines.filter(scope)


def statement_lines(statement: Statement | int) -> QuerySet[StatementLine]:
    """A statement's lines in order (sales and adjustments as generated), with producer
    (and its village and town) and category joined: one query per page."""
    statement_id = statement.pk if isinstance(statement, Statement) else statement
    return (
        StatementLine.objects.filter(statement_id=statement_id)
        .select_related("producer__village__town", "category")
        .order_by("pk")
    )


def periods_list(user: Any) -> QuerySet[SettlementPeriod]:
    """Periods that have statements or were generated, newest first (readers only)."""
    if not reads_settlement(user):
        return SettlementPeriod.objects.none()
    return SettlementPeriod.objects.order_by("-starts_at")


def commission_rules_visible(user: Any) -> QuerySet[CommissionRule]:
    if not reads_settlement(user):
        return CommissionRule.objects.none()
    rules = CommissionRule.objects.select_related("village__town", "category").order_by(
        F("village_id").asc(nulls_first=True), F("category_id").asc(nulls_first=True), "pk"
    )
    villages = reader_village_ids(user)
    if villages is None:
        return rules
    return rules.filter(Q(village__isnull=True) | Q(village_id__in=villages))
