from __future__ import annotations

from typing import Any

import graphene

from alliance.graphql.accounts.types import UserType


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(UserType, description="The signed-in user, or null.")

    @staticmethod
    def resolve_me(root: Any, info: graphene.ResolveInfo) -> Any:
        user = info.context.user
        return user if user.is_authenticated else None
