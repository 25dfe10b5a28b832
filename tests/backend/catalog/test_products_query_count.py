"""The product list runs a fixed number of SQL queries, whatever the page size."""

import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from alliance.catalog.models import ProductImage, ProductThumbnail
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory

pytestmark = pytest.mark.django_db

PAGE = """
query($first: Int!) {
  products(first: $first, channel: "online") {
    edges { node {
      id name origin
      category { name parent { name } }
      producer { name village { name town { name } } }
      village { name }
      thumbnail(size: 480) { url width }
      images { url thumbnails { size url } }
      minPrice(channel: "online") { amount }
      variants {
        sku weightG prices { channel price { amount } } price(channel: "online") { amount }
      }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# 1 channel, 1 products (+ joined category, producer, village, town), 1 images,
# 1 thumbnails, 1 variants, 1 prices (+ joined channel), 1 category tree for parents = 7
EXPECTED_QUERIES = 7


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 150, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def catalog_of_120_products():
    villages = [VillageFactory() for _ in range(4)]
    producers = [ProducerFactory(village=villages[i % 4]) for i in range(10)]
    data = _jpeg()
    for i in range(120):
        product = ProductFactory(producer=producers[i % 10])
        priced_variant(product)
        priced_variant(product, online="99.00")
        image = ProductImage.objects.create(
            product=product, image=ContentFile(data, name="p.jpg"), format="JPEG"
        )
        ProductThumbnail.objects.create(
            image=image, size=480, file=ContentFile(data, name="t.webp")
        )


def _count(gql, first: int) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        data = gql.data(PAGE, {"first": first})
    return len(ctx.captured_queries), data


def test_query_count_is_the_same_for_10_and_100_products(gql, catalog_of_120_products):
    count_10, data_10 = _count(gql, 10)
    count_100, data_100 = _count(gql, 100)

    assert len(data_10["products"]["edges"]) == 10
    assert len(data_100["products"]["edges"]) == 100
    assert data_100["products"]["pageInfo"]["hasNextPage"] is True
    node = data_100["products"]["edges"][0]["node"]
    assert node["thumbnail"]["url"].startswith("http://testserver/media/thumbnails/")
    assert len(node["variants"]) == 2
    assert node["minPrice"] == {"amount": "58.00"}
    assert count_10 == count_100 == EXPECTED_QUERIES


def test_second_page_continues_where_the_first_ended(gql, catalog_of_120_products):
    first = gql.data(PAGE, {"first": 100})["products"]
    second = gql.data(
        PAGE.replace("products(first: $first,", "products(first: $first, after: $after,").replace(
            "query($first: Int!)", "query($first: Int!, $after: String)"
        ),
        {"first": 100, "after": first["pageInfo"]["endCursor"]},
    )["products"]

    ids_first = {e["node"]["id"] for e in first["edges"]}
    ids_second = {e["node"]["id"] for e in second["edges"]}
    assert len(ids_second) == 20
    assert not ids_first & ids_second
    assert second["pageInfo"]["hasNextPage"] is False
