"""The status pipeline is data; order_set_status refuses every move it does not list."""

import pytest

from alliance.orders.models import Order, OrderStatus
from alliance.orders.services import order_set_status
from alliance.orders.status import ALLOWED_TRANSITIONS
from tests.backend.factories.accounts import consumer
from tests.backend.factories.orders import online_order, stocked_variant

pytestmark = pytest.mark.django_db

LEGAL = [(old, new) for old, news in ALLOWED_TRANSITIONS.items() for new in news]
ILLEGAL = [
    (old, new)
    for old in OrderStatus.values
    for new in OrderStatus.values
    if new not in ALLOWED_TRANSITIONS[old]
]


def _order_in(status: str) -> Order:
    order = online_order(consumer(), [(stocked_variant(at_village=10), 1)])
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def test_every_status_has_an_entry_and_terminal_states_lead_nowhere():
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus.values)
    assert ALLOWED_TRANSITIONS[OrderStatus.CANCELLED] == frozenset()
    assert ALLOWED_TRANSITIONS[OrderStatus.REFUNDED] == frozenset()
    assert OrderStatus.CANCELLED not in ALLOWED_TRANSITIONS[OrderStatus.FULFILLED]


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_legal_moves_are_made(old, new):
    order = _order_in(old)
    order_set_status(order=order, status=new)
    order.refresh_from_db()
    assert order.status == new


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_illegal_moves_are_refused_and_change_nothing(old, new):
    from alliance.orders.errors import OrderStatusInvalid

    order = _order_in(old)
    with pytest.raises(OrderStatusInvalid) as exc:
        order_set_status(order=order, status=new)
    assert exc.value.code == "ORDER_STATUS_INVALID"
    order.refresh_from_db()
    assert order.status == old
