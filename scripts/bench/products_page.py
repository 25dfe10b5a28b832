"""Benchmark of the shop's main list: products(first: N, channel: "online") with its relations.

Run by hand (scripts/test does not run it), after the demo county is loaded:

    .venv/bin/python scripts/bench/products_page.py
    .venv/bin/python scripts/bench/products_page.py --url http://127.0.0.1:8000 --duration 15

Without --url it serves the backend itself with gunicorn (DEBUG=0, a throwaway SECRET_KEY)
on a free port of 127.0.0.1 against DATABASE_URL, or the embedded PostgreSQL when that is
unset, and stops it at the end. For each page size it reports the SQL statements one request
makes (the same query run once in-process under CaptureQueriesContext), then the median and
95th-percentile latency and the requests per second of CLIENTS concurrent clients (httpx, one
thread each) over a fixed duration.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from benchserver import start_gunicorn, stop

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"

QUERY = """
query ProductsPage($first: Int!) {
  products(first: $first, channel: "online") {
    edges {
      node {
        id
        name
        category { name }
        producer { name }
        village { name }
        thumbnail(size: 480) { url }
        minPrice(channel: "online") { amount }
        variants {
          sku
          weightG
          prices { channel price { amount } }
        }
      }
    }
  }
}
"""


@dataclass
class Result:
    size: int
    products: int
    sql: int
    response_bytes: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    duration: float = 0.0


def prepare_django() -> None:
    """Settings for this process and the gunicorn it starts: DEBUG off, a real database."""
    sys.path.insert(0, str(BACKEND))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".data" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + os.urandom(16).hex())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        # This process holds the embedded server; gunicorn gets its URL and never starts one.
        from config.embedded_db import embedded_database_url

        os.environ["DATABASE_URL"] = embedded_database_url()
    import django

    django.setup()


def count_queries(size: int) -> tuple[int, int, int]:
    """(SQL statements, products, response bytes) of one request, in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    body = json.dumps({"query": QUERY, "variables": {"first": size}})
    client.post("/graphql/", body, content_type="application/json")  # warm caches first
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", body, content_type="application/json")
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise SystemExit(f"the query failed in-process: {payload.get('errors')}")
    edges = payload["data"]["products"]["edges"]
    return len(captured.captured_queries), len(edges), len(response.content)


def load(url: str, result: Result, *, clients: int, duration: float, warmup: float) -> None:
    body = {"query": QUERY, "variables": {"first": result.size}}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client_loop(measure_until: list[float]) -> None:
        latencies, errors = [], 0
        with httpx.Client(base_url=url, timeout=30) as http:
            warm_until = time.monotonic() + warmup
            while time.monotonic() < warm_until:
                try:
                    http.post("/graphql/", json=body)
                except httpx.HTTPError:
                    time.sleep(0.1)
            start.wait(timeout=60)
            while time.perf_counter() < measure_until[0]:
                began = time.perf_counter()
                try:
                    response = http.post("/graphql/", json=body)
                    elapsed = time.perf_counter() - began  # the answer is in; parsing is ours
                    payload = response.json()
                    edges = payload["data"]["products"]["edges"]
                    ok = response.status_code == 200 and "errors" not in payload
                    ok = ok and len(edges) == result.products
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    ok = False
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors

    measure_until = [float("inf")]  # set once every client is warm
    threads = [
        threading.Thread(target=client_loop, args=(measure_until,), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=warmup + 60)
    began = time.perf_counter()
    measure_until[0] = began + duration
    for thread in threads:
        thread.join()
    result.duration = time.perf_counter() - began


def report(results: list[Result], *, url: str, clients: int, workers: int | None) -> None:
    server = f"gunicorn, {workers} workers" if workers else "given --url"
    print()
    print(
        f'products(first: N, channel: "online") at {url}/graphql/ ({server}; '
        f"{clients} concurrent clients; {os.cpu_count()} CPUs)"
    )
    header = (
        f"{'N':>5} {'products':>9} {'SQL/request':>12} {'KB/response':>12} "
        f"{'median ms':>10} {'p95 ms':>8} {'req/s':>8} {'requests':>9} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ms = sorted(1000 * x for x in r.latencies)
        median = statistics.median(ms) if ms else float("nan")
        p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 2 else float("nan")
        rate = len(ms) / r.duration if r.duration else 0.0
        print(
            f"{r.size:>5} {r.products:>9} {r.sql:>12} {r.response_bytes / 1024:>12.1f} "
            f"{median:>10.1f} {p95:>8.1f} {rate:>8.1f} {len(ms):>9} {r.errors:>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running backend (default: start gunicorn here)")
    parser.add_argument("--sizes", default="10,100", help="page sizes, comma-separated")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per page size")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    prepare_django()
    counts = {size: count_queries(size) for size in sizes}
    if all(products == 0 for _, products, _ in counts.values()):
        print(
            "No published products with an online price: load the demo county first "
            "(.venv/bin/python backend/manage.py load_demo).",
            file=sys.stderr,
        )
        return 1

    process = None
    url = (args.url or "").rstrip("/")
    try:
        if not url:
            process, url = start_gunicorn(args.workers)
        results = []
        for size in sizes:
            sql, products, size_bytes = counts[size]
            result = Result(size=size, products=products, sql=sql, response_bytes=size_bytes)
            print(f"measuring N={size} for {args.duration:g} s ...", flush=True)
            load(url, result, clients=args.clients, duration=args.duration, warmup=args.warmup)
            results.append(result)
    finally:
        if process is not None:
            stop(process)
    report(results, url=url, clients=args.clients, workers=None if args.url else args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
