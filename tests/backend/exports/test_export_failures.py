"""A failing export ends FAILED with a message and no file; nothing half-written is kept."""

from __future__ import annotations

import os

import pytest

from alliance.accounts.models import Role
from alliance.reports.exports import export_create, export_run
from alliance.reports.models import ExportJob
from tests.backend.exports.builders import small_period
from tests.backend.factories.accounts import secretary_of, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled():
    return small_period("2026-10")


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_unwritable_storage_fails_the_job_with_a_message(settled, settings, tmp_path):
    job = export_create(
        actor=staff(), kind="statements", format="xlsx", params={"period": "2026-10"}
    )
    blocker = tmp_path / "media"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker)

    export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert not job.file and job.finished_at is not None
    assert job.error.startswith("导出失败（") and "Error" in job.error
    assert job.progress_total == 9  # it had counted and written the rows before failing


def test_a_creator_who_lost_the_right_gets_a_failed_job(settled, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    secretary = secretary_of(settled.villages[0])
    job = export_create(
        actor=secretary, kind="statements", format="csv", params={"period": "2026-10"}
    )
    secretary.role, secretary.village = Role.CONSUMER, None  # moved on before the task ran
    secretary.save()

    export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "The export's creator may no longer make this export."
    assert not job.file and stored_files(tmp_path) == []


def test_statements_removed_before_the_run_give_an_empty_not_a_broken_file(settled):
    job = export_create(
        actor=staff(), kind="statements", format="csv", params={"period": "2026-10"}
    )
    for statement in settled.statements:
        statement.lines.all().delete()
        statement.delete()
    export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert (job.progress_done, job.progress_total) == (1, 1)  # the 合计 row


def test_an_unknown_or_finished_job_is_not_run(settled):
    assert export_run(10**9) is None
    job = export_create(
        actor=staff(), kind="statements", format="csv", params={"period": "2026-10"}
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error="gone")
    assert export_run(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.FAILED, "gone")


def test_a_broker_that_cannot_be_reached_fails_the_job(settled, django_capture_on_commit_callbacks):
    from config.celery import app

    # Celery caches its producer pool (even eager tasks take a producer): keep the one of
    # the real broker aside, untouched, and put it back afterwards.
    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    app._pool = app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = export_create(
                actor=staff(), kind="statements", format="csv", params={"period": "2026-10"}
            )
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = saved
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error.startswith("导出任务无法排队")
