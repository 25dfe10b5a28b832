"""Period codes: months, half months and ISO weeks of Asia/Shanghai local days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from alliance.settlement.errors import PeriodCodeInvalid, PeriodKindMismatch, PeriodOverlaps
from alliance.settlement.models import SettlementPeriod
from alliance.settlement.periods import (
    parse_period_code,
    period_code_for_date,
    period_containing,
    period_for_code,
    period_span,
    period_span_after,
    period_span_before,
)

pytestmark = pytest.mark.django_db


def test_a_month_is_local_days_as_utc_instants():
    span = period_span("2026-10")
    assert (span.kind, span.start_date, span.end_date) == (
        "month",
        date(2026, 10, 1),
        date(2026, 11, 1),
    )
    # Shanghai is UTC+8: local midnight is 16:00 UTC the day before
    assert span.starts_at == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert span.ends_at == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert period_span("2026-12").end_date == date(2027, 1, 1)


def test_half_months_and_weeks():
    first, second = parse_period_code("2026-02-H1"), parse_period_code("2026-02-H2")
    assert (first.start_date, first.end_date) == (date(2026, 2, 1), date(2026, 2, 16))
    assert (second.start_date, second.end_date) == (date(2026, 2, 16), date(2026, 3, 1))
    week = parse_period_code("2026-W44")
    assert (week.kind, week.start_date, week.end_date) == (
        "week",
        date(2026, 10, 26),
        date(2026, 11, 2),
    )
    assert parse_period_code("2026-W53").start_date == date(2026, 12, 28)  # 2026 has 53 weeks
    assert parse_period_code("2027-W01").start_date == date(2027, 1, 4)


@pytest.mark.parametrize(
    "code",
    [
        "2026-13",
        "2026-00",
        "2026-1",
        "26-10",
        "2026-10-H3",
        "2026-W00",
        "2026-W54",
        "",
        "all",
        "1999-01",
        "2026-10 ",
        None,
    ],
)
def test_bad_codes_are_refused_clearly(code):
    if code == "2026-10 ":  # surrounding blanks are forgiven
        assert parse_period_code(code).code == "2026-10"
        return
    with pytest.raises(PeriodCodeInvalid) as refused:
        parse_period_code(code)
    assert refused.value.code == "PERIOD_CODE_INVALID" and refused.value.field == "period"


def test_a_year_without_week_53_says_so():
    with pytest.raises(PeriodCodeInvalid, match="2025 has no ISO week 53"):
        parse_period_code("2025-W53")


def test_codes_of_another_kind_than_configured_are_refused(settings):
    with pytest.raises(PeriodKindMismatch, match=r"settles by month.*like 2026-10"):
        period_for_code("2026-W44")
    settings.SETTLEMENT_PERIOD = "half_month"
    with pytest.raises(PeriodKindMismatch, match="like 2026-10-H1"):
        period_for_code("2026-10")
    assert period_for_code("2026-10-H2").start_date == date(2026, 10, 16)


def test_codes_for_dates_and_neighbours(settings):
    assert period_code_for_date(date(2026, 10, 15)) == "2026-10"
    assert period_code_for_date(date(2026, 10, 15), kind="half_month") == "2026-10-H1"
    assert period_code_for_date(date(2026, 10, 16), kind="half_month") == "2026-10-H2"
    assert period_code_for_date(date(2027, 1, 1), kind="week") == "2026-W53"
    assert period_span_after(period_span("2026-12")).code == "2027-01"
    assert period_span_before(period_span("2026-01")).code == "2025-12"
    assert period_span_after(parse_period_code("2026-10-H2")).code == "2026-11-H1"
    assert period_span_before(parse_period_code("2026-W01")).code == "2025-W52"


def test_period_rows_are_made_once_and_found_by_moment():
    first = period_for_code("2026-10")
    assert period_for_code("2026-10") == first
    # 31 October 23:30 in Shanghai is still October; 1 November 00:10 is not
    assert period_containing(datetime(2026, 10, 31, 15, 30, tzinfo=UTC)) == first
    assert period_containing(datetime(2026, 10, 31, 16, 10, tzinfo=UTC)).code == "2026-11"
    assert SettlementPeriod.objects.count() == 2


def test_a_period_overlapping_a_stored_one_of_another_kind_is_refused(settings):
    period_for_code("2026-10")
    settings.SETTLEMENT_PERIOD = "week"
    with pytest.raises(PeriodOverlaps, match="2026-W44 overlaps the stored period 2026-10"):
        period_for_code("2026-W44")
    assert list(SettlementPeriod.objects.values_list("code", flat=True)) == ["2026-10"]
