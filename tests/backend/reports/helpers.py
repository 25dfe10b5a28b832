"""Fixtures of the report tests: sales made through the services, then dated.

The services stamp "now"; a report needs sales in given months, so after each sale the
helpers move its instants (order created_at, payment captured_at, refund succeeded_at,
line fulfilled_at) with plain UPDATEs. The stock ledger cannot be moved (it is append-only)
and stays at "now": stock-flow tests use the current month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from alliance.catalog.models import Channel, ProductVariant
from alliance.orders.cancel import order_cancel
from alliance.orders.fulfil import order_fulfil
from alliance.orders.models import Order, OrderLine, OrderLineLot, OrderStatus
from alliance.orders.refund import order_refund
from alliance.orders.services import base_sale_create, order_create_from_lines
from alliance.payments.flow import order_payment_start, payment_sync_from_provider
from alliance.payments.models import Gateway, Payment, Refund
from alliance.payments.services import payment_create, payment_record_captured
from alliance.villages.models import Village
from tests.backend.factories.accounts import consumer, staff
from tests.backend.factories.catalog import ProductFactory, category, channel
from tests.backend.factories.orders import ADDRESS, online_order, stocked_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory

LOCAL = ZoneInfo("Asia/Shanghai")
RETURN_URL = "https://shop.example.org/orders/return/"


def local(day: date | str, hour: int = 12, minute: int = 0) -> datetime:
    """An aware instant at a local (Asia/Shanghai) time."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL)


def dated(order: Order, at: datetime) -> Order:
    """Move an order and everything stamped with it (payments, done lines) to `at`."""
    Order.objects.filter(pk=order.pk).update(created_at=at)
    Payment.objects.filter(order=order, captured_at__isnull=False).update(captured_at=at)
    OrderLine.objects.filter(order=order, fulfilled_at__isnull=False).update(fulfilled_at=at)
    order.refresh_from_db()
    return order


def pay(order: Order, gateway: str = Gateway.DEMO) -> Payment:
    """Record the order's total as captured (what the demo gateway's event does)."""
    payment = payment_create(order=order, gateway=gateway, amount=order.total)
    return payment_record_captured(payment=payment, amount=order.total)


def ship(order: Order, actor: Any = None) -> Order:
    """Fulfil everything reserved, warehouse by warehouse."""
    actor = actor or staff()
    warehouses = sorted(
        set(OrderLineLot.objects.filter(line__order=order).values_list("warehouse_id", flat=True))
    )
    for warehouse_id in warehouses:
        order_fulfil(actor=actor, order_id=order.pk, warehouse_id=warehouse_id)
    order.refresh_from_db()
    return order


def refund(order: Order, amount: str, lines: list[tuple[OrderLine, int]], at: datetime | None):
    made = order_refund(
        actor=staff(),
        order_id=order.pk,
        amount=Decimal(amount),
        lines=[(line.pk, q) for line, q in lines],
    )
    if at is not None:
        Refund.objects.filter(pk=made.pk).update(succeeded_at=at)
    return made


def stripe_paid_order(stripe_server: Any, lines: list[tuple[ProductVariant, int]]) -> Order:
    """An online order paid through our Stripe gateway against the local Stripe server:
    PaymentIntent, the customer pays (succeed_payment_intent), we read it back (sync)."""
    buyer = consumer()
    order = order_create_from_lines(
        channel=channel(Channel.ONLINE),
        user=buyer,
        email=buyer.email,
        lines=lines,
        delivery_method="delivery",
        address=ADDRESS,
        status=OrderStatus.UNCONFIRMED,
    )
    started = order_payment_start(
        order=order, user=buyer, gateway=Gateway.STRIPE, return_url=RETURN_URL
    )
    stripe_server.succeed_payment_intent(started.payment.psp_reference)
    payment_sync_from_provider(Payment.objects.get(pk=started.payment.pk))
    order.refresh_from_db()
    return order


