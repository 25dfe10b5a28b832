"""The demo catalogue, planned in memory: product names, variants and prices per producer.

Every product belongs to one child category of the tree made by catalog/0002 (looked up by
slug when loading). Names combine a real village name (or an enterprise's brand), a word
such as 农家 or 山地 and a grade, so the catalogue reads like a county's shelves rather than a
list of the same ten words. Prices are Decimal CNY: per unit, or per kilogram for the few
variants sold by weight; the base counter is usually a little cheaper than the storefront.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from alliance.core.demo.county import CountyPlan, ProducerPlan
from alliance.core.money import quantize

SKU_PREFIX = "DEMO-"
DRAFT_SHARE = 0.06
# Cooperatives keep dry beans in sacks topped up from each harvest, with no batch labels:
# those products do not track harvest lots (their stock sits in one default lot).
UNTRACKED = {("cooperative", "beans")}


@dataclass(frozen=True)
class Pack:
    label: str
    weight_g: int
    sold_by: str = "unit"  # "weight": priced per kg, weight_g is the usual pack size


JAR = (Pack("250 g 瓶", 250), Pack("500 g 罐", 500), Pack("1 kg 罐", 1000))
COMB = (Pack("400 g 盒", 400), Pack("800 g 礼盒", 800))
GRAIN = (Pack("500 g 袋", 500), Pack("2.5 kg 袋", 2500), Pack("5 kg 箱", 5000))
FRUIT = (Pack("2.5 kg 箱", 2500), Pack("5 kg 箱", 5000), Pack("10 kg 箱", 10000))
DRIED = (Pack("100 g 袋", 100), Pack("250 g 袋", 250), Pack("500 g 礼盒", 500))
FRESH_FUNGI = (Pack("1 kg 盒", 1000), Pack("2.5 kg 箱", 2500))
VEG = (Pack("2.5 kg 袋", 2500), Pack("5 kg 箱", 5000), Pack("10 kg 筐", 10000))
TEA = (Pack("150 g 罐", 150), Pack("300 g 礼盒", 300))
BULK = Pack("散装 按公斤称重", 1000, "weight")


@dataclass(frozen=True)
class Item:
    """A kind of goods: its name, price range per kilogram (CNY) and how it is packed."""

    name: str
    per_kg: tuple[int, int]
    packs: tuple[Pack, ...]
    bulk: bool = False  # may also be sold loose, by weight


ITEMS: dict[str, tuple[Item, ...]] = {
    "leafy-greens": (
        Item("大白菜", (3, 6), VEG, True),
        Item("菠菜", (8, 14), VEG[:2], True),
        Item("油麦菜", (8, 12), VEG[:2]),
        Item("芹菜", (5, 9), VEG, True),
        Item("韭菜", (8, 14), VEG[:2]),
    ),
    "root-vegetables": (
        Item("洋芋", (3, 5), VEG, True),
        Item("红薯", (4, 8), VEG, True),
        Item("胡萝卜", (3, 6), VEG, True),
        Item("山药", (12, 20), VEG[:2]),
        Item("白萝卜", (2, 4), VEG, True),
    ),
    "fruiting-vegetables": (
        Item("辣椒", (8, 14), VEG[:2], True),
        Item("线椒", (10, 16), VEG[:2]),
        Item("南瓜", (3, 6), VEG, True),
        Item("西红柿", (6, 10), VEG, True),
        Item("茄子", (5, 9), VEG[:2]),
        Item("黄瓜", (5, 9), VEG[:2], True),
        Item("西葫芦", (4, 7), VEG, True),
    ),
    "apples": (
        Item("苹果", (8, 14), FRUIT, True),
        Item("红富士苹果", (10, 16), FRUIT),
        Item("嘎啦苹果", (8, 13), FRUIT),
        Item("秦冠苹果", (6, 10), FRUIT, True),
        Item("苹果干", (50, 80), DRIED),
    ),
    "pears": (
        Item("酥梨", (7, 12), FRUIT, True),
        Item("香梨", (8, 14), FRUIT),
        Item("秋月梨", (10, 16), FRUIT),
        Item("梨膏", (160, 240), JAR[:2]),
    ),
    "stone-fruit": (
        Item("山杏", (10, 18), FRUIT[:2]),
        Item("杏干", (40, 70), DRIED),
        Item("水蜜桃", (12, 20), FRUIT[:2]),
        Item("李子", (10, 16), FRUIT[:2]),
        Item("杏仁", (60, 100), DRIED),
    ),
    "jujubes": (
        Item("红枣", (24, 40), GRAIN, True),
        Item("狗头枣", (30, 50), GRAIN[:2]),
        Item("骏枣", (36, 60), GRAIN[:2]),
        Item("枣夹核桃", (80, 120), DRIED),
    ),
    "millet": (
        Item("小米", (14, 24), GRAIN, True),
        Item("黄小米", (16, 26), GRAIN),
        Item("黄米", (14, 22), GRAIN),
        Item("糜子米", (12, 20), GRAIN),
    ),
    "buckwheat": (
        Item("荞麦面", (12, 20), GRAIN),
        Item("荞麦米", (14, 22), GRAIN),
        Item("苦荞茶", (80, 140), TEA),
        Item("荞麦饸饹面", (16, 26), GRAIN[:2]),
    ),
    "beans": (
        Item("红小豆", (14, 24), GRAIN, True),
        Item("绿豆", (12, 20), GRAIN, True),
        Item("黑豆", (14, 22), GRAIN),
        Item("黄豆", (8, 14), GRAIN, True),
        Item("芸豆", (14, 24), GRAIN),
    ),
    "corn": (
        Item("玉米糁", (8, 14), GRAIN),
        Item("玉米面", (6, 12), GRAIN),
        Item("黏玉米棒", (10, 16), FRUIT[:2]),
    ),
    "shiitake": (
        Item("香菇", (16, 28), FRESH_FUNGI, True),
        Item("干香菇", (100, 160), DRIED),
        Item("花菇", (140, 220), DRIED),
    ),
    "wood-ear": (
        Item("黑木耳", (120, 200), DRIED),
        Item("秋木耳", (140, 220), DRIED),
    ),
    "oyster-mushrooms": (
        Item("杏鲍菇", (10, 18), FRESH_FUNGI, True),
        Item("平菇", (8, 14), FRESH_FUNGI, True),
        Item("白玉菇", (14, 22), FRESH_FUNGI),
    ),
    "wild-honey": (
        Item("土蜂蜜", (100, 180), JAR),
        Item("野山蜂蜜", (120, 200), JAR),
        Item("蜂巢蜜", (200, 300), COMB),
    ),
    "acacia-honey": (
        Item("槐花蜂蜜", (80, 140), JAR),
        Item("洋槐蜜", (80, 130), JAR),
    ),
    "multiflower-honey": (
        Item("百花蜜", (70, 120), JAR),
        Item("山花蜂蜜", (80, 140), JAR),
        Item("荆条蜜", (80, 130), JAR),
    ),
}

TOP_OF = {
    "leafy-greens": "vegetables",
    "root-vegetables": "vegetables",
    "fruiting-vegetables": "vegetables",
    "apples": "fruit",
    "pears": "fruit",
    "stone-fruit": "fruit",
    "jujubes": "fruit",
    "millet": "grains",
    "buckwheat": "grains",
    "beans": "grains",
    "corn": "grains",
    "shiitake": "fungi",
    "wood-ear": "fungi",
    "oyster-mushrooms": "fungi",
    "wild-honey": "honey",
    "acacia-honey": "honey",
    "multiflower-honey": "honey",
}

WORDS = {
    "vegetables": ("新鲜", "农家", "高山", "有机"),
    "fruit": ("山地", "高原", "新鲜", "当季"),
    "grains": ("农家", "有机", "新", "石磨"),
    "fungi": ("椴木", "农家", "新鲜", "大棚"),
    "honey": ("农家", "纯正", "原生态", "山区"),
}
GRADES = ("特级", "一级", "精选", "礼盒装", "家庭装")
BLURBS = {
    "vegetables": "清晨采摘，当天分拣装箱，由村集货点冷链送往联盟基地。",
    "fruit": "黄土高原光照足、昼夜温差大，果实糖分高、口感脆甜。",
    "grains": "旱塬种植，一年一季，不施化学除草剂，颗粒饱满。",
    "fungi": "大棚和林下种植，采收后及时分级，干品自然晾晒。",
    "honey": "蜂农定点放蜂，自然成熟后取蜜，不添加任何成分。",
}


@dataclass(frozen=True)
class VariantPlan:
    sku: str
    unit_label: str
    weight_g: int
    sold_by: str
    online_price: Decimal
    base_price: Decimal


@dataclass(frozen=True)
class ProductPlan:
    number: int
    name: str
    category_slug: str
    producer: ProducerPlan
    description: str
    origin: str
    published: bool
    published_days_ago: int
    variants: tuple[VariantPlan, ...] = field(default=())
    tracks_lots: bool = True

    @property
    def top_category(self) -> str:
        return TOP_OF[self.category_slug]


def _price(rng: random.Random, per_kg: Decimal, pack: Pack) -> tuple[Decimal, Decimal]:
    """(online, base) prices: per unit, or per kg for weight-sold packs; base 3-12 % cheaper."""
    if pack.sold_by == "weight":
        online = per_kg
    else:
        factor = Decimal("1.10") if pack.weight_g < 1000 else Decimal("1.00")
        if pack.weight_g >= 5000:
            factor = Decimal("0.93")
        online = per_kg * pack.weight_g / 1000 * factor
        # Shop prices end in .00, .80 or .90.
        online = Decimal(int(online)) + rng.choice((Decimal("0"), Decimal("0.8"), Decimal("0.9")))
    online = max(quantize(online), Decimal("1.00"))
    base = quantize(online * Decimal(rng.randrange(88, 98)) / 100)
    return online, base


def _name(rng: random.Random, item: Item, top: str, prefix: str) -> str:
    word = rng.choice(WORDS[top])
    grade = rng.choice(GRADES)
    pattern = rng.randrange(5)
    if pattern == 0:
        return f"{prefix}{item.name}"
    if pattern == 1:
        return f"{word}{item.name}"
    if pattern == 2:
        return f"{prefix}{word}{item.name}"
    if pattern == 3:
        return f"{item.name}（{grade}）"
    return f"{prefix}{item.name}（{grade}）"


def plan_products(county: CountyPlan, seed: int = 610627) -> list[ProductPlan]:
    """Every producer's products, the same for the same seed; numbers make stable SKUs."""
    rng = random.Random(seed * 31 + 7)
    plans: list[ProductPlan] = []
    for producer in county.producers:
        village = county.village(producer.village_code)
        town = county.town(village.town_code)
        if producer.kind == "enterprise":
            slugs = [*producer.categories, *rng.sample(producer.categories, 1)]
            prefix = producer.brand
        else:
            count = 2 if rng.random() < 0.55 else 1
            slugs = [rng.choice(producer.categories) for _ in range(count)]
            prefix = village.short_name
        names: set[str] = set()
        for slug in slugs:
            top = TOP_OF[slug]
            item = rng.choice(ITEMS[slug])
            name = _name(rng, item, top, prefix)
            for _ in range(5):  # one producer does not list the same name twice
                if name not in names:
                    break
                item = rng.choice(ITEMS[slug])
                name = _name(rng, item, top, prefix)
            else:
                name = f"{name}（{len(names) + 1}号）"
            names.add(name)
            number = len(plans) + 1
            per_kg = Decimal(rng.randrange(item.per_kg[0] * 10, item.per_kg[1] * 10 + 1)) / 10
            count = rng.randint(1, min(3, len(item.packs)))
            packs = sorted(rng.sample(item.packs, count), key=lambda p: p.weight_g)
            if item.bulk and rng.random() < 0.25:  # a few are also sold loose, by weight
                packs = [*packs[:2], BULK]
            variants = []
            for index, pack in enumerate(packs, start=1):
                online, base = _price(rng, per_kg, pack)
                variants.append(
                    VariantPlan(
                        sku=f"{SKU_PREFIX}{number:04d}-{index}",
                        unit_label=pack.label,
                        weight_g=pack.weight_g,
                        sold_by=pack.sold_by,
                        online_price=online,
                        base_price=base,
                    )
                )
            plans.append(
                ProductPlan(
                    number=number,
                    name=name,
                    category_slug=slug,
                    producer=producer,
                    description=f"产自甘泉县{town.name}{village.name}。{BLURBS[top]}",
                    origin=f"{town.name} {village.name}",
                    published=rng.random() >= DRAFT_SHARE,
                    published_days_ago=rng.randrange(1, 240),
                    variants=tuple(variants),
                    tracks_lots=(producer.kind, slug) not in UNTRACKED,
                )
            )
    return plans
