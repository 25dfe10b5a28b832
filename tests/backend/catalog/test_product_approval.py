"""Listing approval: submit (operator), approve / send back (the village's first secretary or
staff), and publishing refused without approval where the village requires it."""

import pytest

from alliance.catalog.models import Product
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory

pytestmark = pytest.mark.django_db

SUBMIT = """
mutation($id: ID!) {
  productSubmitForApproval(id: $id) {
    product { id status submittedAt approvalComment }
    errors { field code message }
  }
}
"""
APPROVE = """
mutation($id: ID!) {
  productApprove(id: $id) {
    product { id status publishedAt approvedAt approvalComment }
    errors { field code message }
  }
}
"""
SEND_BACK = """
mutation($id: ID!, $comment: String!) {
  productSendBack(id: $id, comment: $comment) {
    product { id status approvalComment approvedAt }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($id: ID!, $status: ProductStatus!) {
  productUpdate(id: $id, input: {status: $status}) {
    product { id status }
    errors { field code message }
  }
}
"""
AWAITING = """
{ products(first: 50, filter: {status: PENDING_APPROVAL}) {
    totalCount edges { node { id name status village { name } } } } }
"""


def strict_village():
    return VillageFactory(requires_listing_approval=True)


def draft(village=None, *, with_variant=True):
    producer = ProducerFactory(village=village or strict_village())
    product = ProductFactory(producer=producer, status=Product.Status.DRAFT, published_at=None)
    if with_variant:
        priced_variant(product)
    return product


def pending(village=None):
    product = draft(village)
    Product.objects.filter(pk=product.pk).update(status=Product.Status.PENDING_APPROVAL)
    product.refresh_from_db()
    return product


def snapshot(product):
    product.refresh_from_db()
    return (
        product.status,
        product.published_at,
        product.approved_at,
        product.approved_by_id,
        product.approval_comment,
        product.submitted_at,
    )


def test_operator_submits_secretary_approves_and_product_is_published(gql):
    product = draft()
    operator = operator_of(product.producer)
    secretary = secretary_of(product.producer.village)

    submitted = gql.as_user(operator).data(SUBMIT, {"id": gid(product)})
    assert submitted["productSubmitForApproval"]["errors"] == []
    assert submitted["productSubmitForApproval"]["product"]["status"] == "PENDING_APPROVAL"
    assert submitted["productSubmitForApproval"]["product"]["submittedAt"] is not None

    queue = gql.as_user(secretary).data(AWAITING)["products"]
    assert [e["node"]["id"] for e in queue["edges"]] == [gid(product)]

    approved = gql.as_user(secretary).data(APPROVE, {"id": gid(product)})["productApprove"]
    assert approved["errors"] == []
    assert approved["product"]["status"] == "PUBLISHED"
    assert approved["product"]["publishedAt"] is not None
    product.refresh_from_db()
    assert product.approved_by_id == secretary.pk
    assert product.approved_at is not None


def test_secretary_sends_back_with_comment_and_operator_sees_it(gql):
    product = pending()
    secretary = secretary_of(product.producer.village)

    payload = gql.as_user(secretary).data(
        SEND_BACK, {"id": gid(product), "comment": "  请补充产地照片  "}
    )["productSendBack"]

    assert payload["errors"] == []
    assert payload["product"]["status"] == "DRAFT"
    assert payload["product"]["approvalComment"] == "请补充产地照片"
    seen = gql.as_user(operator_of(product.producer)).data(
        "query($id: ID!) { product(id: $id) { status approvalComment } }", {"id": gid(product)}
    )["product"]
    assert seen == {"status": "DRAFT", "approvalComment": "请补充产地照片"}


def test_operator_cannot_publish_directly_where_approval_is_required(gql):
    product = draft()
    before = snapshot(product)

    payload = gql.as_user(operator_of(product.producer)).data(
        UPDATE, {"id": gid(product), "status": "PUBLISHED"}
    )["productUpdate"]

    assert error_codes(payload) == ["APPROVAL_REQUIRED"]
    assert payload["errors"][0]["field"] == "status"
    assert snapshot(product) == before


def test_operator_publishes_directly_where_approval_is_not_required(gql):
    product = draft(VillageFactory(requires_listing_approval=False))

    payload = gql.as_user(operator_of(product.producer)).data(
        UPDATE, {"id": gid(product), "status": "PUBLISHED"}
    )["productUpdate"]

    assert payload["errors"] == []
    assert payload["product"]["status"] == "PUBLISHED"


def test_approved_product_may_be_unpublished_and_republished_by_its_operator(gql):
    product = pending()
    operator = operator_of(product.producer)
    gql.as_user(secretary_of(product.producer.village)).data(APPROVE, {"id": gid(product)})

    down = gql.as_user(operator).data(UPDATE, {"id": gid(product), "status": "DRAFT"})
    up = gql.as_user(operator).data(UPDATE, {"id": gid(product), "status": "PUBLISHED"})

    assert down["productUpdate"]["errors"] == []
    assert up["productUpdate"]["errors"] == []
    assert up["productUpdate"]["product"]["status"] == "PUBLISHED"


