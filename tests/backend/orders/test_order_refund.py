"""order_refund / orderRefund: never more than was captured, Stripe refunds with one
idempotency key per refund, counter refunds recorded directly, returned goods back in the
ledger, every refusal changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from graphql_relay import to_global_id

from alliance.core.errors import PermissionDenied
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Stock, StockMovement
from alliance.orders.fulfil import FulfilExceedsQuantity, order_fulfil
from alliance.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.refund import (
    NothingToRefund,
    RefundExceedsQuantity,
    ReturnExceedsFulfilled,
    order_refund,
)
from alliance.orders.services import base_sale_create
from alliance.payments.errors import (
    InvalidPaymentAmount,
    PaymentProviderUnavailable,
    RefundExceedsCaptured,
)
from alliance.payments.gateways import stripe as stripe_gateway
from alliance.payments.models import Payment, PaymentState, Refund
from alliance.payments.services import (
    order_payment_status_refresh,
    payment_create,
    payment_record_captured,
)
from tests.backend.factories.accounts import consumer, operator_of, staff
from tests.backend.factories.inventory import the_base
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db

REFUNDS = "/v1/refunds"


def snapshot() -> dict[str, object]:
    return {
        "refunds": sorted(Refund.objects.values_list("pk", "amount", "status")),
        "payments": sorted(Payment.objects.values_list("pk", "status", "refunded_amount")),
        "orders": sorted(Order.objects.values_list("pk", "status", "payment_status")),
        "lines": sorted(OrderLine.objects.values_list("pk", "quantity_refunded")),
        "stock": sorted(Stock.objects.values_list("pk", "quantity", "allocated")),
        "movements": StockMovement.objects.count(),
    }


@pytest.fixture
def stripe_order(stripe_server):
    """An online order of 100.00 paid through the local Stripe server, then shipped."""
    honey = stocked_variant(at_village=10, online="50.00", sku="HONEY")
    order = online_order(consumer(), [(honey, 2)])
    intent = stripe_gateway.create_payment_intent(
        amount=order.total,
        order_reference=order.number,
        idempotency_key=f"order:{order.pk}:payment-intent",
        return_url="https://shop.example.org/orders/1",
        metadata={"order_id": str(order.pk)},
    )
    stripe_server.succeed_payment_intent(intent.id)
    payment = payment_create(
        order=order, gateway="stripe", amount=order.total, psp_reference=intent.id
    )
    payment_record_captured(payment=payment, amount=order.total, psp_reference=intent.id)
    order_payment_status_refresh(order.pk)
    order_fulfil(
        actor=staff(), order_id=order.pk, warehouse_id=order.lines.get().lots.get().warehouse_id
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    return order


def test_two_partial_stripe_refunds_then_one_over_the_cap(stripe_order, stripe_server):
    order, actor = stripe_order, staff()

    first = order_refund(actor=actor, order_id=order.pk, amount=Decimal("30.00"), reason="破损")
    second = order_refund(actor=actor, order_id=order.pk, amount="50.00")
    assert (first.status, first.amount, first.reason) == ("succeeded", Decimal("30.00"), "破损")
    assert first.psp_reference.startswith("re_") and first.created_by == actor
    assert second.status == Refund.Status.SUCCEEDED
    payment = order.payments.get()
    assert payment.refunded_amount == Decimal("80.00")
    assert payment.status == PaymentState.PARTIALLY_REFUNDED
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert order.status == OrderStatus.FULFILLED
    sent = stripe_server.requests_to("POST", REFUNDS)
    assert [r.idempotency_key for r in sent] == [
        f"order:{order.pk}:refund:1",
        f"order:{order.pk}:refund:2",
    ]
    assert [int(r.params["amount"]) for r in sent] == [3000, 5000]

    before = snapshot()
    with pytest.raises(RefundExceedsCaptured) as refused:
        order_refund(actor=actor, order_id=order.pk, amount=Decimal("20.01"))
    assert refused.value.code == "REFUND_EXCEEDS_CAPTURED"
    assert snapshot() == before
    assert len(stripe_server.requests_to("POST", REFUNDS)) == 2  # Stripe was never asked

    last = order_refund(actor=actor, order_id=order.pk, amount=Decimal("20.00"))
    assert last.amount == Decimal("20.00")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentState.REFUNDED
    assert order.payment_status == PaymentStatus.FULLY_REFUNDED
    assert order.status == OrderStatus.REFUNDED
    assert (
        stripe_server.charges[
            stripe_server.payment_intents[payment.psp_reference]["latest_charge"]
        ]["amount_refunded"]
        == 10000
    )


def test_a_provider_outage_refunds_nothing_and_the_retry_reuses_the_key(
    stripe_order, stripe_server
):
    before = snapshot()
    stripe_server.fail_next(3, status=500)  # the SDK's two retries fail too
    with pytest.raises(PaymentProviderUnavailable):
        order_refund(actor=staff(), order_id=stripe_order.pk, amount=Decimal("10.00"))
    assert snapshot() == before

    order_refund(actor=staff(), order_id=stripe_order.pk, amount=Decimal("10.00"))
    keys = {r.idempotency_key for r in stripe_server.requests_to("POST", REFUNDS)}
    assert keys == {f"order:{stripe_order.pk}:refund:1"}
    assert Refund.objects.get().amount == Decimal("10.00")


def test_a_later_webhook_for_the_same_refund_counts_once(stripe_order):
    from alliance.payments.services import refund_record_succeeded

    refund = order_refund(actor=staff(), order_id=stripe_order.pk, amount=Decimal("40.00"))
    again = refund_record_succeeded(
        payment=refund.payment, amount=Decimal("40.00"), psp_reference=refund.psp_reference
    )
    assert again.pk == refund.pk
    assert Payment.objects.get().refunded_amount == Decimal("40.00")


def test_goods_not_shipped_cannot_come_back():
    tea = stocked_variant(at_village=5, online="30.00")
    order = online_order(consumer(), [(tea, 2)])
    payment = payment_create(order=order, gateway="bank_transfer", amount=order.total)
    payment_record_captured(payment=payment, amount=order.total)
    line = order.lines.get()
    order_fulfil(
        actor=staff(),
        order_id=order.pk,
        warehouse_id=line.lots.get().warehouse_id,
        lines=[(line.pk, 1)],
    )
    before = snapshot()
    with pytest.raises(ReturnExceedsFulfilled):
        order_refund(
            actor=staff(),
            order_id=order.pk,
            amount=Decimal("60.00"),
            lines=[(line.pk, 2)],
            restock=True,
        )
    assert snapshot() == before
    # the unshipped one is refunded: it is not shipped any more, the order is done
    order_refund(actor=staff(), order_id=order.pk, amount=Decimal("30.00"), lines=[(line.pk, 1)])
    with pytest.raises(FulfilExceedsQuantity):
        order_fulfil(
            actor=staff(),
            order_id=order.pk,
            warehouse_id=line.lots.get().warehouse_id,
            lines=[(line.pk, 1)],
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_only_staff_refund_and_bad_requests_change_nothing(stripe_order, stripe_server):
    order = stripe_order
    line = order.lines.get()
    unpaid = online_order(consumer(), [(stocked_variant(at_village=3), 1)])
    before = snapshot()
    for actor in (consumer(), operator_of(line.producer), None):
        with pytest.raises(PermissionDenied):
            order_refund(actor=actor, order_id=order.pk, amount=Decimal("1.00"))
    with pytest.raises(NothingToRefund):
        order_refund(actor=staff(), order_id=unpaid.pk, amount=Decimal("1.00"))
    for amount in (Decimal("0"), Decimal("-5"), Decimal("1.005"), 1.5, "abc"):
        with pytest.raises(InvalidPaymentAmount):
            order_refund(actor=staff(), order_id=order.pk, amount=amount)
    with pytest.raises(RefundExceedsQuantity):
        order_refund(actor=staff(), order_id=order.pk, amount=Decimal("1.00"), lines=[(line.pk, 3)])
    with pytest.raises(RefundExceedsCaptured):
        order_refund(
            actor=staff(), order_id=order.pk, amount=Decimal("100.01"), lines=[(line.pk, 1)]
        )
    assert snapshot() == before
    assert stripe_server.requests_to("POST", REFUNDS) == []


def test_cash_refund_of_a_counter_sale_puts_the_goods_back_at_the_base():
    seller = staff()
    rice = stocked_variant(at_base=20, base="12.50", weight_g=1000, sku="RICE")
    oil = stocked_variant(at_base=5, base="40.00", weight_g=750, sku="OIL")
    order = base_sale_create(actor=seller, lines=[(rice, 4), (oil, 1)], payment_method="cash")
    assert order.total == Decimal("90.00")
    rice_line = order.lines.get(sku="RICE")
    oil_line = order.lines.get(sku="OIL")

    # two bags of rice came back
    partial = order_refund(
        actor=seller,
        order_id=order.pk,
        amount=Decimal("25.00"),
        lines=[(rice_line.pk, 2)],
        reason="顾客退货",
        restock=True,
    )
    assert partial.status == Refund.Status.SUCCEEDED and partial.psp_reference is None
    rice_line.refresh_from_db()
    assert rice_line.quantity_refunded == 2
    back = StockMovement.objects.get(kind=StockMovement.Kind.RETURN)
    assert (back.quantity, back.weight_g, back.warehouse) == (2, 2000, the_base())
    assert back.lot_id == rice_line.lot_id
    assert Stock.objects.get(variant=rice, warehouse=the_base()).quantity == 20 - 4 + 2
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert order.status == OrderStatus.FULFILLED

    # more rice back than was sold is refused
    before = snapshot()
    with pytest.raises(RefundExceedsQuantity):
        order_refund(
            actor=seller,
            order_id=order.pk,
            amount=Decimal("40.00"),
            lines=[(rice_line.pk, 3)],
            restock=True,
        )
    assert snapshot() == before

    # the rest of the money, without goods coming back
    order_refund(actor=seller, order_id=order.pk, amount=Decimal("65.00"), lines=[(oil_line.pk, 1)])
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.FULLY_REFUNDED
    assert order.status == OrderStatus.REFUNDED
    payment = order.payments.get()
    assert (payment.gateway, payment.status, payment.refunded_amount) == (
        "cash",
        PaymentState.REFUNDED,
        Decimal("90.00"),
    )
    assert Refund.objects.aggregate(total=Sum("amount"))["total"] == Decimal("90.00")
    with pytest.raises(RefundExceedsCaptured):
        order_refund(actor=seller, order_id=order.pk, amount=Decimal("0.01"))
    assert ledger_mismatches() == []


REFUND = """
mutation($order: ID!, $amount: Decimal!, $lines: [OrderLineQuantityInput!], $reason: String,
         $restock: Boolean) {
  orderRefund(order: $order, amount: $amount, lines: $lines, reason: $reason,
              restock: $restock) {
    order { status paymentStatus lines { sku quantityRefunded }
            payments { refundedAmount { amount } } }
    refund { amount { amount currency } status reason }
    errors { field code message }
  }
}
"""


def test_order_refund_mutation_through_graphql(gql):
    seller = staff()
    tea = stocked_variant(at_base=10, base="30.00", sku="TEA")
    order = base_sale_create(actor=seller, lines=[(tea, 2)], payment_method="cash")
    line = order.lines.get()
    variables = {
        "order": to_global_id("Order", order.pk),
        "amount": "30.00",
        "lines": [{"line": to_global_id("OrderLine", line.pk), "quantity": 1}],
        "reason": "少发一件",
    }

    refused = gql.as_user(consumer()).data(REFUND, variables)["orderRefund"]
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert refused["refund"] is None and Refund.objects.count() == 0

    over = gql.as_user(seller).data(REFUND, {**variables, "amount": "60.01"})["orderRefund"]
    assert [(e["code"], e["field"]) for e in over["errors"]] == [
        ("REFUND_EXCEEDS_CAPTURED", "amount")
    ]
    assert Refund.objects.count() == 0

    done = gql.as_user(seller).data(REFUND, variables)["orderRefund"]
    assert done["errors"] == []
    assert done["refund"] == {
        "amount": {"amount": "30.00", "currency": "CNY"},
        "status": "SUCCEEDED",
        "reason": "少发一件",
    }
    assert done["order"] == {
        "status": "FULFILLED",
        "paymentStatus": "PARTIALLY_REFUNDED",
        "lines": [{"sku": "TEA", "quantityRefunded": 1}],
        "payments": [{"refundedAmount": {"amount": "30.00"}}],
    }
