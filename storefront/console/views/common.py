"""What every console view shares: sign-in required, the role's navigation, error words.

Views only hide what a role may not do; they never decide permissions. Every action goes to
the backend, whose services refuse what the signed-in user may not do, and the refusal is
shown in words (the backend's message, with its code).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from console import api

SHANGHAI = ZoneInfo("Asia/Shanghai")

# (url name, label, roles that see it)
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("console:products", "我的产品", ("OPERATOR",)),
    ("console:stock_receive", "入库", ("OPERATOR", "STAFF")),
    ("console:fulfil", "待发货", ("OPERATOR", "SECRETARY", "STAFF")),
    ("console:producers", "合作社", ("SECRETARY",)),
    ("console:approvals", "待审核", ("SECRETARY", "STAFF")),
    ("console:sales", "村销售", ("SECRETARY",)),
    ("console:counter", "柜台销售", ("STAFF",)),
    ("console:transfers", "调拨", ("STAFF",)),
    ("console:stock_count", "盘点", ("STAFF",)),
    ("console:expiring", "临期批次", ("STAFF",)),
    ("console:month_close", "月结", ("STAFF",)),
    ("console:exports", "导出", ("STAFF",)),
    ("console:dashboard", "对账看板", ("STAFF",)),
    ("console:statements", "结算单", ("OPERATOR", "SECRETARY", "STAFF")),
]
ROLE_LABELS = {
    "OPERATOR": "合作社",
    "SECRETARY": "第一书记",
    "STAFF": "联盟工作人员",
    "CONSUMER": "顾客",
}
HOME = {
    "OPERATOR": "console:products",
    "SECRETARY": "console:approvals",
    "STAFF": "console:counter",
}


def signed_in_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if api.access_token(request) is None:
            login = reverse("console:login")
            return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def role(request: HttpRequest) -> str:
    auth = api.signed_in(request) or {}
    return str(auth.get("role") or "")


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    auth = api.signed_in(request) or {}
    current = role(request)
    nav = [
        {"url": reverse(name), "label": label, "active": request.path == reverse(name)}
        for name, label, roles in NAVIGATION
        if current in roles
    ]
    base = {
        "console_user": auth.get("email"),
        "console_role": current,
        "console_role_label": ROLE_LABELS.get(current, current),
        "console_nav": nav,
    }
    base.update(context or {})
    return render(request, template, base, status=status)


def show_errors(request: HttpRequest, errors: list[dict[str, Any]], prefix: str = "") -> None:
    """Each backend refusal as a message in words: its message, field and code."""
    for error in errors:
        field = f"（{error['field']}）" if error.get("field") else ""
        messages.error(
            request, f"{prefix}{error.get('message', '')}{field} [{error.get('code', 'INVALID')}]"
        )


def redirect(name: str, *args: Any, query: dict[str, str] | None = None) -> HttpResponseRedirect:
    url = reverse(name, args=args)
    if query:
        url += "?" + urlencode(query)
    return HttpResponseRedirect(url)


def edges(connection: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (connection or {}).get("edges", [])]


def all_pages(
    request: HttpRequest, name: str, root: str, variables: dict[str, Any], limit_pages: int = 20
) -> list[dict[str, Any]]:
    """Every node of a connection (pages of 100, at most `limit_pages` of them)."""
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(limit_pages):
        data = api.run(request, name, {**variables, "after": after})[root]
        nodes.extend(edges(data))
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    return nodes


def parse_int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def local_time(value: str | None) -> datetime | None:
    """An ISO timestamp from the API in Asia/Shanghai."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(SHANGHAI)
    except ValueError:
        return None
