"""The demo county's stock: harvest lots, ninety days of stock history, and what is on hand.

Planned in Python from a fixed seed, with dates relative to today, then written in bulk:
lots, transfers and their lines, one Stock row per (variant, warehouse, lot) holding the final
quantity, and every change of that quantity as a StockMovement row, so on-hand equals the sum
of the ledger exactly as if each change had gone through alliance.inventory.ledger.

The story of one harvest lot: the cooperative brings it to its village collection point
(receipt); some is sorted out or spoils there (loss); most of it goes to the alliance base in
the village's next weekly transfer (transfer out, then transfer in on arrival the next day; a
few lines arrive short, the missing part a loss with the reason; the latest transfers are
still in transit); some spoils at the base (loss); twelve villages and the base held a
stocktake (adjustments). Shelf life follows the goods: honey about two years, grains and dried
goods about one, fresh fruit and vegetables one to four weeks, fresh mushrooms about one week;
some lots expire within the week and a few expired in the last days. Products that do not
track lots keep their stock in the variant's default lot (Lot.DEFAULT_CODE, no dates).

Inventory rows carry no is_demo flag: demo inventory is the rows whose variant belongs to a
demo product (and the collection points of demo villages). Only variants without any lot get
a history, so a second run adds nothing. No allocations are made (there are no orders).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from alliance.accounts.models import User
from alliance.catalog.models import ProductVariant
from alliance.core.demo.products import DRIED, JAR, TOP_OF
from alliance.core.errors import DomainError
from alliance.inventory.ledger import movement_weight_g
from alliance.inventory.models import (
    Allocation,
    Lot,
    Stock,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from alliance.inventory.warehouses import warehouses_ensure_for_villages
from alliance.villages.models import Village

if TYPE_CHECKING:
    from alliance.core.demo.loader import DemoResult

SEED = 610627
HISTORY_DAYS = 88  # receipts reach back this far (about three months)
BATCH = 1000
TRANSFER_PREFIX = "DEMO-T"
COUNTED_VILLAGES = 12
COUNT_REASON = "月度盘点"
DEMO_STAFF_EMAIL = "staff@example.com"

DRIED_LABELS = frozenset(p.label for p in DRIED)
JAR_LABELS = frozenset(p.label for p in JAR)

# Weight of one lot brought to the collection point, in kilograms (low, high).
LOT_KG = {
    "honey": (20, 150),
    "grains": (100, 800),
    "dried": (10, 80),
    "fruit": (150, 1200),
    "vegetables": (100, 800),
    "fungi": (30, 250),
}
VILLAGE_LOSS_FRESH = ("分拣时剔除烂果和虫眼", "雨淋受潮，部分腐烂", "装车前发现挤压破损")
VILLAGE_LOSS_HONEY = ("玻璃罐搬运时破裂", "封口不严渗漏")
VILLAGE_LOSS_DRY = ("包装袋破损受潮", "仓库鼠害，咬破包装报损")
BASE_LOSS_FRESH = ("冷库温度异常，部分变质", "上架前检查发现腐烂", "搬运中箱体破损")
SHORTFALL_REASONS = (
    "到货清点少于发货数量，途中丢失",
    "运输颠簸破损，拒收",
    "车辆故障延误，部分变质",
)


def shelf_life_days(category_slug: str, unit_label: str) -> tuple[int, int]:
    """(shortest, longest) days from harvest to best-before for goods of this kind."""
    top = TOP_OF[category_slug]
    if top == "honey":
        return (700, 760)
    if top == "grains":
        return (330, 400)
    if top == "fungi":
        return (330, 400) if unit_label in DRIED_LABELS else (5, 9)
    if top == "fruit":
        if category_slug == "jujubes" or unit_label in DRIED_LABELS:
            return (330, 400)  # dried dates, dried apricots, kernels
        if unit_label in JAR_LABELS:
            return (540, 730)  # pear paste
        return (10, 28)
    if category_slug == "leafy-greens":
        return (7, 12)
    if category_slug == "root-vegetables":
        return (21, 28)
    return (10, 18)


def _kind_of_goods(category_slug: str, unit_label: str) -> str:
    top = TOP_OF[category_slug]
    if top in ("fungi", "fruit") and shelf_life_days(category_slug, unit_label)[0] > 300:
        return "dried"
    return top


# --- the plan in memory -----------------------------------------------------------------------


@dataclass(eq=False)
class _Line:
    variant: ProductVariant
    lot: Lot
    sent: int = 0
    short: int = 0
    reason: str = ""


@dataclass(eq=False)
class _Transfer:
    source_id: int
    day: date
    dispatched_at: datetime
    received_at: datetime | None
    lines: dict[int, _Line] = field(default_factory=dict)  # id(lot) -> line
    row: Transfer | None = None


@dataclass(eq=False)
class _Move:
    at: datetime
    kind: str
    variant: ProductVariant
    warehouse_id: int
    lot: Lot
    quantity: int
    reason: str = ""
    transfer: _Transfer | None = None
    reference: str = ""

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.variant.pk, self.warehouse_id, id(self.lot))


class _Clock:
    """Local working hours (Asia/Shanghai) turned into aware UTC datetimes."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.zone = timezone.get_default_timezone()

    def at(self, day: date, hour: int, minutes: int = 0) -> datetime:
        """`minutes` after `hour` o'clock local time on `day` (may run past the hour)."""
        local = datetime.combine(day, time(hour), tzinfo=self.zone) + timedelta(minutes=minutes)
        return local.astimezone(UTC)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


