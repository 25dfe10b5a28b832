"""Settlement: what each village is owed for a period, line by line, and what was paid.

- SettlementPeriod: a half-open interval [starts_at, ends_at) of Asia/Shanghai local days
  (monthly by default: settings.SETTLEMENT_PERIOD); periods never overlap (exclusion
  constraint).
- CommissionRule: the alliance's rate; a village, a category (and its subcategories) or both
  can override it. The rate used is copied onto every statement line, so a later change of
  rule never changes a settled amount.
- Statement: per village per period; draft -> confirmed -> paid. Its totals are the sums of
  its lines. Once confirmed, a statement and its lines never change (database triggers).
- StatementLine: one per settled order line (kind SALE; a partial unique index makes an order
  line settle exactly once across all statements) and one per refund line settled (kind
  REFUND, negative amounts; unique per refund line).
- Payout: money paid to the village for a statement; never more than its net payable.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from alliance.core.models import BaseModel


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside the exclusion constraint


class PeriodKind(models.TextChoices):
    MONTH = "month", "月"
    HALF_MONTH = "half_month", "半月"
    WEEK = "week", "周"


class SettlementPeriod(BaseModel):
    code = models.CharField(max_length=16, unique=True)  # 2026-10, 2026-10-H1, 2026-W44
    kind = models.CharField(max_length=16, choices=PeriodKind.choices)
    start_date = models.DateField()  # local (Asia/Shanghai), inclusive
    end_date = models.DateField()  # local, exclusive
    starts_at = models.DateTimeField()  # UTC instant of start_date 00:00 local
    ends_at = models.DateTimeField()  # UTC instant of end_date 00:00 local

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")) & Q(end_date__gt=F("start_date")),
                name="settlement_period_not_empty",
            ),
            ExclusionConstraint(
                name="settlement_periods_do_not_overlap",
                expressions=[(TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS)],
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CommissionRule(BaseModel):
    village = models.ForeignKey(
        "villages.Village", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rate = models.DecimalField(max_digits=5, decimal_places=4)  # 0.0500 = 5 %
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=1), name="commission_rate_in_range"
            ),
            models.UniqueConstraint(
                fields=["village", "category"],
                nulls_distinct=False,
                name="one_commission_rule_per_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id or '*'}/{self.category_id or '*'}: {self.rate}"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    CONFIRMED = "confirmed", "已确认"
    PAID = "paid", "已付款"


class Statement(BaseModel):
    period = models.ForeignKey(
        SettlementPeriod, on_delete=models.PROTECT, related_name="statements"
    )
    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=32, unique=True)  # JS2026-10-<village code>
    status = models.CharField(
        max_length=16, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    line_count = models.IntegerField(default=0)
    weight_g = models.BigIntegerField(default=0)  # sold minus given back
    gross = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # sales (>= 0)
    refunds = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # >= 0
    commission = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # net of refunds
    net_payable = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    generated_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period__starts_at", "village__code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "village"], name="one_statement_per_village"),
            models.CheckConstraint(
                condition=Q(net_payable=F("gross") - F("refunds") - F("commission")),
                name="statement_net_is_gross_minus_refunds_minus_commission",
            ),
            models.CheckConstraint(
                condition=Q(gross__gte=0) & Q(refunds__gte=0) & Q(paid_amount__gte=0),
                name="statement_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=F("net_payable")) | Q(paid_amount=0),
                name="statement_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StatementLine(models.Model):
    class Kind(models.TextChoices):
        SALE = "sale", "销售"
        REFUND = "refund", "退款调整"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="statement_lines"
    )
    refund_line = models.ForeignKey(
        "payments.RefundLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
    )
    # Snapshots for reading a statement without joins (and for exports).
    order_number = models.CharField(max_length=32)
    channel = models.CharField(max_length=16)  # channel slug: online / base
    producer = models.ForeignKey("villages.Producer", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=128)
    occurred_at = models.DateTimeField()  # line done (SALE) or refund succeeded (REFUND)
    quantity = models.BigIntegerField()  # signed: REFUND lines negative (or 0: money only)
    weight_g = models.BigIntegerField()  # signed like quantity
    gross = models.DecimalField(max_digits=14, decimal_places=2)  # signed
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4)
    commission = models.DecimalField(max_digits=14, decimal_places=2)  # signed
    net = models.DecimalField(max_digits=14, decimal_places=2)  # gross - commission

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(kind="sale"),
                name="order_line_settled_once",
            ),
            models.UniqueConstraint(
                fields=["refund_line"],
                condition=Q(kind="refund"),
                name="refund_line_settled_once",
            ),
            models.CheckConstraint(
                condition=(Q(kind="sale") & Q(refund_line__isnull=True) & Q(gross__gte=0))
                | (Q(kind="refund") & Q(refund_line__isnull=False) & Q(gross__lt=0)),
                name="statement_line_kind_shape",
            ),
            models.CheckConstraint(
                condition=Q(net=F("gross") - F("commission")),
                name="statement_line_net_is_gross_minus_commission",
            ),
        ]
        indexes = [models.Index(fields=["statement", "kind"], name="statement_line_kind")]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.kind} {self.sku} {self.gross}"


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "银行转账"
    CASH = "cash", "现金"


class Payout(BaseModel):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_on = models.DateField()
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    reference = models.CharField(max_length=128, blank=True)  # bank reference
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.amount}"
