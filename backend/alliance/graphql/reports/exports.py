"""Exports: exportCreate mutation, exportJob and exports queries, the ExportJob type.

A job is read by its creator or by staff (anyone else gets null, as for an unknown id); the
file is downloaded from `downloadUrl` with the same bearer token as the API.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.urls import reverse
from graphene_django import DjangoObjectType
from graphql import GraphQLError

from alliance.core.errors import DomainError
from alliance.graphql.core.context import get_user
from alliance.graphql.core.ids import decode_id
from alliance.graphql.core.mutations import BaseMutation
from alliance.graphql.core.pagination import CountableConnection, connection_args, paginate
from alliance.graphql.reports.types import SalesGroupByEnum
from alliance.reports.exports import (
    export_create,
    export_job_get,
    export_jobs_own,
    export_jobs_visible,
)
from alliance.reports.models import ExportJob

ExportKindEnum = graphene.Enum.from_enum(ExportJob.Kind, name="ExportKind")
ExportFormatEnum = graphene.Enum.from_enum(ExportJob.Format, name="ExportFormat")
ExportStatusEnum = graphene.Enum.from_enum(ExportJob.Status, name="ExportStatus")


def _value(enum_value: Any) -> Any:
    return getattr(enum_value, "value", enum_value)


class ExportJobType(DjangoObjectType):
    kind = ExportKindEnum(required=True)
    format = ExportFormatEnum(required=True)
    status = ExportStatusEnum(required=True)
    progress_done = graphene.Int(
        required=True, description="Rows written so far (saved every few thousand rows)."
    )
    progress_total = graphene.Int(
        required=True, description="Rows to write; 0 until the job has counted them."
    )
    progress = graphene.Float(required=True, description="0..1; 1 when done.")
    file_name = graphene.String(required=True, description="What the download is called.")
    download_url = graphene.String(
        description="Where to GET the file with the API's bearer token; null until DONE."
    )
    error = graphene.String(description="Why the export FAILED; null otherwise.")
    created_at = graphene.DateTime(required=True)
    finished_at = graphene.DateTime()

    class Meta:
        model = ExportJob
        name = "ExportJob"
        fields = (
            "kind",
            "format",
            "status",
            "progress_done",
            "progress_total",
            "file_name",
            "error",
            "created_at",
            "finished_at",
        )
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        # node(id:) and lists: the creator's jobs; staff every job.
        return queryset.filter(pk__in=export_jobs_visible(get_user(info)).values("pk"))

    @staticmethod
    def resolve_kind(root: ExportJob, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_format(root: ExportJob, info: graphene.ResolveInfo) -> str:
        return root.format

    @staticmethod
    def resolve_status(root: ExportJob, info: graphene.ResolveInfo) -> str:
        return root.status

    @staticmethod
    def resolve_progress(root: ExportJob, info: graphene.ResolveInfo) -> float:
        if root.status == ExportJob.Status.DONE:
            return 1.0
        if not root.progress_total:
            return 0.0
        return min(1.0, root.progress_done / root.progress_total)

    @staticmethod
    def resolve_download_url(root: ExportJob, info: graphene.ResolveInfo) -> str | None:
        if root.status != ExportJob.Status.DONE or not root.file:
            return None
        path = reverse("export-download", args=[root.pk])
        request = info.context
        return request.build_absolute_uri(path) if hasattr(request, "build_absolute_uri") else path

    @staticmethod
    def resolve_error(root: ExportJob, info: graphene.ResolveInfo) -> str | None:
        return root.error or None


class ExportJobConnection(CountableConnection):
    class Meta:
        node = ExportJobType


class ExportCreateInput(graphene.InputObjectType):
    kind = ExportKindEnum(required=True)
    format = ExportFormatEnum(required=True)
    period = graphene.String(
        required=True,
        description="Statements: a settlement period code (2026-10). Reports: a period code, "
        'a month, a year, a local date range "2026-10-01..2026-10-31" or "all".',
    )
    village = graphene.ID(description="Statements of one village only (first secretaries: own).")
    channel = graphene.String(description="Sales report: one channel (online or base).")
    group_by = graphene.List(graphene.NonNull(SalesGroupByEnum), description="Sales report.")


class ExportCreate(BaseMutation):
    """Start an export of statements or a report to XLSX or CSV. The file is written in the
    background: poll exportJob(id) for progress, then GET its downloadUrl. Staff may export
    everything; a first secretary their village's statements and sales report."""

    job = graphene.Field(ExportJobType)

    class Arguments:
        input = ExportCreateInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        village = input.get("village")
        params = {
            "period": input.get("period"),
            "village": decode_id(village, "Village", field="village") if village else None,
            "channel": input.get("channel") or None,
            "group_by": [_value(g) for g in input.get("group_by") or []],
        }
        job = export_create(
            actor=get_user(info),
            kind=_value(input["kind"]),
            format=_value(input["format"]),
            params=params,
        )
        return {"job": job}

    @staticmethod
    def resolve_job(root: ExportCreate, info: graphene.ResolveInfo) -> ExportJob | None:
        # Re-read: the job may have run already (in-process Celery runs it on commit).
        job = getattr(root, "job", None)
        return ExportJob.objects.filter(pk=job.pk).first() if job is not None else None


class ExportQueries(graphene.ObjectType):
    export_job = graphene.Field(
        ExportJobType,
        id=graphene.ID(required=True),
        description="An export job with its progress; null unless yours (staff: any).",
    )
    exports = graphene.Field(
        graphene.NonNull(ExportJobConnection),
        description="Your export jobs, newest first.",
        **connection_args(),
    )

    @staticmethod
    def resolve_export_job(root: Any, info: graphene.ResolveInfo, id: str) -> ExportJob | None:
        try:
            job_id = decode_id(id, "ExportJob", field="id")
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code}) from None
        return export_job_get(get_user(info), job_id)

    @staticmethod
    def resolve_exports(
        root: Any, info: graphene.ResolveInfo, first: int | None = None, after: str | None = None
    ) -> Any:
        return paginate(
            export_jobs_own(get_user(info)), ExportJobConnection, first=first, after=after
        )


class ExportMutations(graphene.ObjectType):
    export_create = ExportCreate.Field()