@dataclass(eq=False)
class _Village:
    """One collection point's weekly transfers to the base (dispatched in the afternoon,
    received the next morning; the latest ones are still on the road)."""

    warehouse_id: int
    code: str
    ship_days: list[date]
    clock: _Clock
    transfers: dict[date, _Transfer] = field(default_factory=dict)

    @classmethod
    def plan(cls, warehouse_id: int, code: str, clock: _Clock) -> _Village:
        rng = random.Random(f"{SEED}:ship:{code}")
        interval = rng.randint(5, 8)
        day = clock.ago(rng.choice((0, 0, 1, 2, 3, 4, 5)))
        days = []
        while day >= clock.ago(HISTORY_DAYS):
            days.append(day)
            day -= timedelta(days=interval)
        return cls(warehouse_id, code, sorted(days), clock)

    def next_ship_day(self, after: date) -> date | None:
        return next((d for d in self.ship_days if d > after), None)

    def transfer(self, day: date) -> _Transfer:
        if day not in self.transfers:
            rng = random.Random(f"{SEED}:transfer:{self.code}:{day.isoformat()}")
            clock = self.clock
            dispatched = min(
                clock.at(day, 14, rng.randrange(0, 180)), clock.now - timedelta(minutes=10)
            )
            received: datetime | None = clock.at(day + timedelta(days=1), 9, rng.randrange(0, 150))
            if received >= clock.now:
                received = None
            self.transfers[day] = _Transfer(self.warehouse_id, day, dispatched, received)
        return self.transfers[day]


def _share(rng: random.Random, balance: int, low: float, high: float) -> int:
    """A part of `balance` (at least 1, at most all of it)."""
    return min(balance, max(1, round(balance * rng.uniform(low, high))))


def _lot_quantity(rng: random.Random, variant: ProductVariant, goods: str) -> int:
    low, high = LOT_KG[goods]
    grams = int(rng.uniform(low, high) * 10) * 100
    if variant.sold_by == ProductVariant.SoldBy.WEIGHT:
        return grams
    return max(4, round(grams / variant.weight_g))


def _lot_dates(rng: random.Random, clock: _Clock, shelf: tuple[int, int]) -> tuple[date, date]:
    """(harvest, best before): most lots keep well past next week, some expire within
    7 days, a few expired in the last days."""
    life = rng.randint(*shelf)
    draw = rng.random()
    fresh = shelf[1] < 60
    if draw < 0.05:
        best_before = clock.ago(rng.randint(1, 4))
        return best_before - timedelta(days=life), best_before
    if draw < 0.17 or (fresh and life < 10):
        best_before = clock.today + timedelta(days=rng.randint(0, 7))
        return min(best_before - timedelta(days=life), clock.ago(1)), best_before
    if fresh:
        harvest = clock.ago(rng.randint(1, life - 9))
    else:
        harvest = clock.ago(rng.randint(5, min(300, life - 30)))
    return harvest, harvest + timedelta(days=life)


