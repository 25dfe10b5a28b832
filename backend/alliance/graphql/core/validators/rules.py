"""The query-limit rule: refuse expensive operations before any other rule or resolver runs.

Each operation of the document is measured (see measure.py) and compared with five
settings: GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_ROOT_FIELDS, GRAPHQL_MAX_COST
and GRAPHQL_MAX_FIELDS (field selections as written; thousands of copies of one cheap
field keep the cost low but make the spec validation itself slow).
Every figure over its limit gives one error naming the limit and the measured value, with
`extensions: {code, limit, value}`.

The check runs when the validation enters the document, before the spec rules walk it,
and when a limit is exceeded it stops the validation: some spec rules are slow on hostile
documents (OverlappingFieldsCanBeMerged compares same-named fields pairwise: 1,500 copies
of `products {...}` took 0.8 s, 3,000 copies of `town { name }` 0.6 s), and a refused
document need not be checked further.
The limits are read from the settings on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationRule,
    VisitorAction,
)
from graphql.language import BREAK
from graphql.validation.validate import ValidationAbortedError

from alliance.graphql.core.validators.measure import Measure, OperationMeasurer


@dataclass(frozen=True)
class Limit:
    setting: str
    code: str
    figure: Callable[[Measure], int]
    message: str  # formatted with operation, value, limit

    def check(self, operation: OperationDefinitionNode, measure: Measure) -> GraphQLError | None:
        limit = int(getattr(settings, self.setting))
        value = self.figure(measure)
        if value <= limit:
            return None
        name = f"Operation '{operation.name.value}'" if operation.name else "The operation"
        return GraphQLError(
            self.message.format(operation=name, value=value, limit=limit),
            operation,
            extensions={"code": self.code, "limit": limit, "value": value},
        )


MAX_DEPTH = Limit(
    "GRAPHQL_MAX_DEPTH",
    "QUERY_TOO_DEEP",
    lambda m: m.depth,
    "{operation} nests fields {value} levels deep; the maximum depth is {limit}.",
)
MAX_ALIASES = Limit(
    "GRAPHQL_MAX_ALIASES",
    "TOO_MANY_ALIASES",
    lambda m: m.aliases,
    "{operation} uses {value} aliases; the maximum is {limit} aliases.",
)
MAX_ROOT_FIELDS = Limit(
    "GRAPHQL_MAX_ROOT_FIELDS",
    "TOO_MANY_ROOT_FIELDS",
    lambda m: m.root_fields,
    "{operation} selects {value} root fields; the maximum is {limit} root fields.",
)
MAX_COST = Limit(
    "GRAPHQL_MAX_COST",
    "QUERY_TOO_COSTLY",
    lambda m: m.cost,
    "{operation} has an estimated cost of {value}; the maximum cost is {limit}."
    " Ask for smaller pages (`first`) or fewer nested lists.",
)
MAX_FIELDS = Limit(
    "GRAPHQL_MAX_FIELDS",
    "TOO_MANY_FIELDS",
    lambda m: m.fields,
    "{operation} selects {value} fields (fragments expanded); the maximum is {limit} fields.",
)
LIMITS: tuple[Limit, ...] = (MAX_DEPTH, MAX_ALIASES, MAX_ROOT_FIELDS, MAX_COST, MAX_FIELDS)


def limit_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """One error per limit exceeded by an operation of `document`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        # A fresh measurer per operation: nothing measured for one operation leaks into another.
        measure = OperationMeasurer(schema, fragments).measure(definition)
        errors.extend(e for limit in LIMITS if (e := limit.check(definition, measure)))
    return errors


class QueryLimitsRule(ValidationRule):
    """Depth, alias, root-field, cost and field-count limits; first in the rule list."""

    def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
        errors = limit_errors(self.context.schema, node)
        if not errors:
            return BREAK  # this rule has nothing more to do; the other rules go on
        *reported, last = errors
        for error in reported:
            self.report_error(error)
        # Raising the last error (as the abort error) ends the validation with exactly
        # the limit errors, before the spec rules walk a document already refused.
        raise ValidationAbortedError(last.message, last.nodes, extensions=last.extensions) from None
