"""baseSaleCreate: staff sell at the base counter; the order is paid and handed over at once."""

from __future__ import annotations

from typing import Any

import graphene

from alliance.catalog.models import ProductVariant
from alliance.core.errors import NotFound
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.orders.types import OrderType
from alliance.orders.services import base_sale_create, check_can_sell_at_base


class BaseSalePaymentMethod(graphene.Enum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"


class BaseSaleLineInput(graphene.InputObjectType):
    variant = graphene.ID(required=True)
    quantity = graphene.Int(
        required=True, description="Units, or grams for variants sold by weight."
    )


class BaseSaleCreateInput(graphene.InputObjectType):
    lines = graphene.List(graphene.NonNull(BaseSaleLineInput), required=True)
    payment_method = BaseSalePaymentMethod(required=True)
    payment_reference = graphene.String(description="Required for bank transfers.")
    note = graphene.String(description="E.g. the buyer: 县一中食堂.")


class BaseSaleCreate(BaseMutation):
    """Sell base stock at base prices, paid in cash or by bank transfer (staff only)."""

    order = graphene.Field(OrderType)

    class Arguments:
        input = BaseSaleCreateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        user = get_user(info)
        check_can_sell_at_base(user)  # before looking anything up
        raw_lines = input["lines"]
        ids = [
            decode_id(line["variant"], "ProductVariant", field=f"lines.{i}.variant")
            for i, line in enumerate(raw_lines)
        ]
        variants = ProductVariant.objects.in_bulk(ids)
        for index, pk in enumerate(ids):
            if pk not in variants:
                raise NotFound("Variant not found.", field=f"lines.{index}.variant")
        method = input["payment_method"]
        order = base_sale_create(
            actor=user,
            lines=[
                (variants[pk], line["quantity"]) for pk, line in zip(ids, raw_lines, strict=True)
            ],
            payment_method=getattr(method, "value", method),
            payment_reference=input.get("payment_reference") or "",
            note=input.get("note") or "",
        )
        return {"order": order}
