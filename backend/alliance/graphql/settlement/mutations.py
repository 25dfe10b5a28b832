"""Settlement writes (generate, confirm, payouts, commission rules)."""

import graphene


class SettlementMutations(graphene.ObjectType):
    pass
