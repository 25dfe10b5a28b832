"""stockReceive: goods arrive at a village collection point."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.catalog.models import ProductVariant
from alliance.catalog.selectors import product_visible_queryset
from alliance.core.errors import NotFound
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.inventory.types import StockMovementType, StockType
from alliance.inventory.models import Warehouse
from alliance.inventory.operations import NewLot, stock_receive


def warehouse_from_id(global_id: str, *, field: str = "warehouse") -> Warehouse:
    """Warehouses are public (names of collection points); unknown ids are not found."""
    warehouse = (
        Warehouse.objects.filter(pk=decode_id(global_id, "Warehouse", field=field))
        .select_related("village")
        .first()
    )
    if warehouse is None:
        raise NotFound("Warehouse not found.", field=field)
    return warehouse


def variant_from_id(user: Any, global_id: str, *, field: str = "variant") -> ProductVariant:
    """A variant the user may see (drafts only for who manages them), else not found."""
    variant = (
        ProductVariant.objects.select_related("product__producer")
        .filter(
            pk=decode_id(global_id, "ProductVariant", field=field),
            product__in=product_visible_queryset(user),
        )
        .first()
    )
    if variant is None:
        raise NotFound("Variant not found.", field=field)
    return variant


class NewLotInput(graphene.InputObjectType):
    code = graphene.String(required=True, description="The producer's batch code.")
    harvest_date = graphene.Date()
    best_before = graphene.Date()


class StockReceiveInput(graphene.InputObjectType):
    warehouse = graphene.ID(required=True, description="A village collection point.")
    variant = graphene.ID(required=True)
    quantity = graphene.Int(
        required=True, description="Units, or grams for variants sold by weight."
    )
    lot = graphene.ID(description="An existing lot of the variant.")
    new_lot = NewLotInput(description="A new harvest lot (products that track lots).")
    reason = graphene.String()


class StockReceive(BaseMutation):
    """Receive goods at a village collection point (a receipt in the ledger)."""

    movement = graphene.Field(StockMovementType)
    stock = graphene.Field(StockType)

    class Arguments:
        input = StockReceiveInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        user = get_user(info)
        new_lot = input.get("new_lot")
        movement = stock_receive(
            actor=user,
            warehouse=warehouse_from_id(input["warehouse"]),
            variant=variant_from_id(user, input["variant"]),
            quantity=input["quantity"],
            lot_id=decode_id(input["lot"], "Lot", field="lot") if input.get("lot") else None,
            new_lot=NewLot(
                code=new_lot["code"],
                harvest_date=new_lot.get("harvest_date"),
                best_before=new_lot.get("best_before"),
            )
            if new_lot is not None
            else None,
            reason=input.get("reason") or "",
        )
        return {"movement": movement, "stock": movement.stock}
