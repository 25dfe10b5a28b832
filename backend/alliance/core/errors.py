"""Domain failures. Services raise these; the GraphQL layer maps them to `errors` in one place."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure with a stable machine-readable code."""

    code: str = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class ValidationFailed(DomainError):
    """One or more fields are invalid; `errors` holds each of them."""

    code = "INVALID"

    def __init__(self, errors: list[DomainError]):
        super().__init__("; ".join(e.message for e in errors), code=self.code)
        self.errors = errors


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class NotFound(DomainError):
    code = "NOT_FOUND"
