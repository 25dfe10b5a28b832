from decimal import Decimal

import factory
from django.utils import timezone

from alliance.catalog.models import Category, Channel, Product, ProductVariant, VariantChannelPrice
from alliance.search.backends import vector_expression
from tests.backend.factories.villages import ProducerFactory


def category(slug: str = "wild-honey") -> Category:
    """Categories come from the reference-data migration."""
    return Category.objects.get(slug=slug)


def channel(slug: str = Channel.ONLINE) -> Channel:
    return Channel.objects.get(slug=slug)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    producer = factory.SubFactory(ProducerFactory)
    category = factory.LazyFunction(lambda: category("wild-honey"))
    name = factory.Sequence(lambda n: f"测试产品{n}")
    status = Product.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def index(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            Product.objects.filter(pk=obj.pk).update(search_vector=vector_expression(obj.name))


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    unit_label = "500 g 罐"
    weight_g = 500


def priced_variant(
    product: Product | None = None, *, online: str = "58.00", base: str | None = "52.00", **kwargs
) -> ProductVariant:  # type: ignore[no-untyped-def]
    variant = VariantFactory(product=product, **kwargs) if product else VariantFactory(**kwargs)
    VariantChannelPrice.objects.create(
        variant=variant, channel=channel("online"), price=Decimal(online)
    )
    if base is not None:
        VariantChannelPrice.objects.create(
            variant=variant, channel=channel("base"), price=Decimal(base)
        )
    return variant
