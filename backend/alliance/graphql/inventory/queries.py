import graphene


class InventoryQueries(graphene.ObjectType):
    pass
