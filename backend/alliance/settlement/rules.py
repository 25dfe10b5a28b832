"""Which commission rate applies to a sale: the most specific rule wins.

For an order line of village V in category C (with ancestors C1, C2, ... up to the root):
1. a rule for V and C, else V and C1, else V and C2, ... (village + category, nearest first);
2. else a rule for V alone;
3. else a rule for C alone, else C1 alone, ... (category, nearest ancestor first);
4. else the alliance's default rule (no village, no category; created by migration
   settlement 0002 at 5 %, and it cannot be deleted).

Rules are few and the category tree is small, so the rates are worked out here in Python for
every (village, category) pair and handed to SQL as one table (`rate_table`); generation
copies the rate onto each statement line, so a later change of rule never changes a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from alliance.catalog.models import Category
from alliance.settlement.errors import NoDefaultRule
from alliance.settlement.models import CommissionRule
from alliance.villages.models import Village

RuleKey = tuple[int | None, int | None]  # (village id, category id)


def category_lineage(parents: dict[int, int | None]) -> dict[int, list[int]]:
    """For each category: itself, then its parent, grandparent, ... (cycles cut)."""
    lineage: dict[int, list[int]] = {}
    for category_id in parents:
        chain, node = [], category_id
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        lineage[category_id] = chain
    return lineage


class RateBook:
    """The rules and the category tree, loaded once; answers rate(village, category)."""

    def __init__(self, rules: dict[RuleKey, Decimal], parents: dict[int, int | None]):
        if (None, None) not in rules:
            raise NoDefaultRule(
                "There is no default commission rule (no village, no category): set one."
            )
        self.rules = rules
        self.lineage = category_lineage(parents)

    @classmethod
    def load(cls) -> RateBook:
        rules = {
            (village_id, category_id): rate
            for village_id, category_id, rate in CommissionRule.objects.values_list(
                "village_id", "category_id", "rate"
            )
        }
        parents = dict(Category.objects.values_list("pk", "parent_id"))
        return cls(rules, parents)

    def rate(self, village_id: int, category_id: int) -> Decimal:
        chain = self.lineage.get(category_id, [category_id])
        for candidate in chain:
            if (village_id, candidate) in self.rules:
                return self.rules[(village_id, candidate)]
        if (village_id, None) in self.rules:
            return self.rules[(village_id, None)]
        for candidate in chain:
            if (None, candidate) in self.rules:
                return self.rules[(None, candidate)]
        return self.rules[(None, None)]

    def table(
        self, village_ids: Iterable[int], category_ids: Iterable[int] | None = None
    ) -> tuple[list[int], list[int], list[Decimal]]:
        """Three parallel lists (village ids, category ids, rates), one row per pair: the
        arrays behind the `rates` table of the generation SQL (unnest)."""
        categories = list(self.lineage) if category_ids is None else list(category_ids)
        villages, cats, rates = [], [], []
        for village_id in village_ids:
            for category_id in categories:
                villages.append(village_id)
                cats.append(category_id)
                rates.append(self.rate(village_id, category_id))
        return villages, cats, rates


def commission_rate_for(*, village_id: int, category_id: int) -> Decimal:
    """The rate a new statement line of this village and category would get today."""
    return RateBook.load().rate(village_id, category_id)


def all_village_ids() -> list[int]:
    return list(Village.objects.order_by("pk").values_list("pk", flat=True))
