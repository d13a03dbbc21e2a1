"""Minnesota business days for request deadlines (Minn. Stat. 645.15, 645.44 subd. 5).

A business day is a Monday–Friday that is not an observed holiday and not a city closure.
Holidays are the ten in DOMAIN.md ("Business days") plus the per-city options in
``CalendarOptions``. Every fixed-date holiday (New Year's Day, Juneteenth, Independence Day,
Veterans Day, Christmas) that falls on a Saturday is observed the Friday before and on a Sunday
the Monday after; no other shifting rule is applied (in particular no Veterans Day exception).
So 2022-01-01 (a Saturday) is observed on 2021-12-31 and appears in ``holidays(2021)``.

All functions are pure: no clock, no I/O, no configuration reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType

from civicrecords.errors import UsageError

__all__ = [
    "CalendarOptions",
    "add_business_days",
    "business_days_between",
    "holidays",
    "is_business_day",
    "parse_received",
]

_ONE_DAY = timedelta(days=1)
_MON, _THU, _SAT, _SUN = 0, 3, 5, 6
CITY_CLOSURE = "City closure"
OBSERVED_SUFFIX = " (observed)"


@dataclass(frozen=True)
class CalendarOptions:
    """Per-city additions to the statutory holiday list.

    Attributes:
        columbus_day: treat Columbus Day (2nd Monday of October) as a holiday.
        day_after_thanksgiving: treat the Friday after Thanksgiving as a holiday.
        extra_closures: city-specific closure dates (e.g. a weather closure). Each is a
            non-business day exactly as given; closures are never shifted off weekends.
            Any iterable of ``date`` is accepted and stored as a ``frozenset``.

    Raises ``UsageError`` if a closure is not a plain ``date`` (a ``datetime`` is refused,
    because comparing it with dates would silently never match).
    """

    columbus_day: bool = False
    day_after_thanksgiving: bool = False
    extra_closures: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        given: Iterable[object] = self.extra_closures
        closures = tuple(given)
        for value in closures:
            if isinstance(value, datetime) or not isinstance(value, date):
                raise UsageError(f"extra closure {value!r} is not a date (YYYY-MM-DD)")
        if not isinstance(self.extra_closures, frozenset):
            object.__setattr__(self, "extra_closures", frozenset(closures))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    next_month = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last = next_month - _ONE_DAY
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date, name: str) -> tuple[date, str]:
    """Shift a fixed-date holiday off a weekend: Saturday → Friday before, Sunday → Monday."""
    if day.weekday() == _SAT:
        return day - _ONE_DAY, name + OBSERVED_SUFFIX
    if day.weekday() == _SUN:
        return day + _ONE_DAY, name + OBSERVED_SUFFIX
    return day, name


def _holidays_of(year: int, options: CalendarOptions) -> list[tuple[date, str]]:
    """Observed holidays defined by `year`'s calendar (one may land on Dec 31 of year - 1)."""
    thanksgiving = _nth_weekday(year, 11, _THU, 4)
    days = [
        _observed(date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, _MON, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, _MON, 3), "Presidents' Day"),
        (_last_weekday(year, 5, _MON), "Memorial Day"),
        _observed(date(year, 6, 19), "Juneteenth"),
        _observed(date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, _MON, 1), "Labor Day"),
        _observed(date(year, 11, 11), "Veterans Day"),
        (thanksgiving, "Thanksgiving Day"),
        _observed(date(year, 12, 25), "Christmas Day"),
    ]
    if options.columbus_day:
        days.append((_nth_weekday(year, 10, _MON, 2), "Columbus Day"))
    if options.day_after_thanksgiving:
        days.append((thanksgiving + _ONE_DAY, "Day after Thanksgiving"))
    return days


