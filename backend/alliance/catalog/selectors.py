"""Reads of the catalog, scoped by who is asking, with everything a page needs prefetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from alliance.catalog.models import (
    Category,
    Channel,
    Product,
    ProductImage,
    ProductThumbnail,
    ProductVariant,
    VariantChannelPrice,
)
from alliance.search.backends import get_backend
from alliance.villages.permissions import producer_scope


def product_visible_queryset(user: Any) -> QuerySet[Product]:
    """Published products for everyone; drafts only for those who may manage them."""
    published = Q(status=Product.Status.PUBLISHED)
    scope = producer_scope(user)
    if scope is None:
        return Product.objects.all()
    from alliance.villages.models import Producer

    managed = Producer.objects.filter(scope).values("pk")
    return Product.objects.filter(published | Q(producer_id__in=managed))


def product_managed_queryset(user: Any) -> QuerySet[Product]:
    scope = producer_scope(user)
    if scope is None:
        return Product.objects.all()
    from alliance.villages.models import Producer

    return Product.objects.filter(producer_id__in=Producer.objects.filter(scope).values("pk"))


# Columns the API never shows; not loading them saves ~a third of the list's time.
_UNSHOWN = ("created_at", "updated_at")


def with_page_relations(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a product card or page shows, in a fixed number of queries."""
    return (
        queryset.select_related("producer__village__town")
        .defer(
            "search_vector",
            "is_demo",
            *(
                f"{rel}__{col}"
                for rel in ("producer", "producer__village", "producer__village__town")
                for col in _UNSHOWN
            ),
            "producer__is_demo",
            "producer__village__is_demo",
            "producer__village__town__is_demo",
        )
        .prefetch_related(
            Prefetch(
                "images",
                queryset=ProductImage.objects.defer(*_UNSHOWN).prefetch_related(
                    Prefetch("thumbnails", queryset=ProductThumbnail.objects.defer(*_UNSHOWN))
                ),
            ),
            Prefetch(
                "variants",
                queryset=ProductVariant.objects.defer(*_UNSHOWN).prefetch_related(
                    Prefetch(
                        "prices",
                        queryset=VariantChannelPrice.objects.only(
                            "variant_id", "channel_id", "price", "is_available"
                        ),
                    )
                ),
            ),
        )
    )


@dataclass(frozen=True)
class ProductFilter:
    search: str | None = None
    category_ids: list[int] = field(default_factory=list)
    village_ids: list[int] = field(default_factory=list)
    producer_ids: list[int] = field(default_factory=list)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    status: str | None = None
    # Storefront filters: some can be sold online now / picked up at the base now.
    in_stock: bool = False
    pickup_at_base: bool = False


class ProductSort:
    NAME = "name"
    PRICE = "price"
    NEWEST = "newest"


def category_descendant_ids(category_ids: list[int]) -> list[int]:
    """The categories and all their descendants (the tree is small: one query per level)."""
    found = set(category_ids)
    frontier = set(category_ids)
    while frontier:
        children = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = children - found
        found |= children
    return sorted(found)


def product_list(
    *,
    user: Any,
    channel: Channel | None,
    filters: ProductFilter,
    sort_by: str = ProductSort.NEWEST,
    descending: bool = False,
) -> QuerySet[Product]:
    qs = product_visible_queryset(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category_ids:
        qs = qs.filter(category_id__in=category_descendant_ids(filters.category_ids))
    if filters.village_ids:
        qs = qs.filter(producer__village_id__in=filters.village_ids)
    if filters.producer_ids:
        qs = qs.filter(producer_id__in=filters.producer_ids)
    if filters.price_min is not None or filters.price_max is not None:
        prices = VariantChannelPrice.objects.filter(variant__product_id=OuterRef("pk"))
        if channel is not None:
            prices = prices.filter(channel=channel)
        if filters.price_min is not None:
            prices = prices.filter(price__gte=filters.price_min)
        if filters.price_max is not None:
            prices = prices.filter(price__lte=filters.price_max)
        qs = qs.filter(Exists(prices))
    if channel is not None:
        # Only products that have a price in the channel are sold there.
        qs = qs.filter(
            Exists(
                VariantChannelPrice.objects.filter(
                    variant__product_id=OuterRef("pk"), channel=channel, is_available=True
                )
            )
        )
    if filters.in_stock:
        qs = qs.filter(_has_sellable_stock(("village", "base")))
    if filters.pickup_at_base:
        qs = qs.filter(_has_sellable_stock(("base",)))
    if filters.search:
        qs = get_backend().filter_products(qs, filters.search)
    return _sorted(qs, channel=channel, sort_by=sort_by, descending=descending)


def _has_sellable_stock(warehouse_kinds: tuple[str, ...]) -> Exists:
    """Some unreserved stock of the product in an active warehouse of these kinds, in a lot
    not expired (what inventory counts as available; see inventory.allocation)."""
    from django.utils import timezone

    from alliance.inventory.models import Stock

    today = timezone.localdate()
    return Exists(
        Stock.objects.filter(
            variant__product_id=OuterRef("pk"),
            warehouse__kind__in=warehouse_kinds,
            warehouse__is_active=True,
            quantity__gt=F("allocated"),
        ).filter(Q(lot__best_before__isnull=True) | Q(lot__best_before__gte=today))
    )


def _sorted(
    qs: QuerySet[Product], *, channel: Channel | None, sort_by: str, descending: bool
) -> QuerySet[Product]:
    sign = "-" if descending else ""
    if sort_by == ProductSort.NAME:
        return qs.order_by(f"{sign}name", f"{sign}id")
    if sort_by == ProductSort.PRICE:
        prices = VariantChannelPrice.objects.filter(variant__product_id=OuterRef("pk"))
        if channel is not None:
            prices = prices.filter(channel=channel)
        lowest = Subquery(prices.order_by("price").values("price")[:1])
        qs = qs.annotate(lowest_price=lowest)
        key = (
            F("lowest_price").desc(nulls_last=True)
            if descending
            else F("lowest_price").asc(nulls_last=True)
        )
        return qs.order_by(key, f"{sign}id")
    # newest first by default; descending=True flips it to oldest first
    return qs.order_by("created_at" if descending else "-created_at", "id" if descending else "-id")


def variant_lot_on_offer(variant_id: int) -> Any:
    """The lot an online sale of the variant would take first (FEFO: earliest best-before,
    then oldest harvest, lots without a best-before last), among unreserved stock in active
    warehouses, not expired; None when there is none. One query."""
    from django.utils import timezone

    from alliance.inventory.models import Stock

    today = timezone.localdate()
    stock = (
        Stock.objects.filter(
            variant_id=variant_id,
            warehouse__is_active=True,
            warehouse__kind__in=("village", "base"),
            quantity__gt=F("allocated"),
        )
        .filter(Q(lot__best_before__isnull=True) | Q(lot__best_before__gte=today))
        .select_related("lot")
        .order_by(
            F("lot__best_before").asc(nulls_last=True),
            F("lot__harvest_date").asc(nulls_last=True),
            "pk",
        )
        .first()
    )
    return stock.lot if stock is not None else None
