"""Orders: what was sold, to whom, at what price, with the origin and weight of every line.

Order lines are snapshots: the product's name, SKU, producer, village, unit price and unit
weight are copied when the order is placed, so a later change of the catalog (or a deleted
variant) never changes a past order, a settlement or a report.

A line names one variant; when the stock for it came from several lots (FEFO split), each
lot and warehouse with its quantity is an OrderLineLot row, and `OrderLine.lot` is the first
(earliest-expiring) of them. Settlement settles whole OrderLines (value and weight are on
the line), so a line is settled exactly once whatever its lots.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from alliance.core.models import BaseModel

ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"
RECEIPT_NUMBER_SEQUENCE = "orders_receipt_number_seq"


class OrderStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "待确认"
    UNFULFILLED = "unfulfilled", "待发货"
    PARTIALLY_FULFILLED = "partially_fulfilled", "部分发货"
    FULFILLED = "fulfilled", "已发货"
    CANCELLED = "cancelled", "已取消"
    REFUNDED = "refunded", "已退款"


class PaymentStatus(models.TextChoices):
    """How much of the order's total has been paid (derived from its payments)."""

    NOT_CHARGED = "not_charged", "未支付"
    PENDING = "pending", "支付中"
    PARTIALLY_CHARGED = "partially_charged", "部分支付"
    FULLY_CHARGED = "fully_charged", "已支付"
    PARTIALLY_REFUNDED = "partially_refunded", "部分退款"
    FULLY_REFUNDED = "fully_refunded", "已全额退款"


class DeliveryMethod(models.TextChoices):
    DELIVERY = "delivery", "快递配送"
    PICKUP = "pickup", "基地自提"
    COUNTER = "counter", "基地门店"


class Order(BaseModel):
    number = models.CharField(max_length=32, unique=True)
    channel = models.ForeignKey("catalog.Channel", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=24, choices=OrderStatus.choices, default=OrderStatus.UNFULFILLED
    )
    payment_status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.NOT_CHARGED
    )
    currency = models.CharField(max_length=3, default="CNY")
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    shipping = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    total_weight_g = models.BigIntegerField()
    delivery_method = models.CharField(max_length=16, choices=DeliveryMethod.choices)
    shipping_address = models.JSONField(null=True, blank=True)  # snapshot at completion
    # Completing one checkout twice finds this order instead of making a second one.
    checkout_token = models.UUIDField(null=True, blank=True, unique=True)
    receipt_number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created"),
            models.Index(fields=["status", "-created_at"], name="order_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(shipping__gte=0) & Q(total__gte=0),
                name="order_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("shipping")),
                name="order_total_is_subtotal_plus_shipping",
            ),
            models.CheckConstraint(
                condition=Q(total_weight_g__gte=0), name="order_weight_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: a variant that was sold cannot be deleted; the snapshots below would survive
    # it anyway, but the ledger and the lots keep pointing at it.
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="order_lines"
    )
    product_name = models.CharField(max_length=128)
    variant_label = models.CharField(max_length=64, blank=True)
    sku = models.CharField(max_length=64)
    producer = models.ForeignKey("villages.Producer", on_delete=models.PROTECT, related_name="+")
    producer_name = models.CharField(max_length=128)
    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="+")
    village_name = models.CharField(max_length=64)
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+")
    sold_by = models.CharField(max_length=8)  # ProductVariant.SoldBy at the time of sale
    # Per unit, or per kilogram when sold by weight (then quantity counts grams).
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    unit_weight_g = models.PositiveIntegerField()  # 1 for weight-sold lines
    quantity = models.BigIntegerField()
    weight_g = models.BigIntegerField()  # quantity * unit_weight_g
    line_total = models.DecimalField(max_digits=14, decimal_places=2)
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity_fulfilled = models.BigIntegerField(default=0)
    quantity_refunded = models.BigIntegerField(default=0)
    # When the line was done: every unit shipped or refunded, at least one shipped (counter
    # sales: the sale). Settlement settles a line in the period holding this moment.
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["fulfilled_at"],
                condition=Q(fulfilled_at__isnull=False),
                name="order_line_fulfilled_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__gte=0) & Q(quantity_fulfilled__lte=F("quantity")),
                name="order_line_fulfilled_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_refunded__gte=0) & Q(quantity_refunded__lte=F("quantity")),
                name="order_line_refunded_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(line_total__gte=0) & Q(weight_g__gte=0),
                name="order_line_amounts_not_negative",
            ),
            models.UniqueConstraint(fields=["order", "variant"], name="one_line_per_variant"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"

    @property
    def allocation_reference(self) -> str:
        return f"order-line:{self.pk}"


class OrderLineLot(models.Model):
    """Where a line's goods come from: one row per (lot, warehouse) the allocation used."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    quantity = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_lot_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["line", "lot", "warehouse"], name="one_row_per_line_lot_warehouse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: lot {self.lot_id} x {self.quantity}"


class Fulfillment(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    tracking_number = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]


class FulfillmentLine(models.Model):
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="fulfillment_lines"
    )
    quantity = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="fulfillment_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} x {self.quantity}"
