"""Benchmark of the online order flow (issue 4), from an empty checkout to a paid order.

Run by hand (scripts/test does not run it), after the demo county is loaded once
(`.venv/bin/python backend/manage.py load_demo`):

    .venv/bin/python scripts/bench/checkout_flow.py
    .venv/bin/python scripts/bench/checkout_flow.py --iterations 200 --duration 15 --clients 8

The database: the flow places real orders, so it never runs against the demo database
itself. It drops and recreates `alliance_bench_flow` on the same PostgreSQL server
(DATABASE_URL's, or the embedded one) as a copy of `alliance` (CREATE DATABASE ... TEMPLATE
alliance), then migrates it. When the demo database has other connections (scripts/dev
running) PostgreSQL refuses the copy, and the script builds the bench database instead
with migrate + load_demo --no-photos. The bench database is left behind for inspection and
dropped by the next run; the demo data is never touched.

The servers: the local Stripe server of the test suite (tests/stripe_server) in this process,
and gunicorn (DEBUG=0, DEMO_MODE=0, a throwaway SECRET_KEY) on a free port with
STRIPE_SECRET_KEY / STRIPE_API_BASE / STRIPE_WEBHOOK_SECRET pointing at that Stripe server.

One flow, over HTTP, as a signed-in consumer (anonymous buyers cannot read orders back):
checkoutCreate (e-mail + one line) -> checkoutLinesAdd (a second variant) ->
checkoutShippingAddressUpdate (陕西省 延安市 甘泉县) -> checkoutDeliveryMethodUpdate DELIVERY ->
checkoutComplete -> orderPaymentCreate STRIPE (our backend creates the PaymentIntent on the
Stripe server) -> the Stripe server marks it succeeded -> a signed payment_intent.succeeded
event is POSTed to /webhooks/stripe/ -> order(id) must read UNFULFILLED / FULLY_CHARGED.
The issue lists "payment intent, signed webhook, complete"; our API creates the
PaymentIntent for the order that checkoutComplete placed, so this measures them in our order.
The Stripe side (succeeding the intent, signing the event) runs in this process and is
part of the flow's time, as Stripe's own latency would be.

Variants: the most available unit-sold variants online (quantity 1 each, spread round-robin),
so a long run does not sell out. Reported: flow median / p95 and per step (1 client),
checkoutComplete's SQL statements (one flow in-process under CaptureQueriesContext, through
httpx's WSGI transport), completed paid orders/s of CLIENTS concurrent clients over a fixed
duration, errors, and an oversell check of the whole database at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from benchserver import start_gunicorn, stop

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
BENCH_DB = "alliance_bench_flow"
DEMO_DB = "alliance"
WEBHOOK_SECRET = "whsec_bench_checkout_flow"
RETURN_URL = "https://shop.example.com/orders/return/"
ADDRESS = {
    "province": "陕西省",
    "city": "延安市",
    "district": "甘泉县",
    "street": "美水街道 府前路 12 号",
    "recipient": "王小明",
    "phone": "13800138000",
}
TARGETS = {"flow_ms": 100, "complete_ms": 40, "complete_sql": 30, "orders_per_s": 50}
STEPS = [
    "checkoutCreate",
    "checkoutLinesAdd",
    "checkoutShippingAddressUpdate",
    "checkoutDeliveryMethodUpdate",
    "checkoutComplete",
    "orderPaymentCreate",
    "stripe succeed + sign",
    "webhook",
    "order query",
]

ERRORS = "errors { code message }"
CREATE = f"""
mutation($input: CheckoutCreateInput!) {{
  checkoutCreate(input: $input) {{ checkout {{ token }} {ERRORS} }}
}}"""
LINES_ADD = f"""
mutation($token: UUID!, $lines: [CheckoutLineInput!]!) {{
  checkoutLinesAdd(token: $token, lines: $lines) {{ checkout {{ token }} {ERRORS} }}
}}"""
ADDRESS_UPDATE = f"""
mutation($token: UUID!, $address: ShippingAddressInput!) {{
  checkoutShippingAddressUpdate(token: $token, address: $address) {{
    checkout {{ token }} {ERRORS}
  }}
}}"""
DELIVERY_UPDATE = f"""
mutation($token: UUID!) {{
  checkoutDeliveryMethodUpdate(token: $token, method: DELIVERY) {{
    checkout {{ isValid total {{ amount }} }} {ERRORS}
  }}
}}"""
COMPLETE = f"""
mutation($token: UUID!) {{
  checkoutComplete(token: $token) {{
    order {{ id number status paymentStatus total {{ amount }} }} {ERRORS}
  }}
}}"""
PAYMENT_CREATE = f"""
mutation($order: ID!, $returnUrl: String) {{
  orderPaymentCreate(order: $order, gateway: STRIPE, returnUrl: $returnUrl) {{
    payment {{ id status }} clientSecret {ERRORS}
  }}
}}"""
ORDER = """
query($id: ID!) { order(id: $id) { number status paymentStatus } }
"""


class FlowError(Exception):
    pass


# --- setup -----------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def prepare_database() -> tuple[str, str]:
    """(bench DATABASE_URL, how it was made). Runs before Django is set up."""
    import psycopg
    from psycopg import errors

    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.path.insert(0, str(BACKEND))
        from config.embedded_db import embedded_database_url

        base = embedded_database_url()
    admin = with_database(base, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        try:
            conn.execute(f"CREATE DATABASE {BENCH_DB} TEMPLATE {DEMO_DB}")
            how = f"a copy of `{DEMO_DB}` (CREATE DATABASE {BENCH_DB} TEMPLATE {DEMO_DB})"
        except errors.ObjectInUse:
            conn.execute(
                f"CREATE DATABASE {BENCH_DB} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
            how = f"migrate + load_demo --no-photos into `{BENCH_DB}` (`{DEMO_DB}` was in use)"
    return with_database(base, BENCH_DB), how


def prepare_django(database_url: str, stripe_url: str, stripe_key: str) -> None:
    """Settings for this process and the gunicorn it starts."""
    if str(BACKEND) not in sys.path:
        sys.path.insert(0, str(BACKEND))
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="0",
        DEMO_MODE="0",
        STRIPE_SECRET_KEY=stripe_key,
        STRIPE_PUBLISHABLE_KEY="pk_test_bench_checkout_flow",
        STRIPE_API_BASE=stripe_url,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        # the order confirmation is still rendered and sent, into memory, not onto the console
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + os.urandom(16).hex())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def migrate_and_load(how: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the demo copy may predate the newest apps
    if "load_demo" in how:
        print("building the bench database (load_demo --no-photos) ...", flush=True)
        call_command("load_demo", photos=False, thumbnails=False, no_progress=True)


def pick_variants(count: int) -> list[tuple[str, int]]:
    """(global ID, units available online) of the `count` most available unit variants."""
    from graphql_relay import to_global_id

    from alliance.catalog.models import ProductVariant
    from alliance.inventory.allocation import quantity_available

    ids = list(
        ProductVariant.objects.filter(
            sold_by=ProductVariant.SoldBy.UNIT,
            product__status="published",
            prices__channel__slug="online",
        ).values_list("pk", flat=True)
    )
    available = quantity_available(ids, "online")
    best = sorted(available.items(), key=lambda item: -item[1])[:count]
    return [(to_global_id("ProductVariant", pk), units) for pk, units in best if units > 0]


def bench_user_token() -> str:
    from alliance.accounts.jwt import create_access_token
    from alliance.accounts.models import User

    user = User.objects.filter(email="bench-buyer@example.org").first()
    if user is None:
        user = User.objects.create_user("bench-buyer@example.org", password=None)
    return create_access_token(user)


# --- one flow --------------------------------------------------------------------------------


def gql(http: httpx.Client, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
    response = http.post("/graphql/", json={"query": query, "variables": variables})
    try:
        payload = response.json()
    except ValueError:
        raise FlowError(f"{field}: HTTP {response.status_code}") from None
    if payload.get("errors"):
        raise FlowError(f"{field}: {payload['errors'][0].get('message')}")
    data = payload["data"][field]
    if data is None:
        raise FlowError(f"{field}: null")
    if data.get("errors"):
        raise FlowError(f"{field}: {data['errors']}")
    return data


def run_flow(
    http: httpx.Client,
    stripe: Any,
    variants: tuple[str, str],
    *,
    around_complete: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> dict[str, float]:
    """One checkout to a paid order; seconds per step. Raises FlowError on any failure."""
    from tests.stripe_server import event_body, sign

    times: dict[str, float] = {}
    clock = time.perf_counter

    def step(name: str) -> None:
        times[name] = clock() - step.began  # type: ignore[attr-defined]
        step.began = clock()  # type: ignore[attr-defined]

    step.began = clock()  # type: ignore[attr-defined]
    first, second = variants
    token = gql(
        http,
        CREATE,
        {
            "input": {
                "email": "bench-buyer@example.org",
                "lines": [{"variant": first, "quantity": 1}],
            }
        },
        "checkoutCreate",
    )["checkout"]["token"]
    step("checkoutCreate")
    gql(
        http,
        LINES_ADD,
        {"token": token, "lines": [{"variant": second, "quantity": 1}]},
        "checkoutLinesAdd",
    )
    step("checkoutLinesAdd")
    gql(
        http,
        ADDRESS_UPDATE,
        {"token": token, "address": ADDRESS},
        "checkoutShippingAddressUpdate",
    )
    step("checkoutShippingAddressUpdate")
    checkout = gql(http, DELIVERY_UPDATE, {"token": token}, "checkoutDeliveryMethodUpdate")
    if not checkout["checkout"]["isValid"]:
        raise FlowError("checkout not valid before completing")
    step("checkoutDeliveryMethodUpdate")
    with around_complete():
        order = gql(http, COMPLETE, {"token": token}, "checkoutComplete")["order"]
    step("checkoutComplete")
    if (order["status"], order["paymentStatus"]) != ("UNCONFIRMED", "NOT_CHARGED"):
        raise FlowError(f"placed order is {order['status']} / {order['paymentStatus']}")
    payment = gql(
        http, PAYMENT_CREATE, {"order": order["id"], "returnUrl": RETURN_URL}, "orderPaymentCreate"
    )
    step("orderPaymentCreate")
    pi_id = (payment.get("clientSecret") or "").split("_secret_")[0]
    if not pi_id.startswith("pi_"):
        raise FlowError(f"no PaymentIntent in the client secret: {payment}")
    intent = json.loads(json.dumps(stripe.succeed_payment_intent(pi_id)))
    body = event_body("payment_intent.succeeded", intent)
    signature = sign(body, WEBHOOK_SECRET)
    step("stripe succeed + sign")
    response = http.post(
        "/webhooks/stripe/",
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    if response.status_code != 200 or response.json().get("outcome") != "applied":
        raise FlowError(f"webhook: HTTP {response.status_code} {response.text[:200]}")
    step("webhook")
    response = http.post("/graphql/", json={"query": ORDER, "variables": {"id": order["id"]}})
    paid = (response.json().get("data") or {}).get("order") or {}
    step("order query")
    if (paid.get("status"), paid.get("paymentStatus")) != ("UNFULFILLED", "FULLY_CHARGED"):
        raise FlowError(f"order after the webhook: {paid}")
    return times


def variant_pairs(variants: list[str], offset: int = 0) -> Iterator[tuple[str, str]]:
    n = len(variants)
    for i in itertools.count(offset):
        yield variants[i % n], variants[(i + n // 2 + 1) % n]


def client(base_url: str, token: str, **kwargs: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30, **kwargs)


def count_complete_sql(stripe: Any, token: str, pair: tuple[str, str]) -> tuple[int, int]:
    """checkoutComplete's SQL statements (all; without BEGIN/COMMIT/SAVEPOINT/RELEASE), the
    whole request with its JWT user lookup: one flow in-process (WSGI transport)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[dict[str, str]] = []

    @contextlib.contextmanager
    def capture() -> Iterator[None]:
        with CaptureQueriesContext(connection) as captured:
            yield
        # read now: the next request's request_started empties the log
        statements.extend(captured.captured_queries)

    transport = httpx.WSGITransport(app=get_wsgi_application())
    with client("http://127.0.0.1", token, transport=transport) as http:
        run_flow(http, stripe, pair)  # warm caches first
        run_flow(http, stripe, pair, around_complete=capture)
    if os.environ.get("BENCH_SHOW_SQL"):
        for statement in statements:
            print("  SQL:", statement["sql"][:160])
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    data = [q for q in statements if not q["sql"].startswith(control)]
    return len(statements), len(data)


