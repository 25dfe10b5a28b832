"""productVariantCreate / productVariantUpdate / productVariantDelete."""

from typing import Any

import graphene

from alliance.catalog.services import variant_create, variant_delete, variant_update
from alliance.graphql.catalog.inputs import ProductVariantCreateInput, ProductVariantUpdateInput
from alliance.graphql.catalog.lookups import prices_from_input
from alliance.graphql.catalog.types import ProductVariantType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


class ProductVariantCreate(BaseMutation):
    """Add a variant (SKU, unit, net weight, prices per channel) to a product."""

    variant = graphene.Field(ProductVariantType)

    class Arguments:
        product = graphene.ID(required=True)
        input = ProductVariantCreateInput(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, product: str, input: Any
    ) -> dict[str, Any]:
        variant = variant_create(
            actor=get_user(info),
            product_id=decode_id(product, "Product", field="product"),
            sku=input["sku"],
            unit_label=input["unit_label"],
            weight_g=input["weight_g"],
            sold_by=_enum_value(input.get("sold_by")) or "unit",
            prices=prices_from_input(input["prices"]),
        )
        return {"variant": variant}


class ProductVariantUpdate(BaseMutation):
    """Change a variant; prices given replace those of the same channels."""

    variant = graphene.Field(ProductVariantType)

    class Arguments:
        id = graphene.ID(required=True)
        input = ProductVariantUpdateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str, input: Any) -> dict[str, Any]:
        variant = variant_update(
            actor=get_user(info),
            variant_id=decode_id(id, "ProductVariant", field="id"),
            sku=input.get("sku"),
            unit_label=input.get("unit_label"),
            weight_g=input.get("weight_g"),
            sold_by=_enum_value(input.get("sold_by")),
            prices=prices_from_input(input.get("prices"))
            if input.get("prices") is not None
            else None,
        )
        return {"variant": variant}


class ProductVariantDelete(BaseMutation):
    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        variant_delete(actor=get_user(info), variant_id=decode_id(id, "ProductVariant", field="id"))
        return {"deleted_id": id}
