"""The /graphql/ endpoint: JWT authentication, multipart uploads, spec + limit validation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt
from graphene_file_upload.django import FileUploadGraphQLView
from graphql import ExecutionResult, OperationType, execute, get_operation_ast, parse, validate

from alliance.accounts.jwt import user_from_authorization_header
from alliance.graphql.core.limits import validation_rules


class AllianceGraphQLView(FileUploadGraphQLView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Only a bearer token authenticates the API; a session cookie is ignored, so a
        # cross-site form cannot act as a signed-in admin (the view is CSRF-exempt).
        request.user = user_from_authorization_header(request.headers.get("Authorization"))
        return super().dispatch(request, *args, **kwargs)

    def execute_graphql_request(  # type: ignore[override]
        self,
        request: HttpRequest,
        data: dict[str, Any],
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> ExecutionResult | None:
        if not query:
            return super().execute_graphql_request(
                request, data, query, variables, operation_name, show_graphiql
            )
        schema = self.schema.graphql_schema
        try:
            document = parse(query, max_tokens=20_000)
        except Exception as exc:  # syntax errors are GraphQLErrors with a location
            return ExecutionResult(data=None, errors=[exc])  # type: ignore[list-item]
        operation = get_operation_ast(document, operation_name)
        if request.method == "GET" and operation and operation.operation != OperationType.QUERY:
            return super().execute_graphql_request(
                request, data, query, variables, operation_name, show_graphiql
            )
        errors = validate(
            schema,
            document,
            validation_rules(),
            max_errors=20,
            hide_suggestions=not settings.DEBUG,
        )
        if errors:
            return ExecutionResult(data=None, errors=errors)
        return execute(
            schema,
            document,
            root_value=self.get_root_value(request),
            context_value=self.get_context(request),
            variable_values=variables,
            operation_name=operation_name,
            middleware=self.get_middleware(request),
            hide_suggestions=not settings.DEBUG,  # variable coercion suggests names too
        )


def _make_view() -> Any:
    view = AllianceGraphQLView.as_view(graphiql=settings.DEBUG)
    return csrf_exempt(view)  # token-authenticated API; the session is never trusted for writes


graphql_view = _make_view()
