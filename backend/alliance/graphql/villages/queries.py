from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.core.ids import InvalidId, decode_id, decode_ids
from alliance.graphql.core.pagination import connection_args, paginate
from alliance.graphql.villages.types import (
    ProducerConnection,
    ProducerKindEnum,
    ProducerType,
    VillageConnection,
    VillageType,
)
from alliance.villages.models import Producer
from alliance.villages.selectors import village_list_queryset


class ProducerFilterInput(graphene.InputObjectType):
    villages = graphene.List(graphene.NonNull(graphene.ID))
    kind = ProducerKindEnum()
    search = graphene.String()


class VillageQueries(graphene.ObjectType):
    villages = graphene.Field(
        graphene.NonNull(VillageConnection), town_code=graphene.String(), **connection_args()
    )
    village = graphene.Field(VillageType, id=graphene.ID(), code=graphene.String())
    producers = graphene.Field(
        graphene.NonNull(ProducerConnection), filter=ProducerFilterInput(), **connection_args()
    )
    producer = graphene.Field(ProducerType, id=graphene.ID(required=True))

    @staticmethod
    def resolve_villages(
        root: Any,
        info: graphene.ResolveInfo,
        town_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        qs = village_list_queryset()
        if town_code:
            qs = qs.filter(town__code=town_code)
        return paginate(qs, VillageConnection, first=first, after=after)

    @staticmethod
    def resolve_village(
        root: Any, info: graphene.ResolveInfo, id: str | None = None, code: str | None = None
    ) -> Any:
        qs = village_list_queryset()
        if id:
            try:
                return qs.filter(pk=decode_id(id, "Village", field="id")).first()
            except InvalidId:
                return None
        if code:
            return qs.filter(code=code).first()
        return None

    @staticmethod
    def resolve_producers(
        root: Any,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        qs = Producer.objects.select_related("village__town").order_by("id")
        if filter:
            if filter.get("villages"):
                qs = qs.filter(
                    village_id__in=decode_ids(filter["villages"], "Village", field="villages")
                )
            if filter.get("kind"):
                qs = qs.filter(kind=getattr(filter["kind"], "value", filter["kind"]))
            if filter.get("search"):
                qs = qs.filter(name__icontains=filter["search"].strip())
        return paginate(qs, ProducerConnection, first=first, after=after)

    @staticmethod
    def resolve_producer(root: Any, info: graphene.ResolveInfo, id: str) -> Producer | None:
        try:
            pk = decode_id(id, "Producer", field="id")
        except InvalidId:
            return None
        return Producer.objects.select_related("village__town").filter(pk=pk).first()
