"""Report reads: salesReport, reconciliation, allianceTotals.

Each resolver parses its arguments and calls one service of alliance.reports; a refusal or
a bad argument (PERMISSION_DENIED, INVALID_PERIOD, INVALID_CHANNEL, INVALID_GROUP_BY,
REPORT_TOO_LARGE) is a GraphQL error with `extensions: {code, field}` and a null field.
The SQL each one runs does not depend on the number of rows: salesReport one statement,
allianceTotals one (or none when cached), reconciliation about a dozen.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from alliance.core.errors import DomainError
from alliance.graphql.core.context import get_user
from alliance.graphql.reports.types import (
    AllianceTotals,
    Reconciliation,
    SalesGroupByEnum,
    SalesReport,
)
from alliance.reports.reconciliation import reconciliation
from alliance.reports.sales import sales_report
from alliance.reports.totals import alliance_totals

PERIOD_HELP = (
    "A month (2026-10), half month (2026-10-H1), ISO week (2026-W44), year (2026), local "
    "date range (2026-10-01..2026-10-31, inclusive) or all."
)


def _query_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code, "field": exc.field})


class ReportQueries(graphene.ObjectType):
    sales_report = graphene.Field(
        SalesReport,
        period=graphene.String(required=True, description=PERIOD_HELP),
        channel=graphene.String(description="online or base; both when left out."),
        group_by=graphene.List(graphene.NonNull(SalesGroupByEnum)),
        description="Orders, quantity, tonnage and value of paid orders (by order date) and "
        "refunds (by refund date), grouped. Staff: the alliance; a first secretary: their "
        "village.",
    )
    reconciliation = graphene.Field(
        Reconciliation,
        period=graphene.String(required=True, description=PERIOD_HELP),
        description="Sales vs payments vs Stripe vs statements, stock flow per warehouse, and "
        "each discrepancy with the records behind it. Staff; a first secretary: their village "
        "(no payments, no Stripe).",
    )
    alliance_totals = graphene.Field(
        AllianceTotals,
        required=True,
        description="The alliance's totals to date (public; at most 60 s old).",
    )

    @staticmethod
    def resolve_sales_report(
        root: Any,
        info: graphene.ResolveInfo,
        period: str,
        channel: str | None = None,
        group_by: list[Any] | None = None,
    ) -> Any:
        try:
            return sales_report(
                actor=get_user(info), period=period, channel=channel, group_by=group_by or ()
            )
        except DomainError as exc:
            raise _query_error(exc) from None

    @staticmethod
    def resolve_reconciliation(root: Any, info: graphene.ResolveInfo, period: str) -> Any:
        try:
            return reconciliation(actor=get_user(info), period=period)
        except DomainError as exc:
            raise _query_error(exc) from None

    @staticmethod
    def resolve_alliance_totals(root: Any, info: graphene.ResolveInfo) -> Any:
        return alliance_totals()
