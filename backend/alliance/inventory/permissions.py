"""Who may see and change which stock.

- staff: everything;
- first secretary: stock in the village's collection point, and stock of the village's
  producers wherever it lies (read); changes in the village's collection point;
- operator: stock of its producers (read anywhere; changes in its village's collection point);
- consumers and anonymous users: no stock records (only availability on variants).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from alliance.accounts.models import Role
from alliance.core.errors import PermissionDenied
from alliance.inventory.models import Warehouse
from alliance.villages.models import Producer


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def stock_read_scope(user: Any, prefix: str = "") -> Q | None:
    """A filter for Stock-like rows (fields `variant`, `warehouse` under `prefix`); None = all."""
    p = prefix
    if not _active(user):
        return Q(pk__in=[])
    if user.role == Role.STAFF:
        return None
    if user.role == Role.SECRETARY:
        return Q(**{f"{p}warehouse__village_id": user.village_id}) | Q(
            **{f"{p}variant__product__producer__village_id": user.village_id}
        )
    if user.role == Role.OPERATOR:
        return Q(**{f"{p}variant__product__producer__in": user.producers.all()})
    return Q(pk__in=[])


def can_change_stock(user: Any, *, producer: Producer, warehouse: Warehouse) -> bool:
    """Receive, write off or count `producer`'s goods in `warehouse`."""
    if not _active(user):
        return False
    if user.role == Role.STAFF:
        return True
    if warehouse.kind != Warehouse.Kind.VILLAGE or warehouse.village_id != producer.village_id:
        return False  # only alliance staff work at the base or across villages
    if user.role == Role.SECRETARY:
        return user.village_id == producer.village_id
    if user.role == Role.OPERATOR:
        return user.producers.filter(pk=producer.pk).exists()
    return False


def check_can_change_stock(user: Any, *, producer: Producer, warehouse: Warehouse) -> None:
    if not can_change_stock(user, producer=producer, warehouse=warehouse):
        raise PermissionDenied(
            "You may not change this producer's stock in this warehouse.", field="warehouse"
        )


def check_is_staff(user: Any, action: str) -> None:
    if not (_active(user) and user.role == Role.STAFF):
        raise PermissionDenied(f"Only alliance staff may {action}.")
