"""exportCreate's service: who may export what, and clear refusals that write nothing."""

from __future__ import annotations

import pytest

from alliance.core.errors import DomainError
from alliance.reports.exports import export_create
from alliance.reports.models import ExportJob
from tests.backend.exports.builders import small_period
from tests.backend.exports.helpers import csv_sections, csv_text, export
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.villages import ProducerFactory, VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled():
    return small_period("2026-10")


def refused(actor, kind="statements", format="xlsx", **params) -> list[tuple[str | None, str]]:
    """The (field, code) of each error; asserts nothing was written."""
    before = ExportJob.objects.count()
    with pytest.raises(DomainError) as caught:
        export_create(actor=actor, kind=kind, format=format, params=params)
    assert ExportJob.objects.count() == before
    errors = getattr(caught.value, "errors", [caught.value])
    return [(e.field, e.code) for e in errors]


def test_a_secretary_exports_only_their_own_village(settled, django_capture_on_commit_callbacks):
    own, other = settled.villages
    secretary = secretary_of(own)

    job = export(django_capture_on_commit_callbacks, secretary, format="csv", period="2026-10")
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.params["village"] == own.pk  # forced to their village
    sections = csv_sections(csv_text(job)[1])
    assert {r[1] for r in sections["明细"][1:]} == {own.name}
    assert [r[0] for r in sections["汇总"][1:]] == [own.name, "合计"]

    assert refused(secretary, period="2026-10", village=other.pk) == [(None, "PERMISSION_DENIED")]
    assert refused(secretary, kind="reconciliation", period="2026-10") == [
        (None, "PERMISSION_DENIED")
    ]


@pytest.mark.parametrize("who", ["consumer", "operator", "anonymous", "inactive staff"])
def test_others_are_refused(settled, who):
    from django.contrib.auth.models import AnonymousUser

    if who == "consumer":
        actor = consumer()
    elif who == "operator":
        actor = operator_of(ProducerFactory(village=settled.villages[0]))
    elif who == "anonymous":
        actor = AnonymousUser()
    else:
        actor = staff()
        actor.is_active = False
        actor.save()
    for kind in ("statements", "sales_report", "reconciliation"):
        assert refused(actor, kind=kind, period="2026-10") == [(None, "PERMISSION_DENIED")]


def test_invalid_parameters_are_refused_with_one_error_each(settled):
    boss = staff()
    assert refused(boss, period="2026-13") == [("period", "INVALID_PERIOD")]
    assert refused(boss, period="") == [("period", "INVALID")]
    assert refused(boss, period="2026-07") == [("period", "PERIOD_NOT_FOUND")]
    assert refused(boss, period="2026-10", village=10**9) == [("village", "NOT_FOUND")]
    assert refused(boss, kind="sales_report", period="next month") == [("period", "INVALID_PERIOD")]
    assert refused(
        boss, kind="sales_report", period="2026-10", channel="mars", group_by=["PLANET"]
    ) == [("channel", "INVALID_CHANNEL"), ("groupBy", "INVALID")]
    assert refused(boss, kind="sales_report", period="2026", group_by=["MONTH", "MONTH"]) == [
        ("groupBy", "INVALID")
    ]
    assert refused(boss, period="2026-10", channel="online", group_by=["VILLAGE"]) == [
        ("channel", "INVALID"),
        ("groupBy", "INVALID"),
    ]
    assert refused(boss, kind="reconciliation", period="2026-10", village=VillageFactory().pk) == [
        ("village", "INVALID")
    ]
    assert refused(boss, kind="pdf", period="2026-10") == [("kind", "INVALID")]
    assert refused(boss, format="ods", period="2026-10") == [("format", "INVALID")]


def test_at_most_three_exports_in_progress_per_user(settled):
    boss = staff()
    for _ in range(3):  # never run: their on-commit callbacks are not executed here
        export_create(actor=boss, kind="statements", format="csv", params={"period": "2026-10"})
    assert refused(boss, format="csv", period="2026-10") == [(None, "TOO_MANY_EXPORTS")]
    # Another user is not held up.
    export_create(actor=staff(), kind="statements", format="csv", params={"period": "2026-10"})


def test_the_task_runs_only_after_commit_and_only_once(settled, django_capture_on_commit_callbacks):
    from alliance.reports.exports import export_run

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_create(
            actor=staff(), kind="statements", format="csv", params={"period": "2026-10"}
        )
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED and not job.file  # nothing ran yet
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    first_file = job.file.name
    assert export_run(job.pk) is None  # a second delivery of the task does nothing
    job.refresh_from_db()
    assert job.file.name == first_file
