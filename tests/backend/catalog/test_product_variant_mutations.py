from decimal import Decimal

import pytest

from alliance.catalog.models import Product, ProductVariant, VariantChannelPrice
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

CREATE = """
mutation($product: ID!, $input: ProductVariantCreateInput!) {
  productVariantCreate(product: $product, input: $input) {
    variant { id sku unitLabel weightG soldBy weight { kilograms }
              prices { channel price { amount currency } } price(channel: "base") { amount } }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: ProductVariantUpdateInput!) {
  productVariantUpdate(id: $id, input: $input) {
    variant { sku weightG prices { channel price { amount } } }
    errors { field code message }
  }
}
"""
DELETE = """
mutation($id: ID!) { productVariantDelete(id: $id) { deletedId errors { field code message } } }
"""


def variant_input(**overrides):
    data = {
        "sku": "HONEY-500",
        "unitLabel": "500 g 罐",
        "weightG": 500,
        "prices": [{"channel": "online", "price": "68.00"}, {"channel": "base", "price": "60.50"}],
    }
    data.update(overrides)
    return data


def test_operator_adds_a_variant_with_prices_in_both_channels(gql):
    product = ProductFactory()
    gql.as_user(operator_of(product.producer))

    payload = gql.data(CREATE, {"product": gid(product), "input": variant_input()})[
        "productVariantCreate"
    ]

    assert payload["errors"] == []
    variant = payload["variant"]
    assert variant["sku"] == "HONEY-500"
    assert variant["weightG"] == 500
    assert variant["weight"] == {"kilograms": "0.500"}
    assert variant["soldBy"] == "UNIT"
    assert variant["prices"] == [
        {"channel": "online", "price": {"amount": "68.00", "currency": "CNY"}},
        {"channel": "base", "price": {"amount": "60.50", "currency": "CNY"}},
    ]
    assert variant["price"] == {"amount": "60.50"}
    assert VariantChannelPrice.objects.get(channel__slug="base").price == Decimal("60.50")


def test_weight_sold_variant(gql):
    product = ProductFactory()
    gql.as_user(staff())

    payload = gql.data(
        CREATE,
        {
            "product": gid(product),
            "input": variant_input(
                sku="MILLET-KG", soldBy="WEIGHT", unitLabel="散装 每公斤", weightG=1000
            ),
        },
    )["productVariantCreate"]

    assert payload["errors"] == []
    assert payload["variant"]["soldBy"] == "WEIGHT"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"weightG": 0}, "weightG", "INVALID_WEIGHT"),
        ({"weightG": -5}, "weightG", "INVALID_WEIGHT"),
        ({"sku": "  "}, "sku", "REQUIRED"),
        ({"unitLabel": ""}, "unitLabel", "REQUIRED"),
        ({"prices": []}, "prices", "REQUIRED"),
        ({"prices": [{"channel": "online", "price": "-1"}]}, "prices", "INVALID_PRICE"),
        ({"prices": [{"channel": "online", "price": "1.005"}]}, "prices", "INVALID_PRICE"),
        ({"prices": [{"channel": "moon", "price": "1.00"}]}, "prices", "UNKNOWN_CHANNEL"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(gql, overrides, field, code):
    product = ProductFactory()
    gql.as_user(staff())

    payload = gql.data(CREATE, {"product": gid(product), "input": variant_input(**overrides)})[
        "productVariantCreate"
    ]

    assert (field, code) in [(e["field"], e["code"]) for e in payload["errors"]]
    assert payload["variant"] is None
    assert ProductVariant.objects.count() == 0
    assert VariantChannelPrice.objects.count() == 0


def test_duplicate_sku_is_refused(gql):
    existing = priced_variant(sku="DUP-1")
    product = ProductFactory()
    gql.as_user(staff())

    payload = gql.data(CREATE, {"product": gid(product), "input": variant_input(sku="DUP-1")})[
        "productVariantCreate"
    ]

    assert error_codes(payload) == ["DUPLICATE_SKU"]
    assert list(ProductVariant.objects.values_list("pk", flat=True)) == [existing.pk]


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
def test_out_of_scope_variant_changes_are_refused(gql, make_user):
    variant = priced_variant(online="10.00", base="9.00")
    gql.as_user(make_user(variant.product))

    created = gql.data(CREATE, {"product": gid(variant.product), "input": variant_input()})[
        "productVariantCreate"
    ]
    updated = gql.data(UPDATE, {"id": gid(variant), "input": {"weightG": 1}})[
        "productVariantUpdate"
    ]
    deleted = gql.data(DELETE, {"id": gid(variant)})["productVariantDelete"]

    assert error_codes(created) == ["PERMISSION_DENIED"]
    assert error_codes(updated) == ["PERMISSION_DENIED"]
    assert error_codes(deleted) == ["PERMISSION_DENIED"]
    variant.refresh_from_db()
    assert variant.weight_g == 500
    assert ProductVariant.objects.count() == 1


def test_update_changes_fields_and_replaces_channel_prices(gql):
    variant = priced_variant(online="10.00", base="9.00")
    gql.as_user(operator_of(variant.product.producer))

    payload = gql.data(
        UPDATE,
        {
            "id": gid(variant),
            "input": {"weightG": 750, "prices": [{"channel": "online", "price": "12.30"}]},
        },
    )["productVariantUpdate"]

    assert payload["errors"] == []
    assert payload["variant"]["weightG"] == 750
    assert payload["variant"]["prices"] == [
        {"channel": "online", "price": {"amount": "12.30"}},
        {"channel": "base", "price": {"amount": "9.00"}},
    ]


def test_update_with_one_bad_price_changes_nothing(gql):
    variant = priced_variant(online="10.00", base="9.00")
    gql.as_user(staff())

    payload = gql.data(
        UPDATE,
        {
            "id": gid(variant),
            "input": {
                "weightG": 750,
                "prices": [
                    {"channel": "online", "price": "12.30"},
                    {"channel": "base", "price": "0"},
                ],
            },
        },
    )["productVariantUpdate"]

    assert error_codes(payload) == ["INVALID_PRICE"]
    variant.refresh_from_db()
    assert variant.weight_g == 500
    assert sorted(variant.prices.values_list("price", flat=True)) == [
        Decimal("9.00"),
        Decimal("10.00"),
    ]


def test_last_variant_of_a_published_product_cannot_be_deleted(gql):
    variant = priced_variant()
    gql.as_user(staff())

    payload = gql.data(DELETE, {"id": gid(variant)})["productVariantDelete"]

    assert error_codes(payload) == ["LAST_VARIANT"]
    assert ProductVariant.objects.filter(pk=variant.pk).exists()


def test_variant_of_a_draft_can_be_deleted(gql):
    product = ProductFactory(status=Product.Status.DRAFT, published_at=None)
    variant = priced_variant(product)
    gql.as_user(operator_of(product.producer))

    payload = gql.data(DELETE, {"id": gid(variant)})["productVariantDelete"]

    assert payload["errors"] == []
    assert not ProductVariant.objects.exists()
