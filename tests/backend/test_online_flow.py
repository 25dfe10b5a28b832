"""The whole online flow through GraphQL, as the storefront and staff drive it:
checkout -> complete -> PaymentIntent (local Stripe server) -> signed webhook -> paid ->
fulfilled from the village collection point -> partial refund through Stripe."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, StockMovement
from tests.backend.factories.accounts import consumer, staff
from tests.backend.factories.checkout import ADDRESS, variant_in_stock
from tests.backend.factories.inventory import village_warehouse
from tests.backend.payments.helpers import deliver, event, with_fields

pytestmark = pytest.mark.django_db

ORDER = """
query($id: ID!) { order(id: $id) {
  number status paymentStatus total { amount }
  lines { sku villageName producerName quantity quantityFulfilled lot { code } }
  payments { gateway status capturedAmount { amount } refundedAmount { amount } }
} }
"""


def ok(payload):
    assert payload["errors"] == [], payload["errors"]
    return payload


def test_online_order_from_checkout_to_partial_refund(gql, client, stripe_server):
    # given a honey jar in stock at its village's collection point, and a signed-in consumer
    variant = variant_in_stock(at_village=10, online="50.00", base=None)
    village = variant.product.producer.village
    buyer, clerk = consumer(), staff()
    gql.as_user(buyer)

    # the consumer fills a checkout, gives an address and chooses delivery
    token = ok(
        gql.data(
            "mutation($v: ID!) { checkoutCreate(input: {lines: [{variant: $v, quantity: 2}]}) "
            "{ checkout { token } errors { field code message } } }",
            {"v": to_global_id("ProductVariant", variant.pk)},
        )["checkoutCreate"]
    )["checkout"]["token"]
    ok(
        gql.data(
            "mutation($t: UUID!, $a: ShippingAddressInput!) { checkoutShippingAddressUpdate("
            "token: $t, address: $a) { errors { field code message } } }",
            {"t": token, "a": ADDRESS},
        )["checkoutShippingAddressUpdate"]
    )
    checkout = ok(
        gql.data(
            "mutation($t: UUID!) { checkoutDeliveryMethodUpdate(token: $t, method: DELIVERY) "
            "{ checkout { total { amount } shippingPrice { amount } } "
            "errors { field code message } } }",
            {"t": token},
        )["checkoutDeliveryMethodUpdate"]
    )["checkout"]

    # completing it makes an unpaid order holding the stock
    order = ok(
        gql.data(
            "mutation($t: UUID!) { checkoutComplete(token: $t) "
            "{ order { id status total { amount } } errors { field code message } } }",
            {"t": token},
        )["checkoutComplete"]
    )["order"]
    assert order["status"] == "UNCONFIRMED"
    assert order["total"] == checkout["total"]
    assert Decimal(order["total"]["amount"]) == Decimal("100.00") + Decimal(
        checkout["shippingPrice"]["amount"]
    )
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 2

    # the storefront gets a PaymentIntent's client secret; the browser says nothing about paid
    started = ok(
        gql.data(
            "mutation($o: ID!) { orderPaymentCreate(order: $o, gateway: STRIPE, "
            'returnUrl: "https://shop.example.com/return/") '
            "{ clientSecret payment { status } errors { field code message } } }",
            {"o": order["id"]},
        )["orderPaymentCreate"]
    )
    [intent] = stripe_server.payment_intents.values()
    assert started["clientSecret"] == intent["client_secret"]
    assert intent["amount"] == int(Decimal(order["total"]["amount"]) * 100)
    assert gql.data(ORDER, {"id": order["id"]})["order"]["paymentStatus"] == "PENDING"

    # Stripe reports the payment through a signed webhook: now the order is paid
    paid = with_fields(stripe_server.succeed_payment_intent(intent["id"]))
    assert deliver(client, event("payment_intent.succeeded", paid))[0] == 200
    seen = gql.data(ORDER, {"id": order["id"]})["order"]
    assert (seen["status"], seen["paymentStatus"]) == ("UNFULFILLED", "FULLY_CHARGED")
    assert seen["lines"][0]["villageName"] == village.name  # the origin travels with the line

    # staff ship it from the village's collection point: the ledger records the sale
    gql.as_user(clerk)
    shipped = ok(
        gql.data(
            "mutation($o: ID!, $w: ID!) { orderFulfill(order: $o, warehouse: $w, "
            'trackingNumber: "SF1234567890") { order { status } errors { field code message } } }',
            {"o": order["id"], "w": to_global_id("Warehouse", village_warehouse(village).pk)},
        )["orderFulfill"]
    )
    assert shipped["order"]["status"] == "FULFILLED"
    sale = StockMovement.objects.get(kind=StockMovement.Kind.ONLINE_SALE)
    assert (sale.quantity, sale.weight_g) == (-2, -2 * variant.weight_g)
    assert not Allocation.objects.exists()

    # a partial refund goes through Stripe and is recorded; the cap holds
    refunded = ok(
        gql.data(
            'mutation($o: ID!) { orderRefund(order: $o, amount: "30.00", reason: "碎了一罐") '
            "{ order { paymentStatus } errors { field code message } } }",
            {"o": order["id"]},
        )["orderRefund"]
    )
    assert refunded["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert len(stripe_server.refunds) == 1
    too_much = gql.data(
        'mutation($o: ID!) { orderRefund(order: $o, amount: "1000.00") { errors { code } } }',
        {"o": order["id"]},
    )["orderRefund"]
    assert [e["code"] for e in too_much["errors"]] == ["REFUND_EXCEEDS_CAPTURED"]
    payment = gql.data(ORDER, {"id": order["id"]})["order"]["payments"][0]
    assert payment["refundedAmount"] == {"amount": "30.00"}
    assert len(stripe_server.refunds) == 1
    assert ledger_mismatches() == []
