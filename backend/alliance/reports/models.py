"""Export jobs: a statement or report written to XLSX/CSV in the background, with progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from alliance.core.models import BaseModel


class ExportJob(BaseModel):
    class Kind(models.TextChoices):
        STATEMENTS = "statements", "结算单"
        SALES_REPORT = "sales_report", "销售报表"
        RECONCILIATION = "reconciliation", "对账"

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    params = models.JSONField(default=dict)  # period, channel, groupBy, village, ...
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # what the download is called
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__gte=0) & Q(progress_done__lte=F("progress_total"))
                | Q(progress_total=0),
                name="export_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} {self.status}"
