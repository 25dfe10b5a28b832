import graphene


class CheckoutLineInput(graphene.InputObjectType):
    variant = graphene.ID(required=True, description="Global ID of a ProductVariant.")
    quantity = graphene.Int(required=True, description="Units, or grams when sold by weight.")


class CheckoutCreateInput(graphene.InputObjectType):
    email = graphene.String(description="Defaults to the signed-in user's e-mail.")
    lines = graphene.List(graphene.NonNull(CheckoutLineInput), required=True)


class ShippingAddressInput(graphene.InputObjectType):
    province = graphene.String(required=True)
    city = graphene.String(required=True)
    district = graphene.String(required=True)
    street = graphene.String(required=True)
    recipient = graphene.String(required=True)
    phone = graphene.String(
        required=True, description="Mainland mobile (11 digits) or landline with area code."
    )
