"""Settlement writes (generate, confirm, payouts, commission rules): staff only, each one
service call; refusals are `errors { field code message }` and change nothing."""

from __future__ import annotations

from typing import Any

import graphene
from graphql_relay import to_global_id

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.settlement.types import (
    CommissionRuleType,
    PayoutMethodEnum,
    PayoutType,
    SettlementPeriodType,
    StatementType,
)
from alliance.graphql.villages.types import VillageType
from alliance.inventory.permissions import check_is_staff
from alliance.settlement.models import Statement
from alliance.settlement.selectors import with_relations
from alliance.settlement.services import (
    commission_rule_delete,
    commission_rule_set,
    settlement_confirm,
    settlement_generate,
    settlement_payout_create,
)


def _fresh_statement(statement_id: int) -> Statement | None:
    return with_relations(Statement.objects.filter(pk=statement_id)).first()


class SettlementGenerate(BaseMutation):
    """(Re)generate the draft statements of a period: one per village with anything to
    settle. Confirmed and paid statements are never touched; each order line is settled in
    exactly one statement. Refused for a period that has not started."""

    period = graphene.Field(SettlementPeriodType)
    statements = graphene.List(
        graphene.NonNull(StatementType),
        description="Every statement of the period (new drafts and confirmed ones).",
    )
    lines_added = graphene.Int(description="Sale lines in the new drafts.")
    adjustments_added = graphene.Int(description="Refund adjustment lines in the new drafts.")
    deferred_villages = graphene.List(
        graphene.NonNull(VillageType),
        description="Villages whose refunds exceed their sales this period: no statement, "
        "their lines roll into the next period.",
    )

    class Arguments:
        period = graphene.String(required=True, description="A period code, e.g. 2026-10.")

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, period: str) -> dict[str, Any]:
        result = settlement_generate(actor=get_user(info), period_code=period)
        statements = list(
            with_relations(Statement.objects.filter(period=result.period)).order_by("village__code")
        )
        return {
            "period": result.period,
            "statements": statements,
            "lines_added": result.lines_added,
            "adjustments_added": result.adjustments_added,
            "deferred_villages": result.deferred,
        }


class SettlementConfirm(BaseMutation):
    """Confirm a draft statement of an ended period; from then on it never changes. A
    statement with nothing to pay (net payable 0) is paid at once."""

    statement = graphene.Field(StatementType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        user = get_user(info)
        check_is_staff(user, "confirm settlement statements")
        statement = settlement_confirm(
            actor=user, statement_id=decode_id(id, "Statement", field="id")
        )
        return {"statement": _fresh_statement(statement.pk)}


class SettlementPayoutCreateInput(graphene.InputObjectType):
    statement = graphene.ID(required=True)
    amount = graphene.Decimal(required=True, description="CNY, positive, at most 2 decimals.")
    paid_on = graphene.Date(required=True, description="Local date the money left.")
    method = PayoutMethodEnum(required=True)
    reference = graphene.String(description="Bank reference (required for bank transfers).")


class SettlementPayoutCreate(BaseMutation):
    """Record money paid to a village for a confirmed statement. Never more than what
    remains; when the payouts reach the net payable the statement is paid."""

    statement = graphene.Field(StatementType)
    payout = graphene.Field(PayoutType)

    class Arguments:
        input = SettlementPayoutCreateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        user = get_user(info)
        check_is_staff(user, "record payouts")
        method = input["method"]
        payout = settlement_payout_create(
            actor=user,
            statement_id=decode_id(input["statement"], "Statement", field="statement"),
            amount=input["amount"],
            paid_on=input["paid_on"],
            method=getattr(method, "value", method),
            reference=input.get("reference") or "",
        )
        return {"statement": _fresh_statement(payout.statement_id), "payout": payout}


class CommissionRuleSetInput(graphene.InputObjectType):
    rate = graphene.Decimal(required=True, description="0 <= rate < 1, at most 4 decimals.")
    village = graphene.ID(description="Omit for every village.")
    category = graphene.ID(description="Omit for every category (the rule covers subcategories).")
    note = graphene.String()


class CommissionRuleSet(BaseMutation):
    """Set the commission rate of a scope (the alliance, a village, a category, or a village
    and a category). Statement lines already generated keep their rate."""

    commission_rule = graphene.Field(CommissionRuleType)

    class Arguments:
        input = CommissionRuleSetInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        user = get_user(info)
        check_is_staff(user, "set commission rules")
        village, category = input.get("village"), input.get("category")
        rule = commission_rule_set(
            actor=user,
            rate=input["rate"],
            village_id=decode_id(village, "Village", field="village") if village else None,
            category_id=decode_id(category, "Category", field="category") if category else None,
            note=input.get("note") or "",
        )
        return {"commission_rule": rule}


class CommissionRuleDelete(BaseMutation):
    """Delete a village or category rule (the default rule cannot be deleted)."""

    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        user = get_user(info)
        check_is_staff(user, "delete commission rules")
        rule_id = decode_id(id, "CommissionRule", field="id")
        commission_rule_delete(actor=user, rule_id=rule_id)
        return {"deleted_id": to_global_id("CommissionRule", rule_id)}


class SettlementMutations(graphene.ObjectType):
    settlement_generate = SettlementGenerate.Field()
    settlement_confirm = SettlementConfirm.Field()
    settlement_payout_create = SettlementPayoutCreate.Field()
    commission_rule_set = CommissionRuleSet.Field()
    commission_rule_delete = CommissionRuleDelete.Field()
