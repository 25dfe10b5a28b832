"""Background work of reports (Celery; in-process when REDIS_URL is unset).

`export_run` writes the file of one export job (alliance.reports.exports.export_run); it is
queued by `export_create` once the job is committed. Running it twice for one job is
harmless: only a QUEUED job is claimed.
"""

from __future__ import annotations

from celery import shared_task

from alliance.reports import exports


@shared_task(ignore_result=True)
def export_run(job_id: int) -> None:
    exports.export_run(job_id)
