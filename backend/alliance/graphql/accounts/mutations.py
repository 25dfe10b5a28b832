import graphene


class AccountMutations(graphene.ObjectType):
    pass
