"""Which order line a refund's money is for (payments.RefundLine), and when a line is done
(OrderLine.fulfilled_at): the two facts settlement builds on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alliance.orders.fulfil import order_fulfil
from alliance.orders.models import OrderLine
from alliance.orders.refund import order_refund
from alliance.orders.services import base_sale_create
from alliance.payments.models import RefundLine
from alliance.payments.services import (
    order_payment_status_refresh,
    payment_create,
    payment_record_captured,
)
from tests.backend.factories.accounts import consumer, staff
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db


def amounts(refund) -> dict[str, Decimal]:
    return {
        row.order_line.sku: row.amount
        for row in RefundLine.objects.filter(refund=refund).select_related("order_line")
    }


def counter_sale(*lines):
    return base_sale_create(actor=staff(), lines=list(lines), payment_method="cash")


def test_named_lines_take_their_value_first_and_the_rest_is_spread():
    rice = stocked_variant(at_base=10, base="10.00", sku="RICE")
    oil = stocked_variant(at_base=10, base="30.00", sku="OIL")
    order = counter_sale((rice, 3), (oil, 1))  # 30.00 + 30.00
    rice_line = order.lines.get(sku="RICE")

    refund = order_refund(
        actor=staff(), order_id=order.pk, amount=Decimal("25.00"), lines=[(rice_line.pk, 1)]
    )
    # 10.00 for the rice unit named; 15.00 left spread by value not yet refunded:
    # rice 20.00, oil 30.00 of 50.00 -> 6.00 and 9.00.
    assert amounts(refund) == {"RICE": Decimal("16.00"), "OIL": Decimal("9.00")}
    assert RefundLine.objects.get(refund=refund, order_line=rice_line).quantity == 1
    assert sum(amounts(refund).values()) == Decimal("25.00")


def test_spread_rounds_down_and_gives_left_over_fen_to_the_largest_remainders():
    a = stocked_variant(at_base=5, base="1.00", sku="A")
    b = stocked_variant(at_base=5, base="1.00", sku="B")
    c = stocked_variant(at_base=5, base="1.00", sku="C")
    order = counter_sale((a, 1), (b, 1), (c, 1))  # 3 x 1.00
    refund = order_refund(actor=staff(), order_id=order.pk, amount=Decimal("1.00"))
    # 0.3333.. each: 0.33 each, the one fen left goes to the lowest line id on a tie.
    assert amounts(refund) == {"A": Decimal("0.34"), "B": Decimal("0.33"), "C": Decimal("0.33")}


def test_refunds_never_charge_a_line_more_than_its_value_and_shipping_is_no_village_money():
    honey = stocked_variant(at_village=5, online="20.00", sku="HONEY")
    order = online_order(consumer(), [(honey, 1)], shipping="8.00")  # total 28.00
    payment = payment_create(order=order, gateway="cash", amount=order.total)
    payment_record_captured(payment=payment, amount=order.total)
    order_payment_status_refresh(order.pk)

    first = order_refund(actor=staff(), order_id=order.pk, amount=Decimal("15.00"))
    second = order_refund(actor=staff(), order_id=order.pk, amount=Decimal("13.00"))
    assert amounts(first) == {"HONEY": Decimal("15.00")}
    # Only 5.00 of goods value is left; the other 8.00 refunded the shipping.
    assert amounts(second) == {"HONEY": Decimal("5.00")}


def test_a_line_is_done_when_shipped_or_when_its_unshipped_rest_is_refunded():
    jam = stocked_variant(at_village=10, online="10.00", sku="JAM")
    order = online_order(consumer(), [(jam, 4)])
    payment = payment_create(order=order, gateway="cash", amount=order.total)
    payment_record_captured(payment=payment, amount=order.total)
    order_payment_status_refresh(order.pk)
    line = order.lines.get()
    warehouse_id = line.lots.get().warehouse_id

    order_fulfil(actor=staff(), order_id=order.pk, warehouse_id=warehouse_id, lines=[(line.pk, 3)])
    line.refresh_from_db()
    assert line.fulfilled_at is None  # one unit still to ship

    order_refund(actor=staff(), order_id=order.pk, amount=Decimal("10.00"), lines=[(line.pk, 1)])
    line.refresh_from_db()
    assert line.quantity_fulfilled == 3 and line.quantity_refunded == 1
    assert line.fulfilled_at is not None


def test_a_refund_of_everything_unshipped_leaves_the_line_unsettleable():
    jam = stocked_variant(at_village=10, online="10.00", sku="JAM")
    order = online_order(consumer(), [(jam, 2)])
    payment = payment_create(order=order, gateway="cash", amount=order.total)
    payment_record_captured(payment=payment, amount=order.total)
    order_payment_status_refresh(order.pk)
    line = order.lines.get()
    order_refund(actor=staff(), order_id=order.pk, amount=Decimal("20.00"), lines=[(line.pk, 2)])
    assert OrderLine.objects.get(pk=line.pk).fulfilled_at is None


def test_counter_sales_are_done_at_once():
    rice = stocked_variant(at_base=10, base="10.00", sku="RICE")
    order = counter_sale((rice, 2))
    assert order.lines.get().fulfilled_at is not None