# --- measurements ----------------------------------------------------------------------------


def sequential(url: str, stripe: Any, token: str, pairs: Iterator, iterations: int):
    steps: dict[str, list[float]] = defaultdict(list)
    flows: list[float] = []
    errors: list[str] = []
    with client(url, token) as http:
        for _ in range(3):  # warm-up
            with contextlib.suppress(FlowError):
                run_flow(http, stripe, next(pairs))
        for _ in range(iterations):
            try:
                times = run_flow(http, stripe, next(pairs))
            except (FlowError, httpx.HTTPError) as exc:
                errors.append(str(exc))
                continue
            flows.append(sum(times.values()))
            for name, seconds in times.items():
                steps[name].append(seconds)
    return flows, steps, errors


def concurrent(url: str, stripe: Any, token: str, variants: list[str], clients: int, duration):
    lock = threading.Lock()
    done: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    until = [float("inf")]

    def loop(index: int) -> None:
        pairs = variant_pairs(variants, offset=index * 7)
        mine, failed = [], []
        with client(url, token) as http:
            barrier.wait(timeout=60)
            while time.perf_counter() < until[0]:
                began = time.perf_counter()
                try:
                    run_flow(http, stripe, next(pairs))
                    mine.append(time.perf_counter() - began)
                except (FlowError, httpx.HTTPError) as exc:
                    failed.append(str(exc))
        with lock:
            done.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    began = time.perf_counter()
    until[0] = began + duration
    for thread in threads:
        thread.join()
    return done, errors, time.perf_counter() - began


