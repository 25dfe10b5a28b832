"""Report periods: one parser for the period strings of salesReport, reconciliation and exports.

`parse_range(text)` accepts
- a settlement period code: a month `2026-10`, a half month `2026-10-H1` (days 1-15) or
  `2026-10-H2` (16 to the end), an ISO week `2026-W44` (Monday to Sunday), whatever
  settings.SETTLEMENT_PERIOD says (a report may look at any of them);
- a year `2026`;
- a local date range `2026-10-01..2026-10-31`, both days included (a single day
  `2026-10-01` is the range of that day), at most 10 years long;
- `all`: everything to date (from ALL_START_DATE to the end of today).
Days are Asia/Shanghai local days (settings.TIME_ZONE); `start_utc`/`end_utc` are the
UTC instants of the first day's and the day after the last day's local midnight, so SQL
compares `start_utc <= t < end_utc`. The codes and dates are those of
alliance.settlement.models.SettlementPeriod (whose `end_date` is exclusive; here
`end_date` is the last day, inclusive, as people read a range). No database access.

Anything else raises InvalidPeriod (code INVALID_PERIOD, field `period`) saying what is
accepted.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from alliance.core.errors import DomainError

ALL_START_DATE = date(2000, 1, 1)  # before any sale of the alliance
MAX_RANGE_YEARS = 10
MIN_YEAR, MAX_YEAR = 2000, 2999
ACCEPTED = (
    "a month (2026-10), a half month (2026-10-H1, 2026-10-H2), an ISO week (2026-W44), "
    "a year (2026), a date range (2026-10-01..2026-10-31) or all"
)

_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_HALF = re.compile(r"(\d{4})-(\d{2})-H([12])", re.IGNORECASE)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.IGNORECASE)
_DAY = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"({_DAY})\s*\.\.\s*({_DAY})")
_ONE_DAY = re.compile(rf"({_DAY})")


class InvalidPeriod(DomainError):
    code = "INVALID_PERIOD"


class Kind:
    MONTH = "month"
    HALF_MONTH = "half_month"
    WEEK = "week"
    YEAR = "year"
    RANGE = "range"
    ALL = "all"


@dataclass(frozen=True)
class DateRange:
    start_utc: datetime  # local midnight of start_date, in UTC (inclusive)
    end_utc: datetime  # local midnight of the day after end_date, in UTC (exclusive)
    label: str  # for people: 2026年10月, 2026-10-01 至 2026-10-31, ...
    start_date: date  # first local day
    end_date: date  # last local day (inclusive)
    code: str = ""  # the period string, normalised: 2026-10, 2026-W44, 2026-10-01..2026-10-31
    kind: str = Kind.RANGE

    @property
    def end_date_exclusive(self) -> date:
        return self.end_date + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def contains(self, moment: datetime) -> bool:
        return self.start_utc <= moment < self.end_utc


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which local `day` begins."""
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)


def make_range(start: date, end: date, *, label: str, code: str, kind: str) -> DateRange:
    """A range of local days `start`..`end`, both included."""
    return DateRange(
        start_utc=local_midnight_utc(start),
        end_utc=local_midnight_utc(end + timedelta(days=1)),
        label=label,
        start_date=start,
        end_date=end,
        code=code,
        kind=kind,
    )


def _invalid(text: str, why: str = "") -> InvalidPeriod:
    detail = f" {why}" if why else ""
    return InvalidPeriod(f"{text!r} is not a period.{detail} Give {ACCEPTED}.", field="period")


def _year(text: str, raw: str) -> int:
    year = int(raw)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid(text, f"Years run from {MIN_YEAR} to {MAX_YEAR}.")
    return year


def _month(text: str, raw_year: str, raw_month: str) -> tuple[int, int]:
    year, month = _year(text, raw_year), int(raw_month)
    if not 1 <= month <= 12:
        raise _invalid(text, "Months run from 01 to 12.")
    return year, month


