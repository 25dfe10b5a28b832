"""Base class of every mutation: typed input in, one service call, object + errors out."""

from __future__ import annotations

from typing import Any

import graphene
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from alliance.core.errors import DomainError
from alliance.graphql.core.errors import Error, errors_from_exception


class BaseMutation(graphene.Mutation):
    """Subclasses implement `perform(cls, root, info, **data) -> dict` of output fields.

    A DomainError (or Django ValidationError) raised by the service becomes `errors` in the
    payload, and everything the mutation wrote is rolled back: a refused action changes nothing.
    """

    errors = graphene.NonNull(graphene.List(graphene.NonNull(Error)))

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, **data: Any) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def mutate(cls, root: Any, info: graphene.ResolveInfo, **data: Any) -> BaseMutation:
        try:
            with transaction.atomic():
                output = cls.perform(root, info, **data)
        except (DomainError, DjangoValidationError) as exc:
            return cls(errors=errors_from_exception(exc))
        return cls(errors=[], **output)