def oversell_check() -> dict[str, Any]:
    from django.db.models import F, Q, Sum

    from alliance.inventory.ledger import ledger_mismatches
    from alliance.inventory.models import Allocation, Stock
    from alliance.orders.models import Order, OrderLine

    bad_rows = Stock.objects.filter(Q(quantity__lt=0) | Q(allocated__gt=F("quantity"))).count()
    by_stock = dict(
        Allocation.objects.order_by()
        .values("stock")
        .annotate(t=Sum("quantity"))
        .values_list("stock", "t")
    )
    allocated = dict(Stock.objects.filter(allocated__gt=0).values_list("pk", "allocated"))
    stock_vs_allocations = sum(
        1 for pk in set(by_stock) | set(allocated) if by_stock.get(pk, 0) != allocated.get(pk, 0)
    )
    bench_orders = Order.objects.filter(email="bench-buyer@example.org")
    lines = OrderLine.objects.filter(order__in=bench_orders)
    reserved = dict(
        Allocation.objects.filter(reference__startswith="order-line:")
        .order_by()
        .values("reference")
        .annotate(t=Sum("quantity"))
        .values_list("reference", "t")
    )
    line_mismatches = sum(
        1 for line in lines if reserved.get(line.allocation_reference, 0) != line.quantity
    )
    return {
        "bench orders": bench_orders.count(),
        "paid (FULLY_CHARGED)": bench_orders.filter(payment_status="fully_charged").count(),
        "stock rows quantity<0 or allocated>quantity": bad_rows,
        "stocks whose allocated != sum of allocations": stock_vs_allocations,
        "order lines whose allocations != quantity": line_mismatches,
        "ledger_mismatches()": len(ledger_mismatches()),
    }


