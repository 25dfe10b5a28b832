"""stockCount: a stocktake; each difference becomes an adjustment in the ledger."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.mutations.stock_receive import warehouse_from_id
from alliance.graphql.inventory.types import StockMovementType
from alliance.inventory.operations import CountLine, stock_count


class StockCountLineInput(graphene.InputObjectType):
    stock = graphene.ID(required=True)
    counted = graphene.Int(
        required=True, description="Counted on hand: units, or grams when sold by weight."
    )


class StockCountInput(graphene.InputObjectType):
    warehouse = graphene.ID(required=True)
    lines = graphene.List(graphene.NonNull(StockCountLineInput), required=True)
    reason = graphene.String()


class StockCount(BaseMutation):
    """Record a stocktake in one warehouse; all lines apply or none does."""

    movements = graphene.List(graphene.NonNull(StockMovementType))

    class Arguments:
        input = StockCountInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        lines = [
            CountLine(
                stock_id=decode_id(line["stock"], "Stock", field=f"lines.{index}.stock"),
                counted=line["counted"],
            )
            for index, line in enumerate(input["lines"])
        ]
        movements = stock_count(
            actor=get_user(info),
            warehouse=warehouse_from_id(input["warehouse"]),
            counts=lines,
            reason=input.get("reason") or "",
        )
        return {"movements": movements}
