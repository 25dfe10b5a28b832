"""order_fulfil / orderFulfill: paid orders ship per warehouse, the ledger records the sale,
each refusal changes nothing, and the buyer gets the shipment e-mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db.models import Sum
from graphql_relay import to_global_id

from alliance.core.errors import NotFound, PermissionDenied
from alliance.inventory.allocation import allocated_in_warehouse, stock_fulfil_in_warehouse
from alliance.inventory.errors import InsufficientStock
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock, StockMovement
from alliance.orders.fulfil import (
    FulfilExceedsQuantity,
    NotAllocatedInWarehouse,
    NothingToFulfil,
    OrderNotFulfillable,
    OrderNotPaid,
    order_fulfil,
)
from alliance.orders.models import Fulfillment, Order, OrderLine, OrderStatus
from alliance.orders.services import order_set_status
from alliance.payments.services import (
    order_payment_status_refresh,
    payment_create,
    payment_record_captured,
)
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db


def pay(order: Order, gateway: str = "stripe") -> Order:
    """Record the order as paid in full, as the payment flow does."""
    payment = payment_create(
        order=order,
        gateway=gateway,
        amount=order.total,
        psp_reference=f"pi_test_{order.pk}" if gateway == "stripe" else None,
    )
    payment_record_captured(payment=payment, amount=order.total)
    order_payment_status_refresh(order.pk)
    order.refresh_from_db()
    return order


def snapshot() -> dict[str, object]:
    """Everything a fulfilment may change."""
    return {
        "stock": sorted(Stock.objects.values_list("pk", "quantity", "allocated")),
        "allocations": sorted(Allocation.objects.values_list("pk", "reference", "quantity")),
        "movements": StockMovement.objects.count(),
        "fulfillments": Fulfillment.objects.count(),
        "lines": sorted(OrderLine.objects.values_list("pk", "quantity_fulfilled")),
        "orders": sorted(Order.objects.values_list("pk", "status")),
    }


@pytest.fixture
def shop():
    """Honey of one cooperative at its village (3 jars) and at the base (5 jars): the village
    lot expires first, so an order of 6 takes 3 there and 3 at the base. Tea of another
    cooperative, only at its village."""
    honey = stocked_variant(online="50.00", weight_g=500, sku="HONEY")
    village = village_warehouse(honey.product.producer.village)
    stock_in(village, lot(honey, "H-EARLY", best_before_days=10), 3)
    stock_in(the_base(), lot(honey, "H-LATE", best_before_days=40), 5)
    tea = stocked_variant(at_village=10, online="30.00", weight_g=250, sku="TEA")
    buyer = consumer()
    order = pay(online_order(buyer, [(honey, 6), (tea, 2)], shipping="12.00"))
    lines = {line.sku: line for line in order.lines.all()}
    return {
        "order": order,
        "honey": honey,
        "tea": tea,
        "village": village,
        "tea_village": village_warehouse(tea.product.producer.village),
        "base": the_base(),
        "lines": lines,
        "buyer": buyer,
    }


def test_partial_then_full_fulfilment_per_warehouse(shop, django_capture_on_commit_callbacks):
    order, lines, actor = shop["order"], shop["lines"], staff()
    honey_line, tea_line = lines["HONEY"], lines["TEA"]

    with django_capture_on_commit_callbacks(execute=True):
        first = order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
            lines=[(honey_line.pk, 2)],
            tracking_number=" SF1234567890 ",
        )
    order.refresh_from_db()
    honey_line.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    assert honey_line.quantity_fulfilled == 2
    assert first.tracking_number == "SF1234567890"
    assert first.warehouse == shop["village"]
    assert list(first.lines.values_list("order_line_id", "quantity")) == [(honey_line.pk, 2)]
    sale = StockMovement.objects.get(kind=StockMovement.Kind.ONLINE_SALE)
    assert (sale.quantity, sale.weight_g) == (-2, -1000)
    assert sale.warehouse == shop["village"]
    assert sale.lot.code == "H-EARLY"
    assert sale.reference == honey_line.allocation_reference
    assert sale.actor == actor
    # one jar stays reserved at the village, three at the base
    assert allocated_in_warehouse(
        references=[honey_line.allocation_reference], warehouse_id=shop["village"].pk
    ) == {honey_line.allocation_reference: 1}
    village_stock = Stock.objects.get(warehouse=shop["village"], variant=shop["honey"])
    assert (village_stock.quantity, village_stock.allocated) == (1, 1)

    # the rest of the village's honey (everything allocated there) ...
    order_fulfil(actor=actor, order_id=order.pk, warehouse_id=shop["village"].pk, lines=None)
    # ... the base's honey, then the tea at its own village
    order_fulfil(actor=actor, order_id=order.pk, warehouse_id=shop["base"].pk, lines=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    with django_capture_on_commit_callbacks(execute=True):
        last = order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["tea_village"].pk,
            lines=[(tea_line.pk, 2)],
            tracking_number="YT0001",
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert dict(order.lines.values_list("sku", "quantity_fulfilled")) == {"HONEY": 6, "TEA": 2}
    assert Allocation.objects.count() == 0
    assert Fulfillment.objects.filter(order=order).count() == 4
    sales = StockMovement.objects.filter(kind=StockMovement.Kind.ONLINE_SALE)
    assert sales.aggregate(q=Sum("quantity"), w=Sum("weight_g")) == {
        "q": -8,
        "w": -(6 * 500 + 2 * 250),
    }
    by_warehouse = dict(
        sales.filter(variant=shop["honey"])
        .values("warehouse_id")
        .annotate(q=Sum("quantity"))
        .values_list("warehouse_id", "q")
    )
    assert by_warehouse == {shop["village"].pk: -3, shop["base"].pk: -3}
    assert list(last.lines.values_list("quantity", flat=True)) == [2]
    assert ledger_mismatches() == []

    # two shipment mails were captured: the first partial, the last final
    assert len(mail.outbox) == 2
    first_mail, last_mail = mail.outbox
    assert first_mail.to == [shop["buyer"].email]
    assert first_mail.subject == f"订单 {order.number} 已发货"
    assert "快递单号：SF1234567890" in first_mail.body
    assert f"{honey_line.product_name}（500 g 罐） × 2 件" in first_mail.body
    assert f"产地：{honey_line.village_name} · {honey_line.producer_name}" in first_mail.body
    assert "其余商品将另行发货" in first_mail.body
    assert "快递单号：YT0001" in last_mail.body
    assert tea_line.producer_name in last_mail.body
    assert honey_line.product_name not in last_mail.body
    assert "其余商品" not in last_mail.body


def test_an_operator_ships_only_its_producers_lines_from_its_village(shop):
    order, lines = shop["order"], shop["lines"]
    honey_operator = operator_of(shop["honey"].product.producer)
    before = snapshot()

    # the tea belongs to another cooperative
    with pytest.raises(PermissionDenied):
        order_fulfil(
            actor=honey_operator,
            order_id=order.pk,
            warehouse_id=shop["tea_village"].pk,
            lines=[(lines["TEA"].pk, 1)],
        )
    # only alliance staff ship from the base
    with pytest.raises(PermissionDenied):
        order_fulfil(
            actor=honey_operator,
            order_id=order.pk,
            warehouse_id=shop["base"].pk,
            lines=[(lines["HONEY"].pk, 1)],
        )
    # nothing of the tea cooperative's is reserved in the honey village: nothing to do
    with pytest.raises(NothingToFulfil):
        order_fulfil(
            actor=operator_of(shop["tea"].product.producer),
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
        )
    with pytest.raises(PermissionDenied):
        order_fulfil(actor=shop["buyer"], order_id=order.pk, warehouse_id=shop["village"].pk)
    assert snapshot() == before

    # "everything" for the honey operator is its honey at its village, not the tea
    fulfillment = order_fulfil(
        actor=honey_operator, order_id=order.pk, warehouse_id=shop["village"].pk
    )
    assert list(fulfillment.lines.values_list("order_line__sku", "quantity")) == [("HONEY", 3)]


def test_a_secretary_ships_its_villages_lines(shop):
    order, lines = shop["order"], shop["lines"]
    secretary = secretary_of(shop["tea"].product.producer.village)
    with pytest.raises(PermissionDenied):
        order_fulfil(
            actor=secretary,
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
            lines=[(lines["HONEY"].pk, 1)],
        )
    fulfillment = order_fulfil(
        actor=secretary, order_id=order.pk, warehouse_id=shop["tea_village"].pk
    )
    assert list(fulfillment.lines.values_list("order_line__sku", "quantity")) == [("TEA", 2)]


def test_unpaid_cancelled_and_bad_requests_are_refused_and_change_nothing(shop):
    order, lines, actor = shop["order"], shop["lines"], staff()
    honey_line = lines["HONEY"]
    unpaid = online_order(consumer(), [(shop["tea"], 1)])
    before = snapshot()

    with pytest.raises(OrderNotPaid):
        order_fulfil(actor=actor, order_id=unpaid.pk, warehouse_id=shop["tea_village"].pk)
    # more than the line holds
    with pytest.raises(FulfilExceedsQuantity):
        order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
            lines=[(honey_line.pk, 7)],
        )
    # 6 on the line, but only 3 reserved in the village
    with pytest.raises(NotAllocatedInWarehouse):
        order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
            lines=[(honey_line.pk, 4)],
        )
    # the tea is not in the honey village's warehouse at all
    with pytest.raises(NotAllocatedInWarehouse):
        order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["village"].pk,
            lines=[(honey_line.pk, 1), (lines["TEA"].pk, 1)],
        )
    # a line of another order
    with pytest.raises(NotFound):
        order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["tea_village"].pk,
            lines=[(unpaid.lines.get().pk, 1)],
        )
    with pytest.raises(NothingToFulfil):
        order_fulfil(actor=actor, order_id=order.pk, warehouse_id=shop["base"].pk, lines=[])
    assert snapshot() == before

    order_set_status(order=order, status=OrderStatus.CANCELLED)
    with pytest.raises(OrderNotFulfillable):
        order_fulfil(actor=actor, order_id=order.pk, warehouse_id=shop["base"].pk)
    assert ledger_mismatches() == []


def test_over_fulfilling_after_a_partial_shipment_is_refused(shop):
    order, honey_line, actor = shop["order"], shop["lines"]["HONEY"], staff()
    order_fulfil(
        actor=actor, order_id=order.pk, warehouse_id=shop["base"].pk, lines=[(honey_line.pk, 3)]
    )
    before = snapshot()
    with pytest.raises(NotAllocatedInWarehouse):
        order_fulfil(
            actor=actor,
            order_id=order.pk,
            warehouse_id=shop["base"].pk,
            lines=[(honey_line.pk, 1)],
        )
    assert snapshot() == before


def test_stock_fulfil_in_warehouse_is_all_or_nothing(shop):
    honey_line = shop["lines"]["HONEY"]
    tea_line = shop["lines"]["TEA"]
    before = snapshot()
    with pytest.raises(InsufficientStock):
        stock_fulfil_in_warehouse(
            warehouse_id=shop["base"].pk,
            quantities={honey_line.allocation_reference: 2, tea_line.allocation_reference: 1},
        )
    assert snapshot() == before
    movements = stock_fulfil_in_warehouse(
        warehouse_id=shop["base"].pk, quantities={honey_line.allocation_reference: 2}
    )
    assert [(m.kind, m.quantity) for m in movements] == [(StockMovement.Kind.ONLINE_SALE, -2)]
    assert allocated_in_warehouse(
        references=[honey_line.allocation_reference, "order-line:0"],
        warehouse_id=shop["base"].pk,
    ) == {honey_line.allocation_reference: 1, "order-line:0": 0}
    assert ledger_mismatches() == []


FULFILL = """
mutation($order: ID!, $warehouse: ID!, $lines: [OrderLineQuantityInput!], $tracking: String) {
  orderFulfill(order: $order, warehouse: $warehouse, lines: $lines,
               trackingNumber: $tracking) {
    order { status lines { sku quantityFulfilled } }
    fulfillment { trackingNumber warehouse { code } lines { quantity orderLine { sku } } }
    errors { field code message }
  }
}
"""


def _variables(shop, warehouse, lines=None, tracking=None):
    return {
        "order": to_global_id("Order", shop["order"].pk),
        "warehouse": to_global_id("Warehouse", warehouse.pk),
        "lines": None
        if lines is None
        else [{"line": to_global_id("OrderLine", line.pk), "quantity": q} for line, q in lines],
        "tracking": tracking,
    }


def test_order_fulfill_mutation(gql, shop, django_capture_on_commit_callbacks):
    operator = operator_of(shop["honey"].product.producer)
    honey_line, tea_line = shop["lines"]["HONEY"], shop["lines"]["TEA"]

    refused = gql.as_user(operator).data(
        FULFILL, _variables(shop, shop["tea_village"], [(tea_line, 1)])
    )["orderFulfill"]
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert refused["fulfillment"] is None
    too_many = gql.as_user(operator).data(
        FULFILL, _variables(shop, shop["village"], [(honey_line, 4)])
    )["orderFulfill"]
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("NOT_ALLOCATED_IN_WAREHOUSE", "lines.0.quantity")
    ]
    assert StockMovement.objects.filter(kind=StockMovement.Kind.ONLINE_SALE).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = gql.as_user(operator).data(
            FULFILL, _variables(shop, shop["village"], [(honey_line, 3)], tracking="SF9")
        )["orderFulfill"]
    assert done["errors"] == []
    assert done["fulfillment"] == {
        "trackingNumber": "SF9",
        "warehouse": {"code": shop["village"].code},
        "lines": [{"quantity": 3, "orderLine": {"sku": "HONEY"}}],
    }
    # the operator sees only its own line of the order
    assert done["order"] == {
        "status": "PARTIALLY_FULFILLED",
        "lines": [{"sku": "HONEY", "quantityFulfilled": 3}],
    }
    assert len(mail.outbox) == 1 and "SF9" in mail.outbox[0].body


def test_order_fulfill_rejects_an_id_of_the_wrong_type(gql, shop):
    variables = _variables(shop, shop["village"])
    variables["warehouse"] = to_global_id("Order", shop["village"].pk)
    result = gql.as_user(staff()).data(FULFILL, variables)["orderFulfill"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_ID", "warehouse")]


def test_no_shipment_mail_for_an_order_without_an_address(shop):
    from alliance.orders.emails import send_order_shipment

    fulfillment = order_fulfil(
        actor=staff(), order_id=shop["order"].pk, warehouse_id=shop["base"].pk
    )
    assert send_order_shipment(fulfillment.pk) is True
    Order.objects.filter(pk=shop["order"].pk).update(email="", user=None)
    assert send_order_shipment(fulfillment.pk) is False
    assert len(mail.outbox) == 1
