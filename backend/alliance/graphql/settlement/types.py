"""GraphQL types of settlement: periods, statements with their lines and payouts, rules.

Every type with an id is scoped by get_queryset (node(id:) included): a first secretary
reads their village's statements, an operator those of their producers' villages, staff
all; others nothing (alliance.settlement.selectors). A page of statements costs two SQL
queries (statements with period, village and town joined; payouts prefetched) whatever its
size; a page of a statement's lines one query (producer, village, town, category joined).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import graphene
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id

from alliance.core.weight import grams_to_kg
from alliance.graphql.catalog.types import CategoryType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.pagination import CountableConnection, connection_args, paginate
from alliance.graphql.core.scalars import Money, Weight, money_from, weight_from
from alliance.graphql.villages.types import ProducerType, VillageType
from alliance.settlement.models import (
    CommissionRule,
    Payout,
    PayoutMethod,
    PeriodKind,
    SettlementPeriod,
    Statement,
    StatementLine,
    StatementStatus,
)
from alliance.settlement.periods import period_is_open
from alliance.settlement.selectors import (
    commission_rules_visible,
    statement_lines,
    statement_lines_visible,
    statements_visible,
    with_relations,
)

SettlementPeriodKindEnum = graphene.Enum.from_enum(
    PeriodKind, name="SettlementPeriodKind", description="Month, half month or ISO week."
)
StatementStatusEnum = graphene.Enum.from_enum(
    StatementStatus,
    name="StatementStatus",
    description="draft -> confirmed (immutable from then on) -> paid.",
)
StatementLineKindEnum = graphene.Enum.from_enum(
    StatementLine.Kind,
    name="StatementLineKind",
    description="A settled order line, or a (negative) refund adjustment.",
)
PayoutMethodEnum = graphene.Enum.from_enum(
    PayoutMethod, name="PayoutMethod", description="How the money was paid to the village."
)


class SettlementPeriodType(DjangoObjectType):
    kind = SettlementPeriodKindEnum(required=True)
    start_date = graphene.Date(required=True, description="First local (Asia/Shanghai) day.")
    last_date = graphene.Date(required=True, description="Last local day (inclusive).")
    starts_at = graphene.DateTime(required=True)
    ends_at = graphene.DateTime(required=True, description="Exclusive end instant.")
    is_open = graphene.Boolean(
        required=True, description="Started and not yet ended: its statements stay drafts."
    )

    class Meta:
        model = SettlementPeriod
        name = "SettlementPeriod"
        fields = ("code", "kind", "start_date", "starts_at", "ends_at")

    @staticmethod
    def resolve_kind(root: SettlementPeriod, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_last_date(root: SettlementPeriod, info: graphene.ResolveInfo) -> date:
        return root.end_date - timedelta(days=1)

    @staticmethod
    def resolve_is_open(root: SettlementPeriod, info: graphene.ResolveInfo) -> bool:
        return period_is_open(root)


class StatementLineType(DjangoObjectType):
    kind = StatementLineKindEnum(required=True)
    producer = graphene.Field(ProducerType, required=True)
    category = graphene.Field(CategoryType, required=True)
    channel = graphene.String(required=True, description="Channel slug: online or base.")
    quantity = graphene.Int(
        required=True, description="Signed: negative on refund adjustments (0: money only)."
    )
    weight = graphene.Field(Weight, resolver=weight_from("weight_g"), required=True)
    gross = graphene.Field(Money, resolver=money_from("gross"), required=True)
    commission_rate = graphene.Decimal(
        required=True, description="The rate copied at generation (0.0500 = 5 %)."
    )
    commission = graphene.Field(Money, resolver=money_from("commission"), required=True)
    net = graphene.Field(Money, resolver=money_from("net"), required=True)
    order_line_id = graphene.ID(required=True, description="Global id of the OrderLine.")

    class Meta:
        model = StatementLine
        name = "StatementLine"
        fields = (
            "kind",
            "order_number",
            "channel",
            "producer",
            "category",
            "sku",
            "product_name",
            "occurred_at",
            "quantity",
            "commission_rate",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        visible = statement_lines_visible(get_user(info)).values("pk")
        return queryset.filter(pk__in=visible).select_related("producer__village__town", "category")

    @staticmethod
    def resolve_kind(root: StatementLine, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_producer(root: StatementLine, info: graphene.ResolveInfo) -> Any:
        return root.producer  # select_related by statement_lines

    @staticmethod
    def resolve_category(root: StatementLine, info: graphene.ResolveInfo) -> Any:
        return root.category

    @staticmethod
    def resolve_order_line_id(root: StatementLine, info: graphene.ResolveInfo) -> str:
        return to_global_id("OrderLine", root.order_line_id)


class StatementLineConnection(CountableConnection):
    class Meta:
        node = StatementLineType


class PayoutType(DjangoObjectType):
    amount = graphene.Field(Money, resolver=money_from("amount"), required=True)
    method = PayoutMethodEnum(required=True)
    created = graphene.DateTime(required=True)

    class Meta:
        model = Payout
        name = "Payout"
        fields = ("amount", "paid_on", "method", "reference")

    @staticmethod
    def resolve_method(root: Payout, info: graphene.ResolveInfo) -> str:
        return root.method

    @staticmethod
    def resolve_created(root: Payout, info: graphene.ResolveInfo) -> Any:
        return root.created_at


class StatementType(DjangoObjectType):
    period = graphene.Field(SettlementPeriodType, required=True)
    village = graphene.Field(VillageType, required=True)
    status = StatementStatusEnum(required=True)
    line_count = graphene.Int(required=True)
    weight = graphene.Field(Weight, resolver=weight_from("weight_g"), required=True)
    weight_kg = graphene.Decimal(required=True, description="Net weight in kg (3 decimals).")
    gross = graphene.Field(Money, resolver=money_from("gross"), required=True, description="Sales.")
    refunds = graphene.Field(
        Money,
        resolver=money_from("refunds"),
        required=True,
        description="Refund adjustments (a positive amount).",
    )
    commission = graphene.Field(
        Money,
        resolver=money_from("commission"),
        required=True,
        description="Commission on sales minus commission given back on refunds.",
    )
    net_payable = graphene.Field(
        Money,
        resolver=money_from("net_payable"),
        required=True,
        description="gross - refunds - commission: what the village is owed.",
    )
    paid_amount = graphene.Field(Money, resolver=money_from("paid_amount"), required=True)
    lines = graphene.Field(
        graphene.NonNull(StatementLineConnection),
        description="Sales and refund adjustments in order (one SQL query a page).",
        **connection_args(),
    )
    payouts = graphene.List(graphene.NonNull(PayoutType), required=True)

    class Meta:
        model = Statement
        name = "Statement"
        fields = (
            "period",
            "village",
            "number",
            "status",
            "line_count",
            "generated_at",
            "confirmed_at",
            "paid_at",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        visible = statements_visible(get_user(info)).values("pk")
        return with_relations(queryset.filter(pk__in=visible))

    @staticmethod
    def resolve_period(root: Statement, info: graphene.ResolveInfo) -> Any:
        return root.period

    @staticmethod
    def resolve_village(root: Statement, info: graphene.ResolveInfo) -> Any:
        return root.village

    @staticmethod
    def resolve_status(root: Statement, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_weight_kg(root: Statement, info: graphene.ResolveInfo) -> Any:
        return grams_to_kg(root.weight_g)

    @staticmethod
    def resolve_lines(
        root: Statement,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        return paginate(statement_lines(root), StatementLineConnection, first=first, after=after)

    @staticmethod
    def resolve_payouts(root: Statement, info: graphene.ResolveInfo) -> Any:
        return root.payouts.all()  # prefetched by with_relations


class StatementConnection(CountableConnection):
    class Meta:
        node = StatementType


class CommissionRuleType(DjangoObjectType):
    village = graphene.Field(VillageType, description="Null: every village.")
    category = graphene.Field(CategoryType, description="Null: every category.")
    rate = graphene.Decimal(required=True, description="0.0500 = 5 %.")
    is_default = graphene.Boolean(
        required=True, description="The alliance's default (no village, no category)."
    )

    class Meta:
        model = CommissionRule
        name = "CommissionRule"
        fields = ("village", "category", "rate", "note")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        visible = commission_rules_visible(get_user(info)).values("pk")
        return queryset.filter(pk__in=visible).select_related("village__town", "category")

    @staticmethod
    def resolve_village(root: CommissionRule, info: graphene.ResolveInfo) -> Any:
        return root.village if root.village_id is not None else None

    @staticmethod
    def resolve_category(root: CommissionRule, info: graphene.ResolveInfo) -> Any:
        return root.category if root.category_id is not None else None

    @staticmethod
    def resolve_is_default(root: CommissionRule, info: graphene.ResolveInfo) -> bool:
        return root.village_id is None and root.category_id is None
