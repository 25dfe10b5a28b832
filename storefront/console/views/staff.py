"""Alliance staff at the base: the counter, transfers, stock counts, expiring lots."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from api.client import BackendResponseError
from console import api
from console.views.common import (
    all_pages,
    edges,
    page,
    parse_int,
    redirect,
    show_errors,
    signed_in_required,
)

TICKET = "console_counter_ticket"
EXPIRING_DAYS = 14


def _ticket(request: HttpRequest) -> list[dict[str, Any]]:
    return list(request.session.get(TICKET) or [])


def _counter_search(request: HttpRequest, query: str) -> list[dict[str, Any]]:
    """A scanned or typed SKU first (exact), otherwise the name."""
    data = api.run(request, "counter_search", {"search": "", "sku": query})
    found = edges(data["products"])
    exact = [
        dict(v, product=p)
        for p in found
        for v in p["variants"]
        if v["sku"].lower() == query.lower()
    ]
    if exact:
        return exact
    data = api.run(request, "counter_search", {"search": query, "sku": None})
    return [dict(v, product=p) for p in edges(data["products"]) for v in p["variants"]]


@signed_in_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    ticket = _ticket(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            quantity = parse_int(request.POST.get("quantity")) or 0
            if quantity <= 0:
                messages.error(request, "数量必须是正整数。")
            else:
                variant = request.POST.get("variant") or ""
                for line in ticket:
                    if line["variant"] == variant:
                        line["quantity"] += quantity
                        break
                else:
                    ticket.append(
                        {
                            "variant": variant,
                            "quantity": quantity,
                            "label": request.POST.get("label") or "",
                            "sku": request.POST.get("sku") or "",
                            "price": request.POST.get("price") or "",
                        }
                    )
                request.session[TICKET] = ticket
            return redirect("console:counter")
        if action == "remove":
            request.session[TICKET] = [
                line for line in ticket if line["variant"] != request.POST.get("variant")
            ]
            return redirect("console:counter")
        if action == "clear":
            request.session.pop(TICKET, None)
            return redirect("console:counter")
        # action == "sell": the lines come with the form (the ticket rendered as fields)
        variants = request.POST.getlist("line_variant")
        quantities = request.POST.getlist("line_quantity")
        lines = [
            {"variant": v, "quantity": parse_int(q) or 0}
            for v, q in zip(variants, quantities, strict=False)
        ]
        payload, errors = api.mutate(
            request,
            "base_sale_create",
            {
                "input": {
                    "lines": lines,
                    "paymentMethod": request.POST.get("payment_method") or "CASH",
                    "paymentReference": (request.POST.get("payment_reference") or "").strip(),
                    "note": (request.POST.get("note") or "").strip(),
                }
            },
        )
        if errors:
            show_errors(request, errors, "未售出：")
            return redirect("console:counter")
        request.session.pop(TICKET, None)
        order = payload["order"]
        messages.success(request, f"已售出，小票号 {order['receiptNumber']}。")
        return redirect("console:receipt", order["number"])
    query = (request.GET.get("q") or "").strip()
    results = _counter_search(request, query) if query else []
    return page(
        request,
        "console/counter.html",
        {"query": query, "results": results, "ticket": ticket},
    )


@signed_in_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    order = api.run(request, "order_by_number", {"number": number})["order"]
    if order is None:
        return page(request, "console/not_found.html", {"what": "小票"}, status=404)
    return page(request, "console/receipt.html", {"order": order})


def _warehouses(request: HttpRequest, kind: str | None = None) -> list[dict[str, Any]]:
    return api.run(request, "warehouses", {"kind": kind} if kind else {})["warehouses"]


@signed_in_required
@require_http_methods(["GET", "POST"])
def transfers(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "dispatch":
            lines = []
            for key, value in request.POST.items():
                if key.startswith("qty_") and (quantity := parse_int(value)):
                    lines.append({"stock": key[4:], "quantity": quantity})
            payload, errors = api.mutate(
                request,
                "transfer_dispatch",
                {
                    "input": {
                        "source": request.POST.get("source") or "",
                        "lines": lines,
                        "note": (request.POST.get("note") or "").strip(),
                    }
                },
            )
            ok = "已发出调拨单 {code}。"
        else:
            lines = []
            for key, value in request.POST.items():
                if key.startswith("received_"):
                    line_id = key[len("received_") :]
                    quantity = parse_int(value)
                    entry: dict[str, Any] = {
                        "line": line_id,
                        "quantityReceived": quantity if quantity is not None else -1,
                    }
                    reason = (request.POST.get(f"reason_{line_id}") or "").strip()
                    if reason:
                        entry["shortfallReason"] = reason
                    lines.append(entry)
            payload, errors = api.mutate(
                request,
                "transfer_receive",
                {"input": {"transfer": request.POST.get("transfer") or "", "lines": lines}},
            )
            ok = "调拨单 {code} 已在基地收货。"
        if errors:
            show_errors(request, errors, "未完成：")
        else:
            messages.success(request, ok.format(code=payload["transfer"]["code"]))
        return redirect("console:transfers")
    source = request.GET.get("source") or ""
    stocks: list[dict[str, Any]] = []
    status = 200
    if source:
        try:
            stocks = all_pages(
                request,
                "stocks",
                "stocks",
                {"filter": {"warehouses": [source], "onHandOnly": True}},
                limit_pages=3,
            )
        except BackendResponseError as exc:  # a forged or mangled warehouse id
            messages.error(request, f"无法列出库存：{str(exc).removeprefix('GraphQL errors: ')}")
            source, status = "", 400
    in_transit = edges(api.run(request, "transfers", {"status": "IN_TRANSIT"})["transfers"])
    received = edges(api.run(request, "transfers", {"status": "RECEIVED"})["transfers"])[:10]
    return page(
        request,
        "console/transfers.html",
        {
            "villages": _warehouses(request, "VILLAGE"),
            "source": source,
            "stocks": stocks,
            "in_transit": in_transit,
            "received": received,
        },
        status=status,
    )


@signed_in_required
@require_http_methods(["GET", "POST"])
def stock_count(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        lines = []
        for key, value in request.POST.items():
            if key.startswith("counted_") and value.strip() != "":
                counted = parse_int(value)
                lines.append(
                    {
                        "stock": key[len("counted_") :],
                        "counted": counted if counted is not None else -1,
                    }
                )
        payload, errors = api.mutate(
            request,
            "stock_count",
            {
                "input": {
                    "warehouse": request.POST.get("warehouse") or "",
                    "lines": lines,
                    "reason": (request.POST.get("reason") or "").strip() or "盘点",
                }
            },
        )
        if errors:
            show_errors(request, errors, "盘点未保存：")
        else:
            changed = len(payload.get("movements") or [])
            messages.success(request, f"盘点已保存，{changed} 项有差异已调整。")
        return redirect(
            "console:stock_count", query={"warehouse": request.POST.get("warehouse", "")}
        )
    warehouse = request.GET.get("warehouse") or ""
    stocks: list[dict[str, Any]] = []
    status = 200
    if warehouse:
        try:
            stocks = all_pages(
                request,
                "stocks",
                "stocks",
                {"filter": {"warehouses": [warehouse], "onHandOnly": True}},
                limit_pages=5,
            )
        except BackendResponseError as exc:  # a forged or mangled warehouse id
            messages.error(request, f"无法列出库存：{str(exc).removeprefix('GraphQL errors: ')}")
            warehouse, status = "", 400
    return page(
        request,
        "console/stock_count.html",
        {"warehouses": _warehouses(request), "warehouse": warehouse, "stocks": stocks},
        status=status,
    )


@signed_in_required
def expiring(request: HttpRequest) -> HttpResponse:
    days = parse_int(request.GET.get("days")) or EXPIRING_DAYS
    stocks = all_pages(
        request,
        "stocks",
        "stocks",
        {"filter": {"expiringWithinDays": days, "onHandOnly": True}},
        limit_pages=5,
    )
    stocks.sort(key=lambda s: (s["lot"]["bestBefore"] or "9999", s["warehouse"]["name"]))
    return page(request, "console/expiring.html", {"stocks": stocks, "days": days})
