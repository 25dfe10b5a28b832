import pytest

from alliance.catalog.models import Product
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, category, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

UPDATE = """
mutation($id: ID!, $input: ProductUpdateInput!) {
  productUpdate(id: $id, input: $input) {
    product { id name status publishedAt category { slug } }
    errors { field code message }
  }
}
"""


def draft(**kwargs):
    return ProductFactory(status=Product.Status.DRAFT, published_at=None, **kwargs)


def test_operator_renames_and_publishes_own_product(gql):
    product = draft(name="旧名字")
    priced_variant(product)
    gql.as_user(operator_of(product.producer))

    payload = gql.data(
        UPDATE,
        {
            "id": gid(product),
            "input": {
                "name": "槐花蜂蜜",
                "status": "PUBLISHED",
                "category": gid(category("acacia-honey")),
            },
        },
    )["productUpdate"]

    assert payload["errors"] == []
    assert payload["product"]["status"] == "PUBLISHED"
    assert payload["product"]["publishedAt"] is not None
    assert payload["product"]["category"] == {"slug": "acacia-honey"}
    # the renamed product is found by its new name
    found = gql.data('{ products(first: 5, filter: {search: "槐花"}) { edges { node { name } } } }')
    assert [e["node"]["name"] for e in found["products"]["edges"]] == ["槐花蜂蜜"]


def test_publishing_without_variants_is_refused(gql):
    product = draft()
    gql.as_user(staff())

    payload = gql.data(UPDATE, {"id": gid(product), "input": {"status": "PUBLISHED"}})[
        "productUpdate"
    ]

    assert error_codes(payload) == ["NO_VARIANTS"]
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


@pytest.mark.parametrize(
    "make_user",
    [
        lambda p: None,
        lambda p: consumer(),
        lambda p: operator_of(ProducerFactory()),
        lambda p: secretary_of(ProducerFactory().village),
    ],
    ids=["anonymous", "consumer", "other-operator", "other-village-secretary"],
)
def test_out_of_scope_update_is_refused_and_nothing_changes(gql, make_user):
    product = ProductFactory(name="原名")
    gql.as_user(make_user(product))

    payload = gql.data(UPDATE, {"id": gid(product), "input": {"name": "改名"}})["productUpdate"]

    assert error_codes(payload) == ["PERMISSION_DENIED"]
    product.refresh_from_db()
    assert product.name == "原名"


def test_secretary_updates_products_of_own_village(gql):
    product = ProductFactory(name="原名")
    gql.as_user(secretary_of(product.producer.village))

    payload = gql.data(UPDATE, {"id": gid(product), "input": {"name": "新名"}})["productUpdate"]

    assert payload["errors"] == []
    product.refresh_from_db()
    assert product.name == "新名"


def test_unknown_product_is_not_found(gql):
    product = ProductFactory()
    gql.as_user(staff())
    missing = gid(product)
    product.delete()

    payload = gql.data(UPDATE, {"id": missing, "input": {"name": "x"}})["productUpdate"]

    assert error_codes(payload) == ["NOT_FOUND"]
