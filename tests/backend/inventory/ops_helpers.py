"""Shared set-up of the stock operation tests (receipt, write-off, stocktake)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from graphql_relay import to_global_id

from alliance.catalog.models import ProductVariant
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Lot, Stock, StockMovement, Warehouse
from alliance.villages.models import Producer, Village
from tests.backend.factories.catalog import ProductFactory, VariantFactory
from tests.backend.factories.inventory import village_warehouse
from tests.backend.factories.villages import ProducerFactory


def gid(type_name: str, obj: Any) -> str:
    return to_global_id(type_name, obj.pk)


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


@dataclass
class Scene:
    village: Village
    producer: Producer  # tracks lots
    neighbour: Producer  # another producer of the same village
    warehouse: Warehouse  # the village's collection point
    variant: ProductVariant  # 500 g jar, sold by unit
    neighbour_variant: ProductVariant


def scene() -> Scene:
    producer = ProducerFactory()
    neighbour = ProducerFactory(village=producer.village)
    return Scene(
        village=producer.village,
        producer=producer,
        neighbour=neighbour,
        warehouse=village_warehouse(producer.village),
        variant=VariantFactory(product=ProductFactory(producer=producer), weight_g=500),
        neighbour_variant=VariantFactory(product=ProductFactory(producer=neighbour), weight_g=500),
    )


def weight_variant(producer: Producer) -> ProductVariant:
    """Sold by weight: quantities count grams."""
    return VariantFactory(
        product=ProductFactory(producer=producer),
        weight_g=5000,
        unit_label="按斤称重",
        sold_by=ProductVariant.SoldBy.WEIGHT,
    )


def untracked_variant(producer: Producer) -> ProductVariant:
    return VariantFactory(
        product=ProductFactory(producer=producer, tracks_lots=False), weight_g=2500
    )


def snapshot() -> tuple[Any, ...]:
    """Everything a stock operation may change; equal before and after = nothing changed."""
    return (
        sorted(Stock.objects.values_list("pk", "quantity", "allocated")),
        sorted(Lot.objects.values_list("pk", "code", "harvest_date", "best_before")),
        StockMovement.objects.count(),
    )


@pytest.fixture
def ledger_checked():  # type: ignore[no-untyped-def]
    """After each scenario, on-hand stock equals the sum of the ledger."""
    yield
    assert ledger_mismatches() == []
