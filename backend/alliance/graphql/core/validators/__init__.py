"""Query limits: depth, aliases, root fields and estimated cost (see rules.py, measure.py)."""

from alliance.graphql.core.validators.measure import Measure, OperationMeasurer
from alliance.graphql.core.validators.rules import LIMITS, Limit, QueryLimitsRule, limit_errors

__all__ = ["LIMITS", "Limit", "Measure", "OperationMeasurer", "QueryLimitsRule", "limit_errors"]
