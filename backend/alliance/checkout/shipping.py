"""The delivery fee by total weight, from a table in settings.

`settings.SHIPPING_RATES` is a list of `(max_grams, fee)` bands in increasing order: a parcel
of `w` grams pays the fee of the first band with `w <= max_grams`. Above the last band the
fee is the last band's fee plus `settings.SHIPPING_EXTRA_PER_KG` for every started kilogram
over it (default: ¥35 up to 20 kg, then ¥2 per started kg: 20.001 kg costs ¥37). We charge
rather than refuse heavy parcels: a family ordering 25 kg of millet should be able to buy,
and a courier's price grows the same way. An empty checkout (0 g) costs nothing; pick-up at
the base costs nothing (alliance.checkout.selectors decides which applies).

Settings are read when a fee is computed, never at import, so tests may override them;
`checks.py` refuses a malformed table at start-up (checkout.E001).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from alliance.core.money import quantize

GRAMS_PER_KG = 1000
DEFAULT_SHIPPING_RATES: tuple[tuple[int, Decimal], ...] = (
    (1_000, Decimal("8.00")),
    (3_000, Decimal("12.00")),
    (5_000, Decimal("15.00")),
    (10_000, Decimal("22.00")),
    (20_000, Decimal("35.00")),
)
DEFAULT_EXTRA_PER_KG = Decimal("2.00")


class ShippingTableInvalid(ValueError):
    pass


def shipping_rates() -> list[tuple[int, Decimal]]:
    """The configured table, validated: at least one band, grams strictly increasing and
    positive, fees Decimal-able and not negative, never decreasing."""
    raw: Any = getattr(settings, "SHIPPING_RATES", None) or DEFAULT_SHIPPING_RATES
    rates: list[tuple[int, Decimal]] = []
    for band in raw:
        try:
            max_grams, fee = band
        except (TypeError, ValueError):
            raise ShippingTableInvalid(f"A band is (max_grams, fee), not {band!r}.") from None
        if isinstance(max_grams, bool) or not isinstance(max_grams, int) or max_grams <= 0:
            raise ShippingTableInvalid(f"max_grams must be a positive int, not {max_grams!r}.")
        if isinstance(fee, float):
            raise ShippingTableInvalid("fees are Decimal or str, never float.")
        try:
            amount = quantize(fee)
        except (TypeError, ValueError):
            raise ShippingTableInvalid(f"{fee!r} is not an amount of money.") from None
        if amount < 0:
            raise ShippingTableInvalid(f"A fee cannot be negative: {fee!r}.")
        if rates and (max_grams <= rates[-1][0] or amount < rates[-1][1]):
            raise ShippingTableInvalid("Bands must grow in weight, and fees never fall.")
        rates.append((max_grams, amount))
    if not rates:
        raise ShippingTableInvalid("SHIPPING_RATES has no band.")
    return rates


def extra_per_kg() -> Decimal:
    raw = getattr(settings, "SHIPPING_EXTRA_PER_KG", DEFAULT_EXTRA_PER_KG)
    if isinstance(raw, float):
        raise ShippingTableInvalid("SHIPPING_EXTRA_PER_KG is Decimal or str, never float.")
    amount = quantize(raw)
    if amount < 0:
        raise ShippingTableInvalid("SHIPPING_EXTRA_PER_KG cannot be negative.")
    return amount


def shipping_fee(total_weight_g: int) -> Decimal:
    """The delivery fee of a parcel of `total_weight_g` grams."""
    if total_weight_g <= 0:
        return quantize(0)
    rates = shipping_rates()
    for max_grams, fee in rates:
        if total_weight_g <= max_grams:
            return fee
    last_grams, last_fee = rates[-1]
    started_kg = -(-(total_weight_g - last_grams) // GRAMS_PER_KG)  # ceiling division
    return quantize(last_fee + extra_per_kg() * started_kg)
