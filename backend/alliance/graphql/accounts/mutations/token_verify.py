from typing import Any

import graphene
from graphene.types.generic import GenericScalar

from alliance.accounts.services import token_verify
from alliance.graphql.accounts.types import UserType
from alliance.graphql.core.mutations import BaseMutation


class TokenVerify(BaseMutation):
    """Check an access token: whether it is valid, its public claims and its user."""

    is_valid = graphene.Boolean(required=True)
    payload = GenericScalar(description="Public claims: type, email, role, iat, exp.")
    user = graphene.Field(UserType)

    class Arguments:
        token = graphene.String(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, token: str) -> dict[str, Any]:
        payload, user = token_verify(token=token)
        return {"is_valid": True, "payload": payload, "user": user}

    @staticmethod
    def resolve_is_valid(root: "TokenVerify", info: graphene.ResolveInfo) -> bool:
        return bool(root.is_valid)  # false when `errors` says why
