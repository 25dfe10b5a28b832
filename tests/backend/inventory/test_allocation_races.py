"""Allocation under concurrent buyers, with real concurrent PostgreSQL connections (one per
thread): no oversell, never below zero, no deadlock. Run with -s to see the figures."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import OperationalError, connection
from django.db.models import F, Min, Sum

from alliance.catalog.models import Channel
from alliance.inventory.allocation import (
    AllocationRequest,
    quantity_available,
    stock_allocate,
    stock_deallocate,
    stock_fulfil_allocations,
)
from alliance.inventory.errors import InsufficientStock
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock, StockMovement
from tests.backend.factories.catalog import VariantFactory
from tests.backend.factories.inventory import (
    expired_lot,
    lot,
    stock_in,
    the_base,
    village_warehouse,
)

# Threads need committed data and their own connections: a transactional test. The flush
# at its end would also drop the reference data (channels, the base) that migrations put in
# place; serialized_rollback restores it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OK, REFUSED, DEADLOCK = "ok", "refused", "deadlock"


@dataclass
class Race:
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, outcome: str, error: str | None = None) -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            if error:
                self.errors.append(error)


def attempt(race: Race, action: Callable[[], None]) -> None:
    try:
        action()
    except InsufficientStock:
        race.record(REFUSED)
    except OperationalError as exc:  # deadlock_detected (40P01) arrives as OperationalError
        race.record(DEADLOCK, repr(exc))
    except Exception as exc:  # any other failure is reported by the test
        race.record("error", repr(exc))
    else:
        race.record(OK)


def run_in_threads(threads: int, jobs: list[Callable[[], None]], race: Race) -> float:
    """Run `jobs` spread round-robin over `threads` threads that start together; returns the
    wall time in seconds. Each thread uses (and closes) its own database connection."""
    barrier = threading.Barrier(threads)

    def worker(mine: list[Callable[[], None]]) -> None:
        try:
            barrier.wait()
            for job in mine:
                attempt(race, job)
        finally:
            connection.close()

    pool = [
        threading.Thread(target=worker, args=(jobs[i::threads],), name=f"buyer-{i}")
        for i in range(threads)
    ]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a buyer thread hung"
    return time.perf_counter() - started


class Watcher(threading.Thread):
    """Samples the stock rows while the race runs: the lowest on-hand and available seen."""

    def __init__(self, variant_ids: list[int]):
        super().__init__(name="watcher")
        self.variant_ids = variant_ids
        self.stop = threading.Event()
        self.samples = 0
        self.lowest_on_hand: int | None = None
        self.lowest_available: int | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                seen = Stock.objects.filter(variant_id__in=self.variant_ids).aggregate(
                    on_hand=Min("quantity"), available=Min(F("quantity") - F("allocated"))
                )
                self.samples += 1
                self.lowest_on_hand = min(
                    seen["on_hand"],
                    seen["on_hand"] if self.lowest_on_hand is None else self.lowest_on_hand,
                )
                self.lowest_available = min(
                    seen["available"],
                    seen["available"] if self.lowest_available is None else self.lowest_available,
                )
                time.sleep(0.005)
        finally:
            connection.close()


def on_hand(variant_ids: list[int]) -> int:
    return Stock.objects.filter(variant_id__in=variant_ids).aggregate(t=Sum("quantity"))["t"]


def reserved(variant_id: int) -> int:
    return Stock.objects.filter(variant_id=variant_id).aggregate(t=Sum("allocated"))["t"]


def sold(variant_ids: list[int]) -> int:
    rows = StockMovement.objects.filter(
        variant_id__in=variant_ids, kind=StockMovement.Kind.ONLINE_SALE
    )
    return -(rows.aggregate(t=Sum("quantity"))["t"] or 0)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_1000_buyers_in_40_threads_take_exactly_the_50_units(run):
    # 50 sellable units in 3 lots over 2 warehouses, and 30 in an expired lot nobody may take
    variant = VariantFactory()
    village = village_warehouse(variant.product.producer.village)
    stock_in(village, lot(variant, "SOON", best_before_days=2), 15)
    stock_in(the_base(), lot(variant, "MID", best_before_days=10), 20)
    stock_in(the_base(), lot(variant, "UNDATED", best_before_days=None), 15)
    stale = stock_in(the_base(), expired_lot(variant), 30)
    initial = on_hand([variant.pk])
    attempts, threads = 1000, 40

    def buy(i: int) -> Callable[[], None]:
        def job() -> None:
            stock_allocate(
                lines=[AllocationRequest(variant.pk, 1, f"race{run}:{i}")], channel_slug="online"
            )
            if i % 2:  # half of the buyers' orders ship at once, racing the other buyers
                stock_fulfil_allocations(reference=f"race{run}:{i}")

        return job

    race = Race()
    watcher = Watcher([variant.pk])
    watcher.start()
    try:
        wall = run_in_threads(threads, [buy(i) for i in range(attempts)], race)
    finally:
        watcher.stop.set()
        watcher.join()

    print(
        f"\n[allocation race {run}] {attempts} attempts, {threads} threads: "
        f"{race.outcomes[OK]} allocated, {race.outcomes[REFUSED]} refused, "
        f"{race.outcomes[DEADLOCK]} deadlocks, {len(race.errors)} errors, {wall:.2f} s wall "
        f"({attempts / wall:.0f} attempts/s); watcher: {watcher.samples} samples, lowest "
        f"on hand {watcher.lowest_on_hand}, lowest available {watcher.lowest_available}"
    )
    assert race.errors == []
    assert race.outcomes == {OK: 50, REFUSED: 950}
    assert watcher.samples > 0
    assert watcher.lowest_on_hand >= 0 and watcher.lowest_available >= 0
    reserved_now = Allocation.objects.aggregate(t=Sum("quantity"))["t"]
    assert sold([variant.pk]) + reserved_now == 50  # allocated == 50, no more
    assert reserved(variant.pk) == reserved_now

    # ship the rest: every sellable unit is sold once, the expired lot is untouched
    for reference in Allocation.objects.values_list("reference", flat=True).distinct():
        stock_fulfil_allocations(reference=reference)
    stale.refresh_from_db()
    assert (stale.quantity, stale.allocated) == (30, 0)
    assert sold([variant.pk]) == 50
    assert on_hand([variant.pk]) == 30
    assert sold([variant.pk]) + on_hand([variant.pk]) == initial
    assert Stock.objects.filter(quantity__lt=0).count() == 0
    assert ledger_mismatches() == []


def test_400_two_line_orders_in_opposite_line_orders_never_deadlock():
    a, b = VariantFactory(), VariantFactory()
    village = village_warehouse(a.product.producer.village)
    stock_in(village, lot(a, "A1", best_before_days=3), 80)
    stock_in(the_base(), lot(a, "A2", best_before_days=9), 120)  # A: 200 units
    stock_in(the_base(), lot(b, "B1", best_before_days=4), 150)
    stock_in(village, lot(b, "B2", best_before_days=8), 150)  # B: 300 units
    initial = on_hand([a.pk, b.pk])
    orders, threads = 400, 16
    released = Counter[str]()
    released_lock = threading.Lock()

    def order(i: int) -> Callable[[], None]:
        first, second = (a, b) if i % 2 == 0 else (b, a)

        def job() -> None:
            stock_allocate(
                lines=[
                    AllocationRequest(first.pk, 1, f"order{i}:{first.sku}"),
                    AllocationRequest(second.pk, 1, f"order{i}:{second.sku}"),
                ],
                channel_slug=Channel.ONLINE,
            )
            if i % 5 == 0:  # some buyers abandon their order: release both lines at once
                stock_deallocate(reference=f"order{i}:{second.sku}")
                stock_deallocate(reference=f"order{i}:{first.sku}")
                with released_lock:
                    released["orders"] += 1

        return job

    race = Race()
    watcher = Watcher([a.pk, b.pk])
    watcher.start()
    try:
        wall = run_in_threads(threads, [order(i) for i in range(orders)], race)
    finally:
        watcher.stop.set()
        watcher.join()

    held = race.outcomes[OK] - released["orders"]
    print(
        f"\n[two-line orders] {orders} orders, {threads} threads: {race.outcomes[OK]} "
        f"allocated ({released['orders']} released again), {race.outcomes[REFUSED]} refused, "
        f"{race.outcomes[DEADLOCK]} deadlocks, {len(race.errors)} errors, {wall:.2f} s wall"
    )
    assert race.outcomes[DEADLOCK] == 0
    assert race.errors == []
    assert race.outcomes[OK] + race.outcomes[REFUSED] == orders
    assert race.outcomes[REFUSED] > 0  # A ran out: the refusals raced the successes
    assert watcher.lowest_available >= 0
    # all or nothing: every order holds exactly one unit of A and one of B, never one alone
    assert 0 < held <= 200  # never more orders than units of A
    assert reserved(a.pk) == held
    assert reserved(b.pk) == held
    available = quantity_available([a.pk, b.pk], Channel.ONLINE)
    assert available == {a.pk: 200 - held, b.pk: 300 - held}
    refs = Counter(
        ref.split(":")[0] for ref in Allocation.objects.values_list("reference", flat=True)
    )
    assert len(refs) == held and set(refs.values()) == {2}
    assert on_hand([a.pk, b.pk]) == initial  # nothing sold
    assert ledger_mismatches() == []
