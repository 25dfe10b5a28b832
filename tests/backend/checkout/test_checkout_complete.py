"""checkoutComplete: one transaction from checkout to an unpaid order holding its stock;
refusals change nothing; one checkout never makes two orders, even completed 20 times at
once; 30 buyers racing for 10 units never oversell. Run with -s to see the race figures."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from alliance.catalog.models import Product, VariantChannelPrice
from alliance.checkout.complete import checkout_complete
from alliance.checkout.errors import CheckoutNotReady
from alliance.checkout.models import Checkout, CheckoutLine
from alliance.checkout.selectors import checkout_summary
from alliance.checkout.services import (
    checkout_delivery_method_update,
    checkout_line_delete,
    checkout_shipping_address_update,
)
from alliance.inventory.allocation import quantity_available
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock, Warehouse
from alliance.orders.models import DeliveryMethod, Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.services import order_create_from_lines
from tests.backend.checkout.helpers import ERRORS, codes, snapshot
from tests.backend.factories.accounts import consumer
from tests.backend.factories.catalog import channel
from tests.backend.factories.checkout import ADDRESS, checkout_with, variant_in_stock
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse

pytestmark = pytest.mark.django_db

COMPLETE = f"""
mutation($token: UUID!) {{
  checkoutComplete(token: $token) {{
    order {{
      id number status paymentStatus deliveryMethod email
      subtotal {{ amount currency }} shipping {{ amount }} total {{ amount }}
      totalWeight {{ grams }}
      lines {{ sku quantity unitPrice {{ amount }} lineTotal {{ amount }} }}
    }}
    {ERRORS}
  }}
}}
"""


def complete(gql: Any, checkout: Checkout, user: Any = None) -> dict[str, Any]:
    return gql.as_user(user).data(COMPLETE, {"token": str(checkout.token)})["checkoutComplete"]


def ready(lines: list[tuple[Any, int]], *, user: Any = None, email: str = "buyer@example.org"):
    """A checkout with lines, e-mail and a shipping address: ready to complete."""
    checkout = checkout_with(lines, user=user, email=email)
    checkout_shipping_address_update(token=checkout.token, user=user, address=ADDRESS)
    return Checkout.objects.get(pk=checkout.pk)


def allocated_by_line(order: Order) -> dict[str, int]:
    return {
        line.sku: Allocation.objects.filter(reference=line.allocation_reference).aggregate(
            t=Sum("quantity")
        )["t"]
        for line in order.lines.all()
    }


def stock_state() -> dict[int, tuple[int, int]]:
    return {s.pk: (s.quantity, s.allocated) for s in Stock.objects.all()}


# --- the happy path --------------------------------------------------------------------------


def test_complete_places_an_unpaid_order_with_the_checkouts_lines_and_totals(gql):
    buyer = consumer()
    honey = variant_in_stock(at_village=10, online="58.80", weight_g=500, sku="HONEY-500")
    mushrooms = variant_in_stock(at_base=6, online="23.50", weight_g=250, sku="MUSH-250")
    checkout = ready([(honey, 3), (mushrooms, 2)], user=buyer)
    summary = checkout_summary(checkout)
    available_before = quantity_available([honey.pk, mushrooms.pk], "online")

    payload = complete(gql, checkout, buyer)

    assert payload["errors"] == []
    data = payload["order"]
    assert data["status"] == "UNCONFIRMED"
    assert data["paymentStatus"] == "NOT_CHARGED"
    assert data["subtotal"] == {"amount": str(summary.subtotal), "currency": "CNY"}
    assert data["shipping"]["amount"] == str(summary.shipping)
    assert data["total"]["amount"] == str(summary.total) == "235.40"  # 176.40 + 47.00 + 12.00
    assert data["totalWeight"]["grams"] == summary.total_weight_g == 2000
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [
        ("HONEY-500", 3),
        ("MUSH-250", 2),
    ]

    order = Order.objects.get()
    assert order.number == data["number"]
    assert order.user == buyer
    assert order.email == "buyer@example.org"
    assert order.checkout_token == checkout.token
    assert (order.status, order.payment_status) == (
        OrderStatus.UNCONFIRMED,
        PaymentStatus.NOT_CHARGED,
    )
    assert order.delivery_method == DeliveryMethod.DELIVERY
    assert order.shipping_address == ADDRESS
    assert (order.subtotal, order.shipping, order.total) == (
        summary.subtotal,
        summary.shipping,
        summary.total,
    )
    assert allocated_by_line(order) == {"HONEY-500": 3, "MUSH-250": 2}
    assert all(line.lot_id is not None for line in order.lines.all())
    assert quantity_available([honey.pk, mushrooms.pk], "online") == {
        honey.pk: available_before[honey.pk] - 3,
        mushrooms.pk: available_before[mushrooms.pk] - 2,
    }
    checkout.refresh_from_db()
    assert checkout.completed_at is not None
    assert ledger_mismatches() == []  # a reservation is not a movement


def test_an_anonymous_buyer_sees_the_lines_of_the_order_it_just_placed(gql):
    honey = variant_in_stock(at_village=5, sku="HONEY-ANON")
    checkout = ready([(honey, 2)])

    payload = complete(gql, checkout)

    assert payload["errors"] == []
    assert [line["sku"] for line in payload["order"]["lines"]] == ["HONEY-ANON"]
    assert Order.objects.get().user is None


def test_pickup_at_the_base_allocates_from_the_base_only():
    # the village lot expires first: FEFO alone would take it
    honey = variant_in_stock(sku="HONEY-PICKUP")
    village = village_warehouse(honey.product.producer.village)
    stock_in(village, lot(honey, "SOON", best_before_days=3), 10)
    stock_in(the_base(), lot(honey, "LATER", best_before_days=40), 4)
    delivered = ready([(honey, 2)])
    picked_up = ready([(honey, 3)])
    checkout_delivery_method_update(token=picked_up.token, user=None, method="pickup_base")

    by_delivery = checkout_complete(token=delivered.token, user=None)
    by_pickup = checkout_complete(token=picked_up.token, user=None)

    def warehouses(order: Order) -> set[str]:
        line = order.lines.get()
        return set(
            Allocation.objects.filter(reference=line.allocation_reference).values_list(
                "stock__warehouse__kind", flat=True
            )
        )

    assert warehouses(by_delivery) == {Warehouse.Kind.VILLAGE}
    assert warehouses(by_pickup) == {Warehouse.Kind.BASE}
    assert allocated_by_line(by_pickup) == {"HONEY-PICKUP": 3}
    assert by_pickup.delivery_method == DeliveryMethod.PICKUP
    assert by_pickup.shipping == Decimal("0.00")
    assert by_pickup.shipping_address is None
    assert by_pickup.lines.get().lot.code == "LATER"
    assert ledger_mismatches() == []


def test_completing_twice_returns_the_same_order(gql):
    buyer = consumer()
    honey = variant_in_stock(at_village=5)
    checkout = ready([(honey, 2)], user=buyer)

    first = complete(gql, checkout, buyer)
    state = stock_state()
    second = complete(gql, checkout, buyer)

    assert first["errors"] == second["errors"] == []
    assert first["order"]["number"] == second["order"]["number"]
    assert Order.objects.count() == 1
    assert Allocation.objects.aggregate(t=Sum("quantity"))["t"] == 2
    assert stock_state() == state


# --- refusals: nothing changes ---------------------------------------------------------------


def _unpublish(variant, checkout):
    Product.objects.filter(pk=variant.product_id).update(status=Product.Status.DRAFT)


def _reprice(variant, checkout):
    VariantChannelPrice.objects.filter(variant=variant, channel__slug="online").update(
        price=Decimal("61.00")
    )


def _sell_out(variant, checkout):
    # another buyer's order takes all but 1 of the 5 units
    order_create_from_lines(
        channel=channel("online"),
        user=None,
        email="other@example.org",
        lines=[(variant, 4)],
        delivery_method=DeliveryMethod.DELIVERY,
        address=ADDRESS,
    )


def _drop_address(variant, checkout):
    Checkout.objects.filter(pk=checkout.pk).update(shipping_address=None)


def _drop_email(variant, checkout):
    Checkout.objects.filter(pk=checkout.pk).update(email="")


def _drop_lines(variant, checkout):
    for line in CheckoutLine.objects.filter(checkout=checkout):
        checkout_line_delete(token=checkout.token, user=None, line_id=line.pk)


def _pickup_then_base_empties(variant, checkout):
    stock_in(the_base(), lot(variant, "BASE"), 2)
    checkout_delivery_method_update(token=checkout.token, user=None, method="pickup_base")
    order_create_from_lines(  # another pick-up empties the base; villages still hold 5
        channel=channel("online"),
        user=None,
        email="other@example.org",
        lines=[(variant, 2)],
        delivery_method=DeliveryMethod.PICKUP,
        address=None,
        warehouse_ids=[the_base().pk],
    )


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_unpublish, ["NOT_AVAILABLE"]),
        (_reprice, ["PRICE_CHANGED"]),
        (_sell_out, ["INSUFFICIENT_STOCK"]),
        (_drop_address, ["SHIPPING_ADDRESS_REQUIRED"]),
        (_drop_email, ["EMAIL_REQUIRED"]),
        (_drop_lines, ["NO_LINES"]),
        (_pickup_then_base_empties, ["PICKUP_NOT_AVAILABLE"]),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_checkout_with_a_problem_is_refused_and_nothing_changes(gql, spoil, expected):
    honey = variant_in_stock(at_village=5, online="58.00")
    checkout = ready([(honey, 2)])
    spoil(honey, checkout)
    before = snapshot(checkout)
    orders, allocations, stocks = Order.objects.count(), Allocation.objects.count(), stock_state()

    payload = complete(gql, checkout)

    assert payload["order"] is None
    assert codes(payload) == expected
    assert snapshot(checkout) == before  # completed_at still None
    assert Order.objects.count() == orders
    assert Allocation.objects.count() == allocations
    assert stock_state() == stocks
    assert ledger_mismatches() == []


def test_the_service_reports_every_problem_at_once():
    honey = variant_in_stock(at_village=5, online="58.00")
    checkout = checkout_with([(honey, 2)], email="")
    _reprice(honey, checkout)

    with pytest.raises(CheckoutNotReady) as caught:
        checkout_complete(token=checkout.token, user=None)

    assert sorted(e.code for e in caught.value.errors) == [
        "EMAIL_REQUIRED",
        "PRICE_CHANGED",
        "SHIPPING_ADDRESS_REQUIRED",
    ]
    assert Order.objects.count() == 0 and Allocation.objects.count() == 0


def test_someone_elses_checkout_or_an_unknown_token_is_not_found(gql):
    owner, stranger = consumer(), consumer()
    honey = variant_in_stock(at_village=5)
    checkout = ready([(honey, 1)], user=owner)
    before = snapshot(checkout)

    as_stranger = complete(gql, checkout, stranger)
    anonymous = complete(gql, checkout)
    unknown = gql.as_user(owner).data(COMPLETE, {"token": "00000000-0000-4000-8000-000000000000"})[
        "checkoutComplete"
    ]

    for payload in (as_stranger, anonymous, unknown):
        assert payload["order"] is None
        assert codes(payload) == ["NOT_FOUND"]
    assert snapshot(checkout) == before
    assert Order.objects.count() == 0 and Allocation.objects.count() == 0


def test_checkout_complete_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    buyer = consumer()
    variants = [variant_in_stock(at_village=5) for _ in range(4)]
    checkout = ready([(v, 1) for v in variants], user=buyer)

    with django_assert_max_num_queries(30):
        order = checkout_complete(token=checkout.token, user=buyer)

    assert order.lines.count() == 4


# --- concurrency: real connections, one per thread -------------------------------------------


def _post_complete(token: str, outcomes: list[dict[str, Any]], lock: threading.Lock, barrier):
    client = Client()
    try:
        barrier.wait()
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": COMPLETE, "variables": {"token": token}}),
            content_type="application/json",
        )
        payload = response.json()["data"]["checkoutComplete"]
    except Exception as exc:  # reported by the test: any crash is a failure
        payload = {"crash": repr(exc)}
    finally:
        connection.close()
    with lock:
        outcomes.append(payload)


def _race(tokens: list[str]) -> tuple[list[dict[str, Any]], float]:
    outcomes: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))
    threads = [
        threading.Thread(target=_post_complete, args=(token, outcomes, lock, barrier))
        for token in tokens
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a completion hung"
    return outcomes, time.perf_counter() - started


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_20_concurrent_completions_of_one_checkout_make_exactly_one_order():
    honey = variant_in_stock(at_village=10, sku="HONEY-RACE")
    checkout = ready([(honey, 3)])

    outcomes, wall = _race([str(checkout.token)] * 20)

    print(f"\n[one checkout x20] {wall * 1000:.0f} ms wall")
    assert [o for o in outcomes if "crash" in o or o["errors"]] == []
    assert len({o["order"]["number"] for o in outcomes}) == 1
    order = Order.objects.get()
    assert order.checkout_token == checkout.token
    line = OrderLine.objects.get()
    assert set(Allocation.objects.values_list("reference", flat=True)) == {
        line.allocation_reference
    }
    assert Allocation.objects.aggregate(t=Sum("quantity"))["t"] == 3
    assert Stock.objects.aggregate(t=Sum("allocated"))["t"] == 3
    assert Checkout.objects.get(pk=checkout.pk).completed_at is not None
    assert ledger_mismatches() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_30_checkouts_racing_for_10_units_never_oversell():
    honey = variant_in_stock(sku="HONEY-10")
    stock_in(village_warehouse(honey.product.producer.village), lot(honey, "V"), 6)
    stock_in(the_base(), lot(honey, "B"), 4)
    checkouts = [ready([(honey, 1)], email=f"buyer{i}@example.org") for i in range(30)]

    outcomes, wall = _race([str(c.token) for c in checkouts])

    placed = [o for o in outcomes if "crash" not in o and not o["errors"]]
    refused = Counter(e["code"] for o in outcomes if "crash" not in o for e in o["errors"])
    print(
        f"\n[30 checkouts, 10 units] {len(placed)} placed, {sum(refused.values())} refused, "
        f"{wall * 1000:.0f} ms wall"
    )
    assert [o for o in outcomes if "crash" in o] == []
    assert len(placed) == 10
    assert refused == {"INSUFFICIENT_STOCK": 20}
    assert Order.objects.count() == 10
    assert Allocation.objects.aggregate(t=Sum("quantity"))["t"] == 10
    assert Stock.objects.aggregate(t=Sum("allocated"))["t"] == 10
    assert quantity_available([honey.pk], "online") == {honey.pk: 0}
    assert Checkout.objects.filter(completed_at__isnull=False).count() == 10
    assert ledger_mismatches() == []
