"""First secretary pages: the village's cooperatives and listings waiting for approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from console import api
from console.views.common import all_pages, page, redirect, show_errors, signed_in_required
from console.views.operator import my_village


def _village_filter(request: HttpRequest) -> list[str] | None:
    village = (api.signed_in(request) or {}).get("village")
    return [village["id"]] if village else None


@signed_in_required
def producers(request: HttpRequest) -> HttpResponse:
    villages = _village_filter(request)
    nodes = all_pages(request, "producers", "producers", {"villages": villages}, limit_pages=3)
    products = all_pages(request, "my_products", "products", {"villages": villages}, limit_pages=5)
    counts: dict[str, dict[str, int]] = {}
    for product in products:
        entry = counts.setdefault(
            product["producer"]["id"], {"all": 0, "published": 0, "pending": 0}
        )
        entry["all"] += 1
        entry["published"] += product["status"] == "PUBLISHED"
        entry["pending"] += product["status"] == "PENDING_APPROVAL"
    for node in nodes:
        node["counts"] = counts.get(node["id"], {"all": 0, "published": 0, "pending": 0})
    return page(
        request, "console/producers.html", {"producers": nodes, "village": my_village(request)}
    )


@signed_in_required
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        product_id = request.POST.get("product") or ""
        name = request.POST.get("name") or ""
        if request.POST.get("action") == "approve":
            _, errors = api.mutate(request, "product_approve", {"id": product_id})
            ok = f"已批准并上架：{name}"
        else:
            _, errors = api.mutate(
                request,
                "product_send_back",
                {"id": product_id, "comment": request.POST.get("comment") or ""},
            )
            ok = f"已退回修改：{name}"
        if errors:
            show_errors(request, errors, "未处理：")
        else:
            messages.success(request, ok)
        return redirect("console:approvals")
    variables: dict[str, Any] = {"villages": _village_filter(request), "status": "PENDING_APPROVAL"}
    waiting = all_pages(request, "my_products", "products", variables, limit_pages=3)
    details = [api.run(request, "product", {"id": p["id"]})["product"] for p in waiting[:30]]
    return page(request, "console/approvals.html", {"products": [d for d in details if d]})
