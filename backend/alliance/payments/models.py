"""Payments, refunds and received webhook events.

Gateways (alliance.payments.gateways.*) talk to the payment providers; the rows here are
what we know, changed only through alliance.payments.services (never backwards, idempotent).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from alliance.core.models import BaseModel


class Gateway(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    DEMO = "demo", "演示支付"
    CASH = "cash", "现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"


class PaymentState(models.TextChoices):
    PENDING = "pending", "待支付"
    AUTHORIZED = "authorized", "已授权"
    CAPTURED = "captured", "已收款"
    PARTIALLY_REFUNDED = "partially_refunded", "部分退款"
    REFUNDED = "refunded", "已退款"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


class Payment(BaseModel):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    # The provider's id (Stripe PaymentIntent id); none for cash and bank transfers.
    psp_reference = models.CharField(max_length=255, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(
        max_length=24, choices=PaymentState.choices, default=PaymentState.PENDING
    )
    captured_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Bank transfer reference, cash receipt number, ...: what a person can look up.
    reference = models.CharField(max_length=128, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "psp_reference"],
                condition=Q(psp_reference__isnull=False),
                name="payment_psp_reference_unique_per_gateway",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0) & Q(refunded_amount__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__lte=F("amount")),
                name="payment_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("captured_amount")),
                name="payment_refunded_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.amount} {self.status}"


class Refund(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", "处理中"
        SUCCEEDED = "succeeded", "已退款"
        FAILED = "failed", "失败"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    psp_reference = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)  # when the money went back
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]


class RefundLine(models.Model):
    """Which order line a refund's money is for (settlement charges it to that line's
    village). A refund naming lines gives each line min(remaining, quantity x unit price)
    in the order named; a refund naming none is spread over the order's lines by their
    value not yet refunded (largest remainder to the fen). What is left over refunds
    shipping, which no village is owed."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="refund_lines"
    )
    quantity = models.BigIntegerField(default=0)  # goods given back (0: money only)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(quantity__gte=0), name="refund_line_positive"
            ),
            models.UniqueConstraint(
                fields=["refund", "order_line"], name="one_refund_line_per_line"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id}: line {self.order_line_id} {self.amount}"


class WebhookEvent(models.Model):
    """A provider's event as received; the unique event id makes replays do nothing."""

    gateway = models.CharField(max_length=16, choices=Gateway.choices, default=Gateway.STRIPE)
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.event_id
