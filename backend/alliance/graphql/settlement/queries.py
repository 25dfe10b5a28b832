"""Settlement reads (statements, periods, commission rules)."""

import graphene


class SettlementQueries(graphene.ObjectType):
    pass
