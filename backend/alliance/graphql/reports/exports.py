"""Exports: exportCreate mutation and exportJob query."""

import graphene


class ExportQueries(graphene.ObjectType):
    pass


class ExportMutations(graphene.ObjectType):
    pass
