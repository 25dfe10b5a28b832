"""Input -> service arguments for the checkout mutations."""

from __future__ import annotations

from typing import Any

from alliance.checkout.services import LineInput
from alliance.graphql.core.ids import decode_id


def lines_from_input(items: list[Any] | None) -> list[LineInput]:
    return [
        LineInput(
            variant_id=decode_id(item["variant"], "ProductVariant", field=f"lines.{i}.variant"),
            quantity=item["quantity"],
        )
        for i, item in enumerate(items or [])
    ]
