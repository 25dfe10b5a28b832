#!/usr/bin/env python
"""Chinese product search at scale: recall and latency of the PostgreSQL backend.

Builds (once) a separate database `alliance_bench_search` with N generated products
(default 100,000) on the same server as the app (embedded unless DATABASE_URL is set),
then runs each query through the real selector (`product_list`) and compares the result
with a plain `name LIKE '%q%'` scan. Prints recall, median and p95 per query.

    .venv/bin/python scripts/bench/search.py [--products 100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "backend"))
os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".data" / "run"))

QUERIES = [
    "菇",
    "蜜",
    "果",
    "米",
    "蜂蜜",
    "土蜂蜜",
    "香菇",
    "鲍菇",
    "木耳",
    "小米",
    "红枣",
    "苹果",
    "洋芋",
    "野生",
    "有机小米",
]
PARTS = {
    "prefix": [
        "甘泉",
        "下寺湾",
        "道镇",
        "石门",
        "桥镇",
        "劳山",
        "美水",
        "野生",
        "有机",
        "山地",
        "高山",
        "农家",
        "精选",
        "特级",
        "新鲜",
    ],
    "core": [
        "土蜂蜜",
        "槐花蜜",
        "百花蜜",
        "小米",
        "黄小米",
        "荞麦",
        "红小豆",
        "绿豆",
        "苹果",
        "酥梨",
        "红枣",
        "香菇",
        "黑木耳",
        "杏鲍菇",
        "平菇",
        "洋芋",
        "辣椒",
        "南瓜",
        "玉米糁",
        "核桃",
        "山杏",
        "黄花菜",
        "豆角",
        "西红柿",
    ],
    "suffix": ["", "礼盒", "散装", "家庭装", "精品", "袋装", "罐装", "2.5kg", "500g"],
}


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def bench_database_url() -> str:
    import psycopg

    from config.embedded_db import embedded_database_url

    base = os.environ.get("DATABASE_URL") or embedded_database_url()
    name = "alliance_bench_search"
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def build(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from alliance.catalog.models import Category, Product
    from alliance.search.tokens import document_lexemes
    from alliance.villages.models import Producer, Town, Village

    call_command("migrate", verbosity=0)
    if Product.objects.count() >= n:
        return
    Product.objects.all().delete()
    town, _ = Town.objects.get_or_create(code="610627900", defaults={"name": "基准镇"})
    village, _ = Village.objects.get_or_create(
        code="610627900001", defaults={"name": "基准村", "town": town}
    )
    producer, _ = Producer.objects.get_or_create(
        village=village, name="基准合作社", defaults={"kind": "cooperative"}
    )
    category = Category.objects.get(slug="honey")
    rng = random.Random(7)
    now = timezone.now()
    batch = []
    for i in range(n):
        name = (
            rng.choice(PARTS["prefix"])
            + rng.choice(PARTS["core"])
            + rng.choice(PARTS["suffix"])
            + f"{i % 97}"
        )
        batch.append(
            Product(
                producer=producer,
                category=category,
                name=name,
                status="published",
                published_at=now,
            )
        )
        if len(batch) == 5000:
            Product.objects.bulk_create(batch)
            batch = []
    Product.objects.bulk_create(batch)
    print(f"indexing {n} names ...", file=sys.stderr)
    rows = list(Product.objects.values_list("pk", "name"))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            cursor.executemany(
                "UPDATE catalog_product SET search_vector = array_to_tsvector(%s::text[]) "
                "WHERE id = %s",
                [(document_lexemes(name), pk) for pk, name in chunk],
            )
        cursor.execute("ANALYZE catalog_product")


def run(repeat: int) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from alliance.catalog.models import Product
    from alliance.catalog.selectors import ProductFilter, product_list

    total = Product.objects.count()
    print(f"{total} products; {repeat} runs per query (first 100 results, like the API page)")
    print(f"{'query':<10}{'matches':>9}{'recall':>8}{'median ms':>11}{'p95 ms':>9}")
    for q in QUERIES:
        expected = set(Product.objects.filter(name__contains=q).values_list("pk", flat=True))
        qs = product_list(user=AnonymousUser(), channel=None, filters=ProductFilter(search=q))
        found = set(qs.values_list("pk", flat=True))
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            list(qs.all()[:100])
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        recall = len(found & expected) / len(expected) if expected else 1.0
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"{q:<10}{len(expected):>9}{recall:>8.3f}{statistics.median(timings):>11.2f}{p95:>9.2f}"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('product_search_gin'))")
        print("GIN index size:", cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    sys_path_backend = str(ROOT / "backend")
    if sys_path_backend not in sys.path:
        sys.path.insert(0, sys_path_backend)
    setup_django(bench_database_url())
    build(args.products)
    run(args.repeat)


if __name__ == "__main__":
    main()
