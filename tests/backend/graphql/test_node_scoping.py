"""IDOR: a draft is reachable by global id only for those who may manage its producer.

Out-of-scope ids answer exactly like ids that do not exist (null, no error), so the API
is no oracle for which drafts exist.
"""

import pytest
from graphql_relay import to_global_id

from alliance.catalog.models import Product
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

BY_ID = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Product { name status }
    ... on ProductVariant { sku product { name } }
  }
  product(id: $id) { name }
}
"""


@pytest.fixture
def draft():
    product = ProductFactory(name="未发布的蜂蜜", status=Product.Status.DRAFT, published_at=None)
    priced_variant(product, sku="DRAFT-001")
    return product


VIEWERS = {
    "anonymous": lambda draft: None,
    "consumer": lambda draft: consumer(),
    "another producer's operator": lambda draft: operator_of(ProducerFactory()),
    "another village's secretary": lambda draft: secretary_of(ProducerFactory().village),
    "its operator": lambda draft: operator_of(draft.producer),
    "its village's secretary": lambda draft: secretary_of(draft.producer.village),
    "staff": lambda draft: staff(),
}
OUTSIDERS = [
    "anonymous",
    "consumer",
    "another producer's operator",
    "another village's secretary",
]
INSIDERS = ["its operator", "its village's secretary", "staff"]


@pytest.mark.parametrize("viewer", OUTSIDERS)
def test_outsiders_get_null_for_a_drafts_id_like_for_a_missing_one(gql, draft, viewer):
    gql.as_user(VIEWERS[viewer](draft))
    gone = ProductFactory()
    gone_id = to_global_id("Product", gone.pk)
    gone.delete()

    hidden = gql.execute(BY_ID, {"id": to_global_id("Product", draft.pk)})
    missing = gql.execute(BY_ID, {"id": gone_id})

    assert hidden == missing == {"data": {"node": None, "product": None}}


@pytest.mark.parametrize("viewer", OUTSIDERS)
def test_outsiders_get_null_for_a_drafts_variant(gql, draft, viewer):
    gql.as_user(VIEWERS[viewer](draft))
    variant = draft.variants.get()

    data = gql.data(BY_ID, {"id": to_global_id("ProductVariant", variant.pk)})

    assert data["node"] is None


@pytest.mark.parametrize("viewer", INSIDERS)
def test_those_who_manage_the_producer_get_the_draft(gql, draft, viewer):
    gql.as_user(VIEWERS[viewer](draft))
    draft_id = to_global_id("Product", draft.pk)

    data = gql.data(BY_ID, {"id": draft_id})

    assert data["node"] == {"id": draft_id, "name": "未发布的蜂蜜", "status": "DRAFT"}
    assert data["product"] == {"name": "未发布的蜂蜜"}
    variant = draft.variants.get()
    variant_data = gql.data(BY_ID, {"id": to_global_id("ProductVariant", variant.pk)})
    assert variant_data["node"]["sku"] == "DRAFT-001"
    assert variant_data["node"]["product"] == {"name": "未发布的蜂蜜"}


def test_a_published_product_is_reachable_by_anyone(gql):
    # The control: the same query returns a product the viewer may see.
    published = ProductFactory(name="土蜂蜜")

    data = gql.data(BY_ID, {"id": to_global_id("Product", published.pk)})

    assert data["node"]["name"] == "土蜂蜜"
    assert data["product"] == {"name": "土蜂蜜"}


def test_a_user_node_is_visible_to_the_user_and_staff_only(gql):
    owner = consumer()
    user_id = to_global_id("User", owner.pk)
    query = "query($id: ID!) { node(id: $id) { ... on User { email } } }"

    assert gql.as_user(None).data(query, {"id": user_id})["node"] is None
    assert gql.as_user(consumer()).data(query, {"id": user_id})["node"] is None
    assert gql.as_user(owner).data(query, {"id": user_id})["node"] == {"email": owner.email}
    assert gql.as_user(staff()).data(query, {"id": user_id})["node"] == {"email": owner.email}
