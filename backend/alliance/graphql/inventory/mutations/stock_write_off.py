"""stockWriteOff: spoiled or lost goods leave the books."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.types import StockMovementType, StockType
from alliance.inventory.operations import stock_write_off


class StockWriteOffInput(graphene.InputObjectType):
    stock = graphene.ID(required=True)
    quantity = graphene.Int(
        required=True, description="Units, or grams for variants sold by weight."
    )
    reason = graphene.String(required=True, description="Why: spoiled, damaged, lost...")


class StockWriteOff(BaseMutation):
    """Write off spoiled or lost stock (a loss in the ledger); reserved stock stays."""

    movement = graphene.Field(StockMovementType)
    stock = graphene.Field(StockType)

    class Arguments:
        input = StockWriteOffInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        movement = stock_write_off(
            actor=get_user(info),
            stock_id=decode_id(input["stock"], "Stock", field="stock"),
            quantity=input["quantity"],
            reason=input["reason"],
        )
        return {"movement": movement, "stock": movement.stock}