@dataclass
class _Plan:
    clock: _Clock
    base_id: int
    villages: dict[int, _Village]  # warehouse id -> schedule
    lots: list[Lot] = field(default_factory=list)
    moves: list[_Move] = field(default_factory=list)

    def add_variant(self, variant: ProductVariant, warehouse_id: int) -> None:
        product = variant.product
        slug = product.category.slug
        rng = random.Random(f"{SEED}:stock:{variant.sku}")
        goods = _kind_of_goods(slug, variant.unit_label)
        shelf = shelf_life_days(slug, variant.unit_label)
        fresh = shelf[1] < 60
        clock = self.clock
        if not product.tracks_lots:
            lot = Lot(
                variant=variant,
                producer_id=product.producer_id,
                code=Lot.DEFAULT_CODE,
                is_default=True,
            )
            self.lots.append(lot)
            for _ in range(rng.randint(2, 3)):
                day = clock.ago(rng.randint(2, HISTORY_DAYS))
                self._batch(rng, variant, warehouse_id, lot, day, goods, fresh)
            return
        count = rng.choice((1, 1, 2)) if fresh else rng.choice((1, 2, 2, 3))
        codes: set[str] = set()
        for _ in range(count):
            harvest, best_before = _lot_dates(rng, clock, shelf)
            code = f"{harvest:%Y%m%d}-{len(codes) + 1:02d}"
            codes.add(code)
            lot = Lot(
                variant=variant,
                producer_id=product.producer_id,
                code=code,
                harvest_date=harvest,
                best_before=best_before,
            )
            self.lots.append(lot)
            latest = min(clock.ago(1), best_before - timedelta(days=1))
            if harvest >= clock.ago(HISTORY_DAYS):
                day = min(harvest + timedelta(days=rng.randint(0, 2)), latest)
            else:  # stored by the cooperative since the harvest, brought in later
                day = clock.ago(rng.randint((clock.today - latest).days, HISTORY_DAYS))
            self._batch(rng, variant, warehouse_id, lot, max(day, harvest), goods, fresh)

    def _batch(
        self,
        rng: random.Random,
        variant: ProductVariant,
        warehouse_id: int,
        lot: Lot,
        day: date,
        goods: str,
        fresh: bool,
    ) -> None:
        """One delivery of `lot` to the village and what happened to it since. Every step
        leaves this delivery's own balance >= 0, so the stock's balance never dips below 0."""
        clock, move = self.clock, self.moves.append
        village = self.villages[warehouse_id]
        received = _lot_quantity(rng, variant, goods)
        at = clock.at(day, 8, rng.randrange(0, 200))
        move(_Move(at, StockMovement.Kind.RECEIPT, variant, warehouse_id, lot, received))
        balance = received

        ship_day = village.next_ship_day(day)
        if lot.best_before is not None and ship_day is not None and ship_day >= lot.best_before:
            ship_day = None  # nobody ships goods that expire on the road
        transfer = village.transfer(ship_day) if ship_day and rng.random() < 0.85 else None

        if rng.random() < (0.15 if fresh else 0.03):  # sorted out or spoiled at the village
            loss_at = at + timedelta(hours=rng.randint(2, 7))
            if loss_at < clock.now and (transfer is None or loss_at < transfer.dispatched_at):
                lost = _share(rng, balance, 0.02, 0.08)
                if lost < balance:
                    reasons = (
                        VILLAGE_LOSS_FRESH
                        if fresh
                        else VILLAGE_LOSS_HONEY
                        if goods == "honey"
                        else VILLAGE_LOSS_DRY
                    )
                    move(
                        _Move(
                            loss_at,
                            StockMovement.Kind.LOSS,
                            variant,
                            warehouse_id,
                            lot,
                            -lost,
                            rng.choice(reasons),
                        )
                    )
                    balance -= lost
        if transfer is None or balance < 2:
            return
        sent = min(balance - 1, _share(rng, balance, 0.5, 0.9))  # the village keeps some
        line = transfer.lines.setdefault(id(lot), _Line(variant, lot))
        line.sent += sent
        if transfer.received_at is None:
            return
        short = 0
        if rng.random() < 0.06:
            short = _share(rng, sent, 0.01, 0.05)
            line.short += short
            line.reason = line.reason or rng.choice(SHORTFALL_REASONS)
        at_base = sent - short
        if fresh and at_base > 1 and rng.random() < 0.12:
            loss_at = clock.at(transfer.received_at.date() + timedelta(days=rng.randint(1, 4)), 10)
            if loss_at < clock.now:
                move(
                    _Move(
                        loss_at,
                        StockMovement.Kind.LOSS,
                        variant,
                        self.base_id,
                        lot,
                        -_share(rng, at_base - 1, 0.02, 0.08),
                        rng.choice(BASE_LOSS_FRESH),
                    )
                )

    def transfers(self) -> list[_Transfer]:
        found = [t for v in self.villages.values() for t in v.transfers.values() if t.lines]
        return sorted(found, key=lambda t: (t.dispatched_at, t.source_id))

    def add_transfer_moves(self) -> None:
        """Each line: out of the village on dispatch; on arrival all of it into the base and
        the part that did not arrive out again as a loss with the reason."""
        for transfer in self.transfers():
            for line in transfer.lines.values():
                variant, lot = line.variant, line.lot
                self.moves.append(
                    _Move(
                        transfer.dispatched_at,
                        StockMovement.Kind.TRANSFER_OUT,
                        variant,
                        transfer.source_id,
                        lot,
                        -line.sent,
                        transfer=transfer,
                    )
                )
                if transfer.received_at is None:
                    continue
                self.moves.append(
                    _Move(
                        transfer.received_at,
                        StockMovement.Kind.TRANSFER_IN,
                        variant,
                        self.base_id,
                        lot,
                        line.sent,
                        transfer=transfer,
                    )
                )
                if line.short:
                    self.moves.append(
                        _Move(
                            transfer.received_at + timedelta(minutes=1),
                            StockMovement.Kind.LOSS,
                            variant,
                            self.base_id,
                            lot,
                            -line.short,
                            line.reason,
                            transfer=transfer,
                        )
                    )

    def add_stocktakes(self, codes: dict[int, str]) -> None:
        """A stocktake in a dozen villages and at the base: small differences counted in
        some rows become adjustments; a count never leaves a later movement short."""
        rng = random.Random(f"{SEED}:counts")
        village_ids = sorted(self.villages, key=lambda w: codes[w])
        counted = rng.sample(village_ids, min(COUNTED_VILLAGES, len(village_ids)))
        when = {w: self.clock.at(self.clock.ago(rng.randint(10, 40)), 17, 30) for w in counted}
        when[self.base_id] = self.clock.at(self.clock.ago(21), 18, 30)
        by_stock: dict[tuple[int, int, int], list[_Move]] = defaultdict(list)
        for m in self.moves:
            if m.warehouse_id in when:
                by_stock[m.key].append(m)
        for key, moves in by_stock.items():
            moves.sort(key=lambda m: m.at)
            at = when[key[1]]
            balance, running = 0, []
            for m in moves:
                balance += m.quantity
                running.append((m.at, balance))
            before = [b for t, b in running if t <= at]
            if not before or before[-1] < 2 or rng.random() >= 0.3:
                continue
            # A shortage may not exceed the lowest balance from the count on (minus one,
            # so the count never empties a row that later movements draw on).
            floor = min([before[-1], *(b for t, b in running if t > at)])
            weighed = moves[0].variant.sold_by == ProductVariant.SoldBy.WEIGHT
            if rng.random() < 0.35 or floor < 2:
                delta = rng.randint(50, 500) if weighed else rng.randint(1, 2)
            else:
                delta = -min(rng.randint(50, 800) if weighed else rng.randint(1, 3), floor - 1)
            if delta:
                self.moves.append(
                    _Move(
                        at,
                        StockMovement.Kind.ADJUSTMENT,
                        moves[0].variant,
                        key[1],
                        moves[0].lot,
                        delta,
                        COUNT_REASON,
                        reference=f"count:demo-{codes[key[1]]}-{at:%Y%m%d}",
                    )
                )


