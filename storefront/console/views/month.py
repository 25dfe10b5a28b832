"""Month close, statements, exports, sales and the reconciliation dashboard (issue 5 APIs).

Pages built on an API the backend does not serve yet say so instead of failing.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from api.client import BackendResponseError
from console import api
from console.charts import PALETTE, bar_chart
from console.views.common import edges, page, redirect, show_errors, signed_in_required

EXPORT_KINDS = (
    ("STATEMENTS", "结算单"),
    ("SALES_REPORT", "销售报表"),
    ("RECONCILIATION", "对账报告"),
)
EXPORT_FORMATS = (("XLSX", "Excel (XLSX)"), ("CSV", "CSV"))
KIND_LABELS = dict(EXPORT_KINDS)


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def previous_month() -> str:
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _missing_api(exc: BackendResponseError) -> bool:
    text = str(exc)
    return "Cannot query field" in text or "Unknown type" in text or "Unknown argument" in text


def _pending(request: HttpRequest, title: str) -> HttpResponse:
    return page(
        request,
        "console/pending.html",
        {
            "title": title,
            "message": "后台的结算与报表接口尚未就绪（backend/schema.graphql 中没有）。",
        },
    )


def _refused(request: HttpRequest, title: str, exc: BackendResponseError) -> HttpResponse:
    """A report the backend refused (no permission, a bad period): its words on the page."""
    messages.error(request, f"后台拒绝了这个报表：{str(exc).removeprefix('GraphQL errors: ')}")
    return page(request, "console/pending.html", {"title": title, "message": " "}, status=400)


def _try(request: HttpRequest, name: str, variables: dict[str, Any] | None = None) -> Any:
    """The data, or None when the backend does not serve this API yet."""
    try:
        return api.run(request, name, variables)
    except BackendResponseError as exc:
        if _missing_api(exc):
            return None
        raise


# --- exports -------------------------------------------------------------------------------


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    job = dict(job)
    job["kind_label"] = KIND_LABELS.get(job["kind"], job["kind"])
    total, done = int(job.get("progressTotal") or 0), int(job.get("progressDone") or 0)
    job["percent"] = 100 if job["status"] == "DONE" else (int(100 * done / total) if total else 0)
    return job


@signed_in_required
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            payload, errors = api.mutate(
                request,
                "export_create",
                {
                    "input": {
                        "kind": request.POST.get("kind") or "STATEMENTS",
                        "format": request.POST.get("format") or "XLSX",
                        "period": (request.POST.get("period") or "").strip(),
                    }
                },
            )
        except BackendResponseError as exc:
            if _missing_api(exc):
                return _pending(request, "导出")
            raise
        if errors:
            show_errors(request, errors, "未能导出：")
            return redirect("console:exports")
        messages.success(request, "导出已开始。")
        return redirect("console:export_status", payload["job"]["id"])
    data = _try(request, "exports")
    if data is None:
        return _pending(request, "导出")
    return page(
        request,
        "console/exports.html",
        {
            "jobs": [_job_view(j) for j in edges(data["exports"])],
            "kinds": EXPORT_KINDS,
            "formats": EXPORT_FORMATS,
            "period": previous_month(),
        },
    )


@signed_in_required
def export_status(request: HttpRequest, export_id: str) -> HttpResponse:
    try:
        data = _try(request, "export_job", {"id": export_id})
    except BackendResponseError:
        data = {"exportJob": None}  # an id that is not an export's
    if data is None:
        return _pending(request, "导出")
    job = data["exportJob"]
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        if job is None:
            return JsonResponse({"error": "not found"}, status=404)
        view = _job_view(job)
        return JsonResponse(
            {
                "status": job["status"],
                "done": view["progressDone"],
                "total": view["progressTotal"],
                "label": f"{view['percent']}%（{view['progressDone']}/{view['progressTotal']} 行）",
            }
        )
    if job is None:
        return page(request, "console/not_found.html", {"what": "导出"}, status=404)
    return page(request, "console/export_status.html", {"job": _job_view(job)})


@signed_in_required
def export_download(request: HttpRequest, export_id: str) -> HttpResponse:
    """The finished file, fetched from the backend with the session's token and streamed on
    (the browser never holds the API token)."""
    try:
        data = _try(request, "export_job", {"id": export_id})
    except BackendResponseError:
        data = None  # an id that is not an export's
    job = (data or {}).get("exportJob")
    if not job or job["status"] != "DONE" or not job.get("downloadUrl"):
        return page(request, "console/not_found.html", {"what": "导出文件"}, status=404)
    upstream = api.client().download(
        urlsplit(job["downloadUrl"]).path, token=api.access_token(request)
    )
    if upstream.status_code != 200:
        upstream.close()
        messages.error(request, f"下载失败：后台返回 HTTP {upstream.status_code}。")
        return redirect("console:export_status", export_id)

    def chunks() -> Any:
        try:
            yield from upstream.iter_bytes(64 * 1024)
        finally:
            upstream.close()

    response = StreamingHttpResponse(
        chunks(), content_type=upstream.headers.get("Content-Type", "application/octet-stream")
    )
    if upstream.headers.get("Content-Disposition"):
        response["Content-Disposition"] = upstream.headers["Content-Disposition"]
    response["Cache-Control"] = "private, no-store"
    return response


# --- settlement and reports (filled in as the backend's API lands) -------------------------


def _statements(request: HttpRequest, period: str | None) -> list[dict[str, Any]]:
    filters = {"period": period} if period else {}
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(5):
        data = api.run(request, "statements", {"filter": filters, "after": after})["statements"]
        nodes.extend(edges(data))
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    return nodes


def _sum(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"lineCount": 0, "weightKg": Decimal(0)}
    for key in ("gross", "refunds", "commission", "netPayable", "paidAmount"):
        total[key] = sum((Decimal(n[key]["amount"]) for n in nodes), Decimal("0.00"))
    for n in nodes:
        total["lineCount"] += n["lineCount"]
        total["weightKg"] += Decimal(n["weightKg"])
    return total


@signed_in_required
@require_http_methods(["GET", "POST"])
def month_close(request: HttpRequest) -> HttpResponse:
    """Staff: generate a period's draft statements, review them (drill down per village),
    then confirm and pay each from its page."""
    if request.method == "POST":
        period = (request.POST.get("period") or "").strip()
        try:
            payload, errors = api.mutate(request, "settlement_generate", {"period": period})
        except BackendResponseError as exc:
            if _missing_api(exc):
                return _pending(request, "月结")
            raise
        if errors:
            show_errors(request, errors, "未生成：")
        else:
            deferred = "、".join(v["name"] for v in payload["deferredVillages"])
            messages.success(
                request,
                f"{payload['period']['code']}：{len(payload['statements'])} 张结算单草稿，"
                f"新增 {payload['linesAdded']} 行销售、{payload['adjustmentsAdded']} 行退款调整。"
                + (f" 应付为负、顺延到下期的村：{deferred}。" if deferred else ""),
            )
        return redirect("console:month_close", query={"period": period})
    period = (request.GET.get("period") or previous_month()).strip()
    try:
        nodes = _statements(request, period)
    except BackendResponseError as exc:
        if _missing_api(exc):
            return _pending(request, "月结")
        return _refused(request, "月结", exc)
    counts = {
        status: sum(1 for n in nodes if n["status"] == status)
        for status in ("DRAFT", "CONFIRMED", "PAID")
    }
    return page(
        request,
        "console/month_close.html",
        {
            "period": period,
            "statements": nodes,
            "total": _sum(nodes),
            "counts": counts,
            "this_month": this_month(),
            "previous_month": previous_month(),
        },
    )


@signed_in_required
def statements(request: HttpRequest) -> HttpResponse:
    """The statements the signed-in user may read (the backend scopes them: a cooperative
    and a first secretary see their village's)."""
    period = (request.GET.get("period") or "").strip() or None
    try:
        nodes = _statements(request, period)
    except BackendResponseError as exc:
        if _missing_api(exc):
            return _pending(request, "结算单")
        return _refused(request, "结算单", exc)
    return page(
        request,
        "console/statements.html",
        {"statements": nodes, "period": period or "", "total": _sum(nodes)},
    )


@signed_in_required
@require_http_methods(["GET", "POST"])
def statement(request: HttpRequest, statement_id: str) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            _, errors = api.mutate(request, "settlement_confirm", {"id": statement_id})
            ok = "结算单已确认，此后不再改变。"
        else:
            _, errors = api.mutate(
                request,
                "settlement_payout_create",
                {
                    "input": {
                        "statement": statement_id,
                        "amount": (request.POST.get("amount") or "").strip() or "0",
                        "paidOn": (request.POST.get("paid_on") or "").strip()
                        or f"{timezone.localdate():%Y-%m-%d}",
                        "method": request.POST.get("method") or "BANK_TRANSFER",
                        "reference": (request.POST.get("reference") or "").strip(),
                    }
                },
            )
            ok = "付款已记录。"
        if errors:
            show_errors(request, errors, "未完成：")
        else:
            messages.success(request, ok)
        return redirect("console:statement", statement_id)
    after = request.GET.get("after") or None
    try:
        node = api.run(request, "statement", {"id": statement_id, "after": after})["statement"]
    except BackendResponseError as exc:
        if _missing_api(exc):
            return _pending(request, "结算单")
        node = None  # an id that is not a statement's (a forged or mangled URL)
    if node is None:
        return page(request, "console/not_found.html", {"what": "结算单"}, status=404)
    remaining = Decimal(node["netPayable"]["amount"]) - Decimal(node["paidAmount"]["amount"])
    return page(
        request,
        "console/statement.html",
        {
            "st": node,
            "lines": edges(node["lines"]),
            "remaining": remaining,
            "today": f"{timezone.localdate():%Y-%m-%d}",
        },
    )


@signed_in_required
def sales(request: HttpRequest) -> HttpResponse:
    """A first secretary's village: tonnage and value by month and by category."""
    started = time.perf_counter()
    period = (request.GET.get("period") or str(timezone.localdate().year)).strip()
    try:
        data = _try(request, "village_sales", {"period": period})
    except BackendResponseError as exc:
        return _refused(request, "村销售", exc)
    if data is None:
        return _pending(request, "村销售")
    months = data["byMonth"]["rows"]
    by_category: dict[str, list[Decimal]] = {}
    table: dict[str, dict[str, Decimal]] = {}
    for row in data["byCategory"]["rows"]:
        name = (row.get("categoryRoot") or {}).get("name") or "其他"
        entry = by_category.setdefault(name, [Decimal(0), Decimal(0)])
        entry[0] += Decimal(row["netWeightKg"])
        entry[1] += Decimal(row["net"]["amount"])
        cells = table.setdefault(row["month"] or "", {})
        cells[name] = cells.get(name, Decimal(0)) + Decimal(row["netWeightKg"])
    categories = sorted(by_category)
    by_weight = sorted(by_category.items(), key=lambda kv: -kv[1][0])
    by_value = sorted(by_category.items(), key=lambda kv: -kv[1][1])
    charts = [
        bar_chart(
            "吨位（按月，kg）", [(r["month"], Decimal(r["netWeightKg"])) for r in months], unit="kg"
        ),
        bar_chart(
            "销售额（按月，元）",
            [(r["month"], Decimal(r["net"]["amount"])) for r in months],
            unit="元",
            colour=PALETTE[1],
        ),
        bar_chart(
            "吨位（按品类，kg）", [(n, v[0]) for n, v in by_weight], unit="kg", colour=PALETTE[2]
        ),
        bar_chart(
            "销售额（按品类，元）", [(n, v[1]) for n, v in by_value], unit="元", colour=PALETTE[3]
        ),
    ]
    rows = [
        {"month": month, "cells": [table[month].get(c, Decimal(0)) for c in categories]}
        for month in sorted(table)
    ]
    elapsed = (time.perf_counter() - started) * 1000
    response = page(
        request,
        "console/village_sales.html",
        {
            "report": data["byMonth"],
            "charts": charts,
            "categories": categories,
            "rows": rows,
            "period": period,
            "elapsed_ms": f"{elapsed:.0f}",
        },
    )
    response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


RECORD_TYPES = {"Order", "OrderLine", "Transfer", "Payment"}


def _top(rows: list[dict[str, Any]], key: str, value: Any, limit: int = 25) -> list[Any]:
    items = [
        ((r.get(key) or {}).get("name") if isinstance(r.get(key), dict) else r.get(key), value(r))
        for r in rows
    ]
    items = [(str(label or "—"), v) for label, v in items]
    return sorted(items, key=lambda item: -item[1])[:limit]


@signed_in_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Alliance totals, tonnage and value by month, village, category and channel (SVG drawn
    here), and the month's reconciliation with its discrepancies."""
    started = time.perf_counter()
    period = (request.GET.get("period") or "all").strip()
    month = (request.GET.get("month") or this_month()).strip()
    try:
        data = _try(request, "dashboard", {"period": period, "month": month})
    except BackendResponseError as exc:
        return _refused(request, "对账看板", exc)
    if data is None:
        return _pending(request, "对账看板")
    backend_ms = (time.perf_counter() - started) * 1000
    months = data["byMonth"]["rows"]
    tonnes = lambda r: Decimal(r["netWeightKg"]) / 1000  # noqa: E731
    yuan = lambda r: Decimal(r["net"]["amount"])  # noqa: E731
    charts = [
        bar_chart("吨位（按月，吨）", [(r["month"], tonnes(r)) for r in months], unit="t"),
        bar_chart(
            "销售额（按月，元）",
            [(r["month"], yuan(r)) for r in months],
            unit="元",
            colour=PALETTE[1],
        ),
        bar_chart(
            "吨位前 25 个村（吨）",
            _top(data["byVillage"]["rows"], "village", tonnes),
            unit="t",
            colour=PALETTE[2],
        ),
        bar_chart(
            "销售额前 25 个村（元）",
            _top(data["byVillage"]["rows"], "village", yuan),
            unit="元",
            colour=PALETTE[3],
        ),
        bar_chart(
            "吨位（按品类，吨）",
            _top(data["byCategory"]["rows"], "categoryRoot", tonnes),
            unit="t",
            colour=PALETTE[4],
        ),
        bar_chart(
            "销售额（按品类，元）",
            _top(data["byCategory"]["rows"], "categoryRoot", yuan),
            unit="元",
            colour=PALETTE[5],
        ),
        bar_chart(
            "吨位（按渠道，吨）",
            [(_channel(r["channel"]), tonnes(r)) for r in data["byChannel"]["rows"]],
            unit="t",
        ),
        bar_chart(
            "销售额（按渠道，元）",
            [(_channel(r["channel"]), yuan(r)) for r in data["byChannel"]["rows"]],
            unit="元",
            colour=PALETTE[1],
        ),
    ]
    reconciliation = data["reconciliation"]
    for item in reconciliation["discrepancies"]:
        for record in item["records"]:
            record["linked"] = record["type"] in RECORD_TYPES
        item["unlinked"] = sum(1 for r in item["records"] if not r["linked"])
    context = {
        "totals": data["allianceTotals"],
        "report": data["byMonth"],
        "charts": charts,
        "rec": reconciliation,
        "period": period,
        "month": month,
        "backend_ms": f"{backend_ms:.0f}",
    }
    response = page(request, "console/dashboard.html", context)
    total_ms = (time.perf_counter() - started) * 1000
    response["Server-Timing"] = f"backend;dur={backend_ms:.1f}, app;dur={total_ms:.1f}"
    return response


def _channel(slug: str | None) -> str:
    return {"online": "线上", "base": "基地柜台"}.get(slug or "", slug or "—")


@signed_in_required
def record(request: HttpRequest, record_id: str) -> HttpResponse:
    """A record behind a discrepancy (an order, order line, payment or transfer)."""
    try:
        node = api.run(request, "record", {"id": record_id})["node"]
    except BackendResponseError:
        node = None
    if node is None:
        return page(request, "console/not_found.html", {"what": "记录"}, status=404)
    node["typename"] = node.pop("__typename")  # templates cannot read names starting "_"
    return page(request, "console/record.html", {"node": node})
