"""Running exports the way the API does (create, then the on-commit Celery task) and
reading the files back."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from alliance.reports.exports import export_create
from alliance.reports.models import ExportJob


def export(
    capture: Any, actor: Any, kind: str = "statements", format: str = "xlsx", **params: Any
) -> ExportJob:
    """export_create, then its on-commit callback (the Celery task, eager in tests)."""
    with capture(execute=True) as callbacks:
        job = export_create(actor=actor, kind=kind, format=format, params=params)
    assert len(callbacks) == 1
    job.refresh_from_db()
    return job


def xlsx_sheets(job: ExportJob) -> dict[str, list[list[Any]]]:
    with job.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def xlsx_workbook(job: ExportJob) -> Any:
    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def csv_text(job: ExportJob) -> tuple[bytes, list[list[str]]]:
    with job.file.open("rb") as handle:
        raw = handle.read()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def csv_sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """【title】 rows start a section; an empty row ends it."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in rows:
        if len(row) == 1 and row[0].startswith("【"):
            current = sections.setdefault(row[0].strip("【】"), [])
        elif not row:
            current = None
        elif current is not None:
            current.append(row)
    return sections


def money(value: Any) -> Decimal:
    """An XLSX number read back as the exact amount it stands for (two decimals)."""
    assert isinstance(value, int | float), value
    return Decimal(repr(value)).quantize(Decimal("0.01"))
