"""Thin views: parse the request, call the backend through shop.backend, render."""

import base64


def global_id(type_name: str, pk: int | str) -> str:
    """The Relay global id the API uses (base64 of "Type:pk")."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(gid: str | None) -> str | None:
    """The pk inside a Relay global id (for URLs), or None."""
    if not gid:
        return None
    try:
        return base64.b64decode(gid).decode().split(":", 1)[1]
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
