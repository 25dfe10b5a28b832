import graphene


class InventoryMutations(graphene.ObjectType):
    pass
