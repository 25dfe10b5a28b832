"""Validation rules added on top of the GraphQL spec's own (never instead of them).

`validation_rules()` is every rule of graphql-core's `specified_rules` (so a misspelled
field is still refused), then the query limits (depth, aliases, root fields, cost; see
validators/), then the introspection switch: with GRAPHQL_INTROSPECTION off, `__schema` and
`__type` are refused while `__typename` (sent by Apollo and Relay clients) still works.
"""

from __future__ import annotations

from django.conf import settings
from graphql import ASTValidationRule, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule

from alliance.graphql.core.validators import QueryLimitsRule


def validation_rules() -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [QueryLimitsRule, *specified_rules]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
