"""Relay global IDs: decoding input ids with a clear error instead of an exception."""

from __future__ import annotations

from graphql_relay import from_global_id

from alliance.core.errors import DomainError


class InvalidId(DomainError):
    code = "INVALID_ID"


def decode_id(global_id: str | None, expected_type: str, *, field: str) -> int:
    """Return the database pk behind a global ID of `expected_type`, or raise InvalidId."""
    if not global_id:
        raise InvalidId(f"{field} is required.", field=field)
    try:
        type_name, raw_pk = from_global_id(global_id)
        pk = int(raw_pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidId(f"{global_id!r} is not a valid {expected_type} ID.", field=field) from None
    if type_name != expected_type or pk <= 0:
        raise InvalidId(f"{global_id!r} is not a valid {expected_type} ID.", field=field)
    return pk


def decode_ids(global_ids: list[str] | None, expected_type: str, *, field: str) -> list[int]:
    return [decode_id(gid, expected_type, field=field) for gid in (global_ids or [])]
