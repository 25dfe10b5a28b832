"""exportCreate / exportJob / exports over GraphQL, and GET /exports/<id>/download/."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import from_global_id, to_global_id
from openpyxl import load_workbook

from alliance.accounts.jwt import create_access_token
from alliance.reports.exports import export_create
from alliance.reports.models import ExportJob
from tests.backend.exports.builders import small_period
from tests.backend.factories.accounts import consumer, secretary_of, staff

pytestmark = pytest.mark.django_db

CREATE = """
mutation($input: ExportCreateInput!) {
  exportCreate(input: $input) {
    job { id kind format status progress progressDone progressTotal fileName downloadUrl }
    errors { field code message }
  }
}
"""
JOB = """
query($id: ID!) {
  exportJob(id: $id) {
    id kind format status progress progressDone progressTotal fileName downloadUrl error
    createdAt finishedAt
  }
}
"""
LIST = """
query($first: Int, $after: String) {
  exports(first: $first, after: $after) {
    edges { node { id status fileName progress downloadUrl } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on ExportJob { fileName } } }"


@pytest.fixture
def settled():
    return small_period("2026-10")


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_access_token(user)}"}


def create_over_api(gql, capture, user, **input_):
    with capture(execute=True):
        result = gql.as_user(user).data(CREATE, {"input": input_})["exportCreate"]
    return result


def test_create_poll_and_download(gql, client, settled, django_capture_on_commit_callbacks):
    boss = staff()
    payload = create_over_api(
        gql, django_capture_on_commit_callbacks, boss, kind="STATEMENTS", format="XLSX",
        period="2026-10",
    )  # fmt: skip
    assert payload["errors"] == []
    job = payload["job"]
    assert (job["kind"], job["format"], job["fileName"]) == (
        "STATEMENTS",
        "XLSX",
        "结算单-2026-10.xlsx",
    )
    # (Inside the test's transaction the task runs after the response; in a request it runs
    # on commit, before the payload is read.)
    done = gql.as_user(boss).data(JOB, {"id": job["id"]})["exportJob"]
    assert done["status"] == "DONE" and done["progress"] == 1.0 and done["error"] is None
    assert done["progressDone"] == done["progressTotal"] == 9
    assert done["finishedAt"] is not None
    pk = int(from_global_id(job["id"])[1])
    assert done["downloadUrl"] == f"http://testserver/exports/{pk}/download/"

    response = client.get(f"/exports/{pk}/download/", **bearer(boss))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="statements-2026-10.xlsx"; '
        f"filename*=UTF-8''{quote('结算单-2026-10.xlsx')}"
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["汇总", "明细"]


def test_csv_download_of_one_village(gql, client, settled, django_capture_on_commit_callbacks):
    village = settled.villages[0]
    secretary = secretary_of(village)
    payload = create_over_api(
        gql, django_capture_on_commit_callbacks, secretary, kind="STATEMENTS", format="CSV",
        period="2026-10", village=to_global_id("Village", village.pk),
    )  # fmt: skip
    assert payload["errors"] == []
    pk = int(from_global_id(payload["job"]["id"])[1])
    response = client.get(f"/exports/{pk}/download/", **bearer(secretary))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="statements-2026-10-{village.code}.csv"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


def test_errors_come_back_as_payload_errors(gql, settled):
    payload = gql.as_user(staff()).data(
        CREATE,
        {"input": {"kind": "SALES_REPORT", "format": "CSV", "period": "2026-13",
                   "groupBy": ["VILLAGE"], "village": to_global_id("Village", 1)}},
    )["exportCreate"]  # fmt: skip
    assert payload["job"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("period", "INVALID_PERIOD"),
        ("village", "INVALID"),
    ]
    payload = gql.as_user(consumer()).data(
        CREATE, {"input": {"kind": "STATEMENTS", "format": "CSV", "period": "2026-10"}}
    )["exportCreate"]
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    assert ExportJob.objects.count() == 0


def test_only_the_creator_or_staff_read_a_job(
    gql, client, settled, django_capture_on_commit_callbacks
):
    village = settled.villages[0]
    owner = secretary_of(village)
    payload = create_over_api(
        gql, django_capture_on_commit_callbacks, owner, kind="STATEMENTS", format="CSV",
        period="2026-10",
    )  # fmt: skip
    job_id = payload["job"]["id"]
    pk = int(from_global_id(job_id)[1])
    other_secretary = secretary_of(settled.villages[1])

    for user in (other_secretary, consumer(), None):
        assert gql.as_user(user).data(JOB, {"id": job_id})["exportJob"] is None
        assert gql.as_user(user).data(NODE, {"id": job_id})["node"] is None
    assert gql.as_user(staff()).data(JOB, {"id": job_id})["exportJob"]["status"] == "DONE"
    assert gql.as_user(owner).data(NODE, {"id": job_id})["node"]["fileName"].endswith(".csv")

    # Download: another user gets the same 404 as for an id that does not exist.
    for user in (other_secretary, consumer()):
        response = client.get(f"/exports/{pk}/download/", **bearer(user))
        assert response.status_code == 404
        missing = client.get(f"/exports/{pk + 1000}/download/", **bearer(user))
        assert (missing.status_code, missing.content) == (404, response.content)
    anonymous = client.get(f"/exports/{pk}/download/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    bad_token = client.get(f"/exports/{pk}/download/", HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad_token.status_code == 401
    assert client.get(f"/exports/{pk}/download/", **bearer(staff())).status_code == 200
    assert client.post(f"/exports/{pk}/download/", **bearer(owner)).status_code == 405


def test_download_before_the_file_is_written_is_a_conflict(client, settled):
    boss = staff()
    job = export_create(actor=boss, kind="statements", format="xlsx", params={"period": "2026-10"})
    response = client.get(f"/exports/{job.pk}/download/", **bearer(boss))  # task not run
    assert response.status_code == 409
    assert response.json()["status"] == "QUEUED"
    assert client.get(f"/exports/{job.pk}/download/", **bearer(consumer())).status_code == 404


def test_exports_lists_own_jobs_newest_first_in_two_queries(gql, settled):
    boss, other = staff(), staff()
    for _ in range(3):
        export_create(actor=boss, kind="statements", format="csv", params={"period": "2026-10"})
        ExportJob.objects.filter(created_by=boss).update(status=ExportJob.Status.DONE)
    export_create(actor=other, kind="statements", format="csv", params={"period": "2026-10"})
    mine = list(ExportJob.objects.filter(created_by=boss).order_by("-created_at", "-id"))

    with CaptureQueriesContext(connection) as queries:
        page = gql.as_user(boss).data(LIST, {"first": 2})["exports"]
    # the page (one extra row tells hasNextPage) + totalCount; the user comes from the token
    assert len([q for q in queries.captured_queries if "reports_exportjob" in q["sql"]]) == 2
    assert [int(from_global_id(e["node"]["id"])[1]) for e in page["edges"]] == [
        j.pk for j in mine[:2]
    ]
    assert page["pageInfo"]["hasNextPage"] is True and page["totalCount"] == 3
    rest = gql.as_user(boss).data(LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["fileName"] for e in rest["exports"]["edges"]] == [mine[2].file_name]
    assert gql.as_user(None).data(LIST)["exports"]["edges"] == []
