"""A buyer's cart before it becomes an order: reached by its token, anonymous or signed in."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alliance.core.models import BaseModel


class DeliveryMethod(models.TextChoices):
    DELIVERY = "delivery", "快递配送"
    PICKUP_BASE = "pickup_base", "基地自提"


class Checkout(BaseModel):
    # The anonymous handle: whoever holds it may use an anonymous checkout; a checkout with a
    # user is reachable by that user only (alliance.checkout.selectors.checkout_get).
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checkouts",
    )
    # Online only: the base counter sells through its own flow (orders.base_sale_create).
    channel = models.ForeignKey("catalog.Channel", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(blank=True)
    # A validated alliance.checkout.address.ShippingAddress as a dict (the same keys the
    # order's shipping_address snapshot uses), or null while none was given.
    shipping_address = models.JSONField(null=True, blank=True)
    delivery_method = models.CharField(
        max_length=16, choices=DeliveryMethod.choices, default=DeliveryMethod.DELIVERY
    )
    last_change = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)  # set by checkoutComplete

    class Meta:
        ordering = ["-last_change", "-id"]

    def __str__(self) -> str:
        return str(self.token)


class CheckoutLine(BaseModel):
    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="+"
    )
    # Units, or grams for variants sold by weight.
    quantity = models.PositiveIntegerField()
    # The channel price when the buyer last set this line; a later price change is shown
    # (priceChanged) instead of being charged silently.
    price_at_add = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkout", "variant"], name="checkout_one_line_per_variant"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="checkout_line_quantity_gt0"),
        ]
