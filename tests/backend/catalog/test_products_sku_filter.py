"""products(filter: {sku}) — the base counter finds a scanned or typed SKU."""

import pytest

from tests.backend.factories.catalog import ProductFactory, priced_variant

pytestmark = pytest.mark.django_db

QUERY = """
query($sku: String) { products(first: 10, channel: "base", filter: {sku: $sku}) {
  totalCount edges { node { name variants { sku } } } } }
"""


def test_sku_filter_finds_the_product_case_insensitively(gql):
    honey = ProductFactory(name="槐花蜂蜜")
    priced_variant(honey, sku="HNY-500")
    priced_variant(honey, sku="HNY-1000")
    priced_variant(ProductFactory(name="小米"), sku="MIL-5")

    found = gql.data(QUERY, {"sku": " hny-500 "})["products"]

    assert found["totalCount"] == 1
    assert [e["node"]["name"] for e in found["edges"]] == ["槐花蜂蜜"]


def test_unknown_sku_finds_nothing_and_empty_sku_filters_nothing(gql):
    priced_variant(ProductFactory(name="小米"), sku="MIL-5")

    assert gql.data(QUERY, {"sku": "NOPE"})["products"]["totalCount"] == 0
    assert gql.data(QUERY, {"sku": ""})["products"]["totalCount"] == 1
