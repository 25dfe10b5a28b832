"""Settlement periods: codes, their local days and their UTC instants.

The alliance settles by one kind of period, settings.SETTLEMENT_PERIOD:
- "month" (default): "2026-10" is 1 October 00:00 to 1 November 00:00;
- "half_month": "2026-10-H1" is days 1-15, "2026-10-H2" day 16 to the month's end;
- "week": ISO weeks, "2026-W44" is Monday 26 October to Monday 2 November.
Days are Asia/Shanghai local days (settings.TIME_ZONE); a period is stored as the half-open
interval [starts_at, ends_at) of UTC instants, which is what SQL compares.

`period_span(code)` only computes (nothing is written); `period_for_code(code)` gets or
creates the SettlementPeriod row; `period_containing(moment)` is the row holding a moment.
A code that is not a period code raises PeriodCodeInvalid; a valid code of another kind
than the configured one raises PeriodKindMismatch (a week cannot be settled when the
alliance settles by month: periods would overlap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError
from django.utils import timezone

from alliance.settlement.errors import PeriodCodeInvalid, PeriodKindMismatch, PeriodOverlaps
from alliance.settlement.models import PeriodKind, SettlementPeriod

_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
_HALF_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])-H(?P<half>[12])$")
_WEEK = re.compile(r"^(?P<year>\d{4})-W(?P<week>0[1-9]|[1-4]\d|5[0-3])$")
MIN_YEAR, MAX_YEAR = 2000, 2999

EXAMPLES = {
    PeriodKind.MONTH: "2026-10",
    PeriodKind.HALF_MONTH: "2026-10-H1",
    PeriodKind.WEEK: "2026-W44",
}


@dataclass(frozen=True)
class PeriodSpan:
    """A period's code and bounds, computed (not stored)."""

    code: str
    kind: str
    start_date: date  # local, inclusive
    end_date: date  # local, exclusive
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def configured_kind() -> str:
    kind = settings.SETTLEMENT_PERIOD
    if kind not in PeriodKind.values:
        raise ImproperlyConfigured(
            f"SETTLEMENT_PERIOD must be one of {', '.join(PeriodKind.values)}, not {kind!r}."
        )
    return str(kind)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` begins in the local time zone."""
    local = datetime.combine(day, time(0), tzinfo=timezone.get_default_timezone())
    return local.astimezone(UTC)


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _span(code: str, kind: str, start: date, end: date) -> PeriodSpan:
    return PeriodSpan(code, kind, start, end, local_midnight_utc(start), local_midnight_utc(end))


def _year(text: str, code: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodCodeInvalid(
            f"{code!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}.", field="period"
        )
    return year


def parse_period_code(code: str) -> PeriodSpan:
    """The span of a period code of any kind; PeriodCodeInvalid when it is none."""
    text = (code or "").strip() if isinstance(code, str) else ""
    if match := _MONTH.match(text):
        start = date(_year(match["year"], text), int(match["month"]), 1)
        return _span(text, PeriodKind.MONTH, start, _first_of_next_month(start))
    if match := _HALF_MONTH.match(text):
        first = date(_year(match["year"], text), int(match["month"]), 1)
        middle = first.replace(day=16)
        if match["half"] == "1":
            return _span(text, PeriodKind.HALF_MONTH, first, middle)
        return _span(text, PeriodKind.HALF_MONTH, middle, _first_of_next_month(first))
    if match := _WEEK.match(text):
        year, week = _year(match["year"], text), int(match["week"])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PeriodCodeInvalid(f"{year} has no ISO week {week}.", field="period") from None
        return _span(text, PeriodKind.WEEK, monday, monday + timedelta(days=7))
    raise PeriodCodeInvalid(
        f"{code!r} is not a period code: use a month like 2026-10, a half month like "
        "2026-10-H1 or an ISO week like 2026-W44.",
        field="period",
    )


def period_span(code: str, *, kind: str | None = None) -> PeriodSpan:
    """The span of `code`, which must be of `kind` (default: the configured kind)."""
    span = parse_period_code(code)
    wanted = kind or configured_kind()
    if span.kind != wanted:
        raise PeriodKindMismatch(
            f"The alliance settles by {PeriodKind(wanted).name.lower().replace('_', ' ')}: "
            f"{span.code!r} is a {PeriodKind(span.kind).name.lower().replace('_', ' ')} "
            f"(give a code like {EXAMPLES[PeriodKind(wanted)]}).",
            field="period",
        )
    return span


def period_code_for_date(day: date, *, kind: str | None = None) -> str:
    """The code of the period (of `kind`, default the configured one) holding local `day`."""
    kind = kind or configured_kind()
    if kind == PeriodKind.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    if kind == PeriodKind.HALF_MONTH:
        return f"{day.year:04d}-{day.month:02d}-H{1 if day.day <= 15 else 2}"
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def period_span_containing(moment: datetime, *, kind: str | None = None) -> PeriodSpan:
    if timezone.is_naive(moment):
        raise ValueError("period_span_containing needs an aware datetime")
    local_day = timezone.localtime(moment).date()
    return period_span(period_code_for_date(local_day, kind=kind), kind=kind)


def period_span_after(span: PeriodSpan) -> PeriodSpan:
    return period_span(period_code_for_date(span.end_date, kind=span.kind), kind=span.kind)


def period_span_before(span: PeriodSpan) -> PeriodSpan:
    day = span.start_date - timedelta(days=1)
    return period_span(period_code_for_date(day, kind=span.kind), kind=span.kind)


def period_store(span: PeriodSpan) -> SettlementPeriod:
    """Get or create the row of `span` (safe when two transactions create it at once: the
    second waits on the unique code and then reads the first one's row)."""
    existing = SettlementPeriod.objects.filter(code=span.code).first()
    if existing is not None:
        return existing
    try:
        period, _ = SettlementPeriod.objects.get_or_create(
            code=span.code,
            defaults={
                "kind": span.kind,
                "start_date": span.start_date,
                "end_date": span.end_date,
                "starts_at": span.starts_at,
                "ends_at": span.ends_at,
            },
        )
    except IntegrityError:  # the exclusion constraint: a stored period of another kind
        clash = (
            SettlementPeriod.objects.filter(starts_at__lt=span.ends_at, ends_at__gt=span.starts_at)
            .values_list("code", flat=True)
            .first()
        )
        raise PeriodOverlaps(
            f"{span.code} overlaps the stored period {clash}: was SETTLEMENT_PERIOD changed?",
            field="period",
        ) from None
    return period


def period_for_code(code: str) -> SettlementPeriod:
    """The SettlementPeriod of `code` (of the configured kind), created when new."""
    return period_store(period_span(code))


def period_containing(moment: datetime) -> SettlementPeriod:
    """The SettlementPeriod (of the configured kind) holding `moment`, created when new."""
    return period_store(period_span_containing(moment))


def period_is_open(period: SettlementPeriod | PeriodSpan, *, now: datetime | None = None) -> bool:
    """Started and not yet ended."""
    now = now or timezone.now()
    return period.starts_at <= now < period.ends_at
