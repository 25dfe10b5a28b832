"""The one place where domain failures become `errors { field code message }`."""

from __future__ import annotations

from typing import Any

import graphene
from django.core.exceptions import ValidationError as DjangoValidationError

from alliance.core.errors import DomainError, ValidationFailed


class Error(graphene.ObjectType):
    """An expected failure of a mutation: nothing was changed."""

    field = graphene.String(description="The input field at fault, when one is.")
    code = graphene.String(required=True, description="Stable machine-readable code.")
    message = graphene.String(required=True, description="Human-readable explanation.")


def errors_from_exception(exc: Exception) -> list[dict[str, Any]]:
    if isinstance(exc, ValidationFailed):
        return [error_dict(e) for e in exc.errors]
    if isinstance(exc, DomainError):
        return [error_dict(exc)]
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [
                {
                    "field": field,
                    "code": (e.code or "INVALID").upper(),
                    "message": " ".join(e.messages),
                }
                for field, errs in exc.error_dict.items()
                for e in errs
            ]
        return [{"field": None, "code": "INVALID", "message": " ".join(exc.messages)}]
    raise exc


def error_dict(exc: DomainError) -> dict[str, Any]:
    return {"field": exc.field, "code": exc.code, "message": exc.message}
