"""Settlement reads (statements, periods, commission rules), scoped by role in the selectors."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from alliance.core.errors import DomainError
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.pagination import connection_args, paginate
from alliance.graphql.settlement.types import (
    CommissionRuleType,
    SettlementPeriodType,
    StatementConnection,
    StatementStatusEnum,
    StatementType,
)
from alliance.settlement.selectors import (
    commission_rules_visible,
    periods_list,
    statement_get,
    statement_list,
)


class StatementFilterInput(graphene.InputObjectType):
    period = graphene.String(description="A period code: 2026-10 (or 2026-10-H1, 2026-W44).")
    village = graphene.ID()
    status = StatementStatusEnum()


def _decoded(global_id: str | None, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    try:
        return decode_id(global_id, type_name, field=field)
    except DomainError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code}) from None


class SettlementQueries(graphene.ObjectType):
    settlement_periods = graphene.List(
        graphene.NonNull(SettlementPeriodType),
        required=True,
        description="Settlement periods generated so far, newest first (staff, first "
        "secretaries and operators; empty for others).",
    )
    statements = graphene.Field(
        graphene.NonNull(StatementConnection),
        filter=StatementFilterInput(),
        description="Statements the user may read, newest period first, then by village "
        "code (staff: all; a first secretary: their village; an operator: their producers' "
        "villages).",
        **connection_args(),
    )
    statement = graphene.Field(
        StatementType,
        id=graphene.ID(required=True),
        description="One statement; null when unknown or out of scope.",
    )
    commission_rules = graphene.List(
        graphene.NonNull(CommissionRuleType),
        required=True,
        description="Commission rules: the default first, then village and category rules "
        "(others than staff see the default, category rules and their villages' rules).",
    )

    @staticmethod
    def resolve_settlement_periods(root: Any, info: graphene.ResolveInfo) -> Any:
        return periods_list(get_user(info))

    @staticmethod
    def resolve_statements(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        data = filter or {}
        status = data.get("status")
        queryset = statement_list(
            get_user(info),
            period_code=data.get("period"),
            village_id=_decoded(data.get("village"), "Village", "filter.village"),
            status=getattr(status, "value", status),
        )
        return paginate(queryset, StatementConnection, first=first, after=after)

    @staticmethod
    def resolve_statement(root: Any, info: graphene.ResolveInfo, id: str) -> Any:
        return statement_get(get_user(info), _decoded(id, "Statement", "id") or 0)

    @staticmethod
    def resolve_commission_rules(root: Any, info: graphene.ResolveInfo) -> Any:
        return commission_rules_visible(get_user(info))
