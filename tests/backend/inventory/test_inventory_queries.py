"""Inventory reads over GraphQL: warehouses (public), stocks and the ledger (scoped by role,
each filter), availability on variants, and fixed SQL query counts for every list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.catalog.models import ProductVariant
from alliance.inventory.allocation import AllocationRequest, stock_allocate
from alliance.inventory.ledger import record_movement
from alliance.inventory.models import StockMovement
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory, VariantFactory, priced_variant
from tests.backend.factories.inventory import (
    expired_lot,
    lot,
    stock_in,
    the_base,
    village_warehouse,
)
from tests.backend.factories.villages import ProducerFactory
from tests.backend.inventory.ops_helpers import (
    gid,
    ledger_checked,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]

STOCKS = """
query($filter: StockFilterInput, $first: Int, $after: String) {
  stocks(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { node {
      id quantity allocated quantityAvailable weightG weightKg availableWeightKg
      variant { sku product { name producer { name village { name } } } }
      warehouse { code kind village { name } }
      lot { code bestBefore isExpired producer { name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

MOVEMENTS = """
query($filter: StockMovementFilterInput, $first: Int) {
  stockMovements(filter: $filter, first: $first) {
    edges { node {
      id kind quantity weightG weightKg reason createdAt actor { email }
      variant { sku product { producer { village { name } } } }
      warehouse { code } lot { code producer { name } }
    } }
  }
}
"""


class World:
    """Two villages; village A has two producers; stock in both collection points and at
    the base; a reservation, an expired lot and a write-off in the ledger."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.pa1 = ProducerFactory(name="甲一合作社")
        self.village_a = self.pa1.village
        self.pa2 = ProducerFactory(name="甲二合作社", village=self.village_a)
        self.pb = ProducerFactory(name="乙合作社")
        self.village_b = self.pb.village
        self.wa = village_warehouse(self.village_a)
        self.wb = village_warehouse(self.village_b)
        self.base = the_base()

        self.va = VariantFactory(product=ProductFactory(producer=self.pa1), sku="A-HONEY")
        self.va2 = VariantFactory(
            product=ProductFactory(producer=self.pa2),
            sku="A-MILLET",
            weight_g=5000,
            sold_by=ProductVariant.SoldBy.WEIGHT,
        )
        self.vb = VariantFactory(product=ProductFactory(producer=self.pb), sku="B-APPLE")

        soon = lot(self.va, "A-SOON", best_before_days=5)
        self.a_soon_wa = stock_in(self.wa, soon, 10)
        self.a_far_wa = stock_in(self.wa, lot(self.va, "A-FAR", best_before_days=200), 40)
        self.a_soon_base = stock_in(self.base, soon, 6)
        self.a2_wa = stock_in(self.wa, lot(self.va2, "A2-UNDATED", best_before_days=None), 2500)
        b_lot = lot(self.vb, "B-30", best_before_days=30)
        self.b_wb = stock_in(self.wb, b_lot, 3)
        self.b_base = stock_in(self.base, b_lot, 20)
        self.b_old_wb = stock_in(self.wb, expired_lot(self.vb, "B-OLD"), 4)

        # 7 of the soon-expiring honey in village A reserved for an order.
        stock_allocate(
            lines=[AllocationRequest(self.va.pk, 7, "order-line:1")],
            channel_slug="online",
            warehouse_ids=[self.wa.pk],
        )
        self.staff = staff()
        self.loss = record_movement(
            stock=self.b_wb,
            kind=StockMovement.Kind.LOSS,
            quantity=-1,
            actor=self.staff,
            reason="碰伤",
            at=timezone.now() - timedelta(days=10),
        )
        self.operator = operator_of(self.pa1)
        self.secretary = secretary_of(self.village_a)
        self.consumer = consumer()


@pytest.fixture
def world() -> World:
    return World()


def stock_rows(gql, user, filter=None, first=100):
    data = gql.as_user(user).data(STOCKS, {"filter": filter, "first": first})["stocks"]
    return [
        (e["node"]["warehouse"]["code"], e["node"]["variant"]["sku"], e["node"]["lot"]["code"])
        for e in data["edges"]
    ]


# ---------------------------------------------------------------- stocks: scope per role


def test_staff_sees_every_stock_row_base_first_then_villages_by_code(gql, world):
    rows = stock_rows(gql, world.staff)

    village_codes = sorted([world.wa.code, world.wb.code])
    by_code = {
        world.wa.code: [
            (world.wa.code, "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-FAR"),
            (world.wa.code, "A-MILLET", "A2-UNDATED"),
        ],
        world.wb.code: [(world.wb.code, "B-APPLE", "B-OLD"), (world.wb.code, "B-APPLE", "B-30")],
    }
    assert rows == [
        ("BASE", "A-HONEY", "A-SOON"),
        ("BASE", "B-APPLE", "B-30"),
        *by_code[village_codes[0]],
        *by_code[village_codes[1]],
    ]


def test_operator_sees_only_its_producers_stock_wherever_it_lies(gql, world):
    rows = stock_rows(gql, world.operator)

    assert sorted(rows) == sorted(
        [
            ("BASE", "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-FAR"),
        ]
    )


def test_secretary_sees_the_village_collection_point_and_its_producers_goods(gql, world):
    rows = stock_rows(gql, world.secretary)

    assert sorted(rows) == sorted(
        [
            ("BASE", "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-FAR"),
            (world.wa.code, "A-MILLET", "A2-UNDATED"),
        ]
    )


@pytest.mark.parametrize("who", ["consumer", "anonymous"])
def test_consumers_and_anonymous_users_get_an_empty_list_not_an_error(gql, world, who):
    user = world.consumer if who == "consumer" else None
    data = gql.as_user(user).data(STOCKS, {"first": 10})["stocks"]
    movements = gql.as_user(user).data(MOVEMENTS, {"first": 10})["stockMovements"]

    assert data["edges"] == [] and data["totalCount"] == 0
    assert data["pageInfo"]["hasNextPage"] is False
    assert movements["edges"] == []


def test_stock_fields_show_reserved_available_and_weight(gql, world):
    data = gql.as_user(world.staff).data(STOCKS, {"first": 100})["stocks"]
    nodes = {
        (n["warehouse"]["code"], n["lot"]["code"]): n for n in (e["node"] for e in data["edges"])
    }

    honey = nodes[(world.wa.code, "A-SOON")]
    assert (honey["quantity"], honey["allocated"], honey["quantityAvailable"]) == (10, 7, 3)
    assert honey["weightG"] == 5000  # 10 jars of 500 g
    assert Decimal(honey["weightKg"]) == Decimal("5.000")
    assert Decimal(honey["availableWeightKg"]) == Decimal("1.500")
    assert honey["variant"]["product"]["producer"] == {
        "name": "甲一合作社",
        "village": {"name": world.village_a.name},
    }
    assert honey["warehouse"] == {
        "code": world.wa.code,
        "kind": "VILLAGE",
        "village": {"name": world.village_a.name},
    }
    millet = nodes[(world.wa.code, "A2-UNDATED")]
    assert millet["weightG"] == 2500  # sold by weight: the quantity counts grams
    assert Decimal(millet["weightKg"]) == Decimal("2.500")
    assert millet["lot"]["bestBefore"] is None and millet["lot"]["isExpired"] is False
    assert nodes[(world.wb.code, "B-OLD")]["lot"]["isExpired"] is True
    assert data["totalCount"] == 7


# ---------------------------------------------------------------- stocks: each filter


def test_filter_by_warehouse(gql, world):
    rows = stock_rows(gql, world.staff, {"warehouses": [gid("Warehouse", world.base)]})
    assert rows == [("BASE", "A-HONEY", "A-SOON"), ("BASE", "B-APPLE", "B-30")]


def test_filter_by_village_means_where_the_goods_come_from(gql, world):
    rows = stock_rows(gql, world.staff, {"villages": [gid("Village", world.village_b)]})
    assert sorted(rows) == sorted(
        [
            ("BASE", "B-APPLE", "B-30"),
            (world.wb.code, "B-APPLE", "B-OLD"),
            (world.wb.code, "B-APPLE", "B-30"),
        ]
    )


def test_filter_by_producer(gql, world):
    rows = stock_rows(gql, world.staff, {"producers": [gid("Producer", world.pa2)]})
    assert rows == [(world.wa.code, "A-MILLET", "A2-UNDATED")]


def test_filter_by_product(gql, world):
    rows = stock_rows(gql, world.staff, {"products": [gid("Product", world.va.product)]})
    assert sorted(rows) == sorted(
        [
            ("BASE", "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-FAR"),
        ]
    )


def test_low_stock_compares_what_is_available_not_what_is_on_hand(gql, world):
    rows = stock_rows(gql, world.staff, {"lowStock": 3})

    # A-SOON in village A: 10 on hand but 7 reserved -> 3 available; B-30 in village B:
    # 3 - 1 lost = 2. (B-OLD has 4; the 6 of A-SOON at the base are not reserved.)
    assert sorted(rows) == sorted(
        [(world.wa.code, "A-HONEY", "A-SOON"), (world.wb.code, "B-APPLE", "B-30")]
    )
    assert stock_rows(gql, world.staff, {"lowStock": 2}) == [(world.wb.code, "B-APPLE", "B-30")]
    assert stock_rows(gql, world.staff, {"lowStock": 1}) == []


def test_expiring_within_days_includes_expired_lots_and_skips_undated_ones(gql, world):
    rows = stock_rows(gql, world.staff, {"expiringWithinDays": 7})
    assert sorted(rows) == sorted(
        [
            ("BASE", "A-HONEY", "A-SOON"),
            (world.wa.code, "A-HONEY", "A-SOON"),
            (world.wb.code, "B-APPLE", "B-OLD"),
        ]
    )
    assert stock_rows(gql, world.staff, {"expiringWithinDays": 0}) == [
        (world.wb.code, "B-APPLE", "B-OLD")
    ]


def test_filters_combine_and_stay_within_the_scope(gql, world):
    rows = stock_rows(
        gql,
        world.operator,
        {"warehouses": [gid("Warehouse", world.wb)], "villages": [gid("Village", world.village_b)]},
    )
    assert rows == []  # village B's goods exist, but not for this operator
    rows = stock_rows(
        gql, world.secretary, {"warehouses": [gid("Warehouse", world.wa)], "lowStock": 3}
    )
    assert rows == [(world.wa.code, "A-HONEY", "A-SOON")]
    assert stock_rows(gql, world.secretary, {"lowStock": 3}) == rows  # not village B's


def test_on_hand_only_leaves_out_empty_rows(gql, world):
    record_movement(stock=world.b_base, kind=StockMovement.Kind.BASE_SALE, quantity=-20)
    rows = stock_rows(gql, world.staff, {"warehouses": [gid("Warehouse", world.base)]})
    assert ("BASE", "B-APPLE", "B-30") in rows
    rows = stock_rows(
        gql, world.staff, {"warehouses": [gid("Warehouse", world.base)], "onHandOnly": True}
    )
    assert rows == [("BASE", "A-HONEY", "A-SOON")]


@pytest.mark.parametrize(
    ("filter", "code", "field"),
    [
        ({"lowStock": -1}, "INVALID_QUANTITY", "lowStock"),
        ({"expiringWithinDays": -2}, "INVALID", "expiringWithinDays"),
        ({"warehouses": ["not-an-id"]}, "INVALID_ID", "warehouses"),
        ({"producers": ["UHJvZHVjdDox"]}, "INVALID_ID", "producers"),  # a Product id
    ],
)
def test_bad_filters_are_clear_errors(gql, world, filter, code, field):
    result = gql.as_user(world.staff).execute(STOCKS, {"filter": filter, "first": 10})

    assert result["data"] is None
    assert len(result["errors"]) == 1
    assert result["errors"][0]["extensions"] == {"code": code, "field": field}


def test_pages_follow_each_other_in_a_stable_order(gql, world):
    first = gql.as_user(world.staff).data(STOCKS, {"first": 4})["stocks"]
    second = gql.as_user(world.staff).data(
        STOCKS, {"first": 4, "after": first["pageInfo"]["endCursor"]}
    )["stocks"]
    everything = stock_rows(gql, world.staff)

    ids = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert len(ids) == len(set(ids)) == 7
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    paged = [
        (e["node"]["warehouse"]["code"], e["node"]["variant"]["sku"], e["node"]["lot"]["code"])
        for e in first["edges"] + second["edges"]
    ]
    assert paged == everything


def test_more_than_100_per_page_is_refused(gql, world):
    result = gql.as_user(world.staff).execute(STOCKS, {"first": 101})
    assert "between 1 and 100" in result["errors"][0]["message"]


# ---------------------------------------------------------------- node(id:) scoping

NODE = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Stock { quantity }
    ... on StockMovement { kind quantity }
  }
}
"""


def test_node_of_stock_and_movement_out_of_scope_is_null(gql, world):
    stock_b = gid("Stock", world.b_wb)
    movement_b = gid("StockMovement", world.loss)
    stock_a = gid("Stock", world.a_far_wa)

    for user in (world.operator, world.secretary, world.consumer, None):
        assert gql.as_user(user).data(NODE, {"id": stock_b})["node"] is None
        assert gql.as_user(user).data(NODE, {"id": movement_b})["node"] is None
    assert gql.as_user(world.operator).data(NODE, {"id": stock_a})["node"]["quantity"] == 40
    assert gql.as_user(None).data(NODE, {"id": stock_a})["node"] is None
    assert gql.as_user(world.staff).data(NODE, {"id": movement_b})["node"] == {
        "id": movement_b,
        "kind": "LOSS",
        "quantity": -1,
    }


# ---------------------------------------------------------------- stockMovements


def movement_rows(gql, user, filter=None):
    data = gql.as_user(user).data(MOVEMENTS, {"filter": filter, "first": 100})
    return [
        (e["node"]["kind"], e["node"]["warehouse"]["code"], e["node"]["lot"]["code"])
        for e in data["stockMovements"]["edges"]
    ]


def test_movements_newest_first_and_scoped(gql, world):
    everything = movement_rows(gql, world.staff)
    assert len(everything) == 8  # 7 receipts and the loss
    assert everything[-1] == ("LOSS", world.wb.code, "B-30")  # ten days old: the oldest

    assert sorted(movement_rows(gql, world.operator)) == sorted(
        [
            ("RECEIPT", world.wa.code, "A-SOON"),
            ("RECEIPT", world.wa.code, "A-FAR"),
            ("RECEIPT", "BASE", "A-SOON"),
        ]
    )
    assert len(movement_rows(gql, world.secretary)) == 4


def test_movement_filters_kind_warehouse_and_period(gql, world):
    assert movement_rows(gql, world.staff, {"kinds": ["LOSS"]}) == [("LOSS", world.wb.code, "B-30")]
    assert len(movement_rows(gql, world.staff, {"kinds": ["LOSS", "RECEIPT"]})) == 8
    assert movement_rows(gql, world.staff, {"kinds": ["TRANSFER_IN"]}) == []
    base_rows = movement_rows(gql, world.staff, {"warehouses": [gid("Warehouse", world.base)]})
    assert sorted(base_rows) == [("RECEIPT", "BASE", "A-SOON"), ("RECEIPT", "BASE", "B-30")]

    now = timezone.now()
    last_week = {"from": (now - timedelta(days=7)).isoformat(), "to": now.isoformat()}
    assert len(movement_rows(gql, world.staff, {"period": last_week})) == 7
    older = {"to": (now - timedelta(days=7)).isoformat()}
    assert movement_rows(gql, world.staff, {"period": older}) == [("LOSS", world.wb.code, "B-30")]
    exact = {"from": world.loss.created_at.isoformat(), "to": world.loss.created_at.isoformat()}
    assert movement_rows(gql, world.staff, {"period": exact}) == []  # `to` is exclusive


def test_movement_period_ending_before_it_starts_is_an_error(gql, world):
    now = timezone.now()
    result = gql.as_user(world.staff).execute(
        MOVEMENTS,
        {"filter": {"period": {"from": now.isoformat(), "to": (now - timedelta(1)).isoformat()}}},
    )
    assert result["errors"][0]["extensions"] == {"code": "INVALID", "field": "to"}


def test_movement_actor_is_shown_to_staff_and_to_the_actor_only(gql, world):
    b_operator = operator_of(world.pb)
    data = gql.as_user(world.staff).data(MOVEMENTS, {"filter": {"kinds": ["LOSS"]}})
    node = data["stockMovements"]["edges"][0]["node"]
    assert node["actor"] == {"email": world.staff.email}
    assert node["weightG"] == -500 and Decimal(node["weightKg"]) == Decimal("-0.500")

    data = gql.as_user(b_operator).data(MOVEMENTS, {"filter": {"kinds": ["LOSS"]}})
    assert data["stockMovements"]["edges"][0]["node"]["actor"] is None


# ---------------------------------------------------------------- warehouses


WAREHOUSES = """
query($kind: WarehouseKind, $village: ID) {
  warehouses(kind: $kind, village: $village) { id code kind village { name town { name } } }
}
"""


def test_everyone_may_list_warehouses_and_filter_them(gql, world):
    anonymous = gql.as_user(None).data(WAREHOUSES)["warehouses"]
    codes = [w["code"] for w in anonymous]
    assert codes[0] == "BASE"
    assert {world.wa.code, world.wb.code} <= set(codes)
    assert codes[1:] == sorted(codes[1:])

    base = gql.as_user(None).data(WAREHOUSES, {"kind": "BASE"})["warehouses"]
    assert [(w["code"], w["village"]) for w in base] == [("BASE", None)]
    village = gql.as_user(world.consumer).data(
        WAREHOUSES, {"village": gid("Village", world.village_a)}
    )["warehouses"]
    assert village == [
        {
            "id": gid("Warehouse", world.wa),
            "code": world.wa.code,
            "kind": "VILLAGE",
            "village": {"name": world.village_a.name, "town": {"name": world.village_a.town.name}},
        }
    ]


def test_inactive_warehouses_are_not_listed(gql, world):
    world.wb.is_active = False
    world.wb.save(update_fields=["is_active"])
    codes = [w["code"] for w in gql.as_user(None).data(WAREHOUSES)["warehouses"]]
    assert world.wb.code not in codes and world.wa.code in codes


# ---------------------------------------------------------------- availability on variants

VARIANT = """
query($id: ID!) {
  node(id: $id) {
    ... on ProductVariant {
      sku online: quantityAvailable(channel: "online") base: quantityAvailable(channel: "base")
      pickupAtBase
    }
  }
}
"""


def test_quantity_available_per_channel_and_pickup_at_base(gql, world):
    honey = gql.as_user(None).data(VARIANT, {"id": gid("ProductVariant", world.va)})["node"]
    # online: village A 10 - 7 reserved + 40 + base 6; base counter: only the base's 6
    assert honey == {"sku": "A-HONEY", "online": 49, "base": 6, "pickupAtBase": True}

    apple = gql.as_user(None).data(VARIANT, {"id": gid("ProductVariant", world.vb)})["node"]
    # village B: 3 - 1 lost; the expired lot B-OLD (4) counts nowhere
    assert apple == {"sku": "B-APPLE", "online": 22, "base": 20, "pickupAtBase": True}

    millet = gql.as_user(None).data(VARIANT, {"id": gid("ProductVariant", world.va2)})["node"]
    assert millet == {"sku": "A-MILLET", "online": 2500, "base": 0, "pickupAtBase": False}


def test_reserving_everything_at_the_base_ends_pickup(gql, world):
    stock_allocate(
        lines=[AllocationRequest(world.va.pk, 6, "order-line:2")],
        channel_slug="base",
    )
    honey = gql.as_user(None).data(VARIANT, {"id": gid("ProductVariant", world.va)})["node"]
    assert honey == {"sku": "A-HONEY", "online": 43, "base": 0, "pickupAtBase": False}


def test_unknown_channel_is_an_error_not_zero(gql, world):
    query = '{ node(id: "%s") { ... on ProductVariant { quantityAvailable(channel: "moon") } } }'
    result = gql.as_user(None).execute(query % gid("ProductVariant", world.va))
    assert "moon" in result["errors"][0]["message"]


# ---------------------------------------------------------------- query counts


def _captured(gql, user, query, variables):
    with CaptureQueriesContext(connection) as ctx:
        data = gql.as_user(user).data(query, variables)
    return len(ctx.captured_queries), data


@pytest.fixture
def many_stocks():
    """130 stock rows and 130 receipts across four producers, two villages and the base."""
    producers = [ProducerFactory() for _ in range(2)]
    producers += [ProducerFactory(village=p.village) for p in producers]
    base = the_base()
    for i in range(26):
        variant = VariantFactory(product=ProductFactory(producer=producers[i % 4]))
        here = village_warehouse(variant.product.producer.village)
        for j in range(5):
            stock_in(here if j % 2 else base, lot(variant, f"L{i}-{j}"), 10 + j)
    return producers


# 1 user (JWT) + 1 page of stock rows with every relation joined in + 1 COUNT (totalCount).
STOCK_PAGE_QUERIES = 3


def test_stocks_page_runs_the_same_queries_for_10_and_100_rows(gql, many_stocks):
    user = staff()
    count_10, data_10 = _captured(gql, user, STOCKS, {"first": 10})
    count_100, data_100 = _captured(gql, user, STOCKS, {"first": 100})

    assert len(data_10["stocks"]["edges"]) == 10
    assert len(data_100["stocks"]["edges"]) == 100
    assert data_100["stocks"]["totalCount"] == 130
    assert data_100["stocks"]["edges"][0]["node"]["variant"]["product"]["producer"]["village"]
    assert count_10 == count_100 == STOCK_PAGE_QUERIES


def test_operator_stocks_page_is_as_cheap_as_staff(gql, many_stocks):
    user = operator_of(many_stocks[0], many_stocks[2])
    count_10, _ = _captured(gql, user, STOCKS, {"first": 10})
    count_100, data = _captured(gql, user, STOCKS, {"first": 100})

    assert data["stocks"]["totalCount"] == 65  # half of the variants
    assert count_10 == count_100 == STOCK_PAGE_QUERIES


# 1 user (JWT) + 1 page of movements with every relation and the actor joined in.
MOVEMENT_PAGE_QUERIES = 2


def test_movements_page_runs_the_same_queries_for_10_and_100_rows(gql, many_stocks):
    user = staff()
    count_10, data_10 = _captured(gql, user, MOVEMENTS, {"first": 10})
    count_100, data_100 = _captured(gql, user, MOVEMENTS, {"first": 100})

    assert len(data_10["stockMovements"]["edges"]) == 10
    assert len(data_100["stockMovements"]["edges"]) == 100
    assert count_10 == count_100 == MOVEMENT_PAGE_QUERIES


PRODUCTS = """
query($first: Int!) {
  products(first: $first, channel: "online") {
    edges { node {
      name
      variants {
        sku price(channel: "online") { amount }
        %s
      }
    } }
  }
}
"""
AVAILABILITY = """
quantityAvailable(channel: "online") atCounter: quantityAvailable(channel: "base") pickupAtBase
"""


@pytest.fixture
def stocked_catalog():
    producers = [ProducerFactory() for _ in range(4)]
    base = the_base()
    for i in range(110):
        product = ProductFactory(producer=producers[i % 4])
        for k in range(2):
            variant = priced_variant(product)
            if (i + k) % 3:
                stock_in(
                    base if i % 2 else village_warehouse(producers[i % 4].village),
                    lot(variant, f"P{i}-{k}"),
                    5 + k,
                )


def test_products_page_with_availability_runs_the_same_queries_for_10_and_100(gql, stocked_catalog):
    plain_10, _ = _captured(gql, None, PRODUCTS % "", {"first": 10})
    count_10, _ = _captured(gql, None, PRODUCTS % AVAILABILITY, {"first": 10})
    count_100, data_100 = _captured(gql, None, PRODUCTS % AVAILABILITY, {"first": 100})

    variants = [v for e in data_100["products"]["edges"] for v in e["node"]["variants"]]
    assert len(variants) == 200
    assert {v["quantityAvailable"] for v in variants} == {0, 5, 6}
    assert any(v["pickupAtBase"] for v in variants) and not all(v["pickupAtBase"] for v in variants)
    for v in variants:  # the counter sells from the base only
        assert v["atCounter"] == (v["quantityAvailable"] if v["pickupAtBase"] else 0)
    # one query for the online figure, one for the base (shared by the counter and pickup)
    assert count_10 == count_100 == plain_10 + 2
