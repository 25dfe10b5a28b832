"""Cooperative operator pages: products (with variants and photos), stock receipt, fulfilment."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from api.client import BackendResponseError
from console import api
from console.views.common import (
    all_pages,
    page,
    parse_decimal,
    parse_int,
    redirect,
    show_errors,
    signed_in_required,
)

CHANNELS = (("online", "线上价"), ("base", "基地柜台价"))
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def my_producers(request: HttpRequest) -> list[dict[str, Any]]:
    return list((api.signed_in(request) or {}).get("producers") or [])


def my_village(request: HttpRequest) -> dict[str, Any] | None:
    auth = api.signed_in(request) or {}
    if auth.get("village"):
        return dict(auth["village"])
    producers = auth.get("producers") or []
    return dict(producers[0]["village"]) if producers else None


def _stock_by_variant(request: HttpRequest, producer_ids: list[str]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    variables: dict[str, Any] = {"filter": {"onHandOnly": True}}
    if producer_ids:
        variables["filter"]["producers"] = producer_ids
    for stock in all_pages(request, "stocks", "stocks", variables, limit_pages=5):
        totals[stock["variant"]["id"]] += int(stock["quantity"])
    return totals


@signed_in_required
def products(request: HttpRequest) -> HttpResponse:
    producer_ids = [p["id"] for p in my_producers(request)]
    variables: dict[str, Any] = {"producers": producer_ids or None}
    nodes = all_pages(request, "my_products", "products", variables, limit_pages=3)
    stock = _stock_by_variant(request, producer_ids)
    for product in nodes:
        for variant in product["variants"]:
            variant["stock"] = stock.get(variant["id"], 0)
        product["stock"] = sum(v["stock"] for v in product["variants"])
    return page(request, "console/products.html", {"products": nodes})


def _categories(request: HttpRequest) -> list[dict[str, Any]]:
    cats = api.run(request, "categories")["categories"]
    return [c for c in cats if c["level"] > 0] or cats


def _prices_from_post(
    request: HttpRequest, prefix: str = ""
) -> tuple[list[dict[str, Any]], list[str]]:
    prices, problems = [], []
    for slug, label in CHANNELS:
        raw = (request.POST.get(f"{prefix}price_{slug}") or "").strip()
        if not raw:
            continue
        amount = parse_decimal(raw)
        if amount is None:
            problems.append(f"{label}“{raw}”不是金额。")
            continue
        prices.append({"channel": slug, "price": str(amount)})
    return prices, problems


def _variant_input(request: HttpRequest, prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    prices, problems = _prices_from_post(request, prefix)
    weight = parse_int(request.POST.get(f"{prefix}weight_g"))
    raw_weight = (request.POST.get(f"{prefix}weight_g") or "").strip()
    if raw_weight and weight is None:
        problems.append(f"净重“{raw_weight}”不是整数克数。")
    data: dict[str, Any] = {
        "sku": (request.POST.get(f"{prefix}sku") or "").strip(),
        "unitLabel": (request.POST.get(f"{prefix}unit_label") or "").strip(),
        "weightG": weight if weight is not None else 0,
        "prices": prices,
    }
    return data, problems


@signed_in_required
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    producers = my_producers(request)
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        variant, problems = _variant_input(request)
        for problem in problems:
            messages.error(request, problem)
        if not problems:
            payload, errors = api.mutate(
                request,
                "product_create",
                {
                    "input": {
                        "producer": request.POST.get("producer") or "",
                        "category": request.POST.get("category") or "",
                        "name": request.POST.get("name") or "",
                        "description": request.POST.get("description") or "",
                        "origin": request.POST.get("origin") or "",
                    }
                },
            )
            if errors:
                show_errors(request, errors, "产品未保存：")
            else:
                product_id = payload["product"]["id"]
                _, verrors = api.mutate(
                    request, "variant_create", {"product": product_id, "input": variant}
                )
                if verrors:
                    show_errors(request, verrors, "规格未保存：")
                    messages.warning(request, "产品已存为草稿，请在下面补全规格。")
                else:
                    messages.success(request, "产品已保存为草稿，可以拍照上传了。")
                return redirect("console:product_edit", product_id)
    return page(
        request,
        "console/product_new.html",
        {
            "producers": producers,
            "categories": _categories(request),
            "form": form,
            "channels": CHANNELS,
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: str) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "details":
            _, errors = api.mutate(
                request,
                "product_update",
                {
                    "id": product_id,
                    "input": {
                        "name": request.POST.get("name") or "",
                        "description": request.POST.get("description") or "",
                        "origin": request.POST.get("origin") or "",
                        "category": request.POST.get("category") or None,
                    },
                },
            )
            ok = "产品信息已保存。"
        elif action in ("publish", "unpublish"):
            status = "PUBLISHED" if action == "publish" else "DRAFT"
            _, errors = api.mutate(
                request, "product_update", {"id": product_id, "input": {"status": status}}
            )
            ok = "已上架。" if action == "publish" else "已下架，回到草稿。"
        elif action == "submit":
            _, errors = api.mutate(request, "product_submit", {"id": product_id})
            ok = "已提交第一书记审核。"
        elif action == "variant_add":
            variant, problems = _variant_input(request, "new_")
            errors = [{"message": p, "code": "INVALID"} for p in problems]
            if not problems:
                _, errors = api.mutate(
                    request, "variant_create", {"product": product_id, "input": variant}
                )
            ok = "规格已添加。"
        elif action == "variant_update":
            variant_id = request.POST.get("variant") or ""
            variant, problems = _variant_input(request)
            errors = [{"message": p, "code": "INVALID"} for p in problems]
            if not problems:
                variant.pop("sku")
                _, errors = api.mutate(
                    request, "variant_update", {"id": variant_id, "input": variant}
                )
            ok = "规格已保存。"
        elif action == "photo":
            return product_photo(request, product_id)
        else:
            errors, ok = [{"message": "未知操作。", "code": "INVALID"}], ""
        if errors:
            show_errors(request, errors, "未保存：")
        else:
            messages.success(request, ok)
        return redirect("console:product_edit", product_id)
    try:
        product = api.run(request, "product", {"id": product_id})["product"]
    except BackendResponseError:  # an id that is not a product's
        product = None
    if product is None:
        return page(request, "console/not_found.html", {"what": "产品"}, status=404)
    return page(
        request,
        "console/product_edit.html",
        {
            "product": product,
            "categories": _categories(request),
            "channels": CHANNELS,
            "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
        },
    )


@signed_in_required
@require_POST
def product_photo(request: HttpRequest, product_id: str) -> HttpResponse:
    """Forward one photo to productImageCreate. JSON for the upload script (XMLHttpRequest
    with progress), a redirect with a message for a plain form post."""
    wants_json = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    upload = request.FILES.get("photo")
    errors: list[dict[str, Any]]
    image = None
    if upload is None:
        errors = [{"message": "请选择或拍摄一张照片。", "code": "REQUIRED", "field": "image"}]
    elif upload.size > MAX_PHOTO_BYTES:
        errors = [
            {
                "message": f"照片超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。",
                "code": "IMAGE_TOO_LARGE",
                "field": "image",
            }
        ]
    else:
        payload, errors = api.upload_product_image(
            request,
            product_id=product_id,
            file=upload.file,
            file_name=upload.name or "photo.jpg",
            content_type=upload.content_type or "",
        )
        image = payload.get("image")
    if wants_json:
        return JsonResponse(
            {"ok": not errors, "errors": errors, "image": image}, status=200 if not errors else 400
        )
    if errors:
        show_errors(request, errors, "照片未上传：")
    else:
        messages.success(request, "照片已上传。")
    return redirect("console:product_edit", product_id)


def _my_warehouses(request: HttpRequest) -> list[dict[str, Any]]:
    """The collection points of the user's village (a cooperative operator: of every village
    its producers are in); every warehouse for staff."""
    auth = api.signed_in(request) or {}
    villages = [auth["village"]["id"]] if auth.get("village") else []
    for producer in auth.get("producers") or []:
        if producer["village"]["id"] not in villages:
            villages.append(producer["village"]["id"])
    if not villages:
        return api.run(request, "warehouses", {})["warehouses"]
    found: list[dict[str, Any]] = []
    for village in villages:
        found.extend(
            api.run(request, "warehouses", {"kind": "VILLAGE", "village": village})["warehouses"]
        )
    return found


def _my_variants(request: HttpRequest) -> list[dict[str, Any]]:
    producer_ids = [p["id"] for p in my_producers(request)]
    nodes = all_pages(
        request, "my_products", "products", {"producers": producer_ids or None}, limit_pages=3
    )
    return [
        {"id": v["id"], "label": f"{p['name']} · {v['unitLabel']} ({v['sku']})"}
        for p in nodes
        for v in p["variants"]
    ]


@signed_in_required
@require_http_methods(["GET", "POST"])
def stock_receive(request: HttpRequest) -> HttpResponse:
    form: Any = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        quantity = parse_int(request.POST.get("quantity"))
        code = (request.POST.get("lot_code") or "").strip() or f"L{timezone.localdate():%Y%m%d}"
        new_lot: dict[str, Any] = {"code": code}
        for field, key in (("harvest_date", "harvestDate"), ("best_before", "bestBefore")):
            value = (request.POST.get(field) or "").strip()
            if value:
                new_lot[key] = value
        if quantity is None:
            messages.error(request, "数量必须是整数。")
        else:
            payload, errors = api.mutate(
                request,
                "stock_receive",
                {
                    "input": {
                        "warehouse": request.POST.get("warehouse") or "",
                        "variant": request.POST.get("variant") or "",
                        "quantity": quantity,
                        "newLot": new_lot,
                        "reason": (request.POST.get("reason") or "").strip() or "合作社入库",
                    }
                },
            )
            if errors:
                show_errors(request, errors, "未入库：")
            else:
                stock = payload["stock"]
                messages.success(
                    request,
                    f"已入库：批次 {stock['lot']['code']}，{stock['warehouse']['name']} "
                    f"现有 {stock['quantity']}。",
                )
                return redirect("console:stock_receive")
    return page(
        request,
        "console/stock_receive.html",
        {"warehouses": _my_warehouses(request), "variants": _my_variants(request), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@signed_in_required
@require_http_methods(["GET", "POST"])
def fulfil(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        order_id = request.POST.get("order") or ""
        lines: list[dict[str, Any]] = []
        problems: list[str] = []
        for key, value in request.POST.items():
            if key.startswith("qty_") and value.strip():
                quantity = parse_int(value)
                if quantity is None or quantity < 0:
                    problems.append(f"发货数量“{value.strip()}”不是非负整数。")
                elif quantity:
                    lines.append({"line": key[4:], "quantity": quantity})
        if not problems and not lines:
            # no lines at all would ask the backend to fulfil everything still open
            problems.append("请至少填写一行的发货数量。")
        if problems:
            for problem in problems:
                messages.error(request, f"未发货：{problem}")
            return redirect("console:fulfil")
        payload, errors = api.mutate(
            request,
            "order_fulfill",
            {
                "order": order_id,
                "warehouse": request.POST.get("warehouse") or "",
                "lines": lines,
                "trackingNumber": (request.POST.get("tracking_number") or "").strip() or None,
            },
        )
        if errors:
            show_errors(request, errors, "未发货：")
        else:
            messages.success(
                request,
                f"订单 {payload['order']['number']} 已发货，运单号 "
                f"{payload['fulfillment']['trackingNumber'] or '—'}。",
            )
        return redirect("console:fulfil")
    orders = []
    for status in ("UNFULFILLED", "PARTIALLY_FULFILLED"):
        # every page: unpaid orders come first too and must not push paid ones off the list
        variables = {"filter": {"status": status, "channel": "online"}}
        orders.extend(all_pages(request, "orders", "orders", variables, limit_pages=10))
    for order in orders:
        for line in order["lines"]:
            line["remaining"] = (
                int(line["quantity"])
                - int(line["quantityFulfilled"])
                - int(line["quantityRefunded"])
            )
        order["open_lines"] = [line for line in order["lines"] if line["remaining"] > 0]
    orders = [
        o
        for o in orders
        if o["open_lines"] and o["paymentStatus"] in ("FULLY_CHARGED", "PARTIALLY_REFUNDED")
    ]
    return page(
        request,
        "console/fulfil.html",
        {"orders": orders, "warehouses": _my_warehouses(request)},
    )
