"""The year's orders of the demo history, planned in memory (no database access).

`OrderPlanner(variants, ...).build()` draws the online year first (a few kilograms an
order, some refunded, a few cancelled unpaid, the demo consumer's among them), then the
counter sales that bring the totals to the targets: each counter line is cheaper or dearer
per kilogram as the running value is ahead of or behind the target, and a last wholesale
order of two lines closes the gap.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from alliance.catalog.models import Channel
from alliance.catalog.pricing import line_total
from alliance.checkout.shipping import shipping_fee
from alliance.core.demo.history.data import (
    ADDRESSES,
    BANKS,
    BUYER_NAMES,
    BUYERS,
    CONSUMER_ADDRESS,
    CONSUMER_ORDERS,
    COUNTER_MONTH,
    COUNTER_REFUND_REASONS,
    COUNTER_WEEKDAY,
    DEMO_CONSUMER_EMAIL,
    DRIED_LABELS,
    FULL_SIZE_SCALE,
    GIVEN,
    HISTORY_DAYS,
    JAR_LABELS,
    MID_AUTUMN,
    MIN_COUNTER_LINE_G,
    MONEY_BACK_REASONS,
    NEW_PRODUCT_DAYS,
    ONLINE_HOURS,
    ONLINE_MONTH,
    ONLINE_ORDERS,
    ONLINE_TOP_WEIGHT,
    ONLINE_WEEKDAY,
    RETURN_REASONS,
    SEED,
    SPEND_LIMIT_PER_KG,
    SPRING_FESTIVAL,
    SURNAMES,
    TARGET_TONNES,
    TARGET_YUAN,
    TEA_LABELS,
    TRACKING_PREFIXES,
)
from alliance.core.demo.history.model import (
    Clock,
    HistoryPlan,
    OrderPlan,
    RefundPlan,
    Variant,
    cumulative,
    spread_refund,
    weighted,
)
from alliance.core.errors import DomainError
from alliance.core.money import quantize
from alliance.orders.models import DeliveryMethod
from alliance.payments.models import Gateway


class OrderPlanner:
    def __init__(
        self,
        variants: list[Variant],
        *,
        base_id: int,
        consumer_id: int | None,
        scale: float,
        now: datetime,
    ) -> None:
        self.rng = random.Random(SEED)
        self.clock = Clock(now)
        self.start = self.clock.today - timedelta(days=HISTORY_DAYS)
        self.base_id = base_id
        self.consumer_id = consumer_id
        self.scale = scale
        self.plan = HistoryPlan()
        self.target_g = int(TARGET_TONNES * 1_000_000 * Decimal(str(scale)))
        self.target_value = quantize(TARGET_YUAN * Decimal(str(scale)))
        # A small history (tests) buys in smaller lots, so that its few counter orders can
        # still be steered onto the targets.
        self.size = min(1.0, math.sqrt(scale / FULL_SIZE_SCALE))
        self.variants = variants
        self._backdate()
        self.online_cum = cumulative(self._online_weight(v) for v in variants)

    def build(self) -> HistoryPlan:
        """The year's orders (online first, then the counter fills up to the targets), in
        time order; the stock behind them is alliance.core.demo.history.supply's part."""
        self._plan_online()
        self._plan_counter()
        self.plan.orders.sort(key=lambda o: o.at)
        return self.plan

    # -- catalogue -----------------------------------------------------------------------

    def _backdate(self) -> None:
        """Products listed before the last two months were on sale all year: their
        publication moves back before the history starts (newer ones keep theirs and sell
        only since then)."""
        recent = self.clock.now - timedelta(days=NEW_PRODUCT_DAYS)
        for v in self.variants:
            if v.published_at > recent:
                continue
            if v.product_id not in self.plan.published:
                rng = random.Random(f"{SEED}:published:{v.product_id}")
                day = self.start - timedelta(days=rng.randint(10, 240))
                self.plan.published[v.product_id] = self.clock.at(day, 10, rng.randrange(480))
            v.published_at = self.plan.published[v.product_id]

    def _online_weight(self, v: Variant) -> float:
        rng = random.Random(f"{SEED}:popular:{v.sku}")
        if v.by_weight:
            pack = 0.3
        elif v.weight_g <= 1000:
            pack = 1.0
        elif v.weight_g < 5000:
            pack = 0.8
        else:
            pack = 0.5 if v.weight_g == 5000 else 0.3
        return ONLINE_TOP_WEIGHT[v.top] * pack * rng.lognormvariate(0, 0.7)

    def _days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(HISTORY_DAYS + 1)]

    # -- online --------------------------------------------------------------------------

    def _online_day_weight(self, day: date) -> float:
        w = ONLINE_WEEKDAY[day.weekday()] * ONLINE_MONTH[day.month]
        if (day.month, day.day) == (11, 11):
            w *= 3.5
        elif day.month == 11 and day.day in (10, 12):
            w *= 1.6
        festival = SPRING_FESTIVAL.get(day.year)
        if festival and 0 <= (day - festival).days <= 6:
            w *= 0.4  # couriers rest over the Spring Festival
        return w

    def _plan_online(self) -> None:
        days = self._days()
        weights = [self._online_day_weight(d) for d in days]
        total_w = sum(weights)
        wanted = max(1, round(ONLINE_ORDERS * self.scale))
        hours = list(ONLINE_HOURS)
        hour_cum = cumulative(ONLINE_HOURS.values())
        latest = self.clock.now - timedelta(hours=8)
        expected, made = 0.0, 0
        for day, w in zip(days, weights, strict=True):
            expected += wanted * w / total_w
            count = round(expected) - made
            made += count
            for _ in range(count):
                hour = weighted(self.rng, hours, hour_cum)
                at = self.clock.at(day, hour, self.rng.random() * 60)
                if at <= latest:
                    self._online_order(at)
        self._give_consumer_orders()

    def _online_order(self, at: datetime) -> None:
        rng = self.rng
        pickup = rng.random() < 0.15
        order = OrderPlan(
            Channel.ONLINE,
            at,
            DeliveryMethod.PICKUP if pickup else DeliveryMethod.DELIVERY,
            email=f"buyer{rng.randint(1, 3000):04d}@example.com",
            token=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        taken: set[int] = set()
        for _ in range(rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]):
            for _ in range(20):
                v = weighted(rng, self.variants, self.online_cum)
                if v.id not in taken and v.published_at <= at:
                    break
            else:
                continue
            taken.add(v.id)
            if v.by_weight:
                quantity = rng.randrange(2, 11) * 500  # 1-5 kg
            else:
                quantity = rng.choices((1, 2, 3, 4, 5), (70, 18, 7, 3, 2))[0]
            order.add(v, quantity)
        if not order.lines:
            return
        self.plan.orders.append(order)
        if rng.random() < 0.02:  # never paid: cancelled when its payment window closed
            order.cancelled = True
            return
        if not pickup:
            order.address = self._address(rng)
            order.shipping = shipping_fee(order.weight_g)
        order.paid_at = at + timedelta(minutes=rng.uniform(0.5, 15))
        order.psp = f"pi_demo_{rng.getrandbits(96):024x}"
        from_villages = not pickup and rng.random() < 0.3
        latest = self.clock.now - timedelta(minutes=10)
        shipped: dict[int, datetime] = {}
        for line in order.lines:
            line.warehouse_id = line.variant.point_id if from_villages else self.base_id
            if line.warehouse_id not in shipped:
                hours = rng.uniform(4, 48) if pickup else rng.uniform(3, 30)
                shipped[line.warehouse_id] = min(order.paid_at + timedelta(hours=hours), latest)
                if not pickup:
                    prefix = rng.choice(TRACKING_PREFIXES)
                    order.tracking[line.warehouse_id] = f"{prefix}{rng.randrange(10**11, 10**12)}"
            line.shipped_at = shipped[line.warehouse_id]
        self._online_refund(order)

    def _address(self, rng: random.Random) -> dict[str, str]:
        province, city, district, road = rng.choice(ADDRESSES)
        return {
            "province": province,
            "city": city,
            "district": district,
            "street": f"{road} {rng.randint(1, 300)} 号 {rng.randint(1, 20)} 栋 "
            f"{rng.randint(1, 30)}{rng.randint(1, 4):02d} 室",
            "recipient": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
            "phone": f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}",
        }

    def _online_refund(self, order: OrderPlan) -> None:
        rng = self.rng
        draw = rng.random()
        if draw >= 0.035:
            return
        shipped = max(line.shipped_at for line in order.lines if line.shipped_at)
        at = shipped + timedelta(days=rng.uniform(2, 10))
        if at >= self.clock.now - timedelta(hours=1):
            return
        if draw >= 0.025:  # money only, spread over the lines by their value
            amount = max(Decimal(1), Decimal(int(order.subtotal * Decimal(rng.uniform(0.1, 0.3)))))
            parts = spread_refund(order.lines, amount)
            order.refunds.append(
                RefundPlan(at, amount, rng.choice(MONEY_BACK_REASONS), parts, False)
            )
            return
        if rng.random() < 0.15:  # everything came back: the whole payment goes back
            parts = [(line, line.quantity, line.total) for line in order.lines]
            amount = order.total
        else:
            line = rng.choice(order.lines)
            back = line.quantity if line.variant.by_weight else rng.randint(1, line.quantity)
            value = line_total(
                unit_price=line.unit_price, quantity=back, sold_by=line.variant.sold_by
            )
            parts = [(line, back, value)]
            amount = value
        for line, back, _ in parts:
            line.refunded += back
        order.refunds.append(RefundPlan(at, amount, rng.choice(RETURN_REASONS), parts, True))

    def _give_consumer_orders(self) -> None:
        """The demo consumer's orders: spread over the year, each from another village."""
        if self.consumer_id is None:
            return
        candidates = [
            o for o in self.plan.orders if not o.cancelled and o.delivery == DeliveryMethod.DELIVERY
        ]
        step = max(1, len(candidates) // (CONSUMER_ORDERS + 1))
        villages: set[int] = set()
        for order in candidates[step // 2 :: step]:
            village = order.lines[0].variant.village_id
            if village in villages:
                continue
            villages.add(village)
            order.user_id = self.consumer_id
            order.email = DEMO_CONSUMER_EMAIL
            order.address = dict(CONSUMER_ADDRESS)
            if len(villages) == CONSUMER_ORDERS:
                break

    # -- counter -------------------------------------------------------------------------

    def _counter_day_weight(self, day: date) -> float:
        festival = SPRING_FESTIVAL.get(day.year)
        if festival and -1 <= (day - festival).days <= 6:
            return 0.0  # the base is closed
        return COUNTER_WEEKDAY[day.weekday()] * COUNTER_MONTH[day.month]

    def _gift_season(self, day: date) -> bool:
        for table in (SPRING_FESTIVAL, MID_AUTUMN):
            for year in (day.year, day.year + 1):
                festival = table.get(year)
                if festival and 0 < (festival - day).days <= 21:
                    return True
        return False

    def _counter_hours(self, day: date) -> tuple[datetime, datetime] | None:
        opens, closes = self.clock.at(day, 8, 30), self.clock.at(day, 17, 30)
        closes = min(closes, self.clock.now - timedelta(minutes=30))
        return (opens, closes) if closes > opens + timedelta(minutes=30) else None

    def _plan_counter(self) -> None:
        online_g, online_value = self.plan.totals()
        need_g = self.target_g - online_g
        need_value = self.target_value - online_value
        if need_g <= 0 or need_value <= 0:
            raise DomainError("The demo history's online sales alone exceed its targets.")
        ratio = float(need_value) / need_g * 1000  # yuan a kilogram the counter must average
        old = self.clock.at(self.start, 0)
        bulk = [
            v
            for v in self.variants
            if v.top in ("vegetables", "fruit", "grains")
            and v.unit_label not in DRIED_LABELS | JAR_LABELS | TEA_LABELS
            and (v.by_weight or v.weight_g >= 2500)
            and v.published_at <= old
        ]
        gifts = [
            v
            for v in self.variants
            if (v.top == "honey" or v.category_slug == "jujubes" or v.unit_label in DRIED_LABELS)
            and not v.by_weight
            and v.weight_g <= 1000
            and v.published_at <= old
        ]
        if not bulk:
            raise DomainError("The demo catalogue has nothing to sell in bulk at the counter.")
        cheap = [v for v in bulk if v.per_kg(Channel.BASE) <= ratio] or bulk
        dear = [v for v in bulk if v.per_kg(Channel.BASE) > ratio] or bulk
        # The last order closes the gap; the year's orders stop this much short of it.
        reserve_g = int(min(max(need_g * 0.02, 1_500_000), 3_000_000, need_g * 0.3))
        goal_g = need_g - reserve_g
        sold = [0, Decimal("0.00")]  # grams, yuan so far at the counter

        days = self._days()
        weights = [self._counter_day_weight(d) for d in days]
        total_w = sum(weights)
        cum = 0.0
        last_open: date | None = None
        for day, w in zip(days, weights, strict=True):
            cum += w
            hours = self._counter_hours(day) if w else None
            if hours is None:
                continue
            last_open = day
            while sold[0] < goal_g * cum / total_w and goal_g - sold[0] > MIN_COUNTER_LINE_G:
                at = hours[0] + (hours[1] - hours[0]) * self.rng.random()
                if not self._counter_order(day, at, cheap, dear, gifts, ratio, goal_g, sold):
                    break
        if last_open is None:
            raise DomainError("The demo history has no day on which the base was open.")
        self._close_gap(last_open, bulk, need_g - int(sold[0]), need_value - Decimal(sold[1]))

    def _counter_order(
        self,
        day: date,
        at: datetime,
        cheap: list[Variant],
        dear: list[Variant],
        gifts: list[Variant],
        ratio: float,
        goal_g: int,
        sold: list[Any],
    ) -> bool:
        rng = self.rng
        if gifts and self._gift_season(day) and rng.random() < 0.3:
            buyer = "gift"
        else:
            buyer = rng.choices(list(BUYERS), [b[0] for b in BUYERS.values()])[0]
        order = OrderPlan(Channel.BASE, at, DeliveryMethod.COUNTER)
        if buyer == "gift":
            for v in rng.sample(gifts, min(len(gifts), rng.randint(1, 3))):
                order.add(v, max(5, round(rng.randrange(20, 151) * self.size)), self.base_id)
        else:
            _, (low, high), (kg_low, kg_high), tops = BUYERS[buyer]
            taken: set[int] = set()
            for _ in range(rng.randint(low, high)):
                room = goal_g - sold[0] - order.weight_g
                if room < MIN_COUNTER_LINE_G:
                    break
                # Cheaper goods while the value runs ahead of the target, dearer when behind.
                value = float(sold[1] + order.subtotal)
                pool = cheap if value > ratio * (sold[0] + order.weight_g) / 1000 else dear
                top = rng.choices(list(tops), list(tops.values()))[0]
                choices = [v for v in pool if v.top == top and v.id not in taken]
                choices = choices or [v for v in pool if v.id not in taken]
                if not choices:
                    break
                v = rng.choice(choices)
                # Dear goods are bought by the sack, cheap ones by the tonne.
                kg = rng.uniform(kg_low, kg_high) * self.size
                kg = max(20.0, kg * min(1.0, SPEND_LIMIT_PER_KG / v.per_kg(Channel.BASE)))
                quantity = v.quantity_for_kg(min(kg, room / 1000))
                step = 1000 if v.by_weight else 1
                while quantity > step and quantity * v.unit_g > room:
                    quantity -= step
                if quantity * v.unit_g > room:
                    continue
                taken.add(v.id)
                order.add(v, quantity, self.base_id)
        if not order.lines:
            return False
        self._counter_sale(order, buyer)
        if rng.random() < 0.015:
            back_at = at + timedelta(days=rng.uniform(1, 5))
            line = rng.choice(order.lines)
            amount = max(Decimal(1), Decimal(int(line.total * Decimal(rng.uniform(0.03, 0.1)))))
            if back_at < self.clock.now - timedelta(hours=1):
                reason = rng.choice(COUNTER_REFUND_REASONS)
                order.refunds.append(
                    RefundPlan(back_at, amount, reason, spread_refund(order.lines, amount), False)
                )
        g, value = order.net()
        sold[0] += g
        sold[1] += value
        return True

    def _counter_sale(self, order: OrderPlan, buyer: str) -> None:
        rng = self.rng
        for line in order.lines:
            line.shipped_at = order.at
        order.paid_at = order.at
        order.note = f"买方：{rng.choice(BUYER_NAMES[buyer])}"
        if buyer in ("canteen", "wholesaler") and rng.random() < 0.25:
            order.gateway = Gateway.CASH
        else:
            order.gateway = Gateway.BANK_TRANSFER
            day = self.clock.day(order.at)
            order.reference = f"{rng.choice(BANKS)}{day:%Y%m%d}{rng.randrange(10**7, 10**8)}"
        self.plan.orders.append(order)

    def _close_gap(self, day: date, bulk: list[Variant], rest_g: int, rest_value: Decimal) -> None:
        """A last wholesale order of two lines (the cheapest and the dearest goods a
        kilogram, sold loose where possible) that brings weight and value to the targets."""
        if rest_g <= 0:
            return
        hours = self._counter_hours(day)
        assert hours is not None
        ranked = sorted(bulk, key=lambda v: (v.per_kg(Channel.BASE), v.sku))
        low = min(ranked[:3], key=lambda v: (not v.by_weight, v.per_kg(Channel.BASE)))
        high = max(ranked[-3:], key=lambda v: (v.by_weight, v.per_kg(Channel.BASE)))
        p_low, p_high = low.per_kg(Channel.BASE), high.per_kg(Channel.BASE)
        wanted = float(rest_value) * 1000 / rest_g
        if low is high or wanted <= p_low:
            high_g = 0.0
        elif wanted >= p_high:
            high_g = float(rest_g)
        else:
            high_g = (float(rest_value) - p_low * rest_g / 1000) / (p_high - p_low) * 1000
        order = OrderPlan(Channel.BASE, hours[1] - timedelta(minutes=20), DeliveryMethod.COUNTER)
        high_q = round(high_g / high.unit_g)
        if high_q > 0:
            order.add(high, high_q, self.base_id)
        low_q = round((rest_g - high_q * high.unit_g) / low.unit_g)
        if low_q > 0:
            order.add(low, low_q, self.base_id)
        if order.lines:
            self._counter_sale(order, "wholesaler")
