"""The stock behind the planned sales: deliveries, weekly transfers, losses and returns.

Every sale from the base draws on the last transfer that reached it from the goods' village,
every sale from a collection point on the last delivery there. Fresh goods come every ship
day, one lot each; goods that keep come about once a quarter from their harvest's lot;
untracked goods use the variant's default lot. Each delivery brings exactly what its sales,
losses and shortfalls take, all of them after it, so every lot of the history ends at zero
and no stock row's balance ever dips below zero, whatever else the row holds.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from alliance.catalog.models import Channel
from alliance.core.demo.history.data import (
    HISTORY_DAYS,
    LEAD_DAYS,
    LONG_LIFE_RECEIPT_EVERY,
    RETURN_WRITE_OFF,
    SEASONS,
    SEED,
)
from alliance.core.demo.history.model import (
    Clock,
    HistoryPlan,
    LinePlan,
    LotPlan,
    MovePlan,
    ShipDay,
    TransferLinePlan,
    Variant,
)
from alliance.core.demo.inventory import BASE_LOSS_FRESH, SHORTFALL_REASONS, VILLAGE_LOSS_FRESH
from alliance.core.demo.inventory import SEED as INVENTORY_SEED
from alliance.core.errors import DomainError
from alliance.inventory.models import Lot, StockMovement

Kind = StockMovement.Kind


class Supplier:
    def __init__(
        self,
        plan: HistoryPlan,
        *,
        now: datetime,
        base_id: int,
        points: dict[int, str],  # collection point id -> warehouse code
        existing_transfers: dict[tuple[int, date], tuple[int, datetime, datetime | None]],
        default_lots: dict[int, int],  # variant id -> its default lot's id
    ) -> None:
        self.plan = plan
        self.clock = Clock(now)
        self.start = self.clock.today - timedelta(days=HISTORY_DAYS)
        self.base_id = base_id
        self.points = points
        self.existing_transfers = existing_transfers
        self.default_lots = default_lots
        self.ships: dict[int, list[ShipDay]] = {}

    def build(self) -> HistoryPlan:
        by_variant: dict[int, list[LinePlan]] = defaultdict(list)
        for order in self.plan.orders:
            if not order.cancelled:
                for line in order.lines:
                    by_variant[line.variant.id].append(line)
        for lines in by_variant.values():
            lines.sort(key=lambda line: line.shipped_at)  # type: ignore[arg-type, return-value]
        for variant_id in sorted(by_variant):
            self._supply(by_variant[variant_id][0].variant, by_variant[variant_id])
        self._returns()
        return self.plan

    def _schedule(self, point_id: int) -> list[ShipDay]:
        """The point's ship days from before the first sale to today: the inventory's
        weekly rhythm (same seed), reusing its transfer rows where they exist."""
        if point_id in self.ships:
            return self.ships[point_id]
        code, clock = self.points[point_id], self.clock
        rng = random.Random(f"{INVENTORY_SEED}:ship:{code}")
        interval = rng.randint(5, 8)
        day = clock.today - timedelta(days=rng.choice((0, 0, 1, 2, 3, 4, 5)))
        first = self.start - timedelta(days=LEAD_DAYS)
        days = []
        while day >= first:
            days.append(day)
            day -= timedelta(days=interval)
        ships = []
        for day in sorted(days):
            existing = self.existing_transfers.get((point_id, day))
            if existing is not None:
                pk, dispatched, received = existing
                ships.append(ShipDay(point_id, day, dispatched, received, transfer_id=pk))
                continue
            t_rng = random.Random(f"{INVENTORY_SEED}:transfer:{code}:{day.isoformat()}")
            dispatched = min(
                clock.at(day, 14, t_rng.randrange(0, 180)), clock.now - timedelta(minutes=10)
            )
            received: datetime | None = clock.at(day + timedelta(days=1), 9, t_rng.randrange(150))
            if received is not None and received >= clock.now:
                received = None
            ships.append(ShipDay(point_id, day, dispatched, received))
        self.ships[point_id] = ships
        return ships

    def _season_lot(self, v: Variant, day: date, lots: dict[Any, LotPlan]) -> LotPlan:
        """Goods that keep come from the last harvest before `day` (one lot a season)."""
        month, first_day, spread = SEASONS[v.season]
        offset = random.Random(f"{SEED}:season:{v.sku}").randrange(spread)
        harvest = date(day.year, month, first_day) + timedelta(days=offset)
        if harvest > day - timedelta(days=3):
            harvest = date(day.year - 1, month, first_day) + timedelta(days=offset)
        key = ("season", harvest)
        if key not in lots:
            life = random.Random(f"{SEED}:life:{v.sku}:{harvest}").randint(*v.shelf)
            lots[key] = LotPlan(v, f"{harvest:%Y%m%d}-H01", harvest, harvest + timedelta(days=life))
        return lots[key]

    def _supply(self, v: Variant, lines: list[LinePlan]) -> None:
        """Deliveries, transfers and losses that bring exactly the goods these lines sold:
        each sale from the base draws on the last transfer that reached it, each sale from
        a collection point on the last delivery there. Fresh goods come every ship day, one
        lot each; goods that keep come about once a quarter from their harvest's lot."""
        rng = random.Random(f"{SEED}:supply:{v.sku}")
        clock, move = self.clock, self.plan.moves.append
        ships = self._schedule(v.point_id)
        offset = rng.randrange(LONG_LIFE_RECEIPT_EVERY)
        receipt_at: dict[int, datetime] = {}
        for j in range(len(ships)):
            if v.fresh or j == 0 or j % LONG_LIFE_RECEIPT_EVERY == offset:
                early = rng.choice((0, 0, 1))
                got = clock.at(ships[j].day - timedelta(days=early), 8, rng.randrange(200))
                if got < clock.now:
                    receipt_at[j] = got
        slots = sorted(receipt_at)
        slot_times = [receipt_at[j] for j in slots]
        windows = [j for j, s in enumerate(ships) if s.received_at is not None]
        window_times = [ships[j].received_at for j in windows]

        base_sales: dict[int, list[LinePlan]] = defaultdict(list)
        point_sales: dict[int, list[LinePlan]] = defaultdict(list)
        for line in lines:
            at = line.shipped_at
            assert at is not None
            if line.warehouse_id == self.base_id:
                k = bisect.bisect_right(window_times, at) - 1  # type: ignore[arg-type]
                if k < 0:
                    raise DomainError(
                        f"Demo history: no transfer reached the base before {v.sku} sold."
                    )
                base_sales[windows[k]].append(line)
            else:
                k = bisect.bisect_right(slot_times, at) - 1
                if k < 0:
                    raise DomainError(f"Demo history: no delivery of {v.sku} before it sold.")
                point_sales[slots[k]].append(line)

        # What each transfer must bring: what sold, what spoiled after, what went missing.
        sent: dict[int, int] = {}
        shortfalls: dict[int, tuple[int, str]] = {}
        spoiled: dict[int, tuple[datetime, int, str]] = {}
        for j, sold in sorted(base_sales.items()):
            need = sum(line.quantity for line in sold)
            if v.fresh and rng.random() < 0.12:
                at = sold[-1].shipped_at + timedelta(hours=rng.uniform(2, 20))  # type: ignore[operator]
                if at < clock.now:
                    lost = v.loss_of(need, rng.uniform(0.02, 0.08))
                    spoiled[j] = (at, lost, rng.choice(BASE_LOSS_FRESH))
                    need += lost
            if rng.random() < 0.06:
                short = v.loss_of(need, rng.uniform(0.01, 0.05))
                shortfalls[j] = (short, rng.choice(SHORTFALL_REASONS))
                need += short
            sent[j] = need
        fed_by: dict[int, list[int]] = defaultdict(list)  # delivery -> transfers it feeds
        for j in sent:
            fed_by[slots[bisect.bisect_right(slots, j) - 1]].append(j)

        lots: dict[Any, LotPlan] = {}
        for g in sorted(set(fed_by) | set(point_sales)):
            got = receipt_at[g]
            lot = self._lot_for(v, g, clock.day(got), lots, rng)
            needed = sum(line.quantity for line in point_sales.get(g, ()))
            needed += sum(sent[j] for j in fed_by.get(g, ()))
            lost_at = got + timedelta(hours=rng.uniform(2, 7))
            lost = 0
            if v.fresh and rng.random() < 0.15 and lost_at < clock.now:
                lost = v.loss_of(needed, rng.uniform(0.02, 0.08))
            move(MovePlan(got, Kind.RECEIPT, v, v.point_id, lot, needed + lost))
            lot.touch(got, clock.day(got))
            if lost:
                reason = rng.choice(VILLAGE_LOSS_FRESH)
                move(MovePlan(lost_at, Kind.LOSS, v, v.point_id, lot, -lost, reason))
            for line in point_sales.get(g, ()):
                line.lot = lot
            for j in sorted(fed_by.get(g, ())):
                ship = ships[j]
                received = ship.received_at
                assert received is not None
                quantity, (short, why) = sent[j], shortfalls.get(j, (0, ""))
                move(
                    MovePlan(
                        ship.dispatched_at,
                        Kind.TRANSFER_OUT,
                        v,
                        v.point_id,
                        lot,
                        -quantity,
                        ship=ship,
                    )
                )
                move(
                    MovePlan(received, Kind.TRANSFER_IN, v, self.base_id, lot, quantity, ship=ship)
                )
                if short:
                    at = received + timedelta(minutes=1)
                    move(MovePlan(at, Kind.LOSS, v, self.base_id, lot, -short, why, ship=ship))
                self.plan.transfer_lines.append(TransferLinePlan(ship, lot, quantity, short, why))
                if j in spoiled:
                    at, lost, why = spoiled[j]
                    move(MovePlan(at, Kind.LOSS, v, self.base_id, lot, -lost, why))
                    lot.touch(at, clock.day(at))
                for line in base_sales[j]:
                    line.lot = lot
        for line in lines:
            assert line.lot is not None and line.shipped_at is not None
            sale = Kind.ONLINE_SALE if line.order.channel == Channel.ONLINE else Kind.BASE_SALE
            move(
                MovePlan(
                    line.shipped_at, sale, v, line.warehouse_id, line.lot, -line.quantity, line=line
                )  # type: ignore[arg-type]
            )
            line.lot.touch(line.shipped_at, clock.day(line.shipped_at))
        for lot in {id(lot): lot for lot in lots.values()}.values():
            self.plan.lots.append(lot)

    def _lot_for(
        self, v: Variant, slot: int, day: date, lots: dict[Any, LotPlan], rng: random.Random
    ) -> LotPlan:
        if not v.tracks_lots:
            if "default" not in lots:
                pk = self.default_lots.get(v.id)
                lots["default"] = LotPlan(v, Lot.DEFAULT_CODE, None, None, pk=pk, is_default=True)
            return lots["default"]
        if not v.fresh:
            return self._season_lot(v, day, lots)
        harvest = day - timedelta(days=rng.choice((0, 1)))
        life = rng.randint(*v.shelf)
        lot = LotPlan(v, f"{harvest:%Y%m%d}-H01", harvest, harvest + timedelta(days=life))
        lots[("fresh", slot)] = lot
        return lot

    def _returns(self) -> None:
        """Goods given back come into the base (their lot) and are written off there."""
        for order in self.plan.orders:
            for refund in order.refunds:
                if not refund.restock:
                    continue
                for line, back, _ in refund.parts:
                    assert line.lot is not None
                    at = refund.at + timedelta(minutes=30)
                    self.plan.moves.append(
                        MovePlan(
                            refund.at,
                            Kind.RETURN,
                            line.variant,
                            self.base_id,
                            line.lot,
                            back,
                            line=line,
                        )
                    )
                    self.plan.moves.append(
                        MovePlan(
                            at,
                            Kind.LOSS,
                            line.variant,
                            self.base_id,
                            line.lot,
                            -back,
                            RETURN_WRITE_OFF,
                            line=line,
                        )
                    )
                    line.lot.touch(at, self.clock.day(at))
