"""Weight is stored as integer grams; kilograms and tonnes only at the edges, as Decimal."""

from __future__ import annotations

from decimal import Decimal

GRAMS_PER_KG = 1000
GRAMS_PER_TONNE = 1_000_000


def grams_to_kg(grams: int) -> Decimal:
    return (Decimal(grams) / GRAMS_PER_KG).quantize(Decimal("0.001"))


def grams_to_tonnes(grams: int) -> Decimal:
    return (Decimal(grams) / GRAMS_PER_TONNE).quantize(Decimal("0.000001"))
