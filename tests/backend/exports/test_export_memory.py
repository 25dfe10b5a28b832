"""A large statements export streams: its memory peak does not grow with the lines.

Measured with tracemalloc (Python allocations: deterministic enough, unlike time) on 20,000
statement lines built by SQL. Measured while choosing the bound: this export peaked at ~5 MiB
for 12,000 and for 30,000 lines alike (a 2,000-row cursor chunk and openpyxl's buffers).
Holding the lines instead: their value tuples in a list took 23.6 MiB for 20,000 lines,
model instances 103 MiB, and a normal (not write-only) openpyxl workbook 71 MiB for 12,000
lines (295 MiB for 50,000). The bound, 16 MiB, is three times the streaming peak and below
every one of those.
"""

from __future__ import annotations

import tracemalloc

import openpyxl  # noqa: F401 -- imported before tracing: module code is not export memory
import pytest

from alliance.reports.exports import export_create, export_run
from alliance.reports.models import ExportJob
from alliance.settlement.models import StatementLine
from tests.backend.exports.builders import bulk_lines, small_period
from tests.backend.factories.accounts import staff

pytestmark = pytest.mark.django_db

LINES = 20_000
BOUND = 16 * 2**20


def test_a_large_xlsx_export_stays_within_bounded_memory(settings):
    settings.EXPORT_PROGRESS_EVERY_ROWS = 5_000
    settled = small_period("2026-10")
    statement = settled.statements[1]
    template = StatementLine.objects.filter(statement=statement).first().order_line
    bulk_lines(statement, template, LINES, "M")
    job = export_create(
        actor=staff(), kind="statements", format="xlsx", params={"period": "2026-10"}
    )

    tracemalloc.start()
    try:
        export_run(job.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.progress_total == job.progress_done == LINES + 6 + 3
    assert peak < BOUND, f"peak {peak / 2**20:.1f} MiB"
    print(f"{LINES} lines: tracemalloc peak {peak / 2**20:.1f} MiB")
