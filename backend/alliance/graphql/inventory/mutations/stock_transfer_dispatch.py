"""stockTransferDispatch: goods leave a village collection point for the alliance base."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.mutations.stock_receive import warehouse_from_id
from alliance.graphql.inventory.types import TransferType
from alliance.inventory.transfers import DispatchLine, transfer_dispatch


class StockTransferDispatchLineInput(graphene.InputObjectType):
    stock = graphene.ID(required=True, description="A stock row in the source warehouse.")
    quantity = graphene.Int(
        required=True, description="Units, or grams for variants sold by weight."
    )


class StockTransferDispatchInput(graphene.InputObjectType):
    source = graphene.ID(required=True, description="The village collection point.")
    lines = graphene.List(graphene.NonNull(StockTransferDispatchLineInput), required=True)
    note = graphene.String()


class StockTransferDispatch(BaseMutation):
    """Send goods to the base: they leave the village now and are in transit until
    stockTransferReceive. All lines go or none does."""

    transfer = graphene.Field(TransferType)

    class Arguments:
        input = StockTransferDispatchInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        lines = [
            DispatchLine(
                stock_id=decode_id(line["stock"], "Stock", field=f"lines.{index}.stock"),
                quantity=line["quantity"],
            )
            for index, line in enumerate(input["lines"])
        ]
        transfer = transfer_dispatch(
            actor=get_user(info),
            source=warehouse_from_id(input["source"], field="source"),
            lines=lines,
            note=input.get("note") or "",
        )
        return {"transfer": transfer}
