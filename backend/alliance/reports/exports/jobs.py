"""Export jobs: who may export what, creating a job, running it, reading jobs."""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.models import Channel
from alliance.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from alliance.reports.exports.sources import (
    GROUP_BY,
    ExportParams,
    reconciliation_sheets,
    sales_tables,
    statement_tables,
)
from alliance.reports.exports.tables import Progress, write_csv, write_xlsx
from alliance.reports.models import ExportJob
from alliance.reports.ranges import parse_range
from alliance.reports.sales import clean_channel
from alliance.settlement.models import SettlementPeriod
from alliance.settlement.periods import parse_period_code
from alliance.villages.models import Village

logger = logging.getLogger(__name__)

Kind = ExportJob.Kind
Format = ExportJob.Format
Status = ExportJob.Status

# A user may have this many exports queued or running (started in the last hour) at once.
MAX_ACTIVE_PER_USER = 3
ACTIVE_WINDOW = timedelta(hours=1)


class InvalidExportParams(DomainError):
    code = "INVALID"


class TooManyExports(DomainError):
    code = "TOO_MANY_EXPORTS"


class ExportFailed(DomainError):
    code = "EXPORT_FAILED"


# ---------------------------------------------------------------------------------------------
# Creating a job


def _is_active(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active)


def export_allowed(actor: Any, kind: str, village_id: int | None) -> bool:
    """Staff: every kind. A first secretary: statements and the sales report of their own
    village. Nobody else. Checked when the job is created and again when it runs."""
    if not _is_active(actor):
        return False
    if actor.role == Role.STAFF:
        return True
    if actor.role == Role.SECRETARY and kind in (Kind.STATEMENTS, Kind.SALES_REPORT):
        return village_id is not None and village_id == actor.village_id
    return False


