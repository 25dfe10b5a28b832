"""sales_report / salesReport: figures hand-checked on a small fixture (helpers.sales_fixture),
group-by combinations, channel filter, scope by role, one SQL statement whatever the size."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from alliance.core.errors import PermissionDenied
from alliance.reports.ranges import InvalidPeriod
from alliance.reports.sales import (
    InvalidChannel,
    InvalidGroupBy,
    ReportTooLarge,
    SalesRow,
    sales_report,
)
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.reports.helpers import sales_fixture

pytestmark = pytest.mark.django_db

D = Decimal


def figures(row: SalesRow) -> tuple:
    return (
        row.orders,
        row.quantity,
        row.weight_g,
        row.returned_weight_g,
        row.gross,
        row.refunds,
        row.net,
    )


@pytest.fixture
def sales():
    return sales_fixture()


def test_a_month_without_grouping(sales):
    october = sales_report(actor=staff(), period="2026-10")

    # O1 (130.00 of goods) + O2 (120.00); O3 cancelled unpaid is not there; O4 is November.
    # quantity: honey 2 + millet 1 + honey 1; the apples (sold by weight) add weight only.
    assert figures(october.totals) == (2, 4, 16_500, 0, D("250.00"), D("0.00"), D("250.00"))
    assert october.rows == [october.totals]
    assert october.totals.weight_kg == D("16.500")
    assert october.totals.weight_tonnes == D("0.017")  # 0.0165 t, half up
    assert october.period.label == "2026年10月"

    november = sales_report(actor=staff(), period="2026-11")
    # O4 (placed 00:30 local on 1 November) and the honey refunded on 3 November.
    assert figures(november.totals) == (1, 2, 5_000, 500, D("60.00"), D("50.00"), D("10.00"))
    assert november.totals.net_weight_kg == D("4.500")


def test_by_village_over_a_date_range(sales):
    report = sales_report(actor=staff(), period="2026-10-01..2026-11-30", group_by=["VILLAGE"])

    by_name = {row.village.name: figures(row) for row in report.rows}
    assert by_name == {
        # honey: O1 2 x 50.00 + O2 1 x 45.00; 1 jar refunded
        "甲村": (2, 3, 1_500, 500, D("145.00"), D("50.00"), D("95.00")),
        # millet O1 30.00 + apples O2 75.00 (12.5 kg) + millet O4 60.00
        "乙村": (3, 3, 20_000, 0, D("165.00"), D("0.00"), D("165.00")),
    }
    assert figures(report.totals) == (3, 6, 21_500, 500, D("310.00"), D("50.00"), D("260.00"))
    assert report.rows[0].village.id == sales.village_a.pk
    assert report.rows[0].village.code == sales.village_a.code


def test_by_channel_and_month_puts_a_refund_in_its_own_month(sales):
    report = sales_report(
        actor=staff(), period="2026-10-01..2026-11-30", group_by=["MONTH", "CHANNEL"]
    )

    rows = {(row.channel, row.month): figures(row) for row in report.rows}
    assert rows == {
        ("online", date(2026, 10, 1)): (1, 3, 3_500, 0, D("130.00"), D("0.00"), D("130.00")),
        ("base", date(2026, 10, 1)): (1, 1, 13_000, 0, D("120.00"), D("0.00"), D("120.00")),
        # O4, and the refund of O1's honey (an online order) in the month of the refund
        ("online", date(2026, 11, 1)): (1, 2, 5_000, 500, D("60.00"), D("50.00"), D("10.00")),
    }
    # ordered as asked: by month, then channel (online before base)
    assert [(r.month, r.channel) for r in report.rows] == [
        (date(2026, 10, 1), "online"),
        (date(2026, 10, 1), "base"),
        (date(2026, 11, 1), "online"),
    ]


def test_by_category_and_top_level_category(sales):
    period = "2026-10-01..2026-11-30"
    leaf = sales_report(actor=staff(), period=period, group_by=["CATEGORY"])
    root = sales_report(actor=staff(), period=period, group_by=["CATEGORY_ROOT"])

    assert {r.category.code: (r.gross, r.refunds) for r in leaf.rows} == {
        "wild-honey": (D("145.00"), D("50.00")),
        "apples": (D("75.00"), D("0.00")),
        "millet": (D("90.00"), D("0.00")),
    }
    assert {r.category_root.name: (r.gross, r.weight_g) for r in root.rows} == {
        "蜂蜜": (D("145.00"), 1_500),
        "水果": (D("75.00"), 12_500),
        "杂粮": (D("90.00"), 7_500),
    }
    assert all(r.category is None for r in root.rows)
    assert figures(leaf.totals) == figures(root.totals)


def test_by_village_producer_and_channel_with_a_channel_filter(sales):
    report = sales_report(
        actor=staff(),
        period="2026-10",
        channel="base",
        group_by=["CHANNEL", "PRODUCER", "VILLAGE"],
    )

    assert report.group_by == ("CHANNEL", "PRODUCER", "VILLAGE")
    assert sorted(
        (r.village.name, r.producer.name, r.channel, r.gross, r.weight_g) for r in report.rows
    ) == [
        ("乙村", "乙村种植合作社", "base", D("75.00"), 12_500),
        ("甲村", "甲村蜂业合作社", "base", D("45.00"), 500),
    ]
    assert report.totals.orders == 1 and report.totals.gross == D("120.00")


def test_every_grouping_adds_up_to_the_same_totals(sales):
    period = "2026-10-01..2026-11-30"
    plain = sales_report(actor=staff(), period=period)
    for group_by in (
        ["VILLAGE"],
        ["PRODUCER"],
        ["CATEGORY"],
        ["CHANNEL"],
        ["MONTH"],
        ["VILLAGE", "MONTH"],
        ["PRODUCER", "CATEGORY", "CHANNEL", "MONTH"],
        ["VILLAGE", "PRODUCER", "CATEGORY", "CATEGORY_ROOT", "CHANNEL", "MONTH"],
    ):
        report = sales_report(actor=staff(), period=period, group_by=group_by)
        assert figures(report.totals) == figures(plain.totals), group_by
        assert sum(r.gross for r in report.rows) == plain.totals.gross
        assert sum(r.refunds for r in report.rows) == plain.totals.refunds
        assert sum(r.weight_g for r in report.rows) == plain.totals.weight_g
        assert sum(r.returned_weight_g for r in report.rows) == plain.totals.returned_weight_g


def test_a_first_secretary_sees_only_their_village(sales):
    report = sales_report(actor=secretary_of(sales.village_a), period="2026-10-01..2026-11-30")
    by_village = sales_report(
        actor=secretary_of(sales.village_b), period="2026-10-01..2026-11-30", group_by=["VILLAGE"]
    )

    assert figures(report.totals) == (2, 3, 1_500, 500, D("145.00"), D("50.00"), D("95.00"))
    assert report.village_id == sales.village_a.pk and report.village_name == "甲村"
    assert [r.village.name for r in by_village.rows] == ["乙村"]


@pytest.mark.parametrize("who", ["operator", "consumer", "anonymous"])
def test_others_are_refused(sales, who):
    from django.contrib.auth.models import AnonymousUser

    from tests.backend.factories.villages import ProducerFactory

    actor = {
        "operator": lambda: operator_of(ProducerFactory(village=sales.village_a)),
        "consumer": consumer,
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(PermissionDenied) as refused:
        sales_report(actor=actor, period="2026-10")
    assert refused.value.code == "PERMISSION_DENIED"


def test_bad_arguments_are_refused_with_codes(sales):
    with pytest.raises(InvalidPeriod):
        sales_report(actor=staff(), period="October")
    with pytest.raises(InvalidChannel) as channel:
        sales_report(actor=staff(), period="2026-10", channel="wechat")
    assert channel.value.code == "INVALID_CHANNEL"
    with pytest.raises(InvalidGroupBy) as group:
        sales_report(actor=staff(), period="2026-10", group_by=["TOWN"])
    assert group.value.code == "INVALID_GROUP_BY"
    with pytest.raises(ReportTooLarge):
        sales_report(
            actor=staff(), period="2026-10-01..2026-11-30", group_by=["PRODUCER"], max_rows=1
        )


def test_one_sql_statement_whatever_the_grouping(sales):
    actor = staff()
    for group_by in ([], ["VILLAGE", "MONTH"], ["PRODUCER", "CATEGORY_ROOT", "CHANNEL"]):
        with CaptureQueriesContext(connection) as queries:
            sales_report(actor=actor, period="all", group_by=group_by)
        assert len(queries) == 1, [q["sql"] for q in queries]


# --- GraphQL ----------------------------------------------------------------------------------

SALES_REPORT = """
query($period: String!, $channel: String, $groupBy: [SalesGroupBy!]) {
  salesReport(period: $period, channel: $channel, groupBy: $groupBy) {
    period { code label start end }
    groupBy
    village { id name }
    rows {
      village { id name } producer { id name } category { id name } categoryRoot { name }
      channel month orders quantity weightKg weightTonnes returnedWeightKg netWeightKg
      gross { amount } refunds { amount } net { amount }
    }
    totals { orders quantity weightKg weightTonnes gross { amount } refunds { amount }
             net { amount } }
  }
}
"""


def test_graphql_sales_report(gql, sales):
    data = gql.as_user(staff()).data(
        SALES_REPORT, {"period": "2026-10-01..2026-11-30", "groupBy": ["VILLAGE", "MONTH"]}
    )["salesReport"]

    assert data["period"] == {
        "code": "2026-10-01..2026-11-30",
        "label": "2026-10-01 至 2026-11-30",
        "start": "2026-10-01",
        "end": "2026-11-30",
    }
    assert data["groupBy"] == ["VILLAGE", "MONTH"]
    assert data["village"] is None
    first = data["rows"][0]
    assert first["village"] == {"id": to_global_id("Village", sales.village_a.pk), "name": "甲村"}
    assert (first["month"], first["orders"], first["weightKg"]) == ("2026-10", 2, "1.500")
    assert first["gross"] == {"amount": "145.00"}
    assert data["totals"] == {
        "orders": 3,
        "quantity": 6,
        "weightKg": "21.500",
        "weightTonnes": "0.022",
        "gross": {"amount": "310.00"},
        "refunds": {"amount": "50.00"},
        "net": {"amount": "260.00"},
    }


def test_graphql_errors_carry_codes(gql, sales):
    bad = gql.as_user(staff()).execute(SALES_REPORT, {"period": "2026-13"})
    assert bad["data"]["salesReport"] is None
    [error] = bad["errors"]
    assert error["extensions"]["code"] == "INVALID_PERIOD"
    assert "Months run from 01 to 12" in error["message"]

    refused = gql.as_user(consumer()).execute(SALES_REPORT, {"period": "2026-10"})
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    anonymous = gql.as_user(None).execute(SALES_REPORT, {"period": "2026-10"})
    assert anonymous["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"

    secretary = gql.as_user(secretary_of(sales.village_b)).data(
        SALES_REPORT, {"period": "2026-10"}
    )["salesReport"]
    assert secretary["village"]["name"] == "乙村"
    assert secretary["totals"]["gross"] == {"amount": "105.00"}  # millet 30.00 + apples 75.00


def test_graphql_sql_count_does_not_grow_with_rows(gql, sales, django_assert_max_num_queries):
    gql.as_user(staff())
    with CaptureQueriesContext(connection) as one_row:
        gql.data(SALES_REPORT, {"period": "2026-10"})
    with CaptureQueriesContext(connection) as many_rows:
        data = gql.data(
            SALES_REPORT,
            {
                "period": "2026-10-01..2026-11-30",
                "groupBy": ["VILLAGE", "PRODUCER", "CATEGORY", "CHANNEL", "MONTH"],
            },
        )
    assert len(data["salesReport"]["rows"]) == 6  # honey x3, millet x2, apples
    assert len(many_rows) == len(one_row)
    with django_assert_max_num_queries(3):  # the user (JWT) and the report
        gql.data(SALES_REPORT, {"period": "all", "groupBy": ["PRODUCER"]})
