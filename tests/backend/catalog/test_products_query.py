import pytest
from graphql_relay import to_global_id

from alliance.catalog.models import Product
from tests.backend.factories.accounts import operator_of
from tests.backend.factories.catalog import ProductFactory, priced_variant

pytestmark = pytest.mark.django_db

PRODUCTS = """
query($first: Int, $channel: String, $filter: ProductFilterInput, $sortBy: ProductSortInput) {
  products(first: $first, channel: $channel, filter: $filter, sortBy: $sortBy) {
    edges { node {
      id name status producer { name village { name } } minPrice(channel: "online") { amount }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def names(data):
    return [e["node"]["name"] for e in data["products"]["edges"]]


def test_anonymous_sees_published_products_only(gql):
    published = ProductFactory(name="土蜂蜜")
    priced_variant(published)
    ProductFactory(name="草稿蜂蜜", status=Product.Status.DRAFT, published_at=None)

    data = gql.data(PRODUCTS, {"first": 10})

    assert names(data) == ["土蜂蜜"]
    node = data["products"]["edges"][0]["node"]
    assert node["id"] == to_global_id("Product", published.pk)
    assert node["minPrice"] == {"amount": "58.00"}


def test_operator_sees_own_drafts_but_not_others(gql):
    mine = ProductFactory(name="我的草稿", status=Product.Status.DRAFT, published_at=None)
    ProductFactory(name="别人的草稿", status=Product.Status.DRAFT, published_at=None)
    gql.as_user(operator_of(mine.producer))

    assert names(gql.data(PRODUCTS, {"first": 10})) == ["我的草稿"]


def test_search_finds_substrings_of_chinese_names(gql):
    for name in ["土蜂蜜", "槐花蜂蜜", "野生香菇", "杏鲍菇", "小米"]:
        priced_variant(ProductFactory(name=name))

    def search(q):
        return sorted(names(gql.data(PRODUCTS, {"first": 50, "filter": {"search": q}})))

    assert search("蜂蜜") == sorted(["土蜂蜜", "槐花蜂蜜"])
    assert search("菇") == sorted(["野生香菇", "杏鲍菇"])
    assert search("鲍菇") == ["杏鲍菇"]
    assert search("蜜蜂") == []  # bigram 蜜蜂 is not in any name
    assert search("花蜂蜜") == ["槐花蜂蜜"]


def test_first_over_100_is_refused(gql):
    result = gql.execute(PRODUCTS, {"first": 101})
    assert result["errors"][0]["message"].startswith("`first` must be between 1 and 100")
