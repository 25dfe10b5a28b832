"""Global ID -> model instance for mutation inputs, with the errors a client can act on."""

from __future__ import annotations

from typing import Any

from alliance.catalog.models import Category
from alliance.catalog.services import PriceInput
from alliance.core.errors import NotFound
from alliance.graphql.core.ids import decode_id
from alliance.villages.models import Producer


def category_from_id(global_id: str, *, field: str = "category") -> Category:
    category = Category.objects.filter(pk=decode_id(global_id, "Category", field=field)).first()
    if category is None:
        raise NotFound("Category not found.", field=field)
    return category


def producer_from_id(global_id: str, *, field: str = "producer") -> Producer:
    producer = (
        Producer.objects.select_related("village__town")
        .filter(pk=decode_id(global_id, "Producer", field=field))
        .first()
    )
    if producer is None:
        raise NotFound("Producer not found.", field=field)
    return producer


def prices_from_input(items: list[Any] | None) -> list[PriceInput]:
    return [
        PriceInput(
            channel_slug=item["channel"],
            price=item["price"],
            is_available=item.get("is_available", True),
        )
        for item in (items or [])
    ]
