import graphene

from alliance.graphql.orders.mutations.base_sale_create import BaseSaleCreate


class OrderMutations(graphene.ObjectType):
    base_sale_create = BaseSaleCreate.Field()
