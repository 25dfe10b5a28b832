import graphene

from alliance.graphql.inventory.mutations.stock_count import StockCount
from alliance.graphql.inventory.mutations.stock_receive import StockReceive
from alliance.graphql.inventory.mutations.stock_write_off import StockWriteOff


class InventoryMutations(graphene.ObjectType):
    stock_receive = StockReceive.Field()
    stock_write_off = StockWriteOff.Field()
    stock_count = StockCount.Field()
