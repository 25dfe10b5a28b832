"""Console sign-in / sign-out: tokenCreate, tokens kept in the server-side session only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from console import api
from console.views.common import HOME, page, role, signed_in_required


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    errors: list[dict[str, str]] = []
    email = ""
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip()
        errors = api.sign_in(request, email=email, password=request.POST.get("password") or "")
        if not errors:
            if role(request) == "CONSUMER":
                api.sign_out(request)
                errors = [
                    {"message": "此账号是顾客账号，不能使用控制台。", "code": "NOT_CONSOLE_USER"}
                ]
            else:
                return HttpResponseRedirect(next_url or reverse("console:home"))
    return page(
        request,
        "console/login.html",
        {"errors": errors, "email": email, "next": next_url},
        status=400 if errors else 200,
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    api.sign_out(request)
    return HttpResponseRedirect(reverse("console:login"))


@signed_in_required
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse(HOME.get(role(request), "console:statements")))
