import graphene

from alliance.graphql.catalog.mutations.product_approval import (
    ProductApprove,
    ProductSendBack,
    ProductSubmitForApproval,
)
from alliance.graphql.catalog.mutations.product_create import ProductCreate
from alliance.graphql.catalog.mutations.product_delete import ProductDelete
from alliance.graphql.catalog.mutations.product_image import ProductImageCreate, ProductImageDelete
from alliance.graphql.catalog.mutations.product_update import ProductUpdate
from alliance.graphql.catalog.mutations.variant import (
    ProductVariantCreate,
    ProductVariantDelete,
    ProductVariantUpdate,
)


class CatalogMutations(graphene.ObjectType):
    product_create = ProductCreate.Field()
    product_update = ProductUpdate.Field()
    product_delete = ProductDelete.Field()
    product_image_create = ProductImageCreate.Field()
    product_image_delete = ProductImageDelete.Field()
    product_variant_create = ProductVariantCreate.Field()
    product_variant_update = ProductVariantUpdate.Field()
    product_variant_delete = ProductVariantDelete.Field()
    product_submit_for_approval = ProductSubmitForApproval.Field()
    product_approve = ProductApprove.Field()
    product_send_back = ProductSendBack.Field()
