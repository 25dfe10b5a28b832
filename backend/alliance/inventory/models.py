"""Warehouses, harvest lots, stock per (variant, warehouse, lot) and the append-only ledger.

On-hand `Stock.quantity` always equals the sum of its `StockMovement.quantity` rows; only
alliance.inventory.ledger.record_movement changes it, in the same transaction as the row.
Quantities are integers: units, or grams for variants sold by weight.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from alliance.core.models import BaseModel


class Warehouse(BaseModel):
    class Kind(models.TextChoices):
        VILLAGE = "village", "村集货点"
        BASE = "base", "联盟基地"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    village = models.OneToOneField(
        "villages.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warehouse",
    )
    address = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="village") & Q(village__isnull=False))
                | (Q(kind="base") & Q(village__isnull=True)),
                name="warehouse_kind_matches_village",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="base"), name="one_alliance_base"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Lot(BaseModel):
    """A harvest batch of one variant. Variants that do not track lots use one default lot."""

    DEFAULT_CODE = "DEFAULT"

    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="lots"
    )
    producer = models.ForeignKey("villages.Producer", on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(max_length=64)
    harvest_date = models.DateField(null=True, blank=True)
    best_before = models.DateField(null=True, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["best_before", "id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "code"], name="lot_code_unique_per_variant"),
            models.UniqueConstraint(
                fields=["variant"], condition=Q(is_default=True), name="one_default_lot_per_variant"
            ),
            models.CheckConstraint(
                condition=Q(best_before__isnull=True)
                | Q(harvest_date__isnull=True)
                | Q(best_before__gte=F("harvest_date")),
                name="lot_best_before_after_harvest",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def is_expired(self, today: object | None = None) -> bool:
        today = today or timezone.localdate()
        return self.best_before is not None and self.best_before < today  # type: ignore[operator]


class Stock(BaseModel):
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="stocks"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.BigIntegerField(default=0)  # on hand
    allocated = models.BigIntegerField(default=0)  # reserved for unfulfilled orders

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse", "lot"], name="one_stock_per_variant_warehouse_lot"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="stock_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="stock_allocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity")), name="stock_allocated_within_on_hand"
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "variant"], name="stock_warehouse_variant")]

    @property
    def available(self) -> int:
        return self.quantity - self.allocated


class Transfer(BaseModel):
    """Goods moved from a village collection point to the base, dispatched then received."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", "运输中"
        RECEIVED = "received", "已入库"

    code = models.CharField(max_length=32, unique=True)
    source = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_TRANSIT)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    dispatched_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-dispatched_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_between_two_warehouses"
            ),
            models.CheckConstraint(
                condition=Q(status="in_transit", received_at__isnull=True)
                | Q(status="received", received_at__isnull=False),
                name="transfer_received_has_time",
            ),
        ]


class TransferLine(BaseModel):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    quantity = models.BigIntegerField()  # sent
    quantity_received = models.BigIntegerField(null=True, blank=True)
    shortfall_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="transfer_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__isnull=True)
                | (Q(quantity_received__gte=0) & Q(quantity_received__lte=F("quantity"))),
                name="transfer_line_received_within_sent",
            ),
            models.UniqueConstraint(
                fields=["transfer", "lot"], name="one_line_per_lot_per_transfer"
            ),
        ]


class Allocation(BaseModel):
    """Stock reserved for an order line; `reference` names the line (e.g. "order-line:17")."""

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="allocations")
    channel = models.ForeignKey("catalog.Channel", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, db_index=True)
    quantity = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="allocation_quantity_positive"
            ),
        ]


class StockMovement(models.Model):
    """One change of on-hand stock. Rows are never updated or deleted (a database trigger
    refuses it); a mistake is corrected by a new row."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "入库"
        TRANSFER_OUT = "transfer_out", "调出"
        TRANSFER_IN = "transfer_in", "调入"
        ONLINE_SALE = "online_sale", "线上销售"
        BASE_SALE = "base_sale", "门店销售"
        RETURN = "return", "退货"
        LOSS = "loss", "损耗"
        ADJUSTMENT = "adjustment", "盘点调整"

    INCOMING = (Kind.RECEIPT, Kind.TRANSFER_IN, Kind.RETURN)
    OUTGOING = (Kind.TRANSFER_OUT, Kind.ONLINE_SALE, Kind.BASE_SALE, Kind.LOSS)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    # Denormalised from `stock` (never changes) so that the ledger reads without joins.
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    quantity = models.BigIntegerField()  # signed: + in, - out
    weight_g = models.BigIntegerField()  # signed like quantity
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["warehouse", "created_at"], name="movement_warehouse_time"),
            models.Index(fields=["kind", "created_at"], name="movement_kind_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=["receipt", "transfer_in", "return"]) & Q(quantity__gt=0))
                | (
                    Q(kind__in=["transfer_out", "online_sale", "base_sale", "loss"])
                    & Q(quantity__lt=0)
                )
                | (Q(kind="adjustment") & ~Q(quantity=0)),
                name="movement_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=(Q(quantity__gt=0) & Q(weight_g__gt=0))
                | (Q(quantity__lt=0) & Q(weight_g__lt=0)),
                name="movement_weight_sign_matches_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} @ {self.warehouse_id}"
