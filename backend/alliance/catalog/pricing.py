"""What a quantity of a variant costs and weighs. Weight-sold variants count grams and are
priced per kilogram; unit-sold variants count units of `weight_g` grams each."""

from __future__ import annotations

from decimal import Decimal

from alliance.catalog.models import ProductVariant
from alliance.core.money import quantize
from alliance.core.weight import GRAMS_PER_KG


def line_total(*, unit_price: Decimal, quantity: int, sold_by: str) -> Decimal:
    """Price x quantity, rounded once (ROUND_HALF_UP); weight-sold: price per kg x grams / 1000."""
    if sold_by == ProductVariant.SoldBy.WEIGHT:
        return quantize(unit_price * quantity / GRAMS_PER_KG)
    return quantize(unit_price * quantity)


def line_weight_g(*, variant: ProductVariant, quantity: int) -> int:
    """Grams in `quantity` of `variant` (signed like the quantity)."""
    if variant.sold_by == ProductVariant.SoldBy.WEIGHT:
        return quantity
    return variant.weight_g * quantity
