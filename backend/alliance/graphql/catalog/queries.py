from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from alliance.catalog.models import Category
from alliance.catalog.selectors import (
    ProductFilter,
    ProductSort,
    product_list,
    product_visible_queryset,
    with_page_relations,
)
from alliance.graphql.catalog.types import (
    CategoryType,
    ProductConnection,
    ProductStatusEnum,
    ProductType,
    channel_by_slug,
)
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import InvalidId, decode_id, decode_ids
from alliance.graphql.core.pagination import connection_args, paginate
from alliance.graphql.inventory.availability import availability_expect_products


class ProductSortField(graphene.Enum):
    NAME = ProductSort.NAME
    PRICE = ProductSort.PRICE
    NEWEST = ProductSort.NEWEST


class ProductSortInput(graphene.InputObjectType):
    field = ProductSortField(required=True)
    descending = graphene.Boolean(default_value=False)


class PriceRangeInput(graphene.InputObjectType):
    gte = graphene.Decimal()
    lte = graphene.Decimal()


class ProductFilterInput(graphene.InputObjectType):
    search = graphene.String(description="Substring of the name; Chinese works from 1 character.")
    categories = graphene.List(graphene.NonNull(graphene.ID), description="Includes subcategories.")
    villages = graphene.List(graphene.NonNull(graphene.ID))
    producers = graphene.List(graphene.NonNull(graphene.ID))
    price = graphene.Field(PriceRangeInput, description="Variant price in the query's channel.")
    status = ProductStatusEnum()
    in_stock = graphene.Boolean(
        description="Only products with some stock that can be sold online right now."
    )
    pickup_at_base = graphene.Boolean(
        description="Only products with some stock at the alliance base (pick-up) right now."
    )
    sku = graphene.String(description="Only the product with a variant of this exact SKU.")


def _filter_from_input(data: Any) -> ProductFilter:
    if not data:
        return ProductFilter()
    price = data.get("price") or {}
    status = data.get("status")
    return ProductFilter(
        search=(data.get("search") or "").strip() or None,
        category_ids=decode_ids(data.get("categories"), "Category", field="categories"),
        village_ids=decode_ids(data.get("villages"), "Village", field="villages"),
        producer_ids=decode_ids(data.get("producers"), "Producer", field="producers"),
        price_min=Decimal(price["gte"]) if price.get("gte") is not None else None,
        price_max=Decimal(price["lte"]) if price.get("lte") is not None else None,
        status=getattr(status, "value", status),
        in_stock=bool(data.get("in_stock")),
        pickup_at_base=bool(data.get("pickup_at_base")),
    )


class CatalogQueries(graphene.ObjectType):
    categories = graphene.List(
        graphene.NonNull(CategoryType),
        required=True,
        level=graphene.Int(description="0 for the top level; omit for every category."),
    )
    products = graphene.Field(
        graphene.NonNull(ProductConnection),
        channel=graphene.String(description="online or base: only products sold there."),
        filter=ProductFilterInput(),
        sort_by=ProductSortInput(),
        **connection_args(),
    )
    product = graphene.Field(ProductType, id=graphene.ID(required=True))

    @staticmethod
    def resolve_categories(root: Any, info: graphene.ResolveInfo, level: int | None = None) -> Any:
        categories = list(Category.objects.order_by("sort_order", "id"))
        info.context._category_tree = {c.pk: c for c in categories}
        if level == 0:
            return [c for c in categories if c.parent_id is None]
        if level is None:
            return categories
        tree = info.context._category_tree

        def depth(c: Category) -> int:
            d = 0
            while c.parent_id:
                c = tree[c.parent_id]
                d += 1
            return d

        return [c for c in categories if depth(c) == level]

    @staticmethod
    def resolve_products(
        root: Any,
        info: graphene.ResolveInfo,
        channel: str | None = None,
        filter: Any = None,
        sort_by: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        channel_obj = channel_by_slug(info, channel) if channel else None
        sort_field = ProductSort.NEWEST
        descending = False
        if sort_by:
            sort_field = getattr(sort_by["field"], "value", sort_by["field"])
            descending = bool(sort_by.get("descending"))
        qs = product_list(
            user=get_user(info),
            channel=channel_obj,
            filters=_filter_from_input(filter),
            sort_by=sort_field,
            descending=descending,
        )
        sku = ((filter or {}).get("sku") or "").strip()
        if sku:  # the base counter scans or types a SKU
            qs = qs.filter(variants__sku__iexact=sku)
        page = paginate(with_page_relations(qs), ProductConnection, first=first, after=after)
        # One availability query for the whole page, if a variant's stock is asked for.
        availability_expect_products(info, (edge.node for edge in page.edges))
        return page

    @staticmethod
    def resolve_product(root: Any, info: graphene.ResolveInfo, id: str) -> Any:
        try:
            pk = decode_id(id, "Product", field="id")
        except InvalidId:
            return None
        return with_page_relations(product_visible_queryset(get_user(info))).filter(pk=pk).first()
