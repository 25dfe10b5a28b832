"""Writes to villages. A village is created together with its collection point."""

from __future__ import annotations

from django.db import transaction

from alliance.villages.models import Town, Village


@transaction.atomic
def village_create(
    *,
    town: Town,
    code: str,
    name: str,
    kind: str = Village.Kind.VILLAGE,
    story: str = "",
    is_demo: bool = False,
) -> Village:
    from alliance.inventory.warehouses import warehouses_ensure_for_villages

    village = Village.objects.create(
        town=town, code=code, name=name, kind=kind, story=story, is_demo=is_demo
    )
    warehouses_ensure_for_villages([village])
    return village
