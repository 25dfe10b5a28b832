from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.catalog.errors import UnknownChannel
from alliance.catalog.models import (
    Category,
    Channel,
    Product,
    ProductImage,
    ProductThumbnail,
    ProductVariant,
    VariantChannelPrice,
)
from alliance.catalog.selectors import product_visible_queryset, variant_lot_on_offer
from alliance.graphql.core.context import get_user
from alliance.graphql.core.pagination import CountableConnection
from alliance.graphql.core.scalars import Money, Weight, money, money_from, weight_from
from alliance.graphql.inventory.availability import (
    variant_pickup_at_base,
    variant_quantity_available,
)
from alliance.graphql.villages.types import ProducerType, VillageType

ProductStatusEnum = graphene.Enum.from_enum(
    Product.Status, name="ProductStatus", description="Listing status."
)
SoldByEnum = graphene.Enum.from_enum(
    ProductVariant.SoldBy, name="SoldBy", description="How a variant is counted."
)


def _media_url(info: graphene.ResolveInfo, file: Any) -> str:
    """Absolute URL of a stored file; the host part is worked out once per request."""
    request = info.context
    base = getattr(request, "_media_base_url", None)
    if base is None:
        base = (
            request.build_absolute_uri("/")[:-1] if hasattr(request, "build_absolute_uri") else ""
        )
        request._media_base_url = base
    return base + file.url


def _lot_type() -> Any:
    from alliance.graphql.inventory.types import LotType

    return LotType


class ChannelType(DjangoObjectType):
    class Meta:
        model = Channel
        name = "Channel"
        fields = ("slug", "name", "currency")


class CategoryType(DjangoObjectType):
    parent = graphene.Field(lambda: CategoryType)
    children = graphene.List(graphene.NonNull(lambda: CategoryType), required=True)
    level = graphene.Int(required=True)

    class Meta:
        model = Category
        name = "Category"
        fields = ("slug", "name", "name_en", "parent", "children")
        interfaces = (graphene.relay.Node,)

    @staticmethod
    def resolve_parent(root: Category, info: graphene.ResolveInfo) -> Category | None:
        return _category_tree(info).get(root.parent_id) if root.parent_id else None

    @staticmethod
    def resolve_children(root: Category, info: graphene.ResolveInfo) -> list[Category]:
        tree = _category_tree(info)
        return [c for c in tree.values() if c.parent_id == root.pk]

    @staticmethod
    def resolve_level(root: Category, info: graphene.ResolveInfo) -> int:
        tree, level, node = _category_tree(info), 0, root
        while node.parent_id and level < 20:
            node = tree[node.parent_id]
            level += 1
        return level


def _category_tree(info: graphene.ResolveInfo) -> dict[int, Category]:
    """The whole category tree (a few dozen rows), loaded once per request."""
    cached = getattr(info.context, "_category_tree", None)
    if cached is None:
        cached = {c.pk: c for c in Category.objects.order_by("sort_order", "id")}
        info.context._category_tree = cached
    return cached


def request_channels(info: graphene.ResolveInfo) -> dict[int, Channel]:
    """Every channel (two rows), loaded once per request; prices refer to them by id."""
    cached = getattr(info.context, "_channels", None)
    if cached is None:
        cached = {c.pk: c for c in Channel.objects.all()}
        info.context._channels = cached
    return cached


def channel_by_slug(info: graphene.ResolveInfo, slug: str) -> Channel:
    for channel in request_channels(info).values():
        if channel.slug == slug and channel.is_active:
            return channel
    raise UnknownChannel(f"There is no channel {slug!r}.", field="channel")


class ChannelPriceType(graphene.ObjectType):
    channel = graphene.String(required=True, description="Channel slug: online or base.")
    price = graphene.Field(Money, resolver=money_from("price"), required=True)
    is_available = graphene.Boolean(required=True)

    class Meta:
        name = "ChannelPrice"

    @staticmethod
    def resolve_channel(root: VariantChannelPrice, info: graphene.ResolveInfo) -> str:
        return request_channels(info)[root.channel_id].slug


def _price_in(
    info: graphene.ResolveInfo, variant: ProductVariant, channel_slug: str
) -> VariantChannelPrice | None:
    channels = request_channels(info)
    for p in variant.prices.all():  # prefetched by the selector
        if channels[p.channel_id].slug == channel_slug:
            return p
    return None


