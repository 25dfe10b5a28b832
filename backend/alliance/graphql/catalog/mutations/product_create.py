from typing import Any

import graphene

from alliance.catalog.services import product_create
from alliance.graphql.catalog.inputs import ProductCreateInput
from alliance.graphql.catalog.lookups import category_from_id, producer_from_id
from alliance.graphql.catalog.types import ProductType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.mutations import BaseMutation


class ProductCreate(BaseMutation):
    """Create a draft product for a producer the caller manages."""

    product = graphene.Field(ProductType)

    class Arguments:
        input = ProductCreateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        product = product_create(
            actor=get_user(info),
            producer=producer_from_id(input["producer"]),
            category=category_from_id(input["category"]),
            name=input["name"],
            description=input.get("description") or "",
            origin=input.get("origin") or "",
        )
        return {"product": product}
