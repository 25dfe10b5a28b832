"""Order e-mails: the confirmation names the order, its lines with village and producer and
the amounts; mails go out only after a commit; the worker's task modules register them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from alliance.orders.emails import order_confirmation_email, send_order_confirmation
from alliance.orders.models import DeliveryMethod
from alliance.orders.services import order_create_from_lines
from tests.backend.factories.accounts import consumer
from tests.backend.factories.catalog import channel
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db


def test_confirmation_after_commit_with_lines_origin_and_amounts(
    django_capture_on_commit_callbacks,
):
    buyer = consumer()
    honey = stocked_variant(at_village=5, online="58.80", sku="HONEY")
    order = online_order(buyer, [(honey, 2)], shipping="8.00")
    line = order.lines.get()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_confirmation_email(order)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [buyer.email]
    assert message.subject == f"订单 {order.number} 已付款"
    assert f"您的订单 {order.number} 已付款成功" in message.body
    assert f"- {line.product_name}（500 g 罐） × 2 件" in message.body
    assert f"产地：{line.village_name} · {line.producer_name}" in message.body
    assert "小计：¥117.60" in message.body
    assert "运费：¥8.00" in message.body
    assert "实付：¥125.60" in message.body
    assert "收货地址：陕西省延安市甘泉县美水街道 1 号（张三 13800000000）" in message.body


def test_no_mail_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    order = online_order(consumer(), [(stocked_variant(at_village=5), 1)])
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                order_confirmation_email(order)
                raise RuntimeError("the payment could not be recorded")
        except RuntimeError:
            pass
    assert mail.outbox == []


def test_pickup_orders_say_so_and_orders_without_address_get_no_mail():
    tea = stocked_variant(at_base=5, online="30.00")
    order = order_create_from_lines(
        channel=channel("online"),
        user=None,
        email="guest@example.org",
        lines=[(tea, 1)],
        delivery_method=DeliveryMethod.PICKUP,
        address=None,
    )
    assert send_order_confirmation(order.pk) is True
    assert "到联盟基地自提" in mail.outbox[0].body
    assert mail.outbox[0].to == ["guest@example.org"]
    order.email = ""
    order.save(update_fields=["email"])
    assert send_order_confirmation(order.pk) is False
    assert len(mail.outbox) == 1


def test_celery_workers_find_the_mail_tasks_in_the_tasks_module():
    import alliance.orders.tasks as tasks

    assert tasks.order_confirmation_send.name == "alliance.orders.emails.order_confirmation_send"
    assert tasks.order_shipment_send.name == "alliance.orders.emails.order_shipment_send"