class ProductVariantType(DjangoObjectType):
    weight = graphene.Field(
        Weight,
        resolver=weight_from("weight_g"),
        required=True,
        description="Net weight of one unit.",
    )
    weight_g = graphene.Int(required=True, description="Net weight of one unit in grams.")
    sold_by = SoldByEnum(required=True)
    prices = graphene.List(graphene.NonNull(ChannelPriceType), required=True)
    price = graphene.Field(
        Money,
        channel=graphene.String(required=True),
        description="Price in a channel, if sold there.",
    )
    # Declared, not derived from the foreign key: the derived field would look every product
    # up again through ProductType.get_queryset, one query per variant (the variant itself is
    # already scoped to visible products).
    product = graphene.Field(lambda: ProductType, required=True)
    quantity_available = graphene.Int(
        required=True,
        channel=graphene.String(required=True),
        description="Units (grams when sold by weight) that can still be sold in the channel: "
        "on hand minus reserved, in lots not expired, in warehouses serving the channel.",
    )
    pickup_at_base = graphene.Boolean(
        required=True, description="Whether some is available at the alliance base right now."
    )
    lot_on_offer = graphene.Field(
        lambda: _lot_type(),
        description="The lot an online order would take now (earliest best-before first, as "
        "allocation does), for its harvest and best-before dates; null without stock. One "
        "query per variant: meant for a product page, not for lists.",
    )

    class Meta:
        model = ProductVariant
        name = "ProductVariant"
        fields = ("sku", "unit_label", "product")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        visible = product_visible_queryset(get_user(info)).values("pk")
        return queryset.filter(product_id__in=visible)

    @staticmethod
    def resolve_weight_g(root: ProductVariant, info: graphene.ResolveInfo) -> int:
        return root.weight_g

    @staticmethod
    def resolve_sold_by(root: ProductVariant, info: graphene.ResolveInfo) -> str:
        return root.sold_by

    @staticmethod
    def resolve_prices(
        root: ProductVariant, info: graphene.ResolveInfo
    ) -> list[VariantChannelPrice]:
        return list(root.prices.all())

    @staticmethod
    def resolve_price(root: ProductVariant, info: graphene.ResolveInfo, channel: str) -> Any:
        p = _price_in(info, root, channel)
        return money(p.price) if p and p.is_available else None

    @staticmethod
    def resolve_product(root: ProductVariant, info: graphene.ResolveInfo) -> Any:
        return root.product

    @staticmethod
    def resolve_quantity_available(
        root: ProductVariant, info: graphene.ResolveInfo, channel: str
    ) -> int:
        channel_by_slug(info, channel)  # an unknown channel is an error, not 0
        return variant_quantity_available(info, root, channel)

    @staticmethod
    def resolve_pickup_at_base(root: ProductVariant, info: graphene.ResolveInfo) -> bool:
        return variant_pickup_at_base(info, root)

    @staticmethod
    def resolve_lot_on_offer(root: ProductVariant, info: graphene.ResolveInfo) -> Any:
        return variant_lot_on_offer(root.pk)


class ThumbnailType(DjangoObjectType):
    url = graphene.String(required=True)

    class Meta:
        model = ProductThumbnail
        name = "Thumbnail"
        fields = ("size", "width", "height")

    @staticmethod
    def resolve_url(root: ProductThumbnail, info: graphene.ResolveInfo) -> str:
        return _media_url(info, root.file)


class ProductImageType(DjangoObjectType):
    url = graphene.String(required=True, description="The re-encoded original.")
    thumbnails = graphene.List(graphene.NonNull(ThumbnailType), required=True)
    thumbnail = graphene.Field(
        ThumbnailType,
        size=graphene.Int(default_value=480),
        description="The smallest WebP thumbnail at least `size` px (or the largest there is).",
    )

    class Meta:
        model = ProductImage
        name = "ProductImage"
        fields = ("width", "height", "alt", "format", "sort_order")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        visible = product_visible_queryset(get_user(info)).values("pk")
        return queryset.filter(product_id__in=visible)

    @staticmethod
    def resolve_url(root: ProductImage, info: graphene.ResolveInfo) -> str:
        return _media_url(info, root.image)

    @staticmethod
    def resolve_thumbnails(
        root: ProductImage, info: graphene.ResolveInfo
    ) -> list[ProductThumbnail]:
        return list(root.thumbnails.all())

    @staticmethod
    def resolve_thumbnail(root: ProductImage, info: graphene.ResolveInfo, size: int) -> Any:
        thumbs = sorted(root.thumbnails.all(), key=lambda t: t.size)
        for t in thumbs:
            if t.size >= size:
                return t
        return thumbs[-1] if thumbs else None


class ProductType(DjangoObjectType):
    status = ProductStatusEnum(required=True)
    category = graphene.Field(CategoryType, required=True)
    producer = graphene.Field(ProducerType, required=True)
    village = graphene.Field(VillageType, required=True, description="The producer's village.")
    images = graphene.List(graphene.NonNull(ProductImageType), required=True)
    thumbnail = graphene.Field(ThumbnailType, size=graphene.Int(default_value=480))
    variants = graphene.List(graphene.NonNull(ProductVariantType), required=True)
    min_price = graphene.Field(
        Money,
        channel=graphene.String(required=True),
        description="Lowest variant price in a channel.",
    )

    class Meta:
        model = Product
        name = "Product"
        fields = (
            "name",
            "description",
            "origin",
            "status",
            "created_at",
            "updated_at",
            "published_at",
            "submitted_at",
            "approved_at",
            "approval_comment",
            "category",
            "producer",
            "images",
            "variants",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        return queryset.filter(pk__in=product_visible_queryset(get_user(info)).values("pk"))

    @staticmethod
    def resolve_status(root: Product, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_category(root: Product, info: graphene.ResolveInfo) -> Category:
        return _category_tree(info)[root.category_id]

    @staticmethod
    def resolve_producer(root: Product, info: graphene.ResolveInfo) -> Any:
        return root.producer

    @staticmethod
    def resolve_village(root: Product, info: graphene.ResolveInfo) -> Any:
        return root.producer.village

    @staticmethod
    def resolve_images(root: Product, info: graphene.ResolveInfo) -> list[ProductImage]:
        return list(root.images.all())

    @staticmethod
    def resolve_thumbnail(root: Product, info: graphene.ResolveInfo, size: int) -> Any:
        images = list(root.images.all())
        if not images:
            return None
        return ProductImageType.resolve_thumbnail(images[0], info, size)

    @staticmethod
    def resolve_variants(root: Product, info: graphene.ResolveInfo) -> list[ProductVariant]:
        return list(root.variants.all())

    @staticmethod
    def resolve_min_price(root: Product, info: graphene.ResolveInfo, channel: str) -> Any:
        prices = [
            p.price
            for v in root.variants.all()
            if (p := _price_in(info, v, channel)) is not None and p.is_available
        ]
        return money(min(prices)) if prices else None


class ProductConnection(CountableConnection):
    class Meta:
        node = ProductType
