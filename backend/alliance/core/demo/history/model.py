"""The demo sales history's plan, in memory: catalogue rows, lots, orders and their lines,
refunds, ship days, stock movements, and the clock (local days -> UTC instants)."""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.utils import timezone

from alliance.catalog.models import Channel, ProductVariant
from alliance.catalog.pricing import line_total
from alliance.core.demo.history.data import FEN, JAR_LABELS
from alliance.core.demo.inventory import shelf_life_days
from alliance.core.demo.products import TOP_OF
from alliance.payments.models import Gateway

# --- the catalogue as the history sees it ------------------------------------------------------


@dataclass(eq=False)
class Variant:
    id: int
    sku: str
    product_id: int
    product_name: str
    unit_label: str
    weight_g: int
    sold_by: str
    online_price: Decimal
    base_price: Decimal
    producer_id: int
    producer_name: str
    village_id: int
    village_name: str
    category_id: int
    category_slug: str
    tracks_lots: bool
    published_at: datetime
    point_id: int  # the village's collection point

    @property
    def by_weight(self) -> bool:
        return self.sold_by == ProductVariant.SoldBy.WEIGHT

    @property
    def top(self) -> str:
        return TOP_OF.get(self.category_slug, "vegetables")

    @property
    def unit_g(self) -> int:
        return 1 if self.by_weight else self.weight_g

    @property
    def shelf(self) -> tuple[int, int]:
        return shelf_life_days(self.category_slug, self.unit_label)

    @property
    def fresh(self) -> bool:
        return self.shelf[1] < 60

    @property
    def season(self) -> str:
        if self.top == "honey":
            return "honey"
        if self.unit_label in JAR_LABELS:
            return "jar"
        if self.top == "grains":
            return "grains"
        return "dried"

    def price(self, channel: str) -> Decimal:
        return self.online_price if channel == Channel.ONLINE else self.base_price

    def per_kg(self, channel: str) -> float:
        price = float(self.price(channel))
        return price if self.by_weight else price * 1000 / self.weight_g

    def quantity_for_kg(self, kg: float) -> int:
        if self.by_weight:
            return max(1, round(kg)) * 1000
        return max(1, round(kg * 1000 / self.weight_g))

    def loss_of(self, quantity: int, share: float) -> int:
        """A part of `quantity` (at least one unit, or 100 g of goods sold by weight)."""
        if self.by_weight:
            return max(100, int(quantity * share) // 100 * 100)
        return max(1, round(quantity * share))


# --- the plan -------------------------------------------------------------------------------


@dataclass(eq=False)
class LotPlan:
    variant: Variant
    code: str
    harvest: date | None
    best_before: date | None
    pk: int | None = None  # an existing default lot, or once written
    is_default: bool = False
    first_at: datetime | None = None
    last_day: date | None = None

    def touch(self, at: datetime, day: date) -> None:
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_day is None or day > self.last_day:
            self.last_day = day


@dataclass(eq=False)
class LinePlan:
    order: OrderPlan
    variant: Variant
    quantity: int
    unit_price: Decimal
    total: Decimal
    warehouse_id: int | None = None
    shipped_at: datetime | None = None
    lot: LotPlan | None = None
    refunded: int = 0
    pk: int = 0

    @property
    def weight_g(self) -> int:
        return self.quantity * self.variant.unit_g


@dataclass(eq=False)
class RefundPlan:
    at: datetime
    amount: Decimal
    reason: str
    parts: list[tuple[LinePlan, int, Decimal]]  # line, quantity given back, amount
    restock: bool


@dataclass(eq=False)
class OrderPlan:
    channel: str
    at: datetime
    delivery: str
    lines: list[LinePlan] = field(default_factory=list)
    shipping: Decimal = Decimal("0.00")
    email: str = ""
    user_id: int | None = None
    address: dict[str, str] | None = None
    gateway: str = Gateway.DEMO
    reference: str = ""
    note: str = ""
    cancelled: bool = False
    paid_at: datetime | None = None
    token: uuid.UUID | None = None
    psp: str | None = None
    refunds: list[RefundPlan] = field(default_factory=list)
    tracking: dict[int, str] = field(default_factory=dict)  # warehouse id -> number
    number: str = ""
    receipt: str = ""
    pk: int = 0

    def add(self, variant: Variant, quantity: int, warehouse_id: int | None = None) -> LinePlan:
        price = variant.price(self.channel)
        total = line_total(unit_price=price, quantity=quantity, sold_by=variant.sold_by)
        line = LinePlan(self, variant, quantity, price, total, warehouse_id=warehouse_id)
        self.lines.append(line)
        return line

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping

    @property
    def weight_g(self) -> int:
        return sum(line.weight_g for line in self.lines)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal("0.00"))

    @property
    def last_event(self) -> datetime:
        moments = [self.at, *(r.at for r in self.refunds)]
        moments += [line.shipped_at for line in self.lines if line.shipped_at]
        return max(moments)

    def net(self) -> tuple[int, Decimal]:
        """(grams, yuan) this order adds to the alliance's totals (the reports' counting)."""
        if self.cancelled:
            return 0, Decimal("0.00")
        back = sum(q * line.variant.unit_g for r in self.refunds for line, q, _ in r.parts)
        money = sum((amount for r in self.refunds for _, _, amount in r.parts), Decimal("0.00"))
        return self.weight_g - back, self.subtotal - money


