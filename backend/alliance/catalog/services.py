"""Writes to the catalog. Every service checks the actor's scope before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.catalog.approval import publish_refusal, record_direct_publish
from alliance.catalog.errors import CatalogError, DuplicateSku
from alliance.catalog.models import Category, Channel, Product, ProductVariant, VariantChannelPrice
from alliance.core.errors import DomainError, NotFound, ValidationFailed
from alliance.core.money import quantize
from alliance.search.backends import vector_expression
from alliance.villages.models import Producer
from alliance.villages.permissions import check_can_manage_producer

MAX_NAME_LENGTH = 128
MAX_WEIGHT_G = 100_000_000  # 100 t: anything above is a typo


@dataclass(frozen=True)
class PriceInput:
    channel_slug: str
    price: Decimal
    is_available: bool = True


def _check_name(name: str | None, errors: list[DomainError]) -> str:
    name = (name or "").strip()
    if not name:
        errors.append(CatalogError("The name may not be empty.", code="REQUIRED", field="name"))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            CatalogError(f"The name is longer than {MAX_NAME_LENGTH} characters.", field="name")
        )
    return name


def _lock_product(actor: Any, product_id: int) -> Product:
    """Lock the product row, then check the actor may manage it (not found if out of scope)."""
    product = (
        Product.objects.select_for_update(of=("self",))
        .select_related("producer__village")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound("Product not found.", field="id")
    check_can_manage_producer(actor, product.producer)
    return product


@transaction.atomic
def product_create(
    *,
    actor: Any,
    producer: Producer,
    category: Category,
    name: str,
    description: str = "",
    origin: str = "",
    tracks_lots: bool = True,
) -> Product:
    check_can_manage_producer(actor, producer)
    errors: list[DomainError] = []
    name = _check_name(name, errors)
    if errors:
        raise ValidationFailed(errors)
    product = Product.objects.create(
        producer=producer,
        category=category,
        name=name,
        description=description.strip(),
        origin=origin.strip() or f"{producer.village.town.name} {producer.village.name}",
        tracks_lots=tracks_lots,
        status=Product.Status.DRAFT,
    )
    Product.objects.filter(pk=product.pk).update(search_vector=vector_expression(product.name))
    return product


_UNSET: Any = object()


@transaction.atomic
def product_update(
    *,
    actor: Any,
    product_id: int,
    name: str | None = None,
    description: str | None = None,
    origin: str | None = None,
    category: Category | None = None,
    status: str | None = None,
) -> Product:
    product = _lock_product(actor, product_id)
    errors: list[DomainError] = []
    if name is not None:
        product.name = _check_name(name, errors)
    if status is not None and status not in Product.Status.values:
        errors.append(CatalogError(f"Unknown status {status!r}.", field="status"))
    if status == Product.Status.PENDING_APPROVAL and product.status != status:
        errors.append(
            CatalogError(
                "Use productSubmitForApproval to submit a product for approval.",
                code="USE_SUBMIT_FOR_APPROVAL",
                field="status",
            )
        )
    if status == Product.Status.PUBLISHED and product.status != status:
        refusal = publish_refusal(actor, product)
        if refusal is not None:
            errors.append(refusal)
    if status == Product.Status.PUBLISHED and not product.variants.exists():
        errors.append(
            CatalogError(
                "A product needs at least one variant with a price before it is published.",
                code="NO_VARIANTS",
                field="status",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if description is not None:
        product.description = description.strip()
    if origin is not None:
        product.origin = origin.strip()
    if category is not None:
        product.category = category
    if status is not None and status != product.status:
        product.status = status
        product.published_at = timezone.now() if status == Product.Status.PUBLISHED else None
        if status == Product.Status.PUBLISHED:
            record_direct_publish(actor, product)
    product.save()
    if name is not None:
        Product.objects.filter(pk=product.pk).update(search_vector=vector_expression(product.name))
    return product


@transaction.atomic
def product_delete(*, actor: Any, product_id: int) -> None:
    product = _lock_product(actor, product_id)
    # Locking the images waits for a running thumbnail task, so its files are deleted too.
    images = list(product.images.select_for_update().prefetch_related("thumbnails"))
    product.delete()
    from alliance.catalog.images import delete_image_files

    for image in images:
        transaction.on_commit(lambda image=image: delete_image_files(image))


def _channels_by_slug(slugs: list[str]) -> dict[str, Channel]:
    channels = {c.slug: c for c in Channel.objects.filter(slug__in=slugs, is_active=True)}
    return channels


def _check_prices(prices: list[PriceInput], errors: list[DomainError]) -> dict[str, Channel]:
    slugs = [p.channel_slug for p in prices]
    channels = _channels_by_slug(slugs)
    if len(set(slugs)) != len(slugs):
        errors.append(CatalogError("A channel is listed twice.", field="prices"))
    for p in prices:
        if p.channel_slug not in channels:
            errors.append(
                CatalogError(
                    f"There is no channel {p.channel_slug!r}.",
                    code="UNKNOWN_CHANNEL",
                    field="prices",
                )
            )
        if p.price is None or p.price <= 0 or p.price != quantize(p.price):
            errors.append(
                CatalogError(
                    f"Price {p.price} is not a positive amount with at most 2 decimals.",
                    code="INVALID_PRICE",
                    field="prices",
                )
            )
        elif p.price >= Decimal("1000000000000"):
            errors.append(
                CatalogError("The price is too large.", code="INVALID_PRICE", field="prices")
            )
    return channels


def _check_variant_fields(
    *,
    sku: str | None,
    unit_label: str | None,
    weight_g: int | None,
    sold_by: str | None,
    errors: list[DomainError],
) -> None:
    if sku is not None and not sku.strip():
        errors.append(CatalogError("The SKU may not be empty.", code="REQUIRED", field="sku"))
    if sku is not None and len(sku.strip()) > 64:
        errors.append(CatalogError("The SKU is longer than 64 characters.", field="sku"))
    if unit_label is not None and not unit_label.strip():
        errors.append(
            CatalogError("The unit label may not be empty.", code="REQUIRED", field="unitLabel")
        )
    if weight_g is not None and not (0 < weight_g <= MAX_WEIGHT_G):
        errors.append(
            CatalogError(
                "The net weight must be a positive number of grams.",
                code="INVALID_WEIGHT",
                field="weightG",
            )
        )
    if sold_by is not None and sold_by not in ProductVariant.SoldBy.values:
        errors.append(CatalogError(f"Unknown sold-by {sold_by!r}.", field="soldBy"))


def _set_prices(
    variant: ProductVariant, prices: list[PriceInput], channels: dict[str, Channel]
) -> None:
    for p in prices:
        VariantChannelPrice.objects.update_or_create(
            variant=variant,
            channel=channels[p.channel_slug],
            defaults={"price": quantize(p.price), "is_available": p.is_available},
        )


@transaction.atomic
def variant_create(
    *,
    actor: Any,
    product_id: int,
    sku: str,
    unit_label: str,
    weight_g: int,
    sold_by: str = ProductVariant.SoldBy.UNIT,
    prices: list[PriceInput],
) -> ProductVariant:
    product = _lock_product(actor, product_id)
    errors: list[DomainError] = []
    _check_variant_fields(
        sku=sku, unit_label=unit_label, weight_g=weight_g, sold_by=sold_by, errors=errors
    )
    if not prices:
        errors.append(
            CatalogError(
                "A variant needs a price in at least one channel.", code="REQUIRED", field="prices"
            )
        )
    channels = _check_prices(prices, errors)
    sku = sku.strip()
    if sku and ProductVariant.objects.filter(sku=sku).exists():
        errors.append(DuplicateSku(f"SKU {sku!r} is already in use.", field="sku"))
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            variant = ProductVariant.objects.create(
                product=product,
                sku=sku,
                unit_label=unit_label.strip(),
                weight_g=weight_g,
                sold_by=sold_by,
                sort_order=product.variants.count(),
            )
    except IntegrityError:  # a concurrent create took the SKU between check and insert
        raise DuplicateSku(f"SKU {sku!r} is already in use.", field="sku") from None
    _set_prices(variant, prices, channels)
    return variant


def _lock_variant(actor: Any, variant_id: int) -> ProductVariant:
    variant = ProductVariant.objects.filter(pk=variant_id).select_related("product").first()
    if variant is None:
        raise NotFound("Variant not found.", field="id")
    _lock_product(actor, variant.product_id)
    return ProductVariant.objects.select_for_update().get(pk=variant_id)


@transaction.atomic
def variant_update(
    *,
    actor: Any,
    variant_id: int,
    sku: str | None = None,
    unit_label: str | None = None,
    weight_g: int | None = None,
    sold_by: str | None = None,
    prices: list[PriceInput] | None = None,
) -> ProductVariant:
    variant = _lock_variant(actor, variant_id)
    errors: list[DomainError] = []
    _check_variant_fields(
        sku=sku, unit_label=unit_label, weight_g=weight_g, sold_by=sold_by, errors=errors
    )
    channels = _check_prices(prices or [], errors)
    if sku is not None and sku.strip() != variant.sku:
        if ProductVariant.objects.filter(sku=sku.strip()).exclude(pk=variant.pk).exists():
            errors.append(DuplicateSku(f"SKU {sku.strip()!r} is already in use.", field="sku"))
    if errors:
        raise ValidationFailed(errors)
    if sku is not None:
        variant.sku = sku.strip()
    if unit_label is not None:
        variant.unit_label = unit_label.strip()
    if weight_g is not None:
        variant.weight_g = weight_g
    if sold_by is not None:
        variant.sold_by = sold_by
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError:
        raise DuplicateSku(f"SKU {variant.sku!r} is already in use.", field="sku") from None
    if prices:
        _set_prices(variant, prices, channels)
    return variant


@transaction.atomic
def variant_delete(*, actor: Any, variant_id: int) -> None:
    variant = _lock_variant(actor, variant_id)
    product = variant.product
    if product.status == Product.Status.PUBLISHED and product.variants.count() == 1:
        raise CatalogError(
            "The last variant of a published product cannot be deleted; unpublish it first.",
            code="LAST_VARIANT",
            field="id",
        )
    variant.delete()
