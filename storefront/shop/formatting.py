"""Pure formatting helpers: money, weight, dates, image srcsets (unit-tested on their own).

Money arrives from the API as a decimal string (CNY, 2 places), weights as integer grams,
times as ISO 8601 with an offset; they are shown in the active language, times in
Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal | None:
    """A Money dict ({"amount": "12.5"}), a string or a number as Decimal; None if empty."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(value: Any) -> str:
    """¥12.50, ¥1,234.00; '' for no value. The same in every language."""
    amount = to_decimal(value)
    if amount is None:
        return ""
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def format_weight(grams: Any, language: str = "zh-hans") -> str:
    """500 克 / 2.5 公斤 (English: 500 g / 2.5 kg); kilograms from 1,000 g on."""
    if isinstance(grams, dict):
        grams = grams.get("grams")
    if grams is None or grams == "":
        return ""
    grams = int(grams)
    english = language.startswith("en")
    if abs(grams) < 1000:
        return f"{grams} g" if english else f"{grams} 克"
    kg = (Decimal(grams) / 1000).normalize()
    text = f"{kg:f}"
    return f"{text} kg" if english else f"{text} 公斤"


def parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def format_datetime(value: str | None, language: str = "zh-hans") -> str:
    """An instant in Asia/Shanghai: 2026年11月29日 17:02 / 29 Nov 2026, 17:02."""
    parsed = parse_datetime(value)
    if parsed is None:
        return ""
    local = parsed.astimezone(SHANGHAI)
    if language.startswith("en"):
        return f"{local.day} {local:%b %Y}, {local:%H:%M}"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_date(value: str | None, language: str = "zh-hans") -> str:
    """A calendar date (harvest, best-before): 2026年4月17日 / 17 Apr 2026."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return ""
    if language.startswith("en"):
        return f"{day.day} {day:%b %Y}"
    return f"{day.year}年{day.month}月{day.day}日"


def srcset(thumbnails: list[dict[str, Any]] | None) -> str:
    """`url 160w, url 480w` from Thumbnail dicts (size/width/url), smallest first."""
    seen: dict[int, str] = {}
    for thumb in thumbnails or []:
        if thumb and thumb.get("url"):
            seen.setdefault(int(thumb.get("width") or thumb.get("size") or 0), thumb["url"])
    return ", ".join(f"{url} {width}w" for width, url in sorted(seen.items()) if width)