def _day(text: str, raw: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(text, f"{raw} is not a date.") from None
    _year(text, str(day.year))
    return day


def month_range(year: int, month: int) -> DateRange:
    last = calendar.monthrange(year, month)[1]
    return make_range(
        date(year, month, 1),
        date(year, month, last),
        label=f"{year}年{month}月",
        code=f"{year:04d}-{month:02d}",
        kind=Kind.MONTH,
    )


def half_month_range(year: int, month: int, half: int) -> DateRange:
    last = calendar.monthrange(year, month)[1]
    start, end = (date(year, month, 1), date(year, month, 15))
    if half == 2:
        start, end = date(year, month, 16), date(year, month, last)
    return make_range(
        start,
        end,
        label=f"{year}年{month}月{'上' if half == 1 else '下'}半月",
        code=f"{year:04d}-{month:02d}-H{half}",
        kind=Kind.HALF_MONTH,
    )


def week_range(year: int, week: int) -> DateRange:
    monday = date.fromisocalendar(year, week, 1)
    sunday = monday + timedelta(days=6)
    return make_range(
        monday,
        sunday,
        label=f"{year}年第{week}周 ({monday:%m-%d} 至 {sunday:%m-%d})",
        code=f"{year:04d}-W{week:02d}",
        kind=Kind.WEEK,
    )


def all_range(today: date | None = None) -> DateRange:
    today = today or timezone.localdate()
    return make_range(
        ALL_START_DATE, today, label=f"全部 (截至 {today:%Y-%m-%d})", code="all", kind=Kind.ALL
    )


def parse_range(text: str | None) -> DateRange:
    """The DateRange a period string names (see the module docstring), or InvalidPeriod."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidPeriod(f"A period is required: {ACCEPTED}.", field="period")
    if len(raw) > 40:
        raise _invalid(raw[:40] + "...")
    if raw.lower() == "all":
        return all_range()
    if match := _YEAR.fullmatch(raw):
        year = _year(raw, match[1])
        return make_range(
            date(year, 1, 1), date(year, 12, 31), label=f"{year}年", code=raw, kind=Kind.YEAR
        )
    if match := _MONTH.fullmatch(raw):
        return month_range(*_month(raw, match[1], match[2]))
    if match := _HALF.fullmatch(raw):
        year, month = _month(raw, match[1], match[2])
        return half_month_range(year, month, int(match[3]))
    if match := _WEEK.fullmatch(raw):
        year, week = _year(raw, match[1]), int(match[2])
        try:
            return week_range(year, week)
        except ValueError:
            raise _invalid(raw, f"{year} has no ISO week {week}.") from None
    if (match := _RANGE.fullmatch(raw)) or (match := _ONE_DAY.fullmatch(raw)):
        start = _day(raw, match[1])
        end = _day(raw, match[match.lastindex or 1])
        if end < start:
            raise _invalid(raw, f"The range ends ({end}) before it starts ({start}).")
        try:
            limit = start.replace(year=start.year + MAX_RANGE_YEARS)
        except ValueError:  # 29 February
            limit = start.replace(year=start.year + MAX_RANGE_YEARS, day=28)
        if end >= limit:
            raise _invalid(raw, f"A range covers at most {MAX_RANGE_YEARS} years; use all.")
        code = f"{start}..{end}" if start != end else f"{start}"
        label = f"{start} 至 {end}" if start != end else f"{start}"
        return make_range(start, end, label=label, code=code, kind=Kind.RANGE)
    raise _invalid(raw)


def period_range_containing(day: date, kind: str) -> DateRange:
    """The settlement period of `kind` (month, half_month, week) holding local `day`."""
    if kind == Kind.HALF_MONTH:
        return half_month_range(day.year, day.month, 1 if day.day <= 15 else 2)
    if kind == Kind.WEEK:
        iso = day.isocalendar()
        return week_range(iso.year, iso.week)
    return month_range(day.year, day.month)


def current_settlement_start_utc(now: datetime | None = None) -> datetime:
    """Start of the settlement period (settings.SETTLEMENT_PERIOD) running now: periods
    that end at or before it are closed."""
    today = timezone.localdate(now) if now else timezone.localdate()
    kind = getattr(settings, "SETTLEMENT_PERIOD", Kind.MONTH)
    return period_range_containing(today, kind).start_utc
