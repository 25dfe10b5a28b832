"""Template context for every page: cart count and signed-in e-mail, from the session only
(no backend call), and the categories of the header menu are not fetched here either."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from shop import session


def shop(request: HttpRequest) -> dict[str, Any]:
    if not hasattr(request, "session"):
        return {}
    return {
        "cart_count": session.cart_count(request),
        "signed_in_email": session.signed_in_email(request),
        "site_name_zh": "联盟集市",
        "debug": settings.DEBUG,
    }
