"""Stock availability of catalog variants, computed in batches once per request.

graphql-core resolves a list depth-first and synchronously, so a classic dataloader cannot
wait for the other variants of a page. Instead, list resolvers announce the variants they
are about to show (`availability_expect`), and the first `quantityAvailable` (or
`pickupAtBase`) that misses the request's cache computes the figure for every announced
variant not yet known, plus the asking variant's siblings when its product's variants were
prefetched, in one SQL query. A page of 100 products therefore costs one query per set of
warehouses asked about (online: villages + base; the base counter and base pickup: the base),
the same as a page of 10.

The figures are read once per request: a request that changes stock and then asks again (two
mutations in one document) sees the figure from its first read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.inventory.allocation import base_pickup_available, quantity_available
from alliance.inventory.models import Warehouse
from alliance.inventory.warehouses import warehouse_kinds_for_channel

_EXPECTED = "_availability_expected"
_CACHE = "_availability_cache"


def availability_expect(info: Any, variant_ids: Iterable[int]) -> None:
    """Remember variants this request is about to show, so one query covers them all."""
    context = info.context
    expected = getattr(context, _EXPECTED, None)
    if expected is None:
        expected = set()
        setattr(context, _EXPECTED, expected)
    expected.update(variant_ids)


def availability_expect_products(info: Any, products: Iterable[Any]) -> None:
    """The variants of products whose `variants` were prefetched (no query here)."""
    ids: list[int] = []
    for product in products:
        cached = getattr(product, "_prefetched_objects_cache", {}).get("variants")
        if cached is not None:
            ids.extend(v.pk for v in cached)
    availability_expect(info, ids)


def _siblings(variant: ProductVariant) -> list[int]:
    if not ProductVariant.product.is_cached(variant):
        return []
    cached = getattr(variant.product, "_prefetched_objects_cache", {}).get("variants")
    return [v.pk for v in cached] if cached is not None else []


def _lookup(
    info: Any, key: tuple[str, ...], variant: ProductVariant, load: Callable[[set[int]], dict]
) -> int:
    context = info.context
    caches = getattr(context, _CACHE, None)
    if caches is None:
        caches = {}
        setattr(context, _CACHE, caches)
    known: dict[int, int] = caches.setdefault(key, {})
    if variant.pk not in known:
        wanted = set(getattr(context, _EXPECTED, ())) | set(_siblings(variant)) | {variant.pk}
        known.update(load(wanted - known.keys()))
    return known[variant.pk]


def variant_quantity_available(info: Any, variant: ProductVariant, channel_slug: str) -> int:
    """Units of `variant` that can still be sold in the channel (0 when none)."""
    # Keyed by the warehouses counted: the base counter and base pickup share one batch.
    return _lookup(
        info,
        warehouse_kinds_for_channel(channel_slug),
        variant,
        lambda ids: quantity_available(ids, channel_slug),
    )


def variant_pickup_at_base(info: Any, variant: ProductVariant) -> bool:
    """Whether some of `variant` is available at the alliance base right now."""
    return _lookup(info, (Warehouse.Kind.BASE,), variant, base_pickup_available) > 0
