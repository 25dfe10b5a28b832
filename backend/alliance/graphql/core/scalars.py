from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter
from typing import Any

import graphene

from alliance.core.money import CURRENCY, quantize
from alliance.core.weight import grams_to_kg


class Money(graphene.ObjectType):
    """An amount of money: a Decimal with 2 places (serialized as a string) and a currency."""

    amount = graphene.Decimal(required=True)
    currency = graphene.String(required=True)


def money(amount: Decimal | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": quantize(amount), "currency": CURRENCY}


class Weight(graphene.ObjectType):
    grams = graphene.Int(required=True)
    kilograms = graphene.Decimal(required=True)


def weight(grams: int) -> dict[str, Any]:
    return {"grams": grams, "kilograms": grams_to_kg(grams)}


def money_from(path: str) -> Callable[[Any, Any], Any]:
    """A resolver for a Money field read from `path` (dotted) of the root object."""
    read = attrgetter(path)
    return lambda root, info: money(read(root))


def weight_from(path: str) -> Callable[[Any, Any], Any]:
    """A resolver for a Weight field read from the integer grams at `path` of the root."""
    read = attrgetter(path)
    return lambda root, info: weight(read(root))
