import graphene

from alliance.graphql.inventory.mutations.stock_count import StockCount
from alliance.graphql.inventory.mutations.stock_receive import StockReceive
from alliance.graphql.inventory.mutations.stock_transfer_dispatch import StockTransferDispatch
from alliance.graphql.inventory.mutations.stock_transfer_receive import StockTransferReceive
from alliance.graphql.inventory.mutations.stock_write_off import StockWriteOff


class InventoryMutations(graphene.ObjectType):
    stock_receive = StockReceive.Field()
    stock_write_off = StockWriteOff.Field()
    stock_count = StockCount.Field()
    stock_transfer_dispatch = StockTransferDispatch.Field()
    stock_transfer_receive = StockTransferReceive.Field()