# --- report ----------------------------------------------------------------------------------


def ms(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    xs = sorted(1000 * v for v in values)
    p95 = statistics.quantiles(xs, n=20)[-1] if len(xs) >= 2 else xs[0]
    return statistics.median(xs), p95


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=100, help="sequential flows")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of the load run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--variants", type=int, default=60, help="variants to spread over")
    args = parser.parse_args(argv)

    os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".data" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))  # tests.stripe_server
    from tests.stripe_server import StripeServer

    database_url, how = prepare_database()
    stripe = StripeServer().start()
    process = None
    try:
        prepare_django(database_url, stripe.url, stripe.api_key)
        migrate_and_load(how)
        picked = pick_variants(args.variants)
        if len(picked) < 2:
            print("No stocked variants: load the demo county first.", file=sys.stderr)
            return 1
        variants = [gid for gid, _ in picked]
        token = bench_user_token()
        sql, sql_data = count_complete_sql(stripe, token, (variants[0], variants[1]))
        from django.db import connections

        connections.close_all()  # the load run must not share this process's connection

        process, url = start_gunicorn(args.workers)
        print(f"1 client, {args.iterations} flows ...", flush=True)
        flows, steps, seq_errors = sequential(
            url, stripe, token, variant_pairs(variants), args.iterations
        )
        print(f"{args.clients} clients for {args.duration:g} s ...", flush=True)
        done, load_errors, wall = concurrent(
            url, stripe, token, variants, args.clients, args.duration
        )
    finally:
        if process is not None:
            stop(process)
        stripe.stop()
    checks = oversell_check()

    flow_median, flow_p95 = ms(flows)
    complete_median, _ = ms(steps["checkoutComplete"])
    rate = len(done) / wall if wall else 0.0
    load_median, load_p95 = ms(done)
    counts = ("bench orders", "paid (FULLY_CHARGED)")
    oversold = any(value for label, value in checks.items() if label not in counts)
    print()
    print(
        f"online flow at {url} (gunicorn, {args.workers} workers, DEBUG=0; local Stripe "
        f"server; {os.cpu_count()} CPUs; {len(variants)} variants, top availability "
        f"{picked[0][1]} units)"
    )
    print(f"database: {how}")
    print()
    print(f"{'step (1 client)':<32} {'median ms':>10} {'p95 ms':>8}")
    print("-" * 52)
    for name in STEPS:
        median, p95 = ms(steps[name])
        print(f"{name:<32} {median:>10.1f} {p95:>8.1f}")
    print("-" * 52)
    print(f"{'whole flow':<32} {flow_median:>10.1f} {flow_p95:>8.1f}")
    print()
    header = f"{'figure':<44} {'measured':>10} {'target':>10}  verdict"
    print(header)
    print("-" * len(header))
    rows = [
        ("flow median ms (1 client)", flow_median, f"<= {TARGETS['flow_ms']}",
         flow_median <= TARGETS["flow_ms"]),
        ("checkoutComplete median ms (1 client)", complete_median,
         f"<= {TARGETS['complete_ms']}", complete_median <= TARGETS["complete_ms"]),
        ("checkoutComplete SQL statements (request)", sql, f"<= {TARGETS['complete_sql']}",
         sql <= TARGETS["complete_sql"]),
        (f"paid orders/s ({args.clients} clients, {wall:.1f} s)", rate,
         f">= {TARGETS['orders_per_s']}", rate >= TARGETS["orders_per_s"]),
        ("oversell / inconsistencies", int(oversold), "0", not oversold),
    ]  # fmt: skip
    for label, value, target, ok in rows:
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"{label:<44} {shown:>10} {target:>10}  {verdict(ok)}")
    print()
    print(
        f"1 client: {len(flows)} flows, {len(seq_errors)} errors; "
        f"{args.clients} clients: {len(done)} paid orders, {len(load_errors)} errors, "
        f"flow median {load_median:.1f} ms, p95 {load_p95:.1f} ms"
    )
    print(f"checkoutComplete SQL without BEGIN/COMMIT/SAVEPOINT/RELEASE: {sql_data}")
    for error in (seq_errors + load_errors)[:5]:
        print(f"  error: {error}")
    print("checks at the end (whole bench database):")
    for label, value in checks.items():
        print(f"  {label:<48} {value}")
    return 0 if not (seq_errors or load_errors or oversold) else 2


if __name__ == "__main__":
    sys.exit(main())
