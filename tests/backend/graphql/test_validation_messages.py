"""Spec validation still applies, leaks no schema hints, and introspection has a switch."""

import pytest
from graphql import get_introspection_query

from tests.backend.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db


def messages(result):
    return [e["message"] for e in result.get("errors", [])]


def test_a_misspelled_field_is_refused_without_suggestions_when_debug_is_off(gql, settings):
    settings.DEBUG = False
    ProductFactory(name="土蜂蜜")

    result = gql.execute("{ products { edges { node { nam } } } }")

    assert result.get("data") is None
    assert messages(result) == ["Cannot query field 'nam' on type 'Product'."]


def test_a_misspelled_argument_is_refused_without_suggestions(gql, settings):
    settings.DEBUG = False

    result = gql.execute("{ products(frist: 1) { edges { node { name } } } }")

    assert messages(result) == ["Unknown argument 'frist' on field 'Query.products'."]


def test_suggestions_appear_only_in_debug(gql, settings):
    # The control: the same request names the right field when DEBUG is on.
    settings.DEBUG = True

    result = gql.execute("{ products { edges { node { nam } } } }")

    assert messages(result) == ["Cannot query field 'nam' on type 'Product'. Did you mean 'name'?"]


SORTED = "query($s: ProductSortInput) { products(sortBy: $s) { edges { node { name } } } }"
MISSPELLED_SORT = {"s": {"field": "NAM", "descendin": True}}


def test_misspelled_variable_values_are_refused_without_suggestions(gql, settings):
    settings.DEBUG = False

    result = gql.execute(SORTED, MISSPELLED_SORT)

    assert result.get("data") is None
    assert sorted(messages(result)) == [
        "Variable '$s' got invalid value 'NAM' at 's.field';"
        " Value 'NAM' does not exist in 'ProductSortField' enum.",
        "Variable '$s' got invalid value {'field': 'NAM', 'descendin': True};"
        " Field 'descendin' is not defined by type 'ProductSortInput'.",
    ]


def test_misspelled_variable_values_get_suggestions_only_in_debug(gql, settings):
    settings.DEBUG = True

    result = gql.execute(SORTED, MISSPELLED_SORT)

    joined = " ".join(messages(result))
    assert "Did you mean the enum value 'NAME'?" in joined
    assert "Did you mean 'descending'?" in joined


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("{ __schema { queryType { name } } }", "__schema"),
        ('{ __type(name: "Product") { name fields { name } } }', "__type"),
        (
            "{ products(first: 1) { edges { node { name } } } __schema { types { name } } }",
            "__schema",
        ),
    ],
)
def test_introspection_is_refused_when_switched_off(gql, settings, query, field):
    settings.GRAPHQL_INTROSPECTION = False

    result = gql.execute(query)

    assert result.get("data") is None
    assert (
        "GraphQL introspection has been disabled, but the requested query contained the"
        f" field '{field}'."
    ) in messages(result)


def test_typename_works_when_introspection_is_off(gql, settings):
    settings.GRAPHQL_INTROSPECTION = False
    ProductFactory(name="土蜂蜜")

    data = gql.data("{ __typename products(first: 1) { edges { node { __typename name } } } }")

    assert data["__typename"] == "Query"
    assert data["products"]["edges"][0]["node"] == {"__typename": "Product", "name": "土蜂蜜"}


def test_graphiqls_introspection_query_passes_the_limits_when_switched_on(gql, settings):
    # 13 levels deep and 229 fields: introspection adds no depth or cost, and fits the
    # field limit, so GraphiQL keeps working in development.
    settings.GRAPHQL_INTROSPECTION = True
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    data = gql.data(query)

    assert data["__schema"]["queryType"]["name"] == "Query"
    assert "Product" in {t["name"] for t in data["__schema"]["types"]}
