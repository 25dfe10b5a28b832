"""Server-rendered SVG charts (no script, no CDN): horizontal bars with their figures.

The markup is built from escaped text only, so it can be marked safe in a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 300
VALUE_WIDTH = 120
PALETTE = ("#0b6e4f", "#3a7ca5", "#b5651d", "#7d5ba6", "#a23b72", "#52606d")


def bar_chart(
    title: str,
    items: Sequence[tuple[str, Decimal | int | float]],
    *,
    unit: str = "",
    colour: str = PALETTE[0],
    limit: int = 25,
) -> SafeString:
    """A labelled horizontal bar chart of `items` (label, value), largest scale = widest."""
    rows = list(items)[:limit]
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * max(len(rows), 1) + 28
    peak = max((Decimal(str(v)) for _, v in rows), default=Decimal(0))
    parts = [
        f'<svg class="c-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not rows:
        parts.append('<text x="0" y="40">没有数据</text>')
    for i, (label, value) in enumerate(rows):
        y = 24 + i * ROW
        number = Decimal(str(value))
        bar = int(BAR_WIDTH * number / peak) if peak > 0 and number > 0 else 0
        shown = f"{number:,.2f}" if number != number.to_integral_value() else f"{number:,.0f}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(label[:14])}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{bar}" height="{ROW - 7}" '
            f'fill="{colour}"><title>{escape(label)}: {shown} {escape(unit)}</title></rect>'
            f'<text x="{LABEL_WIDTH + bar + 4}" y="{y + 14}">{shown} {escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece of text above is escaped
