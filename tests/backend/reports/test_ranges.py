"""parse_range: every accepted period string, local days as UTC instants, clear refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from alliance.reports.ranges import (
    ALL_START_DATE,
    InvalidPeriod,
    current_settlement_start_utc,
    parse_range,
    period_range_containing,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end", "starts_at", "ends_at", "label", "kind"),
    [
        (
            "2026-10",
            date(2026, 10, 1),
            date(2026, 10, 31),
            utc(2026, 9, 30, 16),
            utc(2026, 10, 31, 16),
            "2026年10月",
            "month",
        ),
        (
            "2026-02-H2",
            date(2026, 2, 16),
            date(2026, 2, 28),
            utc(2026, 2, 15, 16),
            utc(2026, 2, 28, 16),
            "2026年2月下半月",
            "half_month",
        ),
        (
            "2026-10-h1",
            date(2026, 10, 1),
            date(2026, 10, 15),
            utc(2026, 9, 30, 16),
            utc(2026, 10, 15, 16),
            "2026年10月上半月",
            "half_month",
        ),
        (
            "2026-W44",
            date(2026, 10, 26),
            date(2026, 11, 1),
            utc(2026, 10, 25, 16),
            utc(2026, 11, 1, 16),
            "2026年第44周 (10-26 至 11-01)",
            "week",
        ),
        (
            "2026",
            date(2026, 1, 1),
            date(2026, 12, 31),
            utc(2025, 12, 31, 16),
            utc(2026, 12, 31, 16),
            "2026年",
            "year",
        ),
        (
            " 2026-10-01..2026-10-31 ",
            date(2026, 10, 1),
            date(2026, 10, 31),
            utc(2026, 9, 30, 16),
            utc(2026, 10, 31, 16),
            "2026-10-01 至 2026-10-31",
            "range",
        ),
        (
            "2026-10-07",
            date(2026, 10, 7),
            date(2026, 10, 7),
            utc(2026, 10, 6, 16),
            utc(2026, 10, 7, 16),
            "2026-10-07",
            "range",
        ),
    ],
)
def test_accepted_periods(text, start, end, starts_at, ends_at, label, kind):
    span = parse_range(text)

    assert (span.start_date, span.end_date) == (start, end)
    assert (span.start_utc, span.end_utc) == (starts_at, ends_at)
    assert (span.label, span.kind) == (label, kind)
    assert span.contains(starts_at) and not span.contains(ends_at)


def test_all_runs_to_the_end_of_today():
    span = parse_range("ALL")
    today = timezone.localdate()

    assert (span.start_date, span.end_date, span.code) == (ALL_START_DATE, today, "all")
    assert span.contains(timezone.now())


def test_a_ten_year_range_is_the_limit():
    assert parse_range("2016-01-01..2025-12-31").days == 3653
    with pytest.raises(InvalidPeriod, match="at most 10 years"):
        parse_range("2016-01-01..2026-01-01")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "A period is required"),
        ("October", "is not a period"),
        ("2026-13", "Months run from 01 to 12"),
        ("2026-00-H1", "Months run from 01 to 12"),
        ("2026-10-H3", "is not a period"),
        ("2026-W54", "no ISO week 54"),
        ("2025-W53", "no ISO week 53"),
        ("2026-02-30..2026-03-01", "2026-02-30 is not a date"),
        ("2026-10-31..2026-10-01", "ends (2026-10-01) before it starts (2026-10-31)"),
        ("1999", "Years run from 2000"),
        ("2026-10-01...2026-10-31", "is not a period"),
        ("x" * 200, "is not a period"),
    ],
)
def test_refused_periods(text, why):
    with pytest.raises(InvalidPeriod) as refused:
        parse_range(text)
    assert refused.value.code == "INVALID_PERIOD"
    assert refused.value.field == "period"
    assert why in refused.value.message
    assert "2026-10-01..2026-10-31" in refused.value.message  # says what is accepted


def test_settlement_period_containing_a_day():
    assert period_range_containing(date(2026, 10, 16), "half_month").code == "2026-10-H2"
    assert period_range_containing(date(2027, 1, 1), "week").code == "2026-W53"
    assert period_range_containing(date(2026, 10, 16), "month").code == "2026-10"


def test_current_settlement_period_start(settings):
    now = utc(2026, 10, 31, 17)  # 1 November, 01:00 local
    settings.SETTLEMENT_PERIOD = "month"
    assert current_settlement_start_utc(now) == utc(2026, 10, 31, 16)
    settings.SETTLEMENT_PERIOD = "week"
    assert current_settlement_start_utc(now) == utc(2026, 10, 25, 16)  # Monday 26 October
