from typing import Any

import graphene

from alliance.catalog.services import product_delete
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


class ProductDelete(BaseMutation):
    """Delete a product with its variants, prices and images."""

    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        product_delete(actor=get_user(info), product_id=decode_id(id, "Product", field="id"))
        return {"deleted_id": id}
