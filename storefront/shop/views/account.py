"""Register, sign in / out, my orders, one order with where every line came from."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.client import mutation_errors
from shop import backend, session
from shop.messages import describe_error


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("account")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("account")
    return target


def _require_sign_in(request: HttpRequest) -> HttpResponse | None:
    if session.signed_in_email(request):
        return None
    return redirect(f"{reverse('signin')}?next={request.path}")


def _sign_in(request: HttpRequest, email: str, password: str) -> list[dict[str, Any]]:
    payload = backend.client().run("token_create", {"email": email, "password": password})[
        "tokenCreate"
    ]
    errors = mutation_errors(payload)
    if not errors:
        session.sign_in(
            request,
            token=payload["token"],
            refresh_token=payload["refreshToken"],
            email=payload["user"]["email"],
        )
    return errors


def signin(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        password = request.POST.get("password", "")
        if not email or not password:
            errors.append(_("请填写邮箱和密码。"))
        else:
            errors = [describe_error(e) for e in _sign_in(request, email, password)]
        if not errors:
            messages.success(request, _("欢迎回来！"))
            return redirect(_next_url(request))
    return render(
        request,
        "shop/signin.html",
        {"errors": errors, "email": email, "next": _next_url(request)},
        status=400 if errors else 200,
    )


def register(request: HttpRequest) -> HttpResponse:
    field_errors: dict[str, list[str]] = {}
    values = {"email": "", "full_name": ""}
    if request.method == "POST":
        values = {
            "email": request.POST.get("email", "").strip(),
            "full_name": request.POST.get("full_name", "").strip(),
        }
        password = request.POST.get("password", "")
        payload = backend.client().run(
            "account_register",
            {
                "input": {
                    "email": values["email"],
                    "password": password,
                    "fullName": values["full_name"],
                }
            },
        )["accountRegister"]
        for error in mutation_errors(payload):
            field = error.get("field") if error.get("field") in {"email", "password"} else "email"
            field_errors.setdefault(field, []).append(describe_error(error))
        if not field_errors:
            sign_in_errors = _sign_in(request, values["email"], password)
            if not sign_in_errors:
                messages.success(request, _("注册成功，已为您登录。"))
                return redirect(_next_url(request))
            return redirect("signin")
    return render(
        request,
        "shop/register.html",
        {"field_errors": field_errors, "values": values, "next": _next_url(request)},
        status=400 if field_errors else 200,
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    session.sign_out(request)
    messages.info(request, _("您已退出登录。"))
    return redirect("home")


def account(request: HttpRequest) -> HttpResponse:
    if (needed := _require_sign_in(request)) is not None:
        return needed
    data = backend.as_buyer(request, "my_orders", {"after": request.GET.get("after")})
    if data.get("me") is None:  # the session's token no longer works
        session.sign_out(request)
        return redirect(f"{reverse('signin')}?next={request.path}")
    orders = [e["node"] for e in data["orders"]["edges"] if e.get("node")]
    for order in orders:
        order["villages"] = sorted({line["villageName"] for line in order.get("lines") or []})
    page_info = data["orders"]["pageInfo"]
    return render(
        request,
        "shop/account.html",
        {
            "me": data["me"],
            "orders": orders,
            "next_after": page_info["endCursor"] if page_info["hasNextPage"] else None,
        },
    )


def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    if (needed := _require_sign_in(request)) is not None:
        return needed
    order = backend.as_buyer(request, "order", {"number": number}).get("order")
    if order is None:
        raise Http404("unknown order")
    return render(request, "shop/order_detail.html", {"order": order})
