#!/usr/bin/env python
"""Backend time of the console's reconciliation dashboard (storefront/console/queries/
dashboard.graphql), the part that decides the page's server time.

    .venv/bin/python scripts/bench/dashboard.py                               # dev DB (demo county)
    .venv/bin/python scripts/bench/dashboard.py --db alliance_bench_settlement  # 1,000,000 lines

It executes the very query the console sends, in-process through the GraphQL schema, as a
staff account of that database, once cold then --runs more times (median), with allianceTotals'
cache cleared before every run (so each run does all its SQL), and prints the SQL count.
The page adds its rendering (20-35 ms measured through the Server-Timing header).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERY = ROOT / "storefront" / "console" / "queries" / "dashboard.graphql"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", help="database name on the same server (default: the dev DB)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="all", help="the dashboard's period (page default)")
    parser.add_argument("--month", help="the reconciliation month (default: this month)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "backend"))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".data" / "run"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("STRIPE_SECRET_KEY", None)  # Stripe's part is a network call: left out
    if args.db:
        from urllib.parse import urlsplit, urlunsplit

        from config.embedded_db import embedded_database_url

        base = os.environ.get("DATABASE_URL") or embedded_database_url()
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(base)._replace(path=f"/{args.db}"))

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from alliance.accounts.models import User
    from alliance.graphql.schema import schema

    staff = User.objects.filter(role="staff", is_active=True).order_by("pk").first()
    if staff is None:
        print("no staff account in this database", file=sys.stderr)
        return 1
    month = args.month or timezone.localdate().strftime("%Y-%m")
    query = QUERY.read_text(encoding="utf-8")
    variables = {"period": args.period, "month": month}

    counted: list[str] = []

    def count(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    def run() -> tuple[float, int]:
        cache.clear()
        counted.clear()
        request = RequestFactory().post("/graphql/")
        request.user = staff
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            result = schema.execute(query, variable_values=variables, context_value=request)
        elapsed = time.perf_counter() - started
        if result.errors:
            raise RuntimeError(result.errors[0])
        return elapsed, len(counted)

    first, sql = run()
    times = [run()[0] for _ in range(args.runs)]
    load = os.getloadavg()[0]
    print(f"database {connection.settings_dict['NAME']}, period {args.period}, month {month}")
    print(
        f"dashboard query: first {first:.2f} s, median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}) over {args.runs} runs; "
        f"{sql} SQL statements; load average {load:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
