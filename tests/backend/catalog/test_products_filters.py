import random
from datetime import timedelta

import pytest
from django.utils import timezone

from alliance.catalog.models import Product
from tests.backend.catalog.helpers import gid
from tests.backend.factories.catalog import ProductFactory, category, priced_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory

pytestmark = pytest.mark.django_db

QUERY = """
query($filter: ProductFilterInput, $sortBy: ProductSortInput, $channel: String) {
  products(first: 100, filter: $filter, sortBy: $sortBy, channel: $channel) {
    edges { node { name } }
    totalCount
  }
}
"""


def names(gql, **variables):
    data = gql.data(QUERY, variables)["products"]
    result = [e["node"]["name"] for e in data["edges"]]
    assert data["totalCount"] == len(result)
    return result


@pytest.fixture
def shelf():
    hill, river = VillageFactory(name="山村"), VillageFactory(name="河村")
    bees = ProducerFactory(village=hill)
    grains = ProducerFactory(village=river)
    now = timezone.now()
    items = {}
    for i, (name, slug, producer, online, base) in enumerate(
        [
            ("土蜂蜜", "wild-honey", bees, "88.00", "80.00"),
            ("槐花蜜", "acacia-honey", bees, "66.00", None),
            ("小米", "millet", grains, "12.50", "11.00"),
            ("荞麦面", "buckwheat", grains, "19.90", "18.00"),
        ]
    ):
        product = ProductFactory(name=name, category=category(slug), producer=producer)
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=10 - i))
        priced_variant(product, online=online, base=base)
        items[name] = product
    return {"hill": hill, "river": river, "bees": bees, "grains": grains, **items}


def test_category_filter_includes_subcategories(gql, shelf):
    assert sorted(names(gql, filter={"categories": [gid(category("honey"))]})) == sorted(
        ["土蜂蜜", "槐花蜜"]
    )
    assert names(gql, filter={"categories": [gid(category("millet"))]}) == ["小米"]


def test_village_and_producer_filters(gql, shelf):
    assert sorted(names(gql, filter={"villages": [gid(shelf["river"])]})) == sorted(
        ["小米", "荞麦面"]
    )
    assert sorted(names(gql, filter={"producers": [gid(shelf["bees"])]})) == sorted(
        ["土蜂蜜", "槐花蜜"]
    )


def test_price_range_in_a_channel(gql, shelf):
    in_range = names(gql, channel="online", filter={"price": {"gte": "12.50", "lte": "66.00"}})
    assert sorted(in_range) == sorted(["小米", "荞麦面", "槐花蜜"])


def test_channel_hides_products_not_sold_there(gql, shelf):
    assert "槐花蜜" not in names(gql, channel="base")
    assert "槐花蜜" in names(gql, channel="online")


def test_unknown_channel_is_an_error(gql, shelf):
    result = gql.execute(QUERY, {"channel": "moon"})
    assert "There is no channel 'moon'" in result["errors"][0]["message"]


def test_sorting(gql, shelf):
    assert names(gql) == ["荞麦面", "小米", "槐花蜜", "土蜂蜜"]  # newest first by default
    assert names(gql, sortBy={"field": "NEWEST", "descending": True}) == [
        "土蜂蜜",
        "槐花蜜",
        "小米",
        "荞麦面",
    ]
    assert names(gql, channel="online", sortBy={"field": "PRICE"}) == [
        "小米",
        "荞麦面",
        "槐花蜜",
        "土蜂蜜",
    ]
    assert names(gql, channel="online", sortBy={"field": "PRICE", "descending": True}) == [
        "土蜂蜜",
        "槐花蜜",
        "荞麦面",
        "小米",
    ]
    assert names(gql, sortBy={"field": "NAME"}) == sorted(["土蜂蜜", "槐花蜜", "小米", "荞麦面"])


def test_bad_id_in_filter_is_an_error(gql, shelf):
    result = gql.execute(QUERY, {"filter": {"villages": ["garbage"]}})
    assert "not a valid Village ID" in result["errors"][0]["message"]


CHARS = "土蜂蜜槐花百小米荞麦面红枣香菇木耳杏鲍苹果酥梨洋芋辣椒南瓜野生有机"


def test_search_recall_matches_substring_semantics(gql):
    """Every product whose name contains the query is found, and nothing else (1-4 chars)."""
    rng = random.Random(20261129)
    product_names = sorted({"".join(rng.choices(CHARS, k=rng.randint(2, 7))) for _ in range(150)})
    for name in product_names:
        ProductFactory(name=name)
    queries = {
        name[i : i + n]
        for name in product_names[:40]
        for n in (1, 2, 3, 4)
        for i in range(0, max(1, len(name) - n + 1), 3)
    }
    queries |= {"".join(rng.choices(CHARS, k=2)) for _ in range(20)}  # some with no match

    for q in sorted(queries):
        expected = sorted(n for n in product_names if q in n)
        found = sorted(
            e["node"]["name"]
            for e in gql.data(
                "query($q: String) { products(first: 100, filter: {search: $q}) "
                "{ edges { node { name } } } }",
                {"q": q},
            )["products"]["edges"]
        )
        assert found == expected[:100], q


def test_search_ignores_punctuation_and_case(gql):
    ProductFactory(name="Organic 土蜂蜜（500g）")
    for q in ["organic", "ORGANIC 土蜂", "500g", "蜂蜜（"]:
        found = gql.data(
            "query($q: String) { products(first: 5, filter: {search: $q}) "
            "{ edges { node { name } } } }",
            {"q": q},
        )["products"]["edges"]
        assert len(found) == 1, q
