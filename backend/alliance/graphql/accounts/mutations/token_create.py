from typing import Any

import graphene

from alliance.accounts.services import token_create
from alliance.graphql.accounts.types import UserType
from alliance.graphql.core.mutations import BaseMutation


class TokenCreate(BaseMutation):
    """Sign in with e-mail and password: an access token and a refresh token."""

    token = graphene.String(description="Access token: `Authorization: Bearer <token>`.")
    refresh_token = graphene.String(description="Exchange it for a new access token.")
    user = graphene.Field(UserType)

    class Arguments:
        email = graphene.String(required=True)
        password = graphene.String(required=True)

    @classmethod
    def perform(
        cls, root: Any, info: graphene.ResolveInfo, email: str, password: str
    ) -> dict[str, Any]:
        # The direct peer only: X-Forwarded-For is client-controlled unless a trusted proxy
        # rewrites REMOTE_ADDR before Django sees the request.
        client_ip = info.context.META.get("REMOTE_ADDR")
        access, refresh, user = token_create(email=email, password=password, client_ip=client_ip)
        return {"token": access, "refresh_token": refresh, "user": user}
