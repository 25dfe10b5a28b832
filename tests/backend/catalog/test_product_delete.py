import pytest

from alliance.catalog.models import Product, ProductVariant, VariantChannelPrice
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, staff
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

DELETE = """
mutation($id: ID!) { productDelete(id: $id) { deletedId errors { field code message } } }
"""


def test_operator_deletes_own_product_with_variants_and_prices(gql):
    product = ProductFactory()
    priced_variant(product)
    gql.as_user(operator_of(product.producer))

    payload = gql.data(DELETE, {"id": gid(product)})["productDelete"]

    assert payload == {"deletedId": gid(product), "errors": []}
    assert Product.objects.count() == 0
    assert ProductVariant.objects.count() == 0
    assert VariantChannelPrice.objects.count() == 0


@pytest.mark.parametrize(
    "make_user",
    [lambda: None, consumer, lambda: operator_of(ProducerFactory())],
    ids=["anonymous", "consumer", "other-operator"],
)
def test_others_cannot_delete(gql, make_user):
    product = ProductFactory()
    priced_variant(product)
    gql.as_user(make_user())

    payload = gql.data(DELETE, {"id": gid(product)})["productDelete"]

    assert error_codes(payload) == ["PERMISSION_DENIED"]
    assert Product.objects.count() == 1
    assert VariantChannelPrice.objects.count() == 2


def test_staff_deletes_any_product(gql):
    product = ProductFactory()
    gql.as_user(staff())

    assert gql.data(DELETE, {"id": gid(product)})["productDelete"]["errors"] == []
    assert not Product.objects.exists()
