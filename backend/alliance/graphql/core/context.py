"""Per-request helpers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser


def get_user(info: Any) -> Any:
    """The authenticated user of the request, or AnonymousUser."""
    return getattr(info.context, "user", None) or AnonymousUser()
