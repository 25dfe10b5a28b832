"""Order e-mails to the buyer: confirmation (once paid) and shipment (on each fulfilment).

Sent through Django's e-mail backend (EMAIL_BACKEND: console in development, locmem in
tests, SMTP in production) by the Celery tasks below (in-process when REDIS_URL is unset;
alliance.orders.tasks re-exports them so that a worker's autodiscovery registers them),
scheduled with `transaction.on_commit`: a refused or rolled-back action sends nothing, and the mail
reads the committed rows.

For the payment engineer: once an order becomes paid (the verified webhook or the demo
gateway), call `order_confirmation_email(order)` inside the same transaction.
`order_fulfil` calls `order_shipment_email(fulfillment)` itself.

Orders without an e-mail address (counter sales) get no mail.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from alliance.orders.models import Fulfillment, Order, OrderLine


def _yuan(value: object) -> str:
    return f"¥{value}"


def _quantity(line: OrderLine, quantity: int) -> str:
    if line.sold_by == "weight":
        return f"{quantity} 克"
    return f"{quantity} 件"


def _line_text(line: OrderLine, quantity: int) -> str:
    label = (
        f"{line.product_name}（{line.variant_label}）" if line.variant_label else line.product_name
    )
    return (
        f"- {label} × {_quantity(line, quantity)}\n"
        f"  产地：{line.village_name} · {line.producer_name}"
    )


def _address_text(address: dict[str, str] | None) -> str:
    if not address:
        return ""
    place = "".join(address.get(part, "") for part in ("province", "city", "district", "street"))
    return f"{place}（{address.get('recipient', '')} {address.get('phone', '')}）"


def _recipient(order: Order) -> str:
    if order.email:
        return order.email
    return order.user.email if order.user_id and order.user else ""


def confirmation_message(order: Order) -> tuple[str, str]:
    """(subject, body) of the confirmation of a paid order."""
    lines = "\n".join(
        f"{_line_text(line, line.quantity)}\n  小计：{_yuan(line.line_total)}"
        for line in order.lines.all()
    )
    placed = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
    body = [
        "您好！",
        "",
        f"您的订单 {order.number} 已付款成功，我们会尽快为您发货。",
        f"下单时间：{placed}",
        "",
        "商品：",
        lines,
        "",
        f"商品合计：{_yuan(order.subtotal)}",
        f"运费：{_yuan(order.shipping)}",
        f"实付：{_yuan(order.total)}",
    ]
    if order.delivery_method == "pickup":
        body.append("取货方式：到联盟基地自提")
    elif order.shipping_address:
        body.append(f"收货地址：{_address_text(order.shipping_address)}")
    body += ["", "感谢您支持乡村振兴！"]
    return f"订单 {order.number} 已付款", "\n".join(body)


def shipment_message(fulfillment: Fulfillment) -> tuple[str, str]:
    """(subject, body) of the notice that part or all of an order has shipped."""
    order = fulfillment.order
    lines = "\n".join(_line_text(fl.order_line, fl.quantity) for fl in fulfillment.lines.all())
    tracking = fulfillment.tracking_number or "（无，自提或送货上门）"
    body = [
        "您好！",
        "",
        f"您的订单 {order.number} 有商品已发货。",
        f"发货地点：{fulfillment.warehouse.name}",
        f"快递单号：{tracking}",
        "",
        "本次发货：",
        lines,
    ]
    if order.status == "partially_fulfilled":
        body += ["", "订单中的其余商品将另行发货。"]
    body += ["", "感谢您支持乡村振兴！"]
    return f"订单 {order.number} 已发货", "\n".join(body)


def send_order_confirmation(order_id: int) -> bool:
    """Send the confirmation now (the task body). False when there is no one to send to."""
    order = (
        Order.objects.select_related("user").prefetch_related("lines").filter(pk=order_id).first()
    )
    if order is None or not _recipient(order):
        return False
    subject, body = confirmation_message(order)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [_recipient(order)])
    return True


def send_order_shipment(fulfillment_id: int) -> bool:
    fulfillment = (
        Fulfillment.objects.select_related("order__user", "warehouse")
        .prefetch_related("lines__order_line")
        .filter(pk=fulfillment_id)
        .first()
    )
    if fulfillment is None or not _recipient(fulfillment.order):
        return False
    subject, body = shipment_message(fulfillment)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [_recipient(fulfillment.order)])
    return True


@shared_task(ignore_result=True)
def order_confirmation_send(order_id: int) -> bool:
    """The task: e-mail the buyer that the order is paid."""
    return send_order_confirmation(order_id)


@shared_task(ignore_result=True)
def order_shipment_send(fulfillment_id: int) -> bool:
    """The task: e-mail the buyer what one fulfilment shipped, with the tracking number."""
    return send_order_shipment(fulfillment_id)


def order_confirmation_email(order: Order) -> None:
    """Schedule the confirmation of a paid order, sent after the caller's transaction commits."""
    order_id = order.pk
    transaction.on_commit(lambda: order_confirmation_send.delay(order_id))


def order_shipment_email(fulfillment: Fulfillment) -> None:
    """Schedule the shipment notice of one fulfilment, sent after the commit."""
    fulfillment_id = fulfillment.pk
    transaction.on_commit(lambda: order_shipment_send.delay(fulfillment_id))
