"""The order status pipeline, as data: which status may follow which.

`order_set_status` (alliance.orders.services) refuses any move not listed here, so a
cancelled order can never ship and a fulfilled one can never be cancelled. Refunds of
goods already shipped end in `refunded`; cancelling releases what was reserved.
"""

from __future__ import annotations

from alliance.orders.models import OrderStatus

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.UNCONFIRMED: frozenset({OrderStatus.UNFULFILLED, OrderStatus.CANCELLED}),
    OrderStatus.UNFULFILLED: frozenset(
        {OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PARTIALLY_FULFILLED: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


def can_move(current: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(current, frozenset())
