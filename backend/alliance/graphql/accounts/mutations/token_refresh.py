from typing import Any

import graphene

from alliance.accounts.services import token_refresh
from alliance.graphql.core.mutations import BaseMutation


class TokenRefresh(BaseMutation):
    """A new access token for a refresh token (an access token is refused)."""

    token = graphene.String(description="The new access token.")

    class Arguments:
        refresh_token = graphene.String(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, refresh_token: str) -> dict[str, Any]:
        access, _ = token_refresh(refresh_token=refresh_token)
        return {"token": access}