# --- writing it -------------------------------------------------------------------------------


def _next_transfer_number() -> int:
    codes = Transfer.objects.filter(code__startswith=TRANSFER_PREFIX).values_list("code", flat=True)
    numbers = [int(c[len(TRANSFER_PREFIX) :]) for c in codes if c[len(TRANSFER_PREFIX) :].isdigit()]
    return max(numbers, default=0) + 1


def _write(plan: _Plan, actor: User | None, result: DemoResult) -> None:
    Lot.objects.bulk_create(plan.lots, batch_size=BATCH)

    transfers = plan.transfers()
    number = _next_transfer_number()
    for offset, t in enumerate(transfers):
        t.row = Transfer(
            code=f"{TRANSFER_PREFIX}{number + offset:05d}",
            source_id=t.source_id,
            destination_id=plan.base_id,
            status=Transfer.Status.RECEIVED if t.received_at else Transfer.Status.IN_TRANSIT,
            dispatched_by=actor,
            dispatched_at=t.dispatched_at,
            received_by=actor if t.received_at else None,
            received_at=t.received_at,
            note="每周定期调运",
        )
    Transfer.objects.bulk_create([t.row for t in transfers if t.row], batch_size=BATCH)
    lines = [
        TransferLine(
            transfer=t.row,
            variant=line.variant,
            lot=line.lot,
            quantity=line.sent,
            quantity_received=(line.sent - line.short) if t.received_at else None,
            shortfall_reason=line.reason,
        )
        for t in transfers
        for line in t.lines.values()
    ]
    TransferLine.objects.bulk_create(lines, batch_size=BATCH)

    moves = sorted(plan.moves, key=lambda m: (m.at, m.warehouse_id, m.variant.pk))
    stocks: dict[tuple[int, int, int], Stock] = {}
    for m in moves:
        stock = stocks.get(m.key)
        if stock is None:
            stock = stocks[m.key] = Stock(
                variant=m.variant, warehouse_id=m.warehouse_id, lot=m.lot, quantity=0
            )
        stock.quantity += m.quantity
        if stock.quantity < 0:  # a planning bug: never write a ledger that dips below zero
            raise DomainError(f"Demo stock plan goes negative for {m.variant.sku}.")
    Stock.objects.bulk_create(stocks.values(), batch_size=BATCH)
    rows = [
        StockMovement(
            kind=m.kind,
            stock=stocks[m.key],
            variant=m.variant,
            warehouse_id=m.warehouse_id,
            lot=m.lot,
            quantity=m.quantity,
            weight_g=movement_weight_g(m.variant, m.quantity),
            actor=actor,
            reason=m.reason,
            transfer=m.transfer.row if m.transfer else None,
            reference=m.reference,
            created_at=m.at,
        )
        for m in moves
    ]
    StockMovement.objects.bulk_create(rows, batch_size=BATCH)
    counts = {
        "lots": len(plan.lots),
        "transfers": len(transfers),
        "stocks": len(stocks),
        "stock movements": len(rows),
    }
    for key, n in counts.items():
        result.created[key] = result.created.get(key, 0) + n


