"""GET /exports/<pk>/download/: the file of a finished export job.

Authenticated like the API: only the `Authorization: Bearer <access token>` header counts (a
session cookie is ignored). No token or an invalid one: 401. A job the user may not read
(not theirs, unless staff) or that does not exist: the same 404, so ids reveal nothing. The
job's creator (or staff) asking too early: 409 with the job's status.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from alliance.accounts.jwt import user_from_authorization_header
from alliance.reports.exports import export_ascii_file_name, export_job_get
from alliance.reports.models import ExportJob

CONTENT_TYPES = {
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
}


def content_disposition(file_name: str, ascii_name: str) -> str:
    """attachment with an ASCII filename and the real (Chinese) one per RFC 5987/6266."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _not_found() -> HttpResponse:
    return JsonResponse({"error": "not found"}, status=404)


@require_safe
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_from_authorization_header(request.headers.get("Authorization"))
    if not user.is_authenticated:
        response = JsonResponse({"error": "authentication required"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="alliance"'
        return response
    job = export_job_get(user, pk)
    if job is None:
        return _not_found()
    if job.status != ExportJob.Status.DONE or not job.file:
        return JsonResponse(
            {"error": "the export is not ready", "status": job.status.upper()}, status=409
        )
    try:
        handle = job.file.open("rb")
    except OSError:  # the file was removed from storage
        return _not_found()
    response = FileResponse(handle, content_type=CONTENT_TYPES[ExportJob.Format(job.format)])
    response["Content-Disposition"] = content_disposition(
        job.file_name, export_ascii_file_name(job)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
