"""Account mutations: registration and JWT sign-in (one mutation per module)."""

import graphene

from alliance.graphql.accounts.mutations.account_register import AccountRegister
from alliance.graphql.accounts.mutations.token_create import TokenCreate
from alliance.graphql.accounts.mutations.token_refresh import TokenRefresh
from alliance.graphql.accounts.mutations.token_verify import TokenVerify

__all__ = ["AccountMutations"]


class AccountMutations(graphene.ObjectType):
    account_register = AccountRegister.Field()
    token_create = TokenCreate.Field()
    token_refresh = TokenRefresh.Field()
    token_verify = TokenVerify.Field()
