from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.graphql.core.pagination import CountableConnection
from alliance.villages.models import Producer, Town, Village


class TownType(DjangoObjectType):
    class Meta:
        model = Town
        name = "Town"
        fields = ("code", "name", "name_en")
        interfaces = (graphene.relay.Node,)


class VillageType(DjangoObjectType):
    town = graphene.Field(TownType, required=True)
    kind = graphene.Field(lambda: VillageKindEnum, required=True)
    producers = graphene.List(graphene.NonNull(lambda: ProducerType), required=True)

    class Meta:
        model = Village
        name = "Village"
        fields = ("code", "name", "kind", "story", "town", "producers")
        interfaces = (graphene.relay.Node,)

    @staticmethod
    def resolve_kind(root: Village, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_town(root: Village, info: graphene.ResolveInfo) -> Any:
        return root.town  # select_related by the selectors

    @staticmethod
    def resolve_producers(root: Village, info: graphene.ResolveInfo) -> Any:
        return root.producers.all()  # prefetched by the selectors


class VillageConnection(CountableConnection):
    class Meta:
        node = VillageType


ProducerKindEnum = graphene.Enum.from_enum(
    Producer.Kind, name="ProducerKind", description="Kind of producer."
)
VillageKindEnum = graphene.Enum.from_enum(
    Village.Kind, name="VillageKind", description="Village or community."
)


class ProducerType(DjangoObjectType):
    village = graphene.Field(VillageType, required=True)
    kind = ProducerKindEnum(required=True)

    class Meta:
        model = Producer
        name = "Producer"
        fields = ("name", "kind", "description", "village")
        interfaces = (graphene.relay.Node,)

    @staticmethod
    def resolve_kind(root: Producer, info: graphene.ResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_village(root: Producer, info: graphene.ResolveInfo) -> Any:
        return root.village  # select_related by the selectors


class ProducerConnection(CountableConnection):
    class Meta:
        node = ProducerType
