from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from alliance.villages.models import Producer, Village


def village_list_queryset() -> QuerySet[Village]:
    """Villages with their township and producers: a fixed 2 queries for any page size."""
    return (
        Village.objects.select_related("town")
        .prefetch_related(
            Prefetch(
                "producers",
                queryset=Producer.objects.select_related("village__town").order_by("id"),
            )
        )
        .order_by("code")
    )
