"""The API schema: composes each domain's queries and mutations."""

import graphene

from alliance.graphql.accounts.mutations import AccountMutations
from alliance.graphql.accounts.queries import AccountQueries
from alliance.graphql.catalog.mutations.root import CatalogMutations
from alliance.graphql.catalog.queries import CatalogQueries
from alliance.graphql.checkout.mutations.root import CheckoutMutations
from alliance.graphql.checkout.queries import CheckoutQueries
from alliance.graphql.inventory.mutations.root import InventoryMutations
from alliance.graphql.inventory.queries import InventoryQueries
from alliance.graphql.orders.mutations.root import OrderMutations
from alliance.graphql.orders.queries import OrderQueries
from alliance.graphql.reports.exports import ExportMutations, ExportQueries
from alliance.graphql.reports.queries import ReportQueries
from alliance.graphql.settlement.mutations import SettlementMutations
from alliance.graphql.settlement.queries import SettlementQueries
from alliance.graphql.villages.queries import VillageQueries


class Query(
    AccountQueries,
    VillageQueries,
    CatalogQueries,
    CheckoutQueries,
    InventoryQueries,
    OrderQueries,
    SettlementQueries,
    ReportQueries,
    ExportQueries,
    graphene.ObjectType,
):
    node = graphene.relay.Node.Field()


class Mutation(
    AccountMutations,
    CatalogMutations,
    CheckoutMutations,
    InventoryMutations,
    OrderMutations,
    SettlementMutations,
    ExportMutations,
    graphene.ObjectType,
):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
