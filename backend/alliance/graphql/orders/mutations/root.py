import graphene

from alliance.graphql.orders.mutations.base_sale_create import BaseSaleCreate
from alliance.graphql.orders.mutations.order_cancel import OrderCancel
from alliance.graphql.orders.mutations.order_fulfill import OrderFulfill
from alliance.graphql.orders.mutations.order_refund import OrderRefund
from alliance.graphql.orders.mutations.payment_create import OrderPaymentCreate
from alliance.graphql.orders.mutations.payment_demo_confirm import OrderPaymentDemoConfirm
from alliance.graphql.orders.mutations.payment_sync import OrderPaymentSync


class OrderMutations(graphene.ObjectType):
    base_sale_create = BaseSaleCreate.Field()
    order_cancel = OrderCancel.Field()
    order_fulfill = OrderFulfill.Field()
    order_refund = OrderRefund.Field()
    order_payment_create = OrderPaymentCreate.Field()
    order_payment_demo_confirm = OrderPaymentDemoConfirm.Field()
    order_payment_sync = OrderPaymentSync.Field()
