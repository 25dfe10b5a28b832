"""Progress is committed while the export runs (a poller sees it), and in a real request the
in-process task has already run when exportCreate answers. Real commits: transaction=True."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from alliance.reports.exports import export_run
from alliance.reports.models import ExportJob
from alliance.settlement.models import StatementLine
from tests.backend.exports.builders import bulk_lines, small_period
from tests.backend.factories.accounts import staff

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CREATE = """
mutation($input: ExportCreateInput!) {
  exportCreate(input: $input) {
    job { status progress progressDone progressTotal downloadUrl }
    errors { code }
  }
}
"""


def test_a_poller_sees_progress_while_the_export_runs(settings):
    settings.EXPORT_PROGRESS_EVERY_ROWS = 200
    settled = small_period("2026-10")
    statement = settled.statements[0]
    bulk_lines(
        statement, StatementLine.objects.filter(statement=statement)[0].order_line, 6000, "P"
    )
    # Queued as export_create would (which here runs the in-process task at once, on commit).
    job = ExportJob.objects.create(
        kind="statements", format="csv", params={"period": "2026-10"}, created_by=staff()
    )
    total = 6 + 6000 + 3

    def run() -> None:
        try:
            export_run(job.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    seen: list[tuple[str, int, int]] = []
    worker.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        row = ExportJob.objects.values_list("status", "progress_done", "progress_total").get(
            pk=job.pk
        )
        seen.append(row)
        if row[0] in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            break
        time.sleep(0.005)
    worker.join()

    assert seen[-1] == (ExportJob.Status.DONE, total, total)
    midway = {done for status, done, of in seen if status == "running" and 0 < done < of}
    assert midway, f"no progress seen while running: {sorted(set(seen))[:10]}"
    assert all(done % 200 == 0 for done in midway)  # saved every 200 rows
    assert all(of == total for status, done, of in seen if status == "running" and done)
    dones = [done for _, done, _ in seen]
    assert dones == sorted(dones)


def test_in_a_request_the_in_process_task_has_run_when_the_payload_is_read(gql):
    small_period("2026-10")
    payload = gql.as_user(staff()).data(
        CREATE, {"input": {"kind": "STATEMENTS", "format": "XLSX", "period": "2026-10"}}
    )["exportCreate"]
    assert payload["errors"] == []
    job = payload["job"]
    assert (job["status"], job["progress"], job["progressDone"], job["progressTotal"]) == (
        "DONE",
        1.0,
        9,
        9,
    )
    assert job["downloadUrl"].endswith("/download/")
