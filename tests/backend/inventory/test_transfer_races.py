"""Transfers under concurrency, with real concurrent PostgreSQL connections (one per thread):
dispatches never take more than is available and never deadlock with orders; a transfer is
received exactly once however many clerks press the button. Run with -s to see the figures."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from alliance.core.errors import DomainError
from alliance.inventory.allocation import AllocationRequest, stock_allocate
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Stock, StockMovement, Transfer
from alliance.inventory.transfers import transfer_dispatch, transfer_receive
from tests.backend.factories.accounts import staff
from tests.backend.factories.catalog import VariantFactory
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse

# Threads need committed data; serialized_rollback restores the reference data (channels,
# the base) that the flush at the end of a transactional test drops.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(threads: int, jobs: list[Callable[[], None]]) -> tuple[Counter[str], float]:
    """Run `jobs` round-robin over `threads` threads that start together; count outcomes by
    error code ("ok", a DomainError code, "deadlock" or "error: ...")."""
    outcomes: Counter[str] = Counter()
    guard = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(mine: list[Callable[[], None]]) -> None:
        try:
            barrier.wait()
            for job in mine:
                try:
                    job()
                    outcome = "ok"
                except DomainError as exc:
                    codes = [e.code for e in getattr(exc, "errors", [exc])]
                    outcome = codes[0]
                except OperationalError as exc:
                    outcome = "deadlock" if "deadlock" in str(exc) else f"error: {exc!r}"
                except Exception as exc:
                    outcome = f"error: {exc!r}"
                with guard:
                    outcomes[outcome] += 1
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(jobs[i::threads],)) for i in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return outcomes, time.perf_counter() - started


def test_concurrent_dispatches_take_exactly_what_is_there():
    variant = VariantFactory(weight_g=500)
    warehouse = village_warehouse(variant.product.producer.village)
    stock = stock_in(warehouse, lot(variant, "RACE"), 40)
    clerk = staff()

    def job() -> None:
        transfer_dispatch(actor=clerk, source=warehouse, lines=[(stock.pk, 3)])

    outcomes, seconds = race(10, [job] * 30)
    print(f"\n30 dispatches of 3 from 40 in 10 threads: {dict(outcomes)} in {seconds:.2f}s")

    assert outcomes == Counter({"ok": 13, "INSUFFICIENT_STOCK": 17})
    stock.refresh_from_db()
    assert stock.quantity == 1
    codes = list(Transfer.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 13
    assert ledger_mismatches() == []


def test_opposite_line_orders_and_orders_never_deadlock():
    variant_a, variant_b = VariantFactory(weight_g=500), VariantFactory(weight_g=500)
    village = variant_a.product.producer.village
    variant_b.product.producer.village = village
    variant_b.product.producer.save()
    warehouse = village_warehouse(village)
    a = stock_in(warehouse, lot(variant_a, "A"), 1_000)
    b = stock_in(warehouse, lot(variant_b, "B"), 1_000)
    clerk = staff()

    def dispatch(first: Stock, second: Stock) -> Callable[[], None]:
        return lambda: transfer_dispatch(
            actor=clerk, source=warehouse, lines=[(first.pk, 2), (second.pk, 2)]
        )

    def order(i: int, first: int, second: int) -> Callable[[], None]:
        return lambda: stock_allocate(
            lines=[
                AllocationRequest(variant_id=first, quantity=1, reference=f"order-line:{i}a"),
                AllocationRequest(variant_id=second, quantity=1, reference=f"order-line:{i}b"),
            ],
            channel_slug="online",
        )

    jobs: list[Callable[[], None]] = []
    for i in range(50):
        jobs.append(dispatch(a, b) if i % 2 else dispatch(b, a))
        pair = (variant_a.pk, variant_b.pk) if i % 2 else (variant_b.pk, variant_a.pk)
        jobs.append(order(i, *pair))

    outcomes, seconds = race(10, jobs)
    print(f"\n50 two-line dispatches + 50 two-line orders: {dict(outcomes)} in {seconds:.2f}s")

    assert outcomes == Counter({"ok": 100})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.quantity, a.allocated, b.quantity, b.allocated) == (900, 50, 900, 50)
    assert ledger_mismatches() == []


def test_a_transfer_is_received_exactly_once():
    variant = VariantFactory(weight_g=500)
    warehouse = village_warehouse(variant.product.producer.village)
    stock = stock_in(warehouse, lot(variant, "ONCE"), 10)
    clerk = staff()
    transfer = transfer_dispatch(actor=clerk, source=warehouse, lines=[(stock.pk, 10)])
    line = transfer.lines.get()

    def job() -> None:
        transfer_receive(actor=clerk, transfer_id=transfer.pk, received=[(line.pk, 9, "压坏")])

    outcomes, seconds = race(8, [job] * 8)
    print(f"\n8 clerks receive one transfer: {dict(outcomes)} in {seconds:.2f}s")

    assert outcomes == Counter({"ok": 1, "TRANSFER_NOT_IN_TRANSIT": 7})
    at_base = StockMovement.objects.filter(warehouse=the_base(), transfer=transfer)
    assert sorted(at_base.values_list("kind", "quantity")) == [("loss", -1), ("transfer_in", 10)]
    assert Stock.objects.filter(warehouse=the_base()).aggregate(q=Sum("quantity"))["q"] == 9
    assert ledger_mismatches() == []
