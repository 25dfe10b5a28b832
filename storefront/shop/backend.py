"""How views reach the backend: cached catalog reads, and calls as the signed-in buyer.

Catalog operations (the same for everyone) are cached for CATALOG_CACHE_SECONDS under a key
made of the operation, the language and the variables. Anything that depends on who asks
(checkout, account, orders) goes through `as_buyer` and is never cached. The API token lives
in the server-side session only (see shop.session).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation

from api.client import BackendClient, cache_key
from shop import session

_local = threading.local()


def client() -> BackendClient:
    """One client (one keep-alive connection pool) per thread and backend URL."""
    found: BackendClient | None = getattr(_local, "client", None)
    if found is None or getattr(_local, "url", None) != settings.BACKEND_URL:
        found = BackendClient(settings.BACKEND_URL, timeout=settings.BACKEND_TIMEOUT_SECONDS)
        _local.client, _local.url = found, settings.BACKEND_URL
    return found


def catalog(name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A public catalog read, cached briefly. Never pass user-specific operations here."""
    return _cached(name, variables, settings.CATALOG_CACHE_SECONDS)


def reference(name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Public reference lists that change rarely (the category tree, the village names),
    cached longer (REFERENCE_CACHE_SECONDS)."""
    return _cached(name, variables, settings.REFERENCE_CACHE_SECONDS)


def _cached(name: str, variables: dict[str, Any] | None, seconds: int) -> dict[str, Any]:
    key = cache_key(name, variables, translation.get_language() or settings.LANGUAGE_CODE)
    data = cache.get(key)
    if data is None:
        data = client().run(name, variables)
        if seconds > 0:
            cache.set(key, data, seconds)
    return data


def as_buyer(
    request: HttpRequest, name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run an operation as the session's buyer (signed in or not); not cached."""
    return client().run(name, variables, token=session.access_token(request, client()))
