"""The shop's home page: the first published products, fetched from the backend."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.client import (
    BackendClient,
    BackendResponseError,
    BackendUnavailable,
    fetch_home_products,
)

logger = logging.getLogger(__name__)

HOME_PAGE_SIZE = 12


def home(request: HttpRequest) -> HttpResponse:
    client = BackendClient(settings.BACKEND_URL, timeout=settings.BACKEND_TIMEOUT_SECONDS)
    products, problem, status = [], None, 200
    try:
        products = fetch_home_products(client, first=HOME_PAGE_SIZE)
    except BackendUnavailable as exc:
        logger.warning("backend unavailable: %s", exc)
        problem, status = "商城后台暂时无法连接，请稍后再来看看。", 503
    except BackendResponseError as exc:
        logger.error("backend answered unexpectedly: %s", exc)
        problem, status = "商品信息暂时无法显示，请稍后再试。", 502
    return render(
        request, "shop/home.html", {"products": products, "problem": problem}, status=status
    )
