import graphene

from alliance.graphql.checkout.mutations.checkout_complete import CheckoutComplete
from alliance.graphql.checkout.mutations.checkout_create import CheckoutCreate
from alliance.graphql.checkout.mutations.checkout_delivery_method_update import (
    CheckoutDeliveryMethodUpdate,
)
from alliance.graphql.checkout.mutations.checkout_email_update import CheckoutEmailUpdate
from alliance.graphql.checkout.mutations.checkout_line_delete import CheckoutLineDelete
from alliance.graphql.checkout.mutations.checkout_lines_add import CheckoutLinesAdd
from alliance.graphql.checkout.mutations.checkout_lines_update import CheckoutLinesUpdate
from alliance.graphql.checkout.mutations.checkout_shipping_address_update import (
    CheckoutShippingAddressUpdate,
)


class CheckoutMutations(graphene.ObjectType):
    checkout_create = CheckoutCreate.Field()
    checkout_lines_add = CheckoutLinesAdd.Field()
    checkout_lines_update = CheckoutLinesUpdate.Field()
    checkout_line_delete = CheckoutLineDelete.Field()
    checkout_email_update = CheckoutEmailUpdate.Field()
    checkout_shipping_address_update = CheckoutShippingAddressUpdate.Field()
    checkout_delivery_method_update = CheckoutDeliveryMethodUpdate.Field()
    checkout_complete = CheckoutComplete.Field()
