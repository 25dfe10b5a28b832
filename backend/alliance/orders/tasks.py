"""Background work of orders (Celery; in-process when REDIS_URL is unset).

`orders_release_unpaid` runs every 5 minutes from CELERY_BEAT_SCHEDULE (settings): online
orders still unpaid ORDER_UNPAID_RELEASE_MINUTES after they were placed are cancelled and
their stock goes back on sale (alliance.orders.cancel.orders_release_unpaid).
"""

from __future__ import annotations

from celery import shared_task

from alliance.orders.cancel import orders_release_unpaid as release_unpaid
from alliance.orders.emails import order_confirmation_send, order_shipment_send  # noqa: F401 -- registered for workers


@shared_task(ignore_result=True)
def orders_release_unpaid() -> int:
    """Release the unpaid online orders that are too old; returns how many."""
    return len(release_unpaid())
