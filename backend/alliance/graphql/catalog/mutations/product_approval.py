"""productSubmitForApproval / productApprove / productSendBack (listing approval)."""

from typing import Any

import graphene

from alliance.catalog.approval import (
    product_approve,
    product_send_back,
    product_submit_for_approval,
)
from alliance.graphql.catalog.types import ProductType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


class ProductSubmitForApproval(BaseMutation):
    """Submit a draft product to the village's first secretary (status PENDING_APPROVAL)."""

    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        product = product_submit_for_approval(
            actor=get_user(info), product_id=decode_id(id, "Product", field="id")
        )
        return {"product": product}


class ProductApprove(BaseMutation):
    """Approve a product waiting for approval, which publishes it (first secretary of the
    product's village, or alliance staff)."""

    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        product = product_approve(
            actor=get_user(info), product_id=decode_id(id, "Product", field="id")
        )
        return {"product": product}


class ProductSendBack(BaseMutation):
    """Send a product waiting for approval back to draft, with a comment for the cooperative."""

    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)
        comment = graphene.String(required=True, description="What should change.")

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, id: str, comment: str
    ) -> dict[str, Any]:
        product = product_send_back(
            actor=get_user(info), product_id=decode_id(id, "Product", field="id"), comment=comment
        )
        return {"product": product}