def stripe_dashboard_refund(stripe_server: Any, payment_intent_id: str, fen: int) -> str:
    """A refund made on Stripe's side only (as from Stripe's dashboard): we never hear of
    it. Goes through the local server's own request handling; returns the refund id."""
    status, body, _ = stripe_server.handle(
        "POST",
        "/v1/refunds",
        f"payment_intent={payment_intent_id}&amount={fen}".encode(),
        {"authorization": f"Bearer {stripe_server.api_key}"},
    )
    assert status == 200, body
    return str(body["id"])


@dataclass
class SalesFixture:
    """Two villages, both channels, a weight-sold line, a refund in a later month and a
    cancelled unpaid order. Figures (hand-checked in test_sales_report.py):

    O1 online 2026-10-05, village A honey 2 x 50.00 (1,000 g) + village B millet 1 x 30.00
       (2,500 g), shipping 10.00; paid, shipped; refunded 1 honey (50.00, 500 g) on
       2026-11-03.
    O2 counter 2026-10-20: B apples by weight 12,500 g at 6.00/kg = 75.00 + A honey 1 x
       45.00 (500 g); cash.
    O3 online 2026-10-10, A honey 3: cancelled unpaid (never counts).
    O4 online 2026-11-01 00:30 local (still 31 October in UTC), B millet 2 x 30.00 =
       60.00 (5,000 g); paid.
    """

    village_a: Village
    village_b: Village
    honey: ProductVariant
    millet: ProductVariant
    apples: ProductVariant
    o1: Order
    o2: Order
    o3: Order
    o4: Order


def sales_fixture() -> SalesFixture:
    clerk = staff()
    village_a, village_b = VillageFactory(name="甲村"), VillageFactory(name="乙村")
    bees = ProducerFactory(village=village_a, name="甲村蜂业合作社")
    farm = ProducerFactory(village=village_b, name="乙村种植合作社")
    honey = stocked_variant(
        ProductFactory(producer=bees, category=category("wild-honey"), name="土蜂蜜"),
        at_base=50,
        online="50.00",
        base="45.00",
        weight_g=500,
        sku="HONEY-A",
    )
    millet = stocked_variant(
        ProductFactory(producer=farm, category=category("millet"), name="小米"),
        at_base=50,
        online="30.00",
        base=None,
        weight_g=2500,
        sku="MILLET-B",
    )
    apples = stocked_variant(
        ProductFactory(producer=farm, category=category("apples"), name="苹果"),
        at_base=100_000,
        online="8.00",
        base="6.00",
        weight_g=1000,
        sold_by=ProductVariant.SoldBy.WEIGHT,
        sku="APPLE-B",
    )

    o1 = online_order(consumer(), [(honey, 2), (millet, 1)], shipping="10.00")
    pay(o1)
    ship(o1, clerk)
    dated(o1, local("2026-10-05"))
    honey_line = o1.lines.get(variant=honey)
    refund(o1, "50.00", [(honey_line, 1)], at=local("2026-11-03"))

    o2 = base_sale_create(actor=clerk, lines=[(apples, 12_500), (honey, 1)], payment_method="cash")
    dated(o2, local("2026-10-20"))

    o3 = online_order(consumer(), [(honey, 3)])
    order_cancel(actor=clerk, order_id=o3.pk)
    dated(o3, local("2026-10-10"))

    o4 = online_order(consumer(), [(millet, 2)])
    pay(o4)
    dated(o4, local("2026-11-01", 0, 30))
    return SalesFixture(village_a, village_b, honey, millet, apples, o1, o2, o3, o4)


def mark_done_without_payment(order: Order) -> None:
    """Plant a bug: the order's lines marked fulfilled though nothing was paid."""
    OrderLine.objects.filter(order=order).update(
        quantity_fulfilled=F("quantity"), fulfilled_at=timezone.now()
    )
