from typing import Any

import graphene

from alliance.accounts.services import account_register
from alliance.graphql.accounts.types import UserType
from alliance.graphql.core.mutations import BaseMutation


class AccountRegisterInput(graphene.InputObjectType):
    """Only these fields are accepted: a role or any other field is refused by the schema."""

    email = graphene.String(required=True)
    password = graphene.String(required=True)
    full_name = graphene.String(description="Shown on orders; optional.")


class AccountRegister(BaseMutation):
    """Create a consumer account. Sign in afterwards with tokenCreate."""

    user = graphene.Field(UserType)

    class Arguments:
        input = AccountRegisterInput(required=True)

    @classmethod
    def perform(cls, root: Any, info: graphene.ResolveInfo, input: Any) -> dict[str, Any]:
        user = account_register(
            email=input["email"],
            password=input["password"],
            full_name=input.get("full_name") or "",
        )
        return {"user": user}