def _clean_params(actor: Any, kind: str, raw: dict[str, Any]) -> ExportParams:
    errors: list[DomainError] = []
    period = str(raw.get("period") or "").strip()
    village_id = raw.get("village")
    channel = raw.get("channel") or None
    group_by = list(raw.get("group_by") or [])

    if not period:
        errors.append(InvalidExportParams("Give a period, e.g. 2026-10.", field="period"))
    elif kind == Kind.STATEMENTS:
        try:
            parse_period_code(period)
        except DomainError as exc:
            errors.append(InvalidExportParams(exc.message, code="INVALID_PERIOD", field="period"))
        else:
            if not SettlementPeriod.objects.filter(code=period).exists():
                errors.append(
                    NotFound(
                        f"No statements were generated for period {period}.",
                        code="PERIOD_NOT_FOUND",
                        field="period",
                    )
                )
    else:
        try:
            parse_range(period)
        except (DomainError, ValueError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            errors.append(InvalidExportParams(message, code="INVALID_PERIOD", field="period"))

    if village_id is not None:
        if kind != Kind.STATEMENTS:
            errors.append(
                InvalidExportParams("Only statements are exported per village.", field="village")
            )
        elif not Village.objects.filter(pk=village_id).exists():
            errors.append(NotFound("Unknown village.", field="village"))
    if channel is not None:
        if kind != Kind.SALES_REPORT:
            errors.append(
                InvalidExportParams("Only the sales report has a channel.", field="channel")
            )
        else:
            try:
                channel = clean_channel(channel)
            except DomainError as exc:
                errors.append(exc)
    if group_by:
        if kind != Kind.SALES_REPORT:
            errors.append(InvalidExportParams("Only the sales report is grouped.", field="groupBy"))
        unknown = [g for g in group_by if g not in GROUP_BY]
        if unknown:
            errors.append(
                InvalidExportParams(
                    f"Unknown grouping {unknown[0]!r}; use {', '.join(GROUP_BY)}.",
                    field="groupBy",
                )
            )
        elif len(set(group_by)) != len(group_by):
            errors.append(InvalidExportParams("A grouping is given twice.", field="groupBy"))
    if errors:
        raise ValidationFailed(errors)

    # A first secretary's exports are always of their own village.
    if actor.role == Role.SECRETARY and kind in (Kind.STATEMENTS, Kind.SALES_REPORT):
        village_id = village_id if village_id is not None else actor.village_id
    return ExportParams(
        period=period, village_id=village_id, channel=channel, group_by=tuple(group_by)
    )


@transaction.atomic
def export_create(*, actor: Any, kind: str, format: str, params: dict[str, Any]) -> ExportJob:
    """Store an export job and queue its run once committed.

    params: period (statements: a settlement period code; reports: any period string of
    alliance.reports.ranges), village (pk; statements only), channel (slug; sales report),
    group_by (names from GROUP_BY; sales report).
    """
    if not _is_active(actor):
        raise PermissionDenied("Sign in to export.")
    if kind not in Kind.values:
        raise InvalidExportParams(f"Unknown export {kind!r}.", field="kind")
    if format not in Format.values:
        raise InvalidExportParams(f"Unknown format {format!r}.", field="format")
    wanted_village = params.get("village")
    if actor.role == Role.SECRETARY and wanted_village is None:
        wanted_village = actor.village_id
    if not export_allowed(actor, kind, wanted_village):
        raise PermissionDenied("You may not make this export.")
    clean = _clean_params(actor, kind, params)

    active = ExportJob.objects.filter(
        created_by=actor,
        status__in=(Status.QUEUED, Status.RUNNING),
        created_at__gte=timezone.now() - ACTIVE_WINDOW,
    ).count()
    if active >= MAX_ACTIVE_PER_USER:
        raise TooManyExports(
            f"You already have {active} exports in progress; wait for one to finish."
        )
    job = ExportJob.objects.create(
        kind=kind,
        format=format,
        params=clean.as_json(),
        created_by=actor,
        file_name=export_file_name(kind, format, clean),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from alliance.reports.tasks import export_run as export_run_task

    try:
        export_run_task.delay(job_id)
    except Exception as exc:  # broker unreachable: say so on the job instead of leaving it queued
        logger.exception("Could not queue export %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
            status=Status.FAILED,
            error=f"导出任务无法排队（{type(exc).__name__}），请稍后重试。",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )


# ---------------------------------------------------------------------------------------------
# File names

_KIND_NAMES = {
    Kind.STATEMENTS: ("结算单", "statements"),
    Kind.SALES_REPORT: ("销售报表", "sales-report"),
    Kind.RECONCILIATION: ("对账", "reconciliation"),
}


def _safe(text: str, *, ascii_only: bool) -> str:
    pattern = r"[^A-Za-z0-9._-]+" if ascii_only else r'[\\/:*?"<>|\s]+'
    return re.sub(pattern, "_", text).strip("_.")


def export_file_name(kind: str, format: str, params: ExportParams) -> str:
    """What the download is called, e.g. 结算单-2026-10.xlsx or 结算单-2026-10-马家村.csv."""
    parts = [_KIND_NAMES[Kind(kind)][0], _safe(params.period, ascii_only=False)]
    if params.village_id is not None:
        name = Village.objects.filter(pk=params.village_id).values_list("name", flat=True).first()
        parts.append(_safe(name or str(params.village_id), ascii_only=False))
    if params.channel:
        name = Channel.objects.filter(slug=params.channel).values_list("name", flat=True).first()
        parts.append(_safe(name or params.channel, ascii_only=False))
    return "-".join(p for p in parts if p) + f".{format}"


def export_ascii_file_name(job: ExportJob) -> str:
    """An ASCII name for clients that do not read RFC 5987 (statements-2026-10-<code>.xlsx)."""
    params = ExportParams.from_json(job.params)
    parts = [_KIND_NAMES[Kind(job.kind)][1], _safe(params.period, ascii_only=True)]
    if params.village_id is not None:
        code = Village.objects.filter(pk=params.village_id).values_list("code", flat=True).first()
        parts.append(code or str(params.village_id))
    if params.channel:
        parts.append(_safe(params.channel, ascii_only=True))
    return "-".join(p for p in parts if p) + f".{job.format}"


# ---------------------------------------------------------------------------------------------
# Running a job


class _ProgressSaver:
    """Saves a job's progress where a poller can see it (see the module docstring)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.shared = connection.in_atomic_block  # a caller's transaction: use it
        self._side: Any = None

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        if self.shared:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self._side.cursor() as cursor:  # autocommit: committed at once
            cursor.execute(sql, params)

    def total(self, total: int) -> None:
        self._execute(
            f"UPDATE {ExportJob._meta.db_table} SET progress_total = %s, progress_done = 0, "
            "updated_at = %s WHERE id = %s",
            [total, timezone.now(), self.job_id],
        )

    def done(self, done: int) -> None:
        self._execute(
            f"UPDATE {ExportJob._meta.db_table} SET progress_done = %s, updated_at = %s "
            "WHERE id = %s",
            [done, timezone.now(), self.job_id],
        )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def _write_job(job: ExportJob, path: Path, saver: _ProgressSaver) -> int:
    """Write the job's file to `path`; return the number of rows written."""
    params = ExportParams.from_json(job.params)
    actor = job.created_by
    if not export_allowed(actor, job.kind, params.village_id):
        raise PermissionDenied("The export's creator may no longer make this export.")
    progress = Progress(saver.done, settings.EXPORT_PROGRESS_EVERY_ROWS)
    write = write_xlsx if job.format == Format.XLSX else write_csv
    if job.kind == Kind.STATEMENTS:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:  # one consistent snapshot for both sheets, without taking locks
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            tables, total = statement_tables(params)
            saver.total(total)
            write(path, tables, progress)
    else:
        if job.kind == Kind.SALES_REPORT:
            tables, total = sales_tables(actor, params)
        else:
            tables, total = reconciliation_sheets(actor, params)
        saver.total(total)
        write(path, tables, progress)
    if progress.done != total:
        raise ExportFailed(f"Wrote {progress.done} rows where {total} were counted.")
    return total


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(e.message for e in exc.errors)
    if isinstance(exc, DomainError):
        return exc.message
    return f"导出失败（{type(exc).__name__}）：{str(exc)[:500]}"


def export_run(job_id: int) -> ExportJob | None:
    """Run a queued export job once (a second delivery of the task finds it not queued)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, error="", updated_at=timezone.now()
    )
    if not claimed:
        logger.info("Export %s is not queued (unknown, running or finished): skipped", job_id)
        return None
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    saver = _ProgressSaver(job_id)
    stored: str | None = None
    storage = ExportJob._meta.get_field("file").storage
    try:
        with tempfile.TemporaryDirectory(prefix="alliance-export-") as folder:
            path = Path(folder) / f"export.{job.format}"
            total = _write_job(job, path, saver)
            name = ExportJob._meta.get_field("file").generate_filename(
                job, f"{uuid.uuid4().hex}.{job.format}"
            )
            with path.open("rb") as handle:
                stored = storage.save(name, File(handle))
        now = timezone.now()
        finished = ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.DONE,
            file=stored,
            progress_total=total,
            progress_done=total,
            finished_at=now,
            updated_at=now,
        )
        if not finished:
            raise ExportFailed("The export job changed while it ran.")
    except Exception as exc:
        logger.exception("Export %s failed", job_id)
        if stored:
            try:
                storage.delete(stored)
            except OSError:
                logger.warning("Could not delete the file of failed export %s", job_id)
        now = timezone.now()
        ExportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED,
            file=None,
            error=_failure_message(exc),
            finished_at=now,
            updated_at=now,
        )
    finally:
        saver.close()
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------
# Reads


def export_jobs_visible(actor: Any) -> Any:
    """The jobs a user may read: their own; staff every job."""
    if not _is_active(actor):
        return ExportJob.objects.none()
    if actor.role == Role.STAFF:
        return ExportJob.objects.all()
    return ExportJob.objects.filter(created_by=actor)


def export_jobs_own(actor: Any) -> Any:
    if not _is_active(actor):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by=actor).order_by("-created_at", "-id")


def export_job_get(actor: Any, job_id: int) -> ExportJob | None:
    return export_jobs_visible(actor).filter(pk=job_id).first()
