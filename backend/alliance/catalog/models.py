from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from alliance.core.models import BaseModel


class Channel(BaseModel):
    """Where goods are sold: `online` (storefront) and `base` (counter at the alliance base)."""

    ONLINE = "online"
    BASE = "base"

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, default="CNY")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.slug


class Category(BaseModel):
    """A node of the category tree (蔬菜, 水果, 杂粮, 菌类, 蜂蜜 and their children)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PENDING_APPROVAL = "pending_approval", "待审核"
        PUBLISHED = "published", "已上架"

    producer = models.ForeignKey(
        "villages.Producer", on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=255, blank=True)  # e.g. "下寺湾镇 闫家沟村 向阳坡"
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    tracks_lots = models.BooleanField(default=True)
    # Listing approval (alliance.catalog.approval): when the product was last submitted, who
    # approved it and when (an approval stays valid until the product is sent back), and the
    # first secretary's comment when it was sent back.
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approval_comment = models.TextField(blank=True)
    # CJK unigrams + bigrams of the name (alliance.search.postgres); written by the services.
    search_vector = SearchVectorField(null=True, editable=False)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="product_search_gin"),
            models.Index(fields=["status", "-created_at"], name="product_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="published_product_has_published_at",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProductVariant(BaseModel):
    class SoldBy(models.TextChoices):
        UNIT = "unit", "按件"
        WEIGHT = "weight", "按重量"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    unit_label = models.CharField(max_length=64)  # "5 kg 箱", "500 g 罐"
    # Net weight of one unit in grams. For weight-sold variants: the weight of one counted
    # unit is 1 g (quantities count grams) and this field holds the usual pack size.
    weight_g = models.PositiveIntegerField()
    sold_by = models.CharField(max_length=8, choices=SoldBy.choices, default=SoldBy.UNIT)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_g__gt=0), name="variant_weight_positive")
        ]

    def __str__(self) -> str:
        return self.sku


class VariantChannelPrice(BaseModel):
    """The price of one variant in one channel: per unit, or per kilogram when sold by weight."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="prices")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="prices")
    price = models.DecimalField(max_digits=14, decimal_places=2)
    is_available = models.BooleanField(default=True)

    class Meta:
        ordering = ["channel_id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "channel"], name="one_price_per_channel"),
            models.CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
        ]


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(BaseModel):
    """An uploaded photo, re-encoded without metadata (alliance.catalog.images)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=product_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    format = models.CharField(max_length=8)  # JPEG, PNG, WEBP
    alt = models.CharField(max_length=255, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]


class ProductThumbnail(BaseModel):
    """A WebP rendition of a ProductImage, made by a background task."""

    image = models.ForeignKey(ProductImage, on_delete=models.CASCADE, related_name="thumbnails")
    size = models.PositiveIntegerField()  # longest side in pixels
    file = models.ImageField(upload_to="thumbnails/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["size"]
        constraints = [
            models.UniqueConstraint(fields=["image", "size"], name="one_thumbnail_per_size")
        ]
