"""The demo county's places and producers, planned in memory (no database access here).

Townships and villages are real: Ganquan County's official list (data/ganquan-villages.csv,
source in data/README.md) has 6 townships with 62 village committees and 9 community
committees. The county's own report speaks of 63 villages in the alliance, a few years apart
from the official list, so the demo takes all 62 village committees plus one community:
南关社区 of 美水街道, the county seat, where the alliance base counter stands in the demo.
That choice is ours (the county does not publish its 63 with codes) and lives in
`EXTRA_COMMUNITY_CODE`.

Names are stored without the committee suffix: 红旗村委会 -> 红旗村, 南关社区居委会 -> 南关社区.
Cooperatives, enterprises and village stories are generated from a fixed seed, so every run
plans the same county.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parent / "data" / "ganquan-villages.csv"
EXTRA_COMMUNITY_CODE = "610627001001"  # 南关社区居委会, 美水街道
COOPERATIVE_COUNT = 202
ENTERPRISE_COUNT = 8

TOWN_NAMES_EN = {  # pinyin of the township names
    "610627001": "Meishui Subdistrict",  # 美水街道
    "610627101": "Xiasiwan Town",  # 下寺湾镇
    "610627102": "Daozhen Town",  # 道镇
    "610627103": "Shimen Town",  # 石门镇
    "610627200": "Qiaozhen Township",  # 桥镇乡
    "610627203": "Laoshan Township",  # 劳山乡
}


@dataclass(frozen=True)
class Specialty:
    """What a cooperative is named after and which child categories (slugs) it sells."""

    label: str
    categories: tuple[str, ...]


SPECIALTIES = (
    Specialty("蜂业", ("wild-honey", "acacia-honey", "multiflower-honey")),
    Specialty("养蜂", ("wild-honey", "acacia-honey")),
    Specialty("苹果", ("apples",)),
    Specialty("果业", ("apples", "pears", "stone-fruit")),
    Specialty("红枣", ("jujubes",)),
    Specialty("酥梨", ("pears",)),
    Specialty("山杏", ("stone-fruit",)),
    Specialty("小米", ("millet",)),
    Specialty("杂粮", ("millet", "buckwheat", "beans", "corn")),
    Specialty("荞麦", ("buckwheat",)),
    Specialty("玉米", ("corn", "beans")),
    Specialty("食用菌", ("shiitake", "wood-ear", "oyster-mushrooms")),
    Specialty("香菇", ("shiitake",)),
    Specialty("木耳", ("wood-ear",)),
    Specialty("蔬菜", ("leafy-greens", "root-vegetables", "fruiting-vegetables")),
    Specialty("设施蔬菜", ("fruiting-vegetables", "leafy-greens")),
    Specialty("洋芋", ("root-vegetables",)),
    Specialty("辣椒", ("fruiting-vegetables",)),
)

ENTERPRISE_BRANDS = ("绿源", "丰泽", "金秋", "百蜂源", "山丹丹", "黄土情", "洛河湾", "劳山林")
ENTERPRISE_VILLAGES = (
    "南关社区",
    "下寺湾村",
    "道镇村",
    "石门村",
    "桥镇村",
    "劳山村",
    "美水泉村",
    "红旗村",
)
ALL_CHILD_CATEGORIES = (
    "leafy-greens",
    "root-vegetables",
    "fruiting-vegetables",
    "apples",
    "pears",
    "stone-fruit",
    "jujubes",
    "millet",
    "buckwheat",
    "beans",
    "corn",
    "shiitake",
    "wood-ear",
    "oyster-mushrooms",
    "wild-honey",
    "acacia-honey",
    "multiflower-honey",
)


@dataclass(frozen=True)
class TownPlan:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class VillagePlan:
    code: str
    name: str  # 红旗村, 南关社区
    town_code: str
    kind: str  # "village" or "community"
    story: str

    @property
    def short_name(self) -> str:
        """The name as a prefix of product and cooperative names: 红旗, 府村, 南关."""
        short = self.name.removesuffix("社区").removesuffix("村")
        return short if len(short) > 1 else self.name


@dataclass(frozen=True)
class ProducerPlan:
    name: str
    kind: str  # "cooperative" or "enterprise"
    village_code: str
    description: str
    categories: tuple[str, ...]  # child category slugs it sells
    brand: str = ""  # enterprises: the word their product names start with


@dataclass
class CountyPlan:
    towns: list[TownPlan] = field(default_factory=list)
    villages: list[VillagePlan] = field(default_factory=list)
    producers: list[ProducerPlan] = field(default_factory=list)

    def village(self, code: str) -> VillagePlan:
        return next(v for v in self.villages if v.code == code)

    def town(self, code: str) -> TownPlan:
        return next(t for t in self.towns if t.code == code)


def _committee_to_name(raw: str) -> str:
    return raw.removesuffix("居委会").removesuffix("委会")


_TERRAIN = (
    "坐落在洛河川道，地势平坦，水浇地连片",
    "地处黄土高原丘陵沟壑区，梁峁起伏，山地果园层层叠叠",
    "沟深林密，植被茂盛，是养蜂的好地方",
    "背靠子午岭林区，昼夜温差大，光照充足",
    "位于川台地上，土层深厚，适合种植杂粮",
    "紧邻县城，交通便利，设施农业发展较早",
)
_HISTORY = (
    "村里的老人说，这里的小米熬粥能结出厚厚一层米油",
    "上世纪八十年代起，村民就开始在山坡上栽种苹果",
    "村里养蜂的传统已有几十年，槐花开时满沟都是蜜蜂",
    "近年来村里建起了食用菌大棚，带动不少年轻人返乡",
    "村民们把荞麦、红小豆、谷子轮换着种，地力常年不衰",
    "在第一书记的帮助下，村里成立了合作社，统一收购、统一包装",
)
_FUTURE = (
    "如今，村里的农产品通过联盟线上商城和基地门店卖到了全国各地。",
    "合作社与联盟基地签订了收购协议，农户不再为销路发愁。",
    "村里正在建设冷库和集货点，让新鲜的果蔬更快走出大山。",
    "每到收获季节，联盟的收购车直接开到村口的集货点。",
)


def _story(rng: random.Random, village: str, town: str, specialties: list[str]) -> str:
    households = rng.randrange(80, 420)
    main = "、".join(specialties[:2])
    whole = "社区共" if village.endswith("社区") else "全村"
    return (
        f"{village}隶属甘泉县{town}，{rng.choice(_TERRAIN)}。{whole}{households}户，"
        f"{main}是主要产业。{rng.choice(_HISTORY)}。{rng.choice(_FUTURE)}"
    )


def read_divisions(path: Path = CSV_PATH) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def plan_county(seed: int = 610627) -> CountyPlan:
    """Towns, the 63 villages and 210 producers, the same for the same seed."""
    rng = random.Random(seed)
    rows = read_divisions()
    plan = CountyPlan()
    seen_towns: set[str] = set()
    chosen = [
        r for r in rows if r["kind"] == "village" or r["village_code"] == EXTRA_COMMUNITY_CODE
    ]
    for row in rows:
        if row["township_code"] not in seen_towns:
            seen_towns.add(row["township_code"])
            plan.towns.append(
                TownPlan(
                    code=row["township_code"],
                    name=row["township_name"],
                    name_en=TOWN_NAMES_EN[row["township_code"]],
                )
            )

    # Cooperatives: every village gets at least one, the rest are spread at random; each
    # cooperative of a village has its own specialty, so names never repeat in a village.
    per_village = [1] * len(chosen)
    for _ in range(COOPERATIVE_COUNT - len(chosen)):
        per_village[rng.randrange(len(chosen))] += 1
    specialties_of: dict[str, list[Specialty]] = {}
    for row, count in zip(chosen, per_village, strict=True):
        specialties_of[row["village_code"]] = rng.sample(SPECIALTIES, min(count, len(SPECIALTIES)))

    towns = {t.code: t for t in plan.towns}
    for row in chosen:
        specs = specialties_of[row["village_code"]]
        plan.villages.append(
            VillagePlan(
                code=row["village_code"],
                name=_committee_to_name(row["village_name"]),
                town_code=row["township_code"],
                kind=row["kind"],
                story=_story(
                    rng,
                    _committee_to_name(row["village_name"]),
                    towns[row["township_code"]].name,
                    [s.label for s in specs],
                ),
            )
        )

    for village in plan.villages:
        for spec in specialties_of[village.code]:
            plan.producers.append(
                ProducerPlan(
                    name=f"{village.short_name}{spec.label}专业合作社",
                    kind="cooperative",
                    village_code=village.code,
                    description=(
                        f"{village.name}农户自愿联合成立的农民专业合作社，"
                        f"主营{spec.label}的种植（养殖）、收购、分拣和销售。"
                    ),
                    categories=spec.categories,
                )
            )

    # Enterprises sit in township seats and the county seat; together they sell every child
    # category, so the catalogue covers the whole category tree whatever the cooperatives drew.
    by_name = {v.name: v for v in plan.villages}
    for i, brand in enumerate(ENTERPRISE_BRANDS[:ENTERPRISE_COUNT]):
        village = by_name[ENTERPRISE_VILLAGES[i % len(ENTERPRISE_VILLAGES)]]
        plan.producers.append(
            ProducerPlan(
                name=f"甘泉县{brand}农业科技有限公司",
                kind="enterprise",
                village_code=village.code,
                description=(
                    f"扎根{towns[village.town_code].name}的农业企业，"
                    "与周边合作社订单收购，负责分级、包装和冷链。"
                ),
                categories=ALL_CHILD_CATEGORIES[i::ENTERPRISE_COUNT],
                brand=brand,
            )
        )
    return plan
