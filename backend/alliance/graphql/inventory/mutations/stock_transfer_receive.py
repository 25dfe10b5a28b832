"""stockTransferReceive: staff at the base take a transfer in, shortfalls as losses."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.types import TransferType
from alliance.inventory.transfers import ReceivedLine, transfer_receive


class StockTransferReceiveLineInput(graphene.InputObjectType):
    line = graphene.ID(required=True, description="A line of this transfer.")
    quantity_received = graphene.Int(required=True, description="0 up to the quantity sent.")
    shortfall_reason = graphene.String(
        description="Required when less arrived than was sent: it is recorded as a loss."
    )


class StockTransferReceiveInput(graphene.InputObjectType):
    transfer = graphene.ID(required=True)
    lines = graphene.List(
        graphene.NonNull(StockTransferReceiveLineInput),
        description="Lines not named here arrived in full.",
    )


class StockTransferReceive(BaseMutation):
    """Receive a transfer in transit at the base (alliance staff only); once only."""

    transfer = graphene.Field(TransferType)

    class Arguments:
        input = StockTransferReceiveInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        received = [
            ReceivedLine(
                line_id=decode_id(line["line"], "TransferLine", field=f"lines.{index}.line"),
                quantity_received=line["quantity_received"],
                shortfall_reason=line.get("shortfall_reason") or "",
            )
            for index, line in enumerate(input.get("lines") or [])
        ]
        transfer = transfer_receive(
            actor=get_user(info),
            transfer_id=decode_id(input["transfer"], "Transfer", field="transfer"),
            received=received,
        )
        return {"transfer": transfer}
