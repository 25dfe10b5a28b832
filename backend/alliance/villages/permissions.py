"""Who may act for which producer: cooperative -> village -> alliance."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from alliance.accounts.models import Role
from alliance.core.errors import PermissionDenied
from alliance.villages.models import Producer


def producer_scope(user: Any) -> Q | None:
    """A filter on Producer for what `user` may manage; None means everything (staff).

    Anonymous users and consumers manage nothing (a filter that matches no row).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.STAFF:
        return None
    if user.role == Role.SECRETARY:
        return Q(village_id=user.village_id)
    if user.role == Role.OPERATOR:
        return Q(operators=user)
    return Q(pk__in=[])


def can_manage_producer(user: Any, producer: Producer) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == Role.STAFF:
        return True
    if user.role == Role.SECRETARY:
        return user.village_id is not None and producer.village_id == user.village_id
    if user.role == Role.OPERATOR:
        return user.producers.filter(pk=producer.pk).exists()
    return False


def check_can_manage_producer(user: Any, producer: Producer) -> None:
    if not can_manage_producer(user, producer):
        raise PermissionDenied("You may not manage this producer's products.", field="producer")
