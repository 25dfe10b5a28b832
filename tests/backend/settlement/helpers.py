"""Settlement fixtures: sales made through the real services (order, demo payment captured,
fulfilment / counter sale, refunds), then dated: `fulfilled_at` and `succeeded_at` are
stamps the services set to "now", and settlement tests need them in chosen periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from alliance.catalog.models import ProductVariant
from alliance.orders.fulfil import order_fulfil
from alliance.orders.models import Order, OrderLine
from alliance.orders.refund import order_refund
from alliance.orders.services import base_sale_create
from alliance.payments.models import Refund
from alliance.payments.services import payment_create, payment_record_captured
from alliance.settlement.periods import local_midnight_utc, parse_period_code
from alliance.villages.models import Village
from tests.backend.factories.accounts import staff
from tests.backend.factories.catalog import ProductFactory, category
from tests.backend.factories.orders import online_order, stocked_variant
from tests.backend.factories.villages import ProducerFactory, VillageFactory


def clerk() -> Any:
    return staff()


def in_period(code: str, day: int = 10, hour: int = 12) -> datetime:
    """An instant inside period `code`: local `day` (counted from its first day) at `hour`."""
    span = parse_period_code(code)
    start = local_midnight_utc(span.start_date)
    moment = start + timedelta(days=day - 1, hours=hour)
    assert span.contains(moment), (code, day)
    return moment


def product_variant(
    *,
    village: Village | None = None,
    category_slug: str = "wild-honey",
    online: str = "58.00",
    base: str = "52.00",
    weight_g: int = 500,
    at_village: int = 0,
    at_base: int = 0,
) -> ProductVariant:
    producer = ProducerFactory(village=village or VillageFactory())
    product = ProductFactory(producer=producer, category=category(category_slug))
    return stocked_variant(
        product,
        online=online,
        base=base,
        weight_g=weight_g,
        at_village=at_village,
        at_base=at_base,
    )


def paid(order: Order) -> Order:
    payment = payment_create(order=order, gateway="demo", amount=order.total)
    payment_record_captured(payment=payment, amount=order.total)
    order.refresh_from_db()
    return order


def date_lines(order: Order, when: datetime | None) -> None:
    OrderLine.objects.filter(order=order, fulfilled_at__isnull=False).update(fulfilled_at=when)


def online_sale(
    lines: list[tuple[ProductVariant, int]],
    *,
    at: datetime | None = None,
    pay: bool = True,
    ship: bool = True,
    buyer: Any = None,
) -> Order:
    """An online order of `lines` (stock in the variants' village warehouses), paid through
    the demo gateway and shipped, its lines done at `at`."""
    order = online_order(buyer, lines)
    if pay:
        paid(order)
    if pay and ship:
        warehouses = sorted(
            {lot.warehouse_id for line in order.lines.all() for lot in line.lots.all()}
        )
        for warehouse_id in warehouses:
            order_fulfil(actor=clerk(), order_id=order.pk, warehouse_id=warehouse_id)
        if at is not None:
            date_lines(order, at)
    order.refresh_from_db()
    return order


def counter_sale(
    lines: list[tuple[ProductVariant, int]], *, at: datetime | None = None, method: str = "cash"
) -> Order:
    order = base_sale_create(
        actor=clerk(),
        lines=lines,
        payment_method=method,
        payment_reference="BANK-REF-1" if method == "bank_transfer" else "",
    )
    if at is not None:
        date_lines(order, at)
    return order


def refund(
    order: Order,
    amount: str,
    *,
    lines: list[tuple[OrderLine, int]] | None = None,
    at: datetime | None = None,
) -> Refund:
    made = order_refund(
        actor=clerk(),
        order_id=order.pk,
        amount=Decimal(amount),
        lines=[(line.pk, quantity) for line, quantity in lines] if lines else None,
    )
    if at is not None:
        Refund.objects.filter(pk=made.pk).update(succeeded_at=at)
        made.refresh_from_db()
    return made


def line_of(order: Order, variant: ProductVariant | None = None) -> OrderLine:
    lines = order.lines.all()
    return lines.get(variant=variant) if variant is not None else lines.get()
