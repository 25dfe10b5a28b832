import pytest

from alliance.catalog.models import Product
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import category
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id name status origin producer { name } category { slug } }
    errors { field code message }
  }
}
"""


def create_input(owner, **overrides):
    data = {
        "producer": gid(owner),
        "category": gid(category("wild-honey")),
        "name": "土蜂蜜",
        "description": "山里的土蜂蜜",
    }
    data.update(overrides)
    return {"input": data}


def test_operator_creates_a_draft_for_own_producer(gql):
    producer = ProducerFactory()
    gql.as_user(operator_of(producer))

    payload = gql.data(CREATE, create_input(producer))["productCreate"]

    assert payload["errors"] == []
    assert payload["product"]["name"] == "土蜂蜜"
    assert payload["product"]["status"] == "DRAFT"
    assert payload["product"]["category"] == {"slug": "wild-honey"}
    # origin defaults to the producer's township and village
    assert producer.village.name in payload["product"]["origin"]
    product = Product.objects.get()
    assert product.producer == producer
    assert product.search_vector is not None


@pytest.mark.parametrize(
    "make_user",
    [
        lambda producer: None,
        lambda producer: consumer(),
        lambda producer: operator_of(ProducerFactory()),
        lambda producer: secretary_of(ProducerFactory().village),
    ],
    ids=["anonymous", "consumer", "other-operator", "other-village-secretary"],
)
def test_out_of_scope_users_are_refused_and_nothing_is_created(gql, make_user):
    producer = ProducerFactory()
    gql.as_user(make_user(producer))

    payload = gql.data(CREATE, create_input(producer))["productCreate"]

    assert error_codes(payload) == ["PERMISSION_DENIED"]
    assert payload["product"] is None
    assert Product.objects.count() == 0


def test_secretary_and_staff_may_create_in_scope(gql):
    producer = ProducerFactory()
    for user in (secretary_of(producer.village), staff()):
        gql.as_user(user)
        payload = gql.data(CREATE, create_input(producer, name=f"蜂蜜-{user.role}"))[
            "productCreate"
        ]
        assert payload["errors"] == []
    assert Product.objects.count() == 2


def test_blank_name_and_bad_ids_are_clear_errors(gql):
    producer = ProducerFactory()
    gql.as_user(staff())

    blank = gql.data(CREATE, create_input(producer, name="   "))["productCreate"]
    bad_category = gql.data(CREATE, create_input(producer, category="not-an-id"))["productCreate"]
    wrong_type = gql.data(CREATE, create_input(producer, producer=gid(category("honey"))))[
        "productCreate"
    ]

    assert [(e["field"], e["code"]) for e in blank["errors"]] == [("name", "REQUIRED")]
    assert [(e["field"], e["code"]) for e in bad_category["errors"]] == [("category", "INVALID_ID")]
    assert [(e["field"], e["code"]) for e in wrong_type["errors"]] == [("producer", "INVALID_ID")]
    assert Product.objects.count() == 0


def test_unknown_input_fields_such_as_status_are_refused_by_the_schema(gql):
    producer = ProducerFactory()
    gql.as_user(operator_of(producer))

    result = gql.execute(CREATE, create_input(producer, status="PUBLISHED"))

    assert "errors" in result
    assert Product.objects.count() == 0
