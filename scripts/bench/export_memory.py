#!/usr/bin/env python
"""Memory and time of a statements export (alliance.reports.exports) at 100,000 and 1,000,000
statement lines.

    .venv/bin/python scripts/bench/export_memory.py                        # 100k and 1M, XLSX
    .venv/bin/python scripts/bench/export_memory.py --lines 20000,200000 --format csv
    .venv/bin/python scripts/bench/export_memory.py --keep                 # keep the database

The database: `alliance_bench_export` on the same PostgreSQL server as the app (DATABASE_URL's,
or the embedded one), dropped and created anew (template0, C.UTF-8), then migrated. It gets
a bench staff account, one real counter sale (through the services, as the tests make it) and,
for each size N, a settlement period (2025-01, 2025-02, ...) with VILLAGES draft statements
holding N statement lines between them: each line its own order and order line, copied from
the real one by SQL (INSERT ... SELECT generate_series; tests/backend/exports/builders.py's
bulk_lines), commission at 7.25 %, statement totals the sums of their lines. Then VACUUM
ANALYZE.

Each export runs in a child process (so that its peak RSS is its own): Django set up, RSS
read (VmRSS), then export_create as the staff account, whose in-process Celery task (no
REDIS_URL) runs the export on commit: one REPEATABLE READ snapshot, lines streamed from a
server-side cursor, XLSX written by openpyxl in write-only mode, progress committed every
EXPORT_PROGRESS_EVERY_ROWS rows through a second connection. Reported: rows, seconds, the
child's RSS before the export and its peak (VmHWM), the file's size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
BENCH_DB = "alliance_bench_export"
STAFF_EMAIL = "bench-export@example.com"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def server_url() -> str:
    base = os.environ.get("DATABASE_URL")
    if base:
        return base
    sys.path.insert(0, str(BACKEND))
    from config.embedded_db import embedded_database_url

    return embedded_database_url()


def setup_django(database_url: str) -> None:
    for path in (str(BACKEND), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.update(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings.base", DEBUG="0"
    )
    os.environ.pop("REDIS_URL", None)  # the zero-setup default: the task runs in-process
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + os.urandom(16).hex())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / ".data" / "bench-media"))
    import django

    django.setup()


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def rss_now() -> int:
    """Resident set size of this process now, in bytes."""
    return _status("VmRSS")


def rss_peak() -> int:
    """Peak RSS of this process, in bytes: VmHWM. (ru_maxrss is no good in a child started
    by fork + exec: Linux carries the parent's high-water mark across exec into it.)"""
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def prepare(sizes: list[int], villages: int) -> str:
    import psycopg

    base = server_url()
    with psycopg.connect(with_database(base, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(
            f"CREATE DATABASE {BENCH_DB} TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    url = with_database(base, BENCH_DB)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from alliance.accounts.models import Role
    from alliance.settlement.models import StatementLine
    from alliance.settlement.periods import period_for_code
    from tests.backend.exports.builders import bulk_lines, small_period, statement_for
    from tests.backend.factories.accounts import UserFactory
    from tests.backend.factories.villages import VillageFactory

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    UserFactory(email=STAFF_EMAIL, role=Role.STAFF)
    template = StatementLine.objects.filter(statement__in=small_period("2024-12").statements)
    template_line = template.first().order_line
    for index, size in enumerate(sizes, 1):
        started = time.perf_counter()
        period = period_for_code(f"2025-{index:02d}")
        for number in range(villages):
            count = size // villages + (1 if number < size % villages else 0)
            statement = statement_for(period, VillageFactory())
            bulk_lines(statement, template_line, count, f"B{index}V{number}")
        print(
            f"{period.code}: {size:,} statement lines built in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return url


def child(url: str, period: str, format: str) -> None:
    setup_django(url)
    from django.conf import settings

    from alliance.accounts.models import User
    from alliance.reports.exports import export_create
    from alliance.reports.models import ExportJob

    before = rss_now()
    staff = User.objects.get(email=STAFF_EMAIL)
    started = time.perf_counter()
    job = export_create(actor=staff, kind="statements", format=format, params={"period": period})
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    peak = rss_peak()
    result = {
        "period": period,
        "status": job.status,
        "error": job.error,
        "rows": job.progress_done,
        "seconds": round(seconds, 1),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_peak_mib": round(peak / 2**20, 1),
        "file_mib": round(job.file.size / 2**20, 1) if job.file else None,
        "progress_every": settings.EXPORT_PROGRESS_EVERY_ROWS,
    }
    if job.status == ExportJob.Status.DONE:
        job.file.delete(save=False)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", default="100000,1000000", help="sizes, comma-separated")
    parser.add_argument("--villages", type=int, default=20, help="statements per period")
    parser.add_argument("--format", default="xlsx", choices=["xlsx", "csv"])
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PERIOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.format)
        return
    sizes = [int(size) for size in args.lines.split(",")]
    url = prepare(sizes, args.villages)
    results = []
    try:
        for index, size in enumerate(sizes, 1):
            period = f"2025-{index:02d}"
            output = subprocess.run(
                [sys.executable, __file__, "--format", args.format, "--child", url, period],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            result["lines"] = size
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(with_database(server_url(), "postgres"), autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    print(f"\n{'lines':>10} {'rows':>10} {'seconds':>8} {'RSS before':>11} {'RSS peak':>9} file")
    for r in results:
        print(
            f"{r['lines']:>10,} {r['rows']:>10,} {r['seconds']:>8} {r['rss_before_mib']:>8} MiB "
            f"{r['rss_peak_mib']:>5} MiB {r['file_mib']} MiB ({r['status']})"
        )


if __name__ == "__main__":
    main()
