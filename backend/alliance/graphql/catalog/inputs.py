import graphene

from alliance.graphql.catalog.types import ProductStatusEnum, SoldByEnum


class ChannelPriceInput(graphene.InputObjectType):
    channel = graphene.String(required=True, description="online or base")
    price = graphene.Decimal(required=True, description="CNY, at most 2 decimals.")
    is_available = graphene.Boolean(default_value=True)


class ProductCreateInput(graphene.InputObjectType):
    producer = graphene.ID(required=True)
    category = graphene.ID(required=True)
    name = graphene.String(required=True)
    description = graphene.String()
    origin = graphene.String()


class ProductUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    description = graphene.String()
    origin = graphene.String()
    category = graphene.ID()
    status = ProductStatusEnum()


class ProductVariantCreateInput(graphene.InputObjectType):
    sku = graphene.String(required=True)
    unit_label = graphene.String(required=True)
    weight_g = graphene.Int(required=True, description="Net weight of one unit in grams.")
    sold_by = SoldByEnum()
    prices = graphene.List(graphene.NonNull(ChannelPriceInput), required=True)


class ProductVariantUpdateInput(graphene.InputObjectType):
    sku = graphene.String()
    unit_label = graphene.String()
    weight_g = graphene.Int()
    sold_by = SoldByEnum()
    prices = graphene.List(graphene.NonNull(ChannelPriceInput))
