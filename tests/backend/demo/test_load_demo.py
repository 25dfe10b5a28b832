"""`manage.py load_demo`: the demo county, idempotent, reset touching demo rows only."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from PIL import Image

from alliance.accounts.models import Role, User
from alliance.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductThumbnail,
    ProductVariant,
    VariantChannelPrice,
)
from alliance.core.demo import DEMO_PASSWORD, reset_demo_data
from alliance.core.demo.county import CSV_PATH
from alliance.villages.models import Producer, Town, Village
from tests.backend.factories.catalog import ProductFactory, priced_variant
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

TOP_CATEGORIES = {"vegetables", "fruit", "grains", "fungi", "honey"}
LOGINS = {
    "staff@example.com": Role.STAFF,
    "secretary@example.com": Role.SECRETARY,
    "operator@example.com": Role.OPERATOR,
    "consumer@example.com": Role.CONSUMER,
}


def load(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "load_demo", "--no-progress", "--no-history", *args, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "towns": Town.objects.count(),
        "villages": Village.objects.count(),
        "producers": Producer.objects.count(),
        "products": Product.objects.count(),
        "variants": ProductVariant.objects.count(),
        "prices": VariantChannelPrice.objects.count(),
        "images": ProductImage.objects.count(),
        "thumbnails": ProductThumbnail.objects.count(),
        "users": User.objects.count(),
    }


def top_slug(category: Category) -> str:
    return category.parent.slug if category.parent else category.slug


def test_load_demo_builds_the_county_and_a_second_run_adds_nothing():
    output = load("--no-thumbnails")

    assert "Done in" in output
    # Real places: 6 townships, the 62 village committees plus one community, codes as in CSV.
    rows = {r["village_code"]: r for r in csv.DictReader(CSV_PATH.open(encoding="utf-8"))}
    assert Town.objects.filter(is_demo=True).count() == 6
    assert all(t.name_en for t in Town.objects.all())
    villages = list(Village.objects.filter(is_demo=True))
    assert len(villages) == 63
    assert sum(v.kind == Village.Kind.COMMUNITY for v in villages) == 1
    for v in villages:
        assert rows[v.code]["village_name"].startswith(v.name)
        assert rows[v.code]["township_code"] == v.town.code
        assert v.story
    assert not Village.objects.annotate(n=Count("producers")).filter(n=0).exists()

    producers = Producer.objects.filter(is_demo=True)
    assert producers.filter(kind=Producer.Kind.COOPERATIVE).count() == 202
    assert producers.filter(kind=Producer.Kind.ENTERPRISE).count() == 8
    assert all(p.name.endswith("专业合作社") for p in producers.filter(kind="cooperative"))
    assert all(
        p.name.startswith("甘泉县") and p.name.endswith("农业科技有限公司")
        for p in producers.filter(kind="enterprise")
    )

    products = list(Product.objects.filter(is_demo=True).select_related("category__parent"))
    assert len(products) >= 300
    assert {top_slug(p.category) for p in products} == TOP_CATEGORIES
    assert {p.category.slug for p in products} == set(
        Category.objects.filter(parent__isnull=False).values_list("slug", flat=True)
    )
    drafts = [p for p in products if p.status == Product.Status.DRAFT]
    assert 0 < len(drafts) < len(products) // 5
    assert all(p.published_at for p in products if p.status == Product.Status.PUBLISHED)
    assert not Product.objects.filter(is_demo=True, search_vector__isnull=True).exists()

    # Every product: 1-3 variants, each priced online and at the base counter.
    per_product = Product.objects.filter(is_demo=True).annotate(n=Count("variants"))
    assert not per_product.filter(Q(n=0) | Q(n__gt=3)).exists()
    variants = ProductVariant.objects.filter(product__is_demo=True).prefetch_related(
        "prices__channel"
    )
    sold_by_weight = 0
    for variant in variants:
        prices = {p.channel.slug: p.price for p in variant.prices.all()}
        assert set(prices) == {"online", "base"}, variant.sku
        assert all(
            isinstance(p, Decimal) and p == p.quantize(Decimal("0.01")) for p in prices.values()
        )
        assert Decimal("0.50") < prices["base"] <= prices["online"] < Decimal("2000")
        assert variant.weight_g > 0
        sold_by_weight += variant.sold_by == ProductVariant.SoldBy.WEIGHT
    assert 0 < sold_by_weight < len(variants) // 10

    # Every product has one generated photo: a real 640 x 480 JPEG in storage.
    assert not Product.objects.filter(is_demo=True, images__isnull=True).exists()
    for image in ProductImage.objects.filter(product__is_demo=True):
        with default_storage.open(image.image.name, "rb") as fh:
            picture = Image.open(fh)
            assert (picture.format, picture.size) == ("JPEG", (640, 480))
        assert (image.width, image.height, image.format) == (640, 480, "JPEG")

    # Demo logins sign in with the demo password and carry the right roles and bindings.
    for email, role in LOGINS.items():
        user = authenticate(username=email, password=DEMO_PASSWORD)
        assert user is not None and user.role == role and user.is_demo, email
        assert authenticate(username=email, password="wrong-password") is None
    secretary = User.objects.get(email="secretary@example.com")
    assert secretary.village.is_demo
    operator = User.objects.get(email="operator@example.com")
    (cooperative,) = operator.producers.all()
    assert cooperative.kind == Producer.Kind.COOPERATIVE
    assert cooperative.village_id == secretary.village_id
    assert User.objects.get(email="staff@example.com").village_id is None

    before = counts()
    files = sorted(str(p) for p in Path(default_storage.location).rglob("*.jpg"))

    load("--no-thumbnails")

    assert counts() == before
    assert sorted(str(p) for p in Path(default_storage.location).rglob("*.jpg")) == files


def test_thumbnails_are_made_for_demo_photos_a_few_per_run():
    load("--no-thumbnails")
    assert ProductThumbnail.objects.count() == 0

    # Thumbnails take ~40 ms a photo: the test makes them for a subset, three per run.
    load("--thumbnail-limit", "3")

    with_thumbs = ProductImage.objects.filter(thumbnails__isnull=False).distinct()
    assert with_thumbs.count() == 3
    for image in with_thumbs.prefetch_related("thumbnails"):
        assert image.product.is_demo
        thumbs = {t.size: t for t in image.thumbnails.all()}
        assert sorted(thumbs) == [160, 480, 960]
        assert (thumbs[160].width, thumbs[160].height) == (160, 120)
        assert (thumbs[960].width, thumbs[960].height) == (640, 480)  # never upscaled
        with default_storage.open(thumbs[480].file.name, "rb") as fh:
            assert Image.open(fh).format == "WEBP"

    load("--thumbnail-limit", "3")  # the next run continues with other photos

    assert ProductImage.objects.filter(thumbnails__isnull=False).distinct().count() == 6
    assert ProductThumbnail.objects.count() == 18


def test_negative_thumbnail_limit_is_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="--thumbnail-limit"):
        load("--thumbnail-limit", "-1")

    assert Town.objects.count() == 0


@pytest.mark.parametrize("via_command", [True, False])
def test_reset_removes_only_demo_rows(via_command, django_capture_on_commit_callbacks):
    real = ProducerFactory(name="真实合作社")
    real_product = ProductFactory(producer=real, name="真实土蜂蜜")
    priced_variant(real_product)
    load("--no-thumbnails")
    old_products = set(Product.objects.filter(is_demo=True).values_list("pk", flat=True))
    old_files = [i.image.name for i in ProductImage.objects.filter(product__is_demo=True)]
    loaded = counts()

    with django_capture_on_commit_callbacks(execute=True):
        if via_command:
            load("--reset", "--no-thumbnails")
        else:
            deleted = reset_demo_data()

    assert Producer.objects.filter(pk=real.pk, is_demo=False).exists()
    assert Product.objects.filter(pk=real_product.pk).exists()
    assert real_product.variants.count() == 1
    assert not any(default_storage.exists(name) for name in old_files)
    if via_command:  # deleted, then built again: same counts, new rows
        assert counts() == loaded
        new_products = set(Product.objects.filter(is_demo=True).values_list("pk", flat=True))
        assert not new_products & old_products
    else:
        assert deleted["products"] == len(old_products)
        assert deleted["villages"] == 63
        assert Town.objects.filter(is_demo=True).count() == 0
        assert Village.objects.filter(is_demo=True).count() == 0
        assert Producer.objects.filter(is_demo=True).count() == 0
        assert Product.objects.filter(is_demo=True).count() == 0
        assert User.objects.filter(is_demo=True).count() == 0
        assert list(Producer.objects.values_list("name", flat=True)) == ["真实合作社"]


def test_reset_refuses_and_changes_nothing_when_real_rows_hang_on_demo_rows():
    load("--no-photos")
    village = Village.objects.get(name="红旗村", is_demo=True)
    ProducerFactory(village=village, name="后来加入的合作社")
    before = counts()

    with pytest.raises(CommandError) as excinfo:
        load("--reset", "--no-photos")

    assert "1 real producers belong to demo villages" in str(excinfo.value)
    assert counts() == before
    assert Village.objects.filter(is_demo=True).count() == 63


def test_login_with_a_real_account_address_is_left_alone():
    real = User.objects.create_user("staff@example.com", "someone-elses-password")

    load("--no-photos")

    real.refresh_from_db()
    assert not real.is_demo and real.role == Role.CONSUMER
    assert real.check_password("someone-elses-password")
    assert authenticate(username="staff@example.com", password=DEMO_PASSWORD) is None
    assert User.objects.filter(is_demo=True).count() == 3


PRODUCTS = """
query($after: String, $filter: ProductFilterInput) {
  products(first: 100, after: $after, filter: $filter) {
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def test_search_finds_every_demo_honey_named_fengmi(gql):
    load("--no-photos")
    expected = set(
        Product.objects.filter(
            is_demo=True, status=Product.Status.PUBLISHED, name__contains="蜂蜜"
        ).values_list("name", flat=True)
    )
    assert len(expected) >= 10

    found: list[str] = []
    after = None
    while True:
        data = gql.data(PRODUCTS, {"after": after, "filter": {"search": "蜂蜜"}})["products"]
        found += [e["node"]["name"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert set(found) == expected
    assert all("蜂蜜" in name for name in found)
