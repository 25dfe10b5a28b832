from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType

from alliance.accounts.models import Role, User
from alliance.graphql.villages.types import ProducerType, VillageType

RoleEnum = graphene.Enum.from_enum(Role, name="Role", description="What a user may do.")


class UserType(DjangoObjectType):
    role = RoleEnum(required=True)
    village = graphene.Field(VillageType, description="First secretaries: their village.")
    producers = graphene.List(graphene.NonNull(ProducerType), required=True)

    class Meta:
        model = User
        name = "User"
        fields = ("email", "full_name", "role", "village", "producers", "created_at")
        interfaces = (graphene.relay.Node,)

    @classmethod
    def get_queryset(cls, queryset: Any, info: graphene.ResolveInfo) -> Any:
        user = info.context.user
        if not user.is_authenticated:
            return queryset.none()
        if user.role == Role.STAFF:
            return queryset
        return queryset.filter(pk=user.pk)

    @staticmethod
    def resolve_role(root: User, info: graphene.ResolveInfo) -> str:
        return root.role

    @staticmethod
    def resolve_producers(root: User, info: graphene.ResolveInfo) -> Any:
        return root.producers.select_related("village").order_by("id")