@dataclass(eq=False)
class ShipDay:
    """One ship day of a village collection point: its weekly transfer to the base."""

    source_id: int
    day: date
    dispatched_at: datetime
    received_at: datetime | None
    transfer_id: int | None = None  # an existing transfer (the inventory's), reused


@dataclass(eq=False)
class TransferLinePlan:
    ship: ShipDay
    lot: LotPlan
    sent: int = 0
    short: int = 0
    reason: str = ""


@dataclass(eq=False)
class MovePlan:
    at: datetime
    kind: str
    variant: Variant
    warehouse_id: int
    lot: LotPlan
    quantity: int
    reason: str = ""
    ship: ShipDay | None = None
    line: LinePlan | None = None  # sales, returns and their write-offs


@dataclass
class HistoryPlan:
    orders: list[OrderPlan] = field(default_factory=list)
    lots: list[LotPlan] = field(default_factory=list)
    moves: list[MovePlan] = field(default_factory=list)
    transfer_lines: list[TransferLinePlan] = field(default_factory=list)
    published: dict[int, datetime] = field(default_factory=dict)  # product id -> backdated

    def totals(self) -> tuple[int, Decimal]:
        grams, value = 0, Decimal("0.00")
        for order in self.orders:
            g, v = order.net()
            grams += g
            value += v
        return grams, value


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = timezone.get_default_timezone()
        self.today = now.astimezone(self.zone).date()

    def at(self, day: date, hour: int, minutes: float = 0) -> datetime:
        local = datetime.combine(day, time(hour), tzinfo=self.zone) + timedelta(minutes=minutes)
        return local.astimezone(UTC)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def cumulative(weights: Iterable[float]) -> list[float]:
    total, cum = 0.0, []
    for w in weights:
        total += w
        cum.append(total)
    return cum


def weighted(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return items[min(len(items) - 1, bisect.bisect_left(cum, rng.random() * cum[-1]))]


def spread_refund(lines: list[LinePlan], amount: Decimal) -> list[tuple[LinePlan, int, Decimal]]:
    """A refund naming no line, over the lines by value (alliance.payments.refund_lines,
    rule 2): each share floored to the fen, the fen left over one each to the largest
    remainders (ties: the first line)."""
    pool = sum((line.total for line in lines), Decimal(0))
    amount = min(amount, pool)
    shares = []
    for index, line in enumerate(lines):
        exact = amount * line.total / pool
        floor = exact.quantize(FEN, rounding=ROUND_DOWN)
        shares.append((exact - floor, index, floor))
    left = int((amount - sum(s[2] for s in shares)) / FEN)
    parts = []
    for rank, (_, index, floor) in enumerate(sorted(shares, key=lambda s: (-s[0], s[1]))):
        share = floor + (FEN if rank < left else 0)
        if share > 0:
            parts.append((index, share))
    return [(lines[index], 0, share) for index, share in sorted(parts)]