def ensure_demo_inventory(result: DemoResult) -> None:
    """Lots, history and stock for every demo variant that has no lot yet (bulk inserts)."""
    variants = list(
        ProductVariant.objects.filter(product__is_demo=True, lots__isnull=True)
        .select_related("product__category", "product__producer")
        .only(
            "sku",
            "unit_label",
            "weight_g",
            "sold_by",
            "product__tracks_lots",
            "product__category__slug",
            "product__producer__village_id",
        )
        .order_by("sku")
    )
    if not variants:
        return
    base = Warehouse.objects.filter(kind=Warehouse.Kind.BASE).first()
    if base is None:
        raise DomainError(
            "The alliance base warehouse is missing: run `manage.py migrate` first.",
            code="DEMO_NO_BASE",
        )
    village_ids = {v.product.producer.village_id for v in variants}
    # The loader made them already; a village added since gets its collection point here.
    warehouses_ensure_for_villages(Village.objects.filter(pk__in=village_ids))
    points = Warehouse.objects.filter(village_id__in=village_ids)
    warehouses = {
        village_id: (pk, code)
        for pk, village_id, code in points.values_list("pk", "village_id", "code")
    }
    clock = _Clock()
    plan = _Plan(
        clock=clock,
        base_id=base.pk,
        villages={pk: _Village.plan(pk, code, clock) for pk, code in warehouses.values()},
    )
    for variant in variants:
        plan.add_variant(variant, warehouses[variant.product.producer.village_id][0])
    plan.add_transfer_moves()
    codes = {pk: code for pk, code in warehouses.values()} | {base.pk: base.code}
    plan.add_stocktakes(codes)
    actor = User.objects.filter(email=DEMO_STAFF_EMAIL, is_demo=True).first()
    _write(plan, actor, result)


