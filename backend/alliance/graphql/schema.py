"""The API schema: composes each domain's queries and mutations."""

import graphene

from alliance.graphql.accounts.mutations import AccountMutations
from alliance.graphql.accounts.queries import AccountQueries
from alliance.graphql.catalog.mutations.root import CatalogMutations
from alliance.graphql.catalog.queries import CatalogQueries
from alliance.graphql.inventory.mutations.root import InventoryMutations
from alliance.graphql.inventory.queries import InventoryQueries
from alliance.graphql.villages.queries import VillageQueries


class Query(AccountQueries, VillageQueries, CatalogQueries, InventoryQueries, graphene.ObjectType):
    node = graphene.relay.Node.Field()


class Mutation(AccountMutations, CatalogMutations, InventoryMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