@lru_cache(maxsize=512)
def _cached_holidays(year: int, options: CalendarOptions) -> MappingProxyType[date, str]:
    found: dict[date, str] = {}
    for source_year in (year, year + 1):
        if source_year > 9999:
            continue
        for day, name in _holidays_of(source_year, options):
            if day.year == year:
                found.setdefault(day, name)
    for day in sorted(options.extra_closures):
        if day.year == year:
            found.setdefault(day, CITY_CLOSURE)
    return MappingProxyType(dict(sorted(found.items())))


def holidays(year: int, options: CalendarOptions = CalendarOptions()) -> dict[date, str]:
    """Return the observed holidays and city closures whose date falls in `year`.

    Guarantees: keys are the *observed* dates that fall in calendar year `year` (so the
    observance of the next year's New Year's Day on Dec 31 is included, and a Saturday
    Jan 1 of `year` itself is not); values are names, with " (observed)" appended when a
    fixed-date holiday was shifted off a weekend. City closures from ``options`` are
    included as "City closure" unless a holiday already falls on that date. The result is
    sorted by date and is a fresh dict the caller may modify.
    """
    return dict(_cached_holidays(year, options))


def _require_date(day: object, what: str) -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise UsageError(f"{what} must be a date, not {day!r} (convert to the city's local date)")


def is_business_day(day: date, options: CalendarOptions = CalendarOptions()) -> bool:
    """Return True when `day` is a Monday–Friday that is neither a holiday nor a closure.

    Raises ``UsageError`` if `day` is a ``datetime`` or not a date at all.
    """
    _require_date(day, "day")
    return day.weekday() < _SAT and day not in _cached_holidays(day.year, options)


def add_business_days(
    received: date, days: int, options: CalendarOptions = CalendarOptions()
) -> date:
    """Return the due date `days` business days after `received`.

    Counting starts on the day after receipt and counts only business days, so for
    ``days >= 1`` the result is always a business day strictly after `received`. A request
    received on a weekend or holiday is not moved first: the next business day is day 1.
    For ``days == 0`` the result is `received` itself, moved forward to the next business
    day if it is not one. Raises ``UsageError`` for negative `days` or a non-date.
    """
    _require_date(received, "received")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise UsageError(f"business days must be a whole number >= 0, got {days!r}")
    current = received
    remaining = days
    while remaining > 0:
        current += _ONE_DAY
        if is_business_day(current, options):
            remaining -= 1
    while not is_business_day(current, options):
        current += _ONE_DAY
    return current


def business_days_between(
    start: date, end: date, options: CalendarOptions = CalendarOptions()
) -> int:
    """Return the number of business days after `start` up to and including `end`.

    Guarantees: 0 when ``end <= start``, never negative, and
    ``business_days_between(d, add_business_days(d, n)) == n`` for every ``n >= 1``.
    Raises ``UsageError`` if either argument is a ``datetime`` or not a date.
    """
    _require_date(start, "start")
    _require_date(end, "end")
    count = 0
    current = start + _ONE_DAY
    while current <= end:
        if is_business_day(current, options):
            count += 1
        current += _ONE_DAY
    return count


_RECEIVED_RE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?", re.ASCII)


def parse_received(value: str, tz: tzinfo) -> datetime:
    """Parse a receipt time given as ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` in zone `tz`.

    Returns an aware ``datetime`` with ``tzinfo=tz`` (midnight when only a date is given);
    surrounding whitespace is ignored. `tz` should be a ``zoneinfo.ZoneInfo`` (or any tzinfo
    that works with ``datetime(..., tzinfo=tz)``). Raises ``UsageError`` with a one-line
    message for any other shape or for an impossible date or time.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not _RECEIVED_RE.fullmatch(text):
        raise UsageError(f"received time {value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    fmt = "%Y-%m-%dT%H:%M" if "T" in text else "%Y-%m-%d"
    try:
        parsed = datetime.strptime(text, fmt)
    except ValueError as exc:
        raise UsageError(f"received time {value!r} is not a real date/time: {exc}") from None
    return parsed.replace(tzinfo=tz)
