"""The cart: the session's checkout in the backend (token kept server-side)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.client import mutation_errors
from shop import backend, session
from shop.messages import describe_error
from shop.views import pk_of


def load_checkout(request: HttpRequest) -> dict[str, Any] | None:
    """The session's open checkout, or None (and the session forgets a stale token)."""
    token = session.checkout_token(request)
    if not token:
        return None
    found = backend.as_buyer(request, "checkout", {"token": token}).get("checkout")
    if found is None or found.get("order") is not None:
        session.set_checkout(request, None)
        return None
    session.set_checkout(request, token, _count(found))
    return found


def _count(checkout: dict[str, Any] | None) -> int:
    return len((checkout or {}).get("lines") or [])


def _quantity(raw: str | None, default: int = 1) -> int | None:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return None
    return value if 0 <= value <= 100000 else None


def cart(request: HttpRequest) -> HttpResponse:
    checkout = load_checkout(request)
    problems_by_line: dict[str, list[dict[str, Any]]] = {}
    general: list[dict[str, Any]] = []
    if checkout:
        for problem in checkout.get("problems") or []:
            if problem.get("code") in {"EMAIL_REQUIRED", "SHIPPING_ADDRESS_REQUIRED", "NO_LINES"}:
                continue  # asked for at checkout, not a cart problem
            entry = {"code": problem["code"], "text": describe_error(problem)}
            if problem.get("line"):
                problems_by_line.setdefault(problem["line"], []).append(entry)
            else:
                general.append(entry)
        for line in checkout.get("lines") or []:
            line["problems"] = problems_by_line.get(line["id"], [])
            line["product_pk"] = pk_of(line["variant"]["product"]["id"])
    return render(
        request,
        "shop/cart.html",
        {"checkout": checkout, "general_problems": general},
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return redirect(target)


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    variant = request.POST.get("variant", "")
    quantity = _quantity(request.POST.get("quantity"))
    fallback = reverse("cart")
    if not variant or not quantity:
        messages.error(request, _("请选择规格和数量。"))
        return _back(request, fallback)
    lines = [{"variant": variant, "quantity": quantity}]
    token = session.checkout_token(request)
    payload = None
    if token:
        payload = backend.as_buyer(request, "checkout_lines_add", {"token": token, "lines": lines})[
            "checkoutLinesAdd"
        ]
        errors = mutation_errors(payload)
        if any(
            e.get("code") in {"NOT_FOUND", "CHECKOUT_COMPLETED"} and e.get("field") == "token"
            for e in errors
        ):
            payload, token = None, None  # the old checkout is gone: start a new one
            session.set_checkout(request, None)
    if not token:
        payload = backend.as_buyer(request, "checkout_create", {"lines": lines})["checkoutCreate"]
    errors = mutation_errors(payload)
    if errors:
        for error in errors:
            messages.error(request, describe_error(error))
        return _back(request, fallback)
    checkout = payload["checkout"]
    session.set_checkout(request, checkout["token"], _count(checkout))
    messages.success(request, _("已加入购物车。"))
    return redirect("cart")


@require_POST
def update(request: HttpRequest) -> HttpResponse:
    token = session.checkout_token(request)
    if not token:
        return redirect("cart")
    lines = []
    for key, value in request.POST.items():
        if key.startswith("qty:"):
            quantity = _quantity(value, default=0)
            if quantity is None:
                messages.error(request, _("数量必须是 0 或正整数。"))
                return redirect("cart")
            lines.append({"variant": key[4:], "quantity": quantity})
    if lines:
        payload = backend.as_buyer(
            request, "checkout_lines_update", {"token": token, "lines": lines}
        )["checkoutLinesUpdate"]
        errors = mutation_errors(payload)
        for error in errors:
            messages.error(request, describe_error(error))
        if not errors:
            session.set_checkout(request, token, _count(payload["checkout"]))
            messages.success(request, _("购物车已更新。"))
    return redirect("cart")


@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    token = session.checkout_token(request)
    line = request.POST.get("line", "")
    if token and line:
        payload = backend.as_buyer(
            request, "checkout_line_delete", {"token": token, "lineId": line}
        )["checkoutLineDelete"]
        errors = mutation_errors(payload)
        for error in errors:
            messages.error(request, describe_error(error))
        if not errors:
            session.set_checkout(request, token, _count(payload["checkout"]))
    return redirect("cart")
