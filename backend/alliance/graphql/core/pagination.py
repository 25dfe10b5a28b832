"""Forward pagination over querysets: at most 100 items, one SQL query per page.

The cursor is an opaque offset. `hasNextPage` comes from fetching one extra row, so a page
costs no COUNT query; `totalCount` is counted only when asked for.
"""

from __future__ import annotations

import base64
from typing import Any

import graphene
from django.db.models import QuerySet
from graphql import GraphQLError

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError
        offset = int(raw[len(_PREFIX) :])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError(f"Invalid cursor {cursor!r}.") from None


class CountableConnection(graphene.relay.Connection):
    class Meta:
        abstract = True

    total_count = graphene.Int(description="Number of items in the whole list (one COUNT query).")

    def resolve_total_count(self, info: graphene.ResolveInfo) -> int:
        return self.queryset.count()  # type: ignore[attr-defined, no-any-return]


def connection_args() -> dict[str, Any]:
    return {
        "first": graphene.Int(
            description=f"Page size, 1..{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
        ),
        "after": graphene.String(description="Cursor of the last item of the previous page."),
    }


def paginate(
    queryset: QuerySet[Any],
    connection_type: type[graphene.relay.Connection],
    *,
    first: int | None,
    after: str | None,
) -> graphene.relay.Connection:
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if first < 1 or first > MAX_PAGE_SIZE:
        raise GraphQLError(f"`first` must be between 1 and {MAX_PAGE_SIZE}, got {first}.")
    start = decode_cursor(after) + 1 if after else 0
    rows = list(queryset[start : start + first + 1])
    has_next = len(rows) > first
    rows = rows[:first]
    edge_type = connection_type.Edge
    edges = [edge_type(node=row, cursor=encode_cursor(start + i)) for i, row in enumerate(rows)]
    page_info = graphene.relay.PageInfo(
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=start > 0,
        has_next_page=has_next,
    )
    connection = connection_type(edges=edges, page_info=page_info)
    connection.queryset = queryset
    return connection
