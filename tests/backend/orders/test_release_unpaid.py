"""The expiry of unpaid online orders: old unpaid orders are cancelled and their stock is back
on sale; paid, recent and busy (being paid right now) orders are left alone."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from alliance.checkout.complete import checkout_complete
from alliance.checkout.services import checkout_shipping_address_update
from alliance.inventory.allocation import quantity_available
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation
from alliance.orders.cancel import orders_release_unpaid
from alliance.orders.models import Order, OrderStatus
from alliance.orders.tasks import orders_release_unpaid as release_task
from alliance.payments.models import Gateway
from alliance.payments.services import payment_create, payment_record_captured
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import ADDRESS, checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db


def placed(variant: Any, quantity: int, *, minutes_ago: int) -> Order:
    buyer = consumer()
    checkout = checkout_with([(variant, quantity)], user=buyer)
    checkout_shipping_address_update(token=checkout.token, user=buyer, address=ADDRESS)
    order = checkout_complete(token=checkout.token, user=buyer)
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return order


def pay(order: Order, *, capture: bool) -> None:
    payment = payment_create(
        order=order, gateway=Gateway.STRIPE, amount=order.total, psp_reference=f"pi_{order.pk}"
    )
    if capture:
        payment_record_captured(payment=payment, amount=order.total)


def reserved_by(order: Order) -> int:
    references = [line.allocation_reference for line in order.lines.all()]
    return (
        Allocation.objects.filter(reference__in=references).aggregate(t=Sum("quantity"))["t"] or 0
    )


def status(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def test_only_old_unpaid_orders_are_released(settings):
    settings.ORDER_UNPAID_RELEASE_MINUTES = 30
    honey = variant_in_stock(at_village=20)
    old_unpaid = placed(honey, 2, minutes_ago=31)
    old_pending = placed(honey, 3, minutes_ago=45)  # a PaymentIntent opened, never paid
    pay(old_pending, capture=False)
    recent = placed(honey, 4, minutes_ago=10)
    old_paid = placed(honey, 5, minutes_ago=120)
    pay(old_paid, capture=True)
    assert quantity_available([honey.pk], "online") == {honey.pk: 6}

    released = orders_release_unpaid()

    assert sorted(released) == sorted([old_unpaid.pk, old_pending.pk])
    assert status(old_unpaid) == status(old_pending) == OrderStatus.CANCELLED
    assert reserved_by(old_unpaid) == reserved_by(old_pending) == 0
    assert status(recent) == status(old_paid) == OrderStatus.UNCONFIRMED
    assert (reserved_by(recent), reserved_by(old_paid)) == (4, 5)
    assert quantity_available([honey.pk], "online") == {honey.pk: 11}
    assert ledger_mismatches() == []

    assert orders_release_unpaid() == []  # nothing left to do: a second run changes nothing
    assert quantity_available([honey.pk], "online") == {honey.pk: 11}


def test_the_delay_comes_from_settings(settings):
    honey = variant_in_stock(at_village=5)
    order = placed(honey, 2, minutes_ago=10)

    settings.ORDER_UNPAID_RELEASE_MINUTES = 15
    assert orders_release_unpaid() == []
    settings.ORDER_UNPAID_RELEASE_MINUTES = 5
    assert orders_release_unpaid() == [order.pk]
    assert quantity_available([honey.pk], "online") == {honey.pk: 5}


def test_the_celery_task_runs_the_release_and_is_scheduled_every_5_minutes():
    honey = variant_in_stock(at_village=5)
    order = placed(honey, 2, minutes_ago=settings.ORDER_UNPAID_RELEASE_MINUTES + 1)

    assert release_task.delay().get() == 1  # eager in tests: runs in-process

    assert status(order) == OrderStatus.CANCELLED
    entry = settings.CELERY_BEAT_SCHEDULE["orders-release-unpaid"]
    assert entry["task"] == release_task.name == "alliance.orders.tasks.orders_release_unpaid"
    assert entry["schedule"] == 300


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_order_being_paid_at_this_moment_is_skipped_not_waited_for():
    honey = variant_in_stock(at_village=5)
    busy = placed(honey, 2, minutes_ago=60)
    idle = placed(honey, 1, minutes_ago=60)
    locked, done = threading.Event(), threading.Event()

    def payment_in_progress() -> None:
        # what recording a payment does: hold the order row until it commits
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=payment_in_progress)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        released = orders_release_unpaid()  # must not block on the busy row
    finally:
        done.set()
        holder.join(timeout=30)

    assert released == [idle.pk]
    assert status(busy) == OrderStatus.UNCONFIRMED and reserved_by(busy) == 2
    assert status(idle) == OrderStatus.CANCELLED
    assert orders_release_unpaid() == [busy.pk]  # the next run takes it, if still unpaid
    assert quantity_available([honey.pk], "online") == {honey.pk: 5}
    assert ledger_mismatches() == []
