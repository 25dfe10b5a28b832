"""Depth, alias, root-field, field-count and cost limits: refused before anything runs."""

import pytest
from django.conf import settings

from alliance.catalog.models import Product
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

LIMIT_CODES = {
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_ROOT_FIELDS",
    "QUERY_TOO_COSTLY",
    "TOO_MANY_FIELDS",
}


def codes(result):
    return [e.get("extensions", {}).get("code") for e in result.get("errors", [])]


def error(result, code):
    found = [e for e in result.get("errors", []) if e.get("extensions", {}).get("code") == code]
    assert len(found) == 1, result
    return found[0]


def chain_query(depth, first=1):
    """`depth` field levels: villages > edges > node > producers > village > ... > name."""
    hops = ["producers", "village"] * depth
    body = "name"
    for hop in reversed(hops[: depth - 4]):
        body = f"{hop} {{ {body} }}"
    return f"{{ villages(first: {first}) {{ edges {{ node {{ {body} }} }} }} }}"


def test_fifteen_levels_are_refused_before_any_sql(gql, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = gql.execute(chain_query(15))

    assert result.get("data") is None
    deep = error(result, "QUERY_TOO_DEEP")
    assert deep["extensions"]["value"] == 15
    assert deep["extensions"]["limit"] == settings.GRAPHQL_MAX_DEPTH == 9
    assert deep["message"] == ("The operation nests fields 15 levels deep; the maximum depth is 9.")


def test_depth_is_counted_through_named_and_inline_fragments(gql):
    query = """
    query Deep { villages(first: 1) { edges { node { ...V } } } }
    fragment V on Village { producers { village { ... on Village { producers { ...P } } } } }
    fragment P on Producer { village { producers { village { producers { village { name } } } } } }
    """
    result = gql.execute(query)

    deep = error(result, "QUERY_TOO_DEEP")
    assert deep["extensions"]["value"] == 12  # villages edges node | 3 in V | 5 in P + name
    assert deep["message"].startswith("Operation 'Deep' nests fields 12 levels deep")


def test_depth_at_the_limit_runs_and_one_more_level_is_refused(gql):
    producer = ProducerFactory(name="蜂农合作社")
    limit = settings.GRAPHQL_MAX_DEPTH

    data = gql.data(chain_query(limit))
    node = data["villages"]["edges"][0]["node"]
    assert node["producers"][0]["village"]["producers"][0]["village"]["producers"][0] == {
        "name": producer.name
    }

    assert codes(gql.execute(chain_query(limit + 1))) == ["QUERY_TOO_DEEP"]


def test_the_deepest_real_query_passes(gql):
    product = ProductFactory()
    priced_variant(product)
    query = """
    { products(first: 100) { edges { node {
        producer { village { town { name } } }
        variants { prices { price { amount } } }
    } } } }
    """
    node = gql.data(query)["products"]["edges"][0]["node"]

    assert node["producer"]["village"]["town"]["name"] == product.producer.village.town.name
    assert node["variants"][0]["prices"][0]["price"]["amount"] == "58.00"


def test_500_aliases_are_refused_before_any_sql(gql, django_assert_num_queries):
    fields = " ".join(
        f"a{i}: products(first: 100) {{ edges {{ node {{ id name }} }} }}" for i in range(500)
    )
    query = f"{{ {fields} }}"
    with django_assert_num_queries(0):
        result = gql.execute(query)

    assert result.get("data") is None
    aliases = error(result, "TOO_MANY_ALIASES")
    assert aliases["extensions"] == {"code": "TOO_MANY_ALIASES", "limit": 30, "value": 500}
    assert aliases["message"] == "The operation uses 500 aliases; the maximum is 30 aliases."
    # The validation stopped at the limits: only limit errors, none from the spec rules.
    assert set(codes(result)) <= LIMIT_CODES


def test_thirty_aliases_run_and_thirty_one_are_refused(gql):
    ProductFactory(name="土蜂蜜")

    def query(n):
        names = " ".join(f"a{i}: name" for i in range(n))
        return f"{{ products(first: 1) {{ edges {{ node {{ {names} }} }} }} }}"

    node = gql.data(query(30))["products"]["edges"][0]["node"]
    assert node["a0"] == node["a29"] == "土蜂蜜"

    result = gql.execute(query(31))
    assert codes(result) == ["TOO_MANY_ALIASES"]
    assert error(result, "TOO_MANY_ALIASES")["extensions"]["value"] == 31


def test_limits_are_read_from_the_settings_on_each_request(gql, settings):
    query = "{ a: categories { slug } b: categories { slug } c: categories { slug } }"
    assert "errors" not in gql.execute(query)

    settings.GRAPHQL_MAX_ALIASES = 2
    result = gql.execute(query)

    assert error(result, "TOO_MANY_ALIASES")["extensions"] == {
        "code": "TOO_MANY_ALIASES",
        "limit": 2,
        "value": 3,
    }


def root_fields(n):
    return " ".join(f"c{i}: categories(level: 0) {{ slug }}" for i in range(n))


def test_ten_root_fields_run_and_eleven_are_refused(gql, django_assert_num_queries):
    data = gql.data(f"{{ {root_fields(10)} }}")
    assert len(data) == 10 and data["c0"] == data["c9"] != []

    with django_assert_num_queries(0):
        result = gql.execute(f"{{ {root_fields(11)} }}")

    assert result.get("data") is None
    assert codes(result) == ["TOO_MANY_ROOT_FIELDS"]
    assert error(result, "TOO_MANY_ROOT_FIELDS")["message"] == (
        "The operation selects 11 root fields; the maximum is 10 root fields."
    )


def test_root_fields_are_counted_through_fragments(gql):
    query = f"""
    query Roots {{ c10: categories {{ slug }} ...Q ... on Query {{ me {{ email }} }} }}
    fragment Q on Query {{ {root_fields(9)} __typename }}
    """
    result = gql.execute(query)

    assert error(result, "TOO_MANY_ROOT_FIELDS")["extensions"]["value"] == 11  # __typename free


FANOUT = """
query%s {
  villages(first: %s) { edges { node {
    producers { name village { producers { name village { producers { name } } } } }
  } } }
}
"""


def test_nested_list_fanout_is_refused_by_cost_before_any_sql(gql, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = gql.execute(FANOUT % ("", "100"))

    assert result.get("data") is None
    assert codes(result) == ["QUERY_TOO_COSTLY"]  # depth 9 is allowed: only the cost is over
    costly = error(result, "QUERY_TOO_COSTLY")
    # producers{name} = 1 + 10*1; village{..} = 12; producers{name village} = 1 + 10*13 = 131;
    # village = 132; producers = 1 + 10*133 = 1331; node, edges: +2; villages = 1 + 100*1333.
    assert costly["extensions"] == {"code": "QUERY_TOO_COSTLY", "limit": 50_000, "value": 133_301}
    assert costly["message"].startswith(
        "The operation has an estimated cost of 133301; the maximum cost is 50000."
    )


def test_the_same_fanout_with_a_smaller_page_runs(gql):
    producer = ProducerFactory(name="香菇合作社")

    data = gql.data(FANOUT % ("", "10"))  # cost 1 + 10*1333 = 13,331

    producers = data["villages"]["edges"][0]["node"]["producers"]
    assert producers[0]["village"]["producers"][0]["name"] == producer.name


def test_a_page_size_in_a_variable_counts_as_the_largest_page(gql):
    result = gql.execute(FANOUT % ("($n: Int)", "$n"), {"n": 10})

    assert error(result, "QUERY_TOO_COSTLY")["extensions"]["value"] == 133_301


def test_a_full_product_listing_page_passes(gql):
    for i in range(3):
        priced_variant(ProductFactory(name=f"蜂蜜{i}"))
    ProductFactory(name="草稿", status=Product.Status.DRAFT, published_at=None)
    query = """
    query Listing($first: Int!) {
      products(first: $first, channel: "online") {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id name origin status publishedAt
          category { name slug parent { name } }
          producer { name kind village { name town { name } } }
          village { name code }
          thumbnail(size: 480) { url width height }
          images { url alt thumbnails { size url } }
          variants { sku unitLabel weightG soldBy prices { channel isAvailable price { amount } } }
          minPrice(channel: "online") { amount currency }
        } }
      }
      categories(level: 0) { slug name children { slug name } }
      me { email }
    }
    """
    data = gql.data(query, {"first": 100})

    assert data["products"]["totalCount"] == 3
    assert sorted(e["node"]["name"] for e in data["products"]["edges"]) == [
        "蜂蜜0",
        "蜂蜜1",
        "蜂蜜2",
    ]


def test_the_storefront_home_query_passes(gql):
    priced_variant(ProductFactory(name="土蜂蜜"))
    query = """
    query HomeProducts($first: Int!) {
      products(first: $first, channel: "online") {
        edges { node { name village { name } minPrice(channel: "online") { amount } } }
      }
    }
    """
    data = gql.data(query, {"first": 12})

    assert data["products"]["edges"][0]["node"]["minPrice"] == {"amount": "58.00"}


def test_thousands_of_copies_of_one_field_are_refused_before_spec_validation(
    gql, django_assert_num_queries
):
    # Without the limits, graphql-core's OverlappingFieldsCanBeMerged spends ~0.3-0.8 s
    # comparing the copies pairwise and then aborts with "Validation aborted.".
    query = "{ products(first: 1) { edges { node {" + " name" * 6000 + " } } } }"
    with django_assert_num_queries(0):
        result = gql.execute(query)

    assert result.get("data") is None
    assert codes(result) == ["TOO_MANY_FIELDS"]
    assert error(result, "TOO_MANY_FIELDS")["extensions"]["value"] == 6003
    assert not any("aborted" in e["message"] for e in result["errors"])


def test_a_fragment_bomb_is_refused(gql, django_assert_num_queries):
    # 2**30 copies of one field through 30 fragments each spreading the next twice.
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    query = f"query {{ ...F0 }} {fragments} fragment F30 on Query {{ categories {{ slug }} }}"
    with django_assert_num_queries(0):
        result = gql.execute(query)

    assert result.get("data") is None
    assert error(result, "TOO_MANY_ROOT_FIELDS")["extensions"]["value"] == 2**30
    assert error(result, "QUERY_TOO_COSTLY")["extensions"]["value"] == 2**30 * 11
