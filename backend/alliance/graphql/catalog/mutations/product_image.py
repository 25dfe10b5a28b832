"""productImageCreate / productImageDelete (multipart uploads, GraphQL multipart request spec)."""

from typing import Any

import graphene
from graphene_file_upload.scalars import Upload

from alliance.catalog.images import product_image_create, product_image_delete
from alliance.graphql.catalog.types import ProductImageType
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation


class ProductImageCreate(BaseMutation):
    """Add a photo (JPEG, PNG or WebP) to a product; it is stored re-encoded without metadata,
    and its WebP thumbnails are made in the background."""

    image = graphene.Field(ProductImageType)

    class Arguments:
        product = graphene.ID(required=True)
        image = Upload(required=True, description="The file, sent as a multipart upload.")
        alt = graphene.String(description="A short description of the photo.")

    @classmethod
    def perform(
        cls,
        root: Any,
        info: graphene.ResolveInfo,
        product: str,
        image: Any,
        alt: str | None = None,
    ) -> dict[str, Any]:
        created = product_image_create(
            actor=get_user(info),
            product_id=decode_id(product, "Product", field="product"),
            upload=image,
            alt=alt or "",
        )
        return {"image": created}


class ProductImageDelete(BaseMutation):
    """Delete a product photo and its thumbnails."""

    deleted_id = graphene.ID()

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, id: str) -> dict[str, Any]:
        product_image_delete(
            actor=get_user(info), image_id=decode_id(id, "ProductImage", field="id")
        )
        return {"deleted_id": id}
