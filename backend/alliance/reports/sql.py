"""Raw SQL helpers for the reports: quoted table names and fetches (no ORM objects)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from alliance.orders.models import Order

# Reports sort and group a month's lines (tens of thousands of rows) in memory, not on disk
# (PostgreSQL's default work_mem is 4 MB); set for the report's own transaction only.
WORK_MEM = "64MB"


@contextmanager
def report_transaction(*, snapshot: bool = False) -> Iterator[None]:
    """Run a report's statements in a read-only transaction of its own with WORK_MEM, and
    with `snapshot` in one REPEATABLE READ view (so that a sale recorded between two of its
    statements cannot make them disagree). Inside a caller's transaction, that transaction
    decides (nothing is set)."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            if snapshot:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            else:
                cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # Measured on 1,000,000 order lines (scripts/bench/settlement.py): JIT compiling
            # costs ~0.15 s of a 2 s report and saves nothing; with the default page cost of
            # 4 the refunds branch scans every order line instead of fetching ~18k by key.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


def table(model: Any) -> str:
    """The quoted database table of `model`."""
    return connection.ops.quote_name(model._meta.db_table)


def fetchall(sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def fetchone(sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        row = cursor.fetchone()
    assert row is not None, "an aggregate query returns one row"
    return row


# Up to this many days, a range's order lines are read through the order_id index (see
# order_ids_of_range); a longer range reads them all, which is then the faster way.
INDEX_RANGE_MAX_DAYS = 92


def order_ids_of_range(column: str, days: int) -> str:
    """SQL: `column` (an order id) lies between the least and the greatest id of the orders
    created in [%(start)s, %(end)s).

    A superset filter that changes no result: every order created in the range has such an
    id. It lets PostgreSQL read the lines of a month's orders through the order_id index
    instead of scanning every line of every month (order ids grow with time, so the id
    range is about as narrow as the month): measured on 1,000,000 lines, the planner
    otherwise hashes the whole order-line table (~4x slower). For a range longer than
    INDEX_RANGE_MAX_DAYS it is left out ("TRUE"): most lines are read anyway, and a scan
    of the table beats reading it through an index."""
    if days > INDEX_RANGE_MAX_DAYS:
        return "TRUE"
    inside = "created_at >= %(start)s AND created_at < %(end)s"
    return ids_between(column, table(Order), "id", inside)


def ids_between(column: str, source: str, id_column: str, where: str) -> str:
    """SQL: `column` lies between the least and the greatest `id_column` of the rows of
    `source` that match `where` (see order_ids_of_range for why).

    `+ 0`: aggregate what the `where` index finds. A bare min(id) is planned as "walk the
    primary key until a matching row turns up", which reads most of the table when the
    matching rows are the recent ones."""
    return (
        f"{column} BETWEEN (SELECT min({id_column} + 0) FROM {source} WHERE {where})"
        f" AND (SELECT max({id_column} + 0) FROM {source} WHERE {where})"
    )
