"""Validation rules added on top of the GraphQL spec's own (never instead of them)."""

from __future__ import annotations

from django.conf import settings
from graphql import ASTValidationRule, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule


def validation_rules() -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = list(specified_rules)
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