# --- reset ------------------------------------------------------------------------------------


def _demo_transfers() -> Q:
    return Q(lines__variant__product__is_demo=True)


def inventory_reset_blockers() -> list[str]:
    """Real inventory rows that hang on demo rows (see loader._reset_blockers)."""
    demo_points = Q(source__village__is_demo=True) | Q(destination__village__is_demo=True)
    checks = [
        (
            Stock.objects.filter(
                warehouse__village__is_demo=True, variant__product__is_demo=False
            ).count(),
            "real stock rows are kept at demo villages' collection points",
        ),
        (
            Transfer.objects.filter(_demo_transfers())
            .filter(lines__variant__product__is_demo=False)
            .distinct()
            .count(),
            "transfers carry both demo and real goods",
        ),
        (
            Transfer.objects.filter(demo_points).exclude(_demo_transfers()).distinct().count(),
            "transfers without demo goods start or end at demo villages' collection points",
        ),
        (
            Lot.objects.filter(producer__is_demo=True, variant__product__is_demo=False).count(),
            "real products' lots name demo producers",
        ),
    ]
    return [f"{n} {what}" for n, what in checks if n]


def _set_ledger_maintenance(on: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL alliance.ledger_maintenance = '{'on' if on else 'off'}'")


def inventory_reset() -> dict[str, int]:
    """Delete the demo inventory in dependency order; call inside the reset's transaction,
    after inventory_reset_blockers() came back empty."""
    demo = Q(variant__product__is_demo=True)
    transfer_ids = list(Transfer.objects.filter(_demo_transfers()).values_list("pk", flat=True))
    deleted: dict[str, int] = {}
    Allocation.objects.filter(stock__variant__product__is_demo=True).delete()
    _set_ledger_maintenance(True)  # the append-only trigger lets this transaction delete
    deleted["stock movements"] = StockMovement.objects.filter(demo).delete()[0]
    _set_ledger_maintenance(False)  # and nothing else later in the same transaction
    TransferLine.objects.filter(demo).delete()
    deleted["transfers"] = Transfer.objects.filter(pk__in=transfer_ids).delete()[0]
    deleted["stocks"] = Stock.objects.filter(demo).delete()[0]
    deleted["lots"] = Lot.objects.filter(demo).delete()[0]
    deleted["warehouses"] = Warehouse.objects.filter(village__is_demo=True).delete()[0]
    return deleted


def demo_inventory_totals() -> dict[str, int]:
    demo = Q(variant__product__is_demo=True)
    return {
        "warehouses": Warehouse.objects.filter(village__is_demo=True).count(),
        "lots": Lot.objects.filter(demo).count(),
        "stock movements": StockMovement.objects.filter(demo).count(),
    }
