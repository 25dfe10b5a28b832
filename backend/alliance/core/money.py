"""Money is Decimal CNY with 2 places. Rounding happens here, once, ROUND_HALF_UP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
CURRENCY = "CNY"


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round an amount to fen (0.01 CNY), half up."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {amount!r}") from exc


def to_fen(amount: Decimal) -> int:
    """CNY -> integer fen, for payment gateways that count in minor units."""
    return int(quantize(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return quantize(Decimal(fen) / 100)
