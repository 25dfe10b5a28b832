"""Browsing: home, category listings, search, villages, producers, products (all cached)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shop import backend
from shop.views import global_id, pk_of

PAGE_SIZE = 24
SORTS = {
    "newest": ("NEWEST", False),
    "price": ("PRICE", False),
    "price_desc": ("PRICE", True),
    "name": ("NAME", False),
}


def _nodes(connection: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (connection or {}).get("edges", []) if edge.get("node")]


def _with_pk(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for product in products:
        product["pk"] = pk_of(product.get("id"))
    return products


def home(request: HttpRequest) -> HttpResponse:
    data = backend.catalog("home", {"first": 8})
    villages = data.get("villages") or {}
    return render(
        request,
        "shop/home.html",
        {
            "categories": data.get("categories") or [],
            "seasonal": _with_pk(_nodes(data.get("seasonal"))),
            "villages": _nodes(villages),
            "village_count": villages.get("totalCount") or 0,
        },
    )


def _decimal(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _listing(
    request: HttpRequest,
    *,
    base_filter: dict[str, Any],
    template_context: dict[str, Any],
    show_village_filter: bool = True,
) -> HttpResponse:
    """A product listing with the shared filters (village, producer, price, in stock,
    pick-up at the base) and sorting, from the query string: one backend request (cached)."""
    params = request.GET
    product_filter = dict(base_filter)
    village_pk = params.get("village", "").strip()
    producer_pk = params.get("producer", "").strip()
    price_min, price_max = _decimal(params.get("min")), _decimal(params.get("max"))
    in_stock, pickup = params.get("in_stock") == "1", params.get("pickup") == "1"
    sort = params.get("sort") if params.get("sort") in SORTS else "newest"
    village_id = None
    if show_village_filter and village_pk.isdigit():
        village_id = global_id("Village", village_pk)
        product_filter["villages"] = [village_id]
    if producer_pk.isdigit():
        product_filter["producers"] = [global_id("Producer", producer_pk)]
    if price_min is not None or price_max is not None:
        product_filter["price"] = {
            "gte": str(price_min) if price_min is not None else None,
            "lte": str(price_max) if price_max is not None else None,
        }
    if in_stock:
        product_filter["inStock"] = True
    if pickup:
        product_filter["pickupAtBase"] = True
    field, descending = SORTS[sort]
    after = params.get("after") or None
    data = backend.catalog(
        "listing",
        {
            "first": PAGE_SIZE,
            "after": after,
            "filter": product_filter,
            "sortBy": {"field": field, "descending": descending},
            "producerVillages": [village_id] if village_id else None,
            "withProducers": village_id is not None,
        },
    )
    connection = data.get("products") or {}
    page_info = connection.get("pageInfo") or {}
    next_query = None
    if page_info.get("hasNextPage") and page_info.get("endCursor"):
        query = params.copy()
        query["after"] = page_info["endCursor"]
        next_query = query.urlencode()
    villages = _nodes(backend.reference("villages").get("villages")) if show_village_filter else []
    producers = _nodes(data.get("producers"))
    for item in (*villages, *producers):
        item["pk"] = pk_of(item["id"])
    context = {
        **template_context,
        "products": _with_pk(_nodes(connection)),
        "total": connection.get("totalCount") or 0,
        "next_query": next_query,
        "filters": {
            "village": village_pk,
            "producer": producer_pk,
            "min": params.get("min", ""),
            "max": params.get("max", ""),
            "in_stock": in_stock,
            "pickup": pickup,
            "sort": sort,
        },
        "villages": villages,
        "producers": producers,
        "sorts": [
            ("newest", _("最新上架")),
            ("price", _("价格从低到高")),
            ("price_desc", _("价格从高到低")),
            ("name", _("名称")),
        ],
        "paged": bool(after),
    }
    return render(request, "shop/listing.html", context)


def _categories() -> list[dict[str, Any]]:
    return backend.reference("categories").get("categories") or []


def category(request: HttpRequest, slug: str) -> HttpResponse:
    categories = _categories()
    found = next((c for c in categories if c["slug"] == slug), None)
    if found is None:
        raise Http404("no such category")
    children = [c for c in categories if (c.get("parent") or {}).get("slug") == slug]
    return _listing(
        request,
        base_filter={"categories": [found["id"]]},
        template_context={"category": found, "subcategories": children, "mode": "category"},
    )


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    if not q:
        return render(request, "shop/search_empty.html", {"categories": _categories()})
    return _listing(
        request,
        base_filter={"search": q},
        template_context={"q": q, "mode": "search"},
    )


def villages(request: HttpRequest) -> HttpResponse:
    nodes = _nodes(backend.reference("villages").get("villages"))
    towns: dict[str, dict[str, Any]] = {}
    for v in nodes:
        town = towns.setdefault(v["town"]["code"], {"town": v["town"], "villages": []})
        town["villages"].append(v)
    return render(request, "shop/villages.html", {"towns": list(towns.values())})


def village(request: HttpRequest, code: str) -> HttpResponse:
    found = backend.catalog("village", {"code": code}).get("village")
    if found is None:
        raise Http404("no such village")
    for p in found.get("producers") or []:
        p["pk"] = pk_of(p["id"])
    return _listing(
        request,
        base_filter={"villages": [found["id"]]},
        template_context={"village": found, "mode": "village"},
        show_village_filter=False,
    )


def producer(request: HttpRequest, pk: int) -> HttpResponse:
    found = backend.catalog("producer", {"id": global_id("Producer", pk)}).get("producer")
    if found is None:
        raise Http404("no such producer")
    return _listing(
        request,
        base_filter={"producers": [found["id"]]},
        template_context={"producer": found, "mode": "producer"},
        show_village_filter=False,
    )


def product(request: HttpRequest, pk: int) -> HttpResponse:
    found = backend.catalog("product", {"id": global_id("Product", pk)}).get("product")
    if found is None:
        raise Http404("no such product")
    found["pk"] = pk
    found["producer"]["pk"] = pk_of(found["producer"]["id"])
    images = found.get("images") or []
    og_image = None
    for image in images:
        thumbs = sorted(image.get("thumbnails") or [], key=lambda t: t["size"])
        image["thumbs"] = thumbs
        image["main"] = next(
            (t for t in thumbs if t["size"] >= 480), thumbs[-1] if thumbs else None
        )
        image["small"] = thumbs[0] if thumbs else None
        if og_image is None and image["main"]:
            og_image = request.build_absolute_uri(image["main"]["url"])
    variants = found.get("variants") or []
    priced = [v for v in variants if v.get("price")]
    lowest = min((Decimal(v["price"]["amount"]) for v in priced), default=None)
    selected = request.GET.get("image", "0")
    selected_index = int(selected) if selected.isdigit() and int(selected) < len(images) else 0
    return render(
        request,
        "shop/product.html",
        {
            "product": found,
            "images": images,
            "main_image": images[selected_index] if images else None,
            "selected_index": selected_index,
            "variants": variants,
            "lowest_price": lowest,
            "og_image": og_image,
            "added": request.GET.get("added") == "1",
        },
    )
