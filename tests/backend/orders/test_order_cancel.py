"""orderCancel: the buyer cancels its own unpaid order, staff any order not yet fulfilled;
the reserved stock goes back on sale; every refusal changes nothing."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from graphql_relay import to_global_id

from alliance.checkout.complete import checkout_complete
from alliance.checkout.services import checkout_shipping_address_update
from alliance.inventory.allocation import quantity_available
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock
from alliance.orders.cancel import order_cancel
from alliance.orders.models import Order, OrderStatus, PaymentStatus
from alliance.orders.services import base_sale_create
from alliance.payments.models import Gateway
from alliance.payments.services import (
    payment_create,
    payment_record_captured,
    refund_record_succeeded,
)
from tests.backend.checkout.helpers import ERRORS, codes
from tests.backend.factories.accounts import consumer, operator_of, staff
from tests.backend.factories.checkout import ADDRESS, checkout_with, variant_in_stock
from tests.backend.factories.inventory import lot, stock_in, the_base

pytestmark = pytest.mark.django_db

CANCEL = f"""
mutation($id: ID!) {{
  orderCancel(id: $id) {{
    order {{ number status paymentStatus lines {{ sku quantity }} }}
    {ERRORS}
  }}
}}
"""


def placed_order(buyer: Any, lines: list[tuple[Any, int]]) -> Order:
    """An unpaid online order, placed through checkoutComplete as in production."""
    checkout = checkout_with(lines, user=buyer)
    checkout_shipping_address_update(token=checkout.token, user=buyer, address=ADDRESS)
    return checkout_complete(token=checkout.token, user=buyer)


def paid(order: Order) -> Order:
    payment = payment_create(
        order=order, gateway=Gateway.STRIPE, amount=order.total, psp_reference=f"pi_{order.pk}"
    )
    payment_record_captured(payment=payment, amount=order.total)
    order.refresh_from_db()
    return order


def cancel(gql: Any, user: Any, order: Order) -> dict[str, Any]:
    variables = {"id": to_global_id("Order", order.pk)}
    return gql.as_user(user).data(CANCEL, variables)["orderCancel"]


def state(order: Order) -> tuple[Any, ...]:
    """Everything a refused cancellation must leave as it was."""
    row = Order.objects.get(pk=order.pk)
    return (
        row.status,
        row.payment_status,
        row.updated_at,
        tuple(Allocation.objects.order_by("pk").values_list("pk", "stock_id", "quantity")),
        tuple(Stock.objects.order_by("pk").values_list("pk", "quantity", "allocated")),
    )


def test_the_buyer_cancels_its_unpaid_order_and_the_stock_is_back_on_sale(gql):
    buyer = consumer()
    honey = variant_in_stock(at_village=10, sku="HONEY-C")
    mushrooms = variant_in_stock(at_base=4, sku="MUSH-C")
    available = quantity_available([honey.pk, mushrooms.pk], "online")
    order = placed_order(buyer, [(honey, 3), (mushrooms, 4)])
    assert quantity_available([honey.pk, mushrooms.pk], "online") == {honey.pk: 7, mushrooms.pk: 0}

    payload = cancel(gql, buyer, order)

    assert payload["errors"] == []
    assert payload["order"]["status"] == "CANCELLED"
    assert {line["sku"] for line in payload["order"]["lines"]} == {"HONEY-C", "MUSH-C"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Allocation.objects.count() == 0
    assert Stock.objects.aggregate(t=Sum("allocated"))["t"] == 0
    assert quantity_available([honey.pk, mushrooms.pk], "online") == available
    assert ledger_mismatches() == []


def test_staff_cancel_a_buyers_order_with_a_pending_payment():
    buyer, admin = consumer(), staff()
    honey = variant_in_stock(at_village=5)
    order = placed_order(buyer, [(honey, 2)])
    payment_create(order=order, gateway=Gateway.STRIPE, amount=order.total, psp_reference="pi_x")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PENDING

    cancelled = order_cancel(actor=admin, order_id=order.pk)

    assert cancelled.status == OrderStatus.CANCELLED
    assert quantity_available([honey.pk], "online") == {honey.pk: 5}
    assert ledger_mismatches() == []


def test_cancelling_a_cancelled_order_is_refused_and_changes_nothing(gql):
    buyer = consumer()
    order = placed_order(buyer, [(variant_in_stock(at_village=5), 2)])
    cancel(gql, buyer, order)
    before = state(order)

    again = cancel(gql, buyer, order)

    assert again["order"] is None
    assert codes(again) == ["ORDER_STATUS_INVALID"]
    assert state(order) == before


@pytest.mark.parametrize("who", ["buyer", "staff"])
def test_a_paid_order_must_be_refunded_first(gql, who):
    buyer = consumer()
    order = paid(placed_order(buyer, [(variant_in_stock(at_village=5), 2)]))
    before = state(order)

    payload = cancel(gql, buyer if who == "buyer" else staff(), order)

    assert payload["order"] is None
    assert codes(payload) == ["ORDER_PAID"]
    assert state(order) == before
    assert Allocation.objects.aggregate(t=Sum("quantity"))["t"] == 2


def test_staff_cancel_a_fully_refunded_order_but_the_buyer_may_not(gql):
    buyer, admin = consumer(), staff()
    honey = variant_in_stock(at_village=5)
    order = paid(placed_order(buyer, [(honey, 2)]))
    refund_record_succeeded(payment=order.payments.get(), amount=order.total, psp_reference="re_1")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.FULLY_REFUNDED
    before = state(order)

    by_buyer = cancel(gql, buyer, order)
    assert codes(by_buyer) == ["PERMISSION_DENIED"]
    assert state(order) == before

    by_staff = cancel(gql, admin, order)
    assert by_staff["errors"] == []
    assert by_staff["order"]["status"] == "CANCELLED"
    assert quantity_available([honey.pk], "online") == {honey.pk: 5}


def test_a_fulfilled_counter_sale_cannot_be_cancelled(gql):
    admin = staff()
    honey = variant_in_stock(at_base=5)
    order = base_sale_create(actor=admin, lines=[(honey, 1)], payment_method=Gateway.CASH)
    before = state(order)

    payload = cancel(gql, admin, order)

    assert codes(payload) == ["ORDER_STATUS_INVALID"]
    assert state(order) == before


def test_who_may_not_cancel(gql):
    buyer = consumer()
    honey = variant_in_stock(at_village=5)
    order = placed_order(buyer, [(honey, 2)])
    before = state(order)
    operator = operator_of(honey.product.producer)  # sees the order (its producer's line)

    assert codes(cancel(gql, consumer(), order)) == ["NOT_FOUND"]  # no existence oracle
    assert codes(cancel(gql, operator, order)) == ["PERMISSION_DENIED"]
    assert codes(cancel(gql, None, order)) == ["PERMISSION_DENIED"]
    assert state(order) == before


def test_an_unknown_or_malformed_id_is_refused(gql):
    admin = staff()
    missing = gql.as_user(admin).data(CANCEL, {"id": to_global_id("Order", 999999)})
    wrong_type = gql.as_user(admin).data(CANCEL, {"id": to_global_id("Product", 1)})

    assert codes(missing["orderCancel"]) == ["NOT_FOUND"]
    assert codes(wrong_type["orderCancel"]) == ["INVALID_ID"]


def test_the_cancelled_orders_totals_are_kept():
    buyer = consumer()
    order = placed_order(buyer, [(variant_in_stock(at_village=5, online="58.00"), 2)])

    cancelled = order_cancel(actor=buyer, order_id=order.pk)

    assert (cancelled.subtotal, cancelled.total) == (Decimal("116.00"), order.total)
    assert cancelled.lines.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancellations_racing_new_checkouts_never_deadlock_or_lose_stock():
    # the stock rows of `late` have lower pks than those of `early`: a line-by-line release
    # of an order [early, late] would lock against the pk order the checkouts use
    early, late = variant_in_stock(), variant_in_stock()
    stock_in(the_base(), lot(late, "L"), 40)
    stock_in(the_base(), lot(early, "E"), 40)
    buyers = [consumer() for _ in range(24)]
    placed = [placed_order(b, [(early, 1), (late, 1)]) for b in buyers[:12]]
    checkouts = []
    for buyer in buyers[12:]:
        checkout = checkout_with([(late, 1), (early, 1)], user=buyer)
        checkout_shipping_address_update(token=checkout.token, user=buyer, address=ADDRESS)
        checkouts.append((buyer, checkout))
    failures: list[str] = []
    barrier = threading.Barrier(24)

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except Exception as exc:  # any failure (a deadlock included) is reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    jobs = [lambda o=o: order_cancel(actor=o.user, order_id=o.pk) for o in placed] + [
        lambda b=b, c=c: checkout_complete(token=c.token, user=b) for b, c in checkouts
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 12
    assert Order.objects.filter(status=OrderStatus.UNCONFIRMED).count() == 12
    assert Allocation.objects.aggregate(t=Sum("quantity"))["t"] == 24
    assert quantity_available([early.pk, late.pk], "online") == {early.pk: 28, late.pk: 28}
    assert ledger_mismatches() == []
