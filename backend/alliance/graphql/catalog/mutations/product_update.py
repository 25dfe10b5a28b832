from typing import Any

import graphene

from alliance.catalog.services import product_update
from alliance.graphql.catalog.inputs import ProductUpdateInput
from alliance.graphql.catalog.lookups import category_from_id
from alliance.graphql.catalog.types import ProductType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


class ProductUpdate(BaseMutation):
    """Change a product's fields or publish / unpublish it."""

    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)
        input = ProductUpdateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str, input: Any) -> dict[str, Any]:
        status = input.get("status")
        product = product_update(
            actor=get_user(info),
            product_id=decode_id(id, "Product", field="id"),
            name=input.get("name"),
            description=input.get("description"),
            origin=input.get("origin"),
            category=category_from_id(input["category"]) if input.get("category") else None,
            status=getattr(status, "value", status),
        )
        return {"product": product}
