"""alliance_totals / allianceTotals / `manage.py alliance_totals`: the figures the county
reports, public, cached 60 s, printed in Chinese and English."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.reports.totals import (
    CACHE_KEY,
    AllianceTotals,
    alliance_totals,
    alliance_totals_compute,
    format_totals,
)
from alliance.villages.models import Producer, Village
from tests.backend.reports.helpers import sales_fixture

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_totals_to_date_net_of_refunds():
    sales_fixture()

    totals = alliance_totals_compute()

    # O1 130.00 (3.5 kg) + O2 120.00 (13 kg) + O4 60.00 (5 kg); 1 jar of honey (50.00,
    # 0.5 kg) refunded; O3 cancelled unpaid
    assert totals.weight_g == 21_000
    assert (totals.kg, totals.tonnes) == (D("21.000"), D("0.021"))
    assert (totals.gross, totals.refunds, totals.value) == (D("310.00"), D("50.00"), D("260.00"))
    assert totals.orders == 3
    assert (totals.villages_with_sales, totals.villages) == (2, Village.objects.count())
    assert (totals.producers_with_sales, totals.producers) == (2, Producer.objects.count())


def test_cached_for_a_minute_then_recomputed_on_demand():
    first = alliance_totals()
    assert cache.get(CACHE_KEY) == first

    sales_fixture()
    with CaptureQueriesContext(connection) as queries:
        cached = alliance_totals()
    assert len(queries) == 0 and cached == first  # still the cached figures

    fresh = alliance_totals(fresh=True)
    assert fresh.orders == 3 and cache.get(CACHE_KEY) == fresh


def test_the_printed_lines():
    totals = AllianceTotals(
        weight_g=1_408_234_567,
        value=D("6812345.67"),
        gross=D("6900000.00"),
        refunds=D("87654.33"),
        villages_with_sales=63,
        villages=63,
        producers_with_sales=210,
        producers=210,
        orders=12_345,
        as_of=None,  # type: ignore[arg-type]
    )

    assert format_totals(totals) == (
        "累计销售 1,408.2 吨 / 6,812,345.67 元 · 63 个村 · 210 个经营主体 · 12,345 笔订单",
        "Sold to date 1,408.2 t / ¥6,812,345.67 · 63 villages · 210 producers · 12,345 orders",
    )


def test_the_command_prints_them():
    sales_fixture()
    out = StringIO()

    call_command("alliance_totals", "--detail", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "累计销售 0.0 吨 / 260.00 元 · 2 个村 · 2 个经营主体 · 3 笔订单"
    assert lines[1] == "Sold to date 0.0 t / ¥260.00 · 2 villages · 2 producers · 3 orders"
    assert lines[2].startswith("weight 21.000 kg (0.021 t); gross 310.00 元, refunds 50.00 元")


ALLIANCE_TOTALS = """
{ allianceTotals { weightKg tonnes value { amount currency } gross { amount }
  refunds { amount } villagesWithSales villages producersWithSales producers orders asOf } }
"""


def test_graphql_alliance_totals_are_public(gql):
    sales_fixture()

    data = gql.as_user(None).data(ALLIANCE_TOTALS)["allianceTotals"]

    assert data["weightKg"] == "21.000" and data["tonnes"] == "0.021"
    assert data["value"] == {"amount": "260.00", "currency": "CNY"}
    assert (data["orders"], data["villagesWithSales"], data["producersWithSales"]) == (3, 2, 2)
    with CaptureQueriesContext(connection) as queries:
        again = gql.as_user(None).data(ALLIANCE_TOTALS)["allianceTotals"]
    assert again == data and len(queries) == 0  # from the cache