def test_secretary_publishing_directly_counts_as_approval(gql):
    product = draft()
    secretary = secretary_of(product.producer.village)

    payload = gql.as_user(secretary).data(UPDATE, {"id": gid(product), "status": "PUBLISHED"})

    assert payload["productUpdate"]["errors"] == []
    product.refresh_from_db()
    assert product.approved_by_id == secretary.pk


def test_status_pending_through_product_update_is_refused(gql):
    product = draft()
    before = snapshot(product)

    payload = gql.as_user(operator_of(product.producer)).data(
        UPDATE, {"id": gid(product), "status": "PENDING_APPROVAL"}
    )["productUpdate"]

    assert error_codes(payload) == ["USE_SUBMIT_FOR_APPROVAL"]
    assert snapshot(product) == before


def test_operator_cannot_approve_or_send_back_own_product(gql):
    product = pending()
    before = snapshot(product)
    gql.as_user(operator_of(product.producer))

    approved = gql.data(APPROVE, {"id": gid(product)})["productApprove"]
    sent_back = gql.data(SEND_BACK, {"id": gid(product), "comment": "x"})["productSendBack"]

    assert error_codes(approved) == ["PERMISSION_DENIED"]
    assert approved["product"] is None
    assert error_codes(sent_back) == ["PERMISSION_DENIED"]
    assert snapshot(product) == before


def test_secretary_of_another_village_gets_not_found(gql):
    product = pending()
    before = snapshot(product)
    other = secretary_of(strict_village())

    approved = gql.as_user(other).data(APPROVE, {"id": gid(product)})["productApprove"]
    sent_back = gql.as_user(other).data(SEND_BACK, {"id": gid(product), "comment": "不行"})[
        "productSendBack"
    ]
    queue = gql.as_user(other).data(AWAITING)["products"]

    assert error_codes(approved) == ["NOT_FOUND"]
    assert error_codes(sent_back) == ["NOT_FOUND"]
    assert queue["totalCount"] == 0
    assert snapshot(product) == before


@pytest.mark.parametrize("who", ["consumer", "anonymous", "other_operator"])
def test_outsiders_cannot_submit_or_approve(gql, who):
    product = draft()
    before = snapshot(product)
    if who == "consumer":
        gql.as_user(consumer())
    elif who == "other_operator":
        gql.as_user(operator_of(ProducerFactory(village=product.producer.village)))

    submitted = gql.data(SUBMIT, {"id": gid(product)})["productSubmitForApproval"]
    approved = gql.data(APPROVE, {"id": gid(product)})["productApprove"]

    assert error_codes(submitted) == ["NOT_FOUND"]
    assert error_codes(approved) == ["NOT_FOUND"]
    assert snapshot(product) == before


def test_staff_approves_in_any_village(gql):
    product = pending()

    payload = gql.as_user(staff()).data(APPROVE, {"id": gid(product)})["productApprove"]

    assert payload["errors"] == []
    assert payload["product"]["status"] == "PUBLISHED"


def test_approving_a_draft_is_refused(gql):
    product = draft()
    before = snapshot(product)

    payload = gql.as_user(secretary_of(product.producer.village)).data(
        APPROVE, {"id": gid(product)}
    )["productApprove"]

    assert error_codes(payload) == ["NOT_PENDING_APPROVAL"]
    assert snapshot(product) == before


def test_send_back_needs_a_comment(gql):
    product = pending()
    before = snapshot(product)

    payload = gql.as_user(secretary_of(product.producer.village)).data(
        SEND_BACK, {"id": gid(product), "comment": "   "}
    )["productSendBack"]

    assert error_codes(payload) == ["REQUIRED"]
    assert payload["errors"][0]["field"] == "comment"
    assert snapshot(product) == before


def test_submitting_without_variants_or_twice_is_refused(gql):
    bare = draft(with_variant=False)
    waiting = pending()
    before = (snapshot(bare), snapshot(waiting))

    no_variants = gql.as_user(operator_of(bare.producer)).data(SUBMIT, {"id": gid(bare)})
    twice = gql.as_user(operator_of(waiting.producer)).data(SUBMIT, {"id": gid(waiting)})

    assert error_codes(no_variants["productSubmitForApproval"]) == ["NO_VARIANTS"]
    assert error_codes(twice["productSubmitForApproval"]) == ["NOT_DRAFT"]
    assert (snapshot(bare), snapshot(waiting)) == before


def test_pending_product_is_not_visible_to_the_public(gql):
    product = pending()

    seen = gql.as_user(consumer()).data(
        "query($id: ID!) { product(id: $id) { id } }", {"id": gid(product)}
    )

    assert seen["product"] is None


def test_awaiting_list_query_count_does_not_grow(gql, django_assert_max_num_queries):
    village = strict_village()
    for _ in range(6):
        pending(village)
    gql.as_user(secretary_of(village))

    with django_assert_max_num_queries(8):
        data = gql.data(AWAITING)

    assert data["products"]["totalCount"] == 6
