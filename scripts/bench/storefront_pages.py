"""Benchmark of the storefront's pages: server time of home, category and product pages with
the catalog cache warm and cold, and the product page's weight (HTML + CSS + JS, no images).

Run by hand (scripts/test does not run it), after the demo county is loaded:

    .venv/bin/python scripts/bench/storefront_pages.py
    .venv/bin/python scripts/bench/storefront_pages.py --requests 50

It serves the backend with gunicorn (DEBUG=0, a throwaway SECRET_KEY) against DATABASE_URL or
the embedded PostgreSQL (.data/postgres, the demo county), and three storefronts with
gunicorn (DEBUG=0, one worker): warm (caches on; each page is requested before measuring),
cold (CATALOG_CACHE_SECONDS=0: every catalog query asks the backend; the rarely changing
reference lists, category tree and village names, stay cached for REFERENCE_CACHE_SECONDS)
and all cold (both 0: every query of the page asks the backend). Each page is requested
--requests times one after the other; the median is the server time as a client on
127.0.0.1 sees it. Targets: warm <= 50 ms, cold <= 150 ms,
product page <= 60 KB.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
from benchserver import serve, start_gunicorn, stop

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
STOREFRONT = ROOT / "storefront"
TARGET_WARM_MS, TARGET_COLD_MS, TARGET_PRODUCT_BYTES = 50.0, 150.0, 60 * 1024

PRODUCT = """
{ products(first: 1, channel: "online", filter: {search: "蜂蜜", inStock: true}) {
    edges { node { id } } } }"""


def prepare_backend_env() -> None:
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


def start_storefront(backend_url: str, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="benchmark-only-storefront-key-" + os.urandom(8).hex(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BACKEND_URL=backend_url,
        LOG_LEVEL="WARNING",
        **extra,
    )
    return serve(
        STOREFRONT,
        env,
        threads=4,
        name="the storefront",
        ready=lambda url: httpx.get(url + "/static/shop/shop.css", timeout=2),
    )


def timed(client: httpx.Client, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        times.append(elapsed)
    return times


def page_weight(client: httpx.Client, url: str) -> tuple[int, int, int]:
    """(HTML bytes, CSS bytes, JS bytes) of a page and the local files it links."""
    html = client.get(url)
    text = html.text
    css = js = 0
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text):
        css += len(client.get(urljoin(url, href)).content)
    for src in re.findall(r'<script src="([^"]+)"', text):
        js += len(client.get(urljoin(url, src)).content)
    inline_js = sum(len(s.encode()) for s in re.findall(r"<script>(.*?)</script>", text, re.S))
    return len(html.content), css, js + inline_js


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per page and mode")
    args = parser.parse_args()

    prepare_backend_env()
    backend, backend_url = start_gunicorn(workers=2)
    warm = cold = all_cold = None
    try:
        data = httpx.post(f"{backend_url}/graphql/", json={"query": PRODUCT}, timeout=30).json()
        edges = data["data"]["products"]["edges"]
        if not edges:
            raise SystemExit("no honey in stock: load the demo county first (scripts/dev)")
        product_pk = base64.b64decode(edges[0]["node"]["id"]).decode().split(":")[1]
        pages = {"home": "/", "category": "/c/honey/", "product": f"/products/{product_pk}/"}

        warm, warm_url = start_storefront(backend_url)
        cold, cold_url = start_storefront(backend_url, CATALOG_CACHE_SECONDS="0")
        all_cold, all_cold_url = start_storefront(
            backend_url, CATALOG_CACHE_SECONDS="0", REFERENCE_CACHE_SECONDS="0"
        )
        results: dict[str, dict[str, float]] = {}
        with httpx.Client(timeout=30) as client:
            for name, path in pages.items():
                timed(client, warm_url + path, 2)  # fill the cache, import everything
                timed(client, cold_url + path, 2)
                timed(client, all_cold_url + path, 2)
                results[name] = {
                    "warm": statistics.median(timed(client, warm_url + path, args.requests)),
                    "cold": statistics.median(timed(client, cold_url + path, args.requests)),
                    "all cold": statistics.median(
                        timed(client, all_cold_url + path, args.requests)
                    ),
                }
            html, css, js = page_weight(client, warm_url + pages["product"])
    finally:
        for process in (warm, cold, all_cold):
            if process is not None:
                stop(process)
        stop(backend)

    print(f"storefront pages, median of {args.requests} sequential requests (DEBUG=0, gunicorn)")
    print(f"{'page':<10} {'warm ms':>9} {'cold ms':>9} {'all cold ms':>12}")
    ok = True
    for name, r in results.items():
        print(f"{name:<10} {r['warm']:>9.1f} {r['cold']:>9.1f} {r['all cold']:>12.1f}")
        ok &= r["warm"] <= TARGET_WARM_MS and r["cold"] <= TARGET_COLD_MS
    total = html + css + js
    print(
        f"product page: HTML {html} B + CSS {css} B + JS {js} B = {total} B "
        f"({total / 1024:.1f} KB, images excluded, before compression)"
    )
    ok &= total <= TARGET_PRODUCT_BYTES
    print(
        f"targets: warm <= {TARGET_WARM_MS:.0f} ms, cold <= {TARGET_COLD_MS:.0f} ms, "
        f"product page <= {TARGET_PRODUCT_BYTES // 1024} KB: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
