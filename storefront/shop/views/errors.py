"""Pages for things that went wrong, in words a buyer understands."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def backend_problem(request: HttpRequest, *, unavailable: bool) -> HttpResponse:
    if unavailable:
        title = _("商城暂时无法连接")
        message = _("我们的商品服务暂时无法连接，请稍后再来看看。您的购物车不会丢失。")
    else:
        title = _("页面暂时无法显示")
        message = _("商品服务返回了我们看不懂的内容，请稍后再试。")
    return render(
        request,
        "shop/error.html",
        {"title": title, "message": message},
        status=503 if unavailable else 502,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "shop/error.html",
        {"title": _("找不到这个页面"), "message": _("这个页面不存在，或商品已经下架。")},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "shop/error.html",
        {"title": _("出了点问题"), "message": _("页面出错了，我们会尽快修好。请稍后再试。")},
        status=500,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "shop/error.html",
        {
            "title": _("表单已过期"),
            "message": _("为了您的安全，请返回上一页刷新后重新提交。"),
        },
        status=403,
    )
