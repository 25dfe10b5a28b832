"""Catalog fields the storefront needs: the inStock / pickupAtBase product filters and the
variant's lotOnOffer (harvest and best-before of the lot an online order takes first)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from alliance.inventory.models import Stock
from tests.backend.catalog.helpers import gid
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.inventory import (
    expired_lot,
    lot,
    stock_in,
    the_base,
    village_warehouse,
)

pytestmark = pytest.mark.django_db

PRODUCTS = """
query($filter: ProductFilterInput) {
  products(first: 100, channel: "online", filter: $filter) { edges { node { name } } }
}"""

LOT_ON_OFFER = """
query($id: ID!) {
  product(id: $id) {
    variants { sku lotOnOffer { code harvestDate bestBefore } }
  }
}"""


def names(gql: Any, **product_filter: Any) -> list[str]:
    data = gql.data(PRODUCTS, {"filter": product_filter})
    return sorted(e["node"]["name"] for e in data["products"]["edges"])


@pytest.fixture
def shelf() -> dict[str, Any]:
    at_base = priced_variant(ProductFactory(name="基地蜂蜜"))
    stock_in(the_base(), lot(at_base), 5)
    in_village = priced_variant(ProductFactory(name="村里小米"))
    stock_in(village_warehouse(in_village.product.producer.village), lot(in_village), 5)
    sold_out = priced_variant(ProductFactory(name="卖完的枣"))
    reserved = stock_in(the_base(), lot(sold_out), 3)
    Stock.objects.filter(pk=reserved.pk).update(allocated=F("quantity"))  # all reserved
    stale = priced_variant(ProductFactory(name="过期的杏干"))
    stock_in(the_base(), expired_lot(stale), 4)
    priced_variant(ProductFactory(name="没有库存的菇"))
    return {"at_base": at_base, "in_village": in_village}


def test_in_stock_keeps_products_with_sellable_stock_anywhere(gql: Any, shelf: Any) -> None:
    assert names(gql, inStock=True) == ["基地蜂蜜", "村里小米"]
    assert len(names(gql)) == 5  # without the filter: everything sold online


def test_pickup_at_base_keeps_products_with_stock_at_the_base(gql: Any, shelf: Any) -> None:
    assert names(gql, pickupAtBase=True) == ["基地蜂蜜"]
    assert names(gql, pickupAtBase=True, inStock=True) == ["基地蜂蜜"]
    assert names(gql, pickupAtBase=False) == names(gql)


def test_lot_on_offer_is_the_earliest_best_before_with_free_stock(gql: Any) -> None:
    variant = priced_variant(ProductFactory(name="槐花蜜"), sku="ACACIA")
    stock_in(the_base(), lot(variant, "LATE", best_before_days=300, harvest_days_ago=2), 5)
    soon = stock_in(
        village_warehouse(variant.product.producer.village),
        lot(variant, "SOON", best_before_days=20, harvest_days_ago=40),
        5,
    )
    stock_in(the_base(), expired_lot(variant, "GONE"), 5)

    variants = gql.data(LOT_ON_OFFER, {"id": gid(variant.product)})["product"]["variants"]
    assert [v["lotOnOffer"]["code"] for v in variants] == ["SOON"]
    assert variants[0]["lotOnOffer"]["harvestDate"] == str(soon.lot.harvest_date)
    assert variants[0]["lotOnOffer"]["bestBefore"] == str(soon.lot.best_before)

    # once that lot is all reserved, the next one is on offer
    Stock.objects.filter(pk=soon.pk).update(allocated=F("quantity"))
    variants = gql.data(LOT_ON_OFFER, {"id": gid(variant.product)})["product"]["variants"]
    assert variants[0]["lotOnOffer"]["code"] == "LATE"


def test_lot_on_offer_is_null_without_stock(gql: Any) -> None:
    variant = priced_variant(ProductFactory(name="空的"))
    variants = gql.data(LOT_ON_OFFER, {"id": gid(variant.product)})["product"]["variants"]
    assert variants == [{"sku": variant.sku, "lotOnOffer": None}]
