"""Minnesota business-day calendar: holidays, observed shifts, city options, due dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civicrecords.errors import UsageError
from civicrecords.requests.calendar import (
    CalendarOptions,
    add_business_days,
    business_days_between,
    holidays,
    is_business_day,
    parse_received,
)

D = date

# Observed holidays per calendar year, worked out by hand from a printed calendar (not from
# the module). A Saturday Jan 1 is observed on Dec 31 of the *previous* year.
EXPECTED: dict[int, set[date]] = {
    2021: {D(2021, 1, 1), D(2021, 1, 18), D(2021, 2, 15), D(2021, 5, 31), D(2021, 6, 18),
           D(2021, 7, 5), D(2021, 9, 6), D(2021, 11, 11), D(2021, 11, 25), D(2021, 12, 24),
           D(2021, 12, 31)},
    2022: {D(2022, 1, 17), D(2022, 2, 21), D(2022, 5, 30), D(2022, 6, 20), D(2022, 7, 4),
           D(2022, 9, 5), D(2022, 11, 11), D(2022, 11, 24), D(2022, 12, 26)},
    2023: {D(2023, 1, 2), D(2023, 1, 16), D(2023, 2, 20), D(2023, 5, 29), D(2023, 6, 19),
           D(2023, 7, 4), D(2023, 9, 4), D(2023, 11, 10), D(2023, 11, 23), D(2023, 12, 25)},
    2024: {D(2024, 1, 1), D(2024, 1, 15), D(2024, 2, 19), D(2024, 5, 27), D(2024, 6, 19),
           D(2024, 7, 4), D(2024, 9, 2), D(2024, 11, 11), D(2024, 11, 28), D(2024, 12, 25)},
    2025: {D(2025, 1, 1), D(2025, 1, 20), D(2025, 2, 17), D(2025, 5, 26), D(2025, 6, 19),
           D(2025, 7, 4), D(2025, 9, 1), D(2025, 11, 11), D(2025, 11, 27), D(2025, 12, 25)},
    2026: {D(2026, 1, 1), D(2026, 1, 19), D(2026, 2, 16), D(2026, 5, 25), D(2026, 6, 19),
           D(2026, 7, 3), D(2026, 9, 7), D(2026, 11, 11), D(2026, 11, 26), D(2026, 12, 25)},
    2027: {D(2027, 1, 1), D(2027, 1, 18), D(2027, 2, 15), D(2027, 5, 31), D(2027, 6, 18),
           D(2027, 7, 5), D(2027, 9, 6), D(2027, 11, 11), D(2027, 11, 25), D(2027, 12, 24),
           D(2027, 12, 31)},
    2028: {D(2028, 1, 17), D(2028, 2, 21), D(2028, 5, 29), D(2028, 6, 19), D(2028, 7, 4),
           D(2028, 9, 4), D(2028, 11, 10), D(2028, 11, 23), D(2028, 12, 25)},
    2029: {D(2029, 1, 1), D(2029, 1, 15), D(2029, 2, 19), D(2029, 5, 28), D(2029, 6, 19),
           D(2029, 7, 4), D(2029, 9, 3), D(2029, 11, 12), D(2029, 11, 22), D(2029, 12, 25)},
    2030: {D(2030, 1, 1), D(2030, 1, 21), D(2030, 2, 18), D(2030, 5, 27), D(2030, 6, 19),
           D(2030, 7, 4), D(2030, 9, 2), D(2030, 11, 11), D(2030, 11, 28), D(2030, 12, 25)},
}  # fmt: skip

# 2nd Monday of October, 4th Thursday of November.
COLUMBUS = {2021: D(2021, 10, 11), 2022: D(2022, 10, 10), 2023: D(2023, 10, 9),
            2024: D(2024, 10, 14), 2025: D(2025, 10, 13), 2026: D(2026, 10, 12),
            2027: D(2027, 10, 11), 2028: D(2028, 10, 9), 2029: D(2029, 10, 8),
            2030: D(2030, 10, 14)}  # fmt: skip
THANKSGIVING = {2021: D(2021, 11, 25), 2022: D(2022, 11, 24), 2023: D(2023, 11, 23),
                2024: D(2024, 11, 28), 2025: D(2025, 11, 27), 2026: D(2026, 11, 26),
                2027: D(2027, 11, 25), 2028: D(2028, 11, 23), 2029: D(2029, 11, 22),
                2030: D(2030, 11, 28)}  # fmt: skip


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_holidays_match_hand_worked_calendar(year: int) -> None:
    assert set(holidays(year)) == EXPECTED[year]


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_every_holiday_is_a_non_business_weekday(year: int) -> None:
    for day in holidays(year):
        assert day.weekday() < 5, f"{day} observed on a weekend"
        assert not is_business_day(day)


@pytest.mark.parametrize("year", range(2000, 2101))
def test_ten_holidays_per_year_always_on_weekdays(year: int) -> None:
    days = holidays(year)
    assert all(day.year == year and day.weekday() < 5 for day in days)
    # Only a Saturday Jan 1 moves a holiday across the year boundary.
    jan1_next_saturday = date(year + 1, 1, 1).weekday() == 5
    jan1_this_saturday = date(year, 1, 1).weekday() == 5
    assert len(days) == 10 + jan1_next_saturday - jan1_this_saturday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2021, 12, 31), "New Year's Day (observed)"),  # Sat 2022-01-01 -> Fri before
        (D(2027, 12, 31), "New Year's Day (observed)"),  # Sat 2028-01-01 -> Fri before
        (D(2023, 1, 2), "New Year's Day (observed)"),  # Sun -> Mon after
        (D(2021, 6, 18), "Juneteenth (observed)"),  # Sat -> Fri
        (D(2022, 6, 20), "Juneteenth (observed)"),  # Sun -> Mon
        (D(2026, 7, 3), "Independence Day (observed)"),  # Sat -> Fri
        (D(2021, 7, 5), "Independence Day (observed)"),  # Sun -> Mon
        (D(2023, 11, 10), "Veterans Day (observed)"),  # Sat -> Fri (no special rule)
        (D(2029, 11, 12), "Veterans Day (observed)"),  # Sun -> Mon
        (D(2021, 12, 24), "Christmas Day (observed)"),  # Sat -> Fri
        (D(2022, 12, 26), "Christmas Day (observed)"),  # Sun -> Mon
    ],
)
def test_weekend_fixed_holidays_shift_saturday_back_sunday_forward(day: date, name: str) -> None:
    assert holidays(day.year)[day] == name
    assert not is_business_day(day)
    shifted_from = day + timedelta(days=1) if day.weekday() == 4 else day - timedelta(days=1)
    assert shifted_from.weekday() in (5, 6)
    assert shifted_from not in holidays(shifted_from.year)


def test_new_years_2022_observed_on_last_day_of_2021() -> None:
    assert D(2021, 12, 31) in holidays(2021)
    assert D(2022, 1, 1) not in holidays(2022)
    assert D(2021, 12, 31) not in holidays(2022)
    assert not is_business_day(D(2021, 12, 31))
    assert add_business_days(D(2021, 12, 30), 1) == D(2022, 1, 3)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 1, 1), "New Year's Day"),
        (D(2026, 1, 19), "Martin Luther King Jr. Day"),
        (D(2026, 2, 16), "Presidents' Day"),
        (D(2026, 5, 25), "Memorial Day"),
        (D(2026, 6, 19), "Juneteenth"),
        (D(2026, 9, 7), "Labor Day"),
        (D(2026, 11, 11), "Veterans Day"),
        (D(2026, 11, 26), "Thanksgiving Day"),
        (D(2026, 12, 25), "Christmas Day"),
    ],
)
def test_holiday_names_without_shift(day: date, name: str) -> None:
    assert holidays(2026)[day] == name


def test_holidays_are_sorted_and_a_fresh_dict() -> None:
    first = holidays(2026)
    assert list(first) == sorted(first)
    first.clear()
    assert len(holidays(2026)) == 10


@pytest.mark.parametrize("year", sorted(COLUMBUS))
def test_columbus_day_only_with_option(year: int) -> None:
    day = COLUMBUS[year]
    assert day.weekday() == 0 and 8 <= day.day <= 14
    assert day not in holidays(year)
    assert is_business_day(day)
    options = CalendarOptions(columbus_day=True)
    assert holidays(year, options)[day] == "Columbus Day"
    assert not is_business_day(day, options)


@pytest.mark.parametrize("year", sorted(THANKSGIVING))
def test_day_after_thanksgiving_only_with_option(year: int) -> None:
    thursday = THANKSGIVING[year]
    assert thursday in EXPECTED[year] and thursday.weekday() == 3
    friday = thursday + timedelta(days=1)
    assert is_business_day(friday)
    options = CalendarOptions(day_after_thanksgiving=True)
    assert holidays(year, options)[friday] == "Day after Thanksgiving"
    assert not is_business_day(friday, options)
    assert COLUMBUS[year] not in holidays(year, options)


def test_due_date_moves_with_day_after_thanksgiving() -> None:
    received = D(2026, 11, 20)
    assert add_business_days(received, 5) == D(2026, 11, 30)
    assert add_business_days(received, 5, CalendarOptions(day_after_thanksgiving=True)) == D(
        2026, 12, 1
    )


def test_extra_closures_are_non_business_days() -> None:
    storm = D(2026, 3, 10)
    options = CalendarOptions(extra_closures=frozenset({storm}))
    assert is_business_day(storm)
    assert not is_business_day(storm, options)
    assert holidays(2026, options)[storm] == "City closure"
    assert storm not in holidays(2027, options)
    assert add_business_days(D(2026, 3, 9), 1, options) == D(2026, 3, 11)


def test_extra_closure_on_a_holiday_keeps_the_holiday_name() -> None:
    options = CalendarOptions(extra_closures=frozenset({D(2026, 12, 25), D(2026, 12, 24)}))
    days = holidays(2026, options)
    assert days[D(2026, 12, 25)] == "Christmas Day"
    assert days[D(2026, 12, 24)] == "City closure"
    assert len(days) == 11


def test_extra_closures_accept_any_iterable_of_dates() -> None:
    options = CalendarOptions(extra_closures={D(2026, 3, 10)})  # type: ignore[arg-type]
    assert options.extra_closures == frozenset({D(2026, 3, 10)})
    assert hash(options) == hash(CalendarOptions(extra_closures=frozenset({D(2026, 3, 10)})))


@pytest.mark.parametrize("bad", [datetime(2026, 3, 10, 9, 0), "2026-03-10"])
def test_extra_closure_must_be_a_date(bad: object) -> None:
    with pytest.raises(UsageError):
        CalendarOptions(extra_closures=frozenset({bad}))  # type: ignore[arg-type]


def test_weekends_are_never_business_days() -> None:
    assert not is_business_day(D(2026, 6, 13))  # Saturday
    assert not is_business_day(D(2026, 6, 14))  # Sunday
    assert is_business_day(D(2026, 6, 15))  # Monday


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 6, 15), D(2026, 6, 30)),  # DOMAIN.md check value (Juneteenth)
        (D(2025, 12, 22), D(2026, 1, 7)),  # DOMAIN.md check value (Christmas, New Year)
        (D(2026, 6, 12), D(2026, 6, 29)),  # Friday
        (D(2026, 6, 13), D(2026, 6, 29)),  # received Saturday: Monday is day 1
        (D(2026, 6, 14), D(2026, 6, 29)),  # received Sunday
        (D(2026, 7, 3), D(2026, 7, 17)),  # received on observed Independence Day
        (D(2021, 12, 31), D(2022, 1, 14)),  # received on New Year's Day (observed)
        (D(2023, 11, 9), D(2023, 11, 27)),  # Veterans Day (Fri) and Thanksgiving inside
    ],
)
def test_ten_business_day_due_dates(received: date, due: date) -> None:
    assert add_business_days(received, 10) == due
    assert business_days_between(received, due) == 10


def test_zero_days_is_receipt_day_or_next_business_day() -> None:
    assert add_business_days(D(2026, 6, 15), 0) == D(2026, 6, 15)
    assert add_business_days(D(2026, 6, 13), 0) == D(2026, 6, 15)  # Saturday -> Monday
    assert add_business_days(D(2026, 7, 3), 0) == D(2026, 7, 6)  # holiday -> Monday


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_add_business_days_rejects_bad_counts(bad: object) -> None:
    with pytest.raises(UsageError):
        add_business_days(D(2026, 6, 15), bad)  # type: ignore[arg-type]


def test_business_days_between_basic_cases() -> None:
    assert business_days_between(D(2026, 6, 15), D(2026, 6, 15)) == 0
    assert business_days_between(D(2026, 6, 30), D(2026, 6, 15)) == 0  # never negative
    assert business_days_between(D(2026, 6, 12), D(2026, 6, 14)) == 0  # Fri -> Sun
    assert business_days_between(D(2026, 6, 12), D(2026, 6, 15)) == 1  # end day counts
    assert business_days_between(D(2026, 6, 18), D(2026, 6, 22)) == 1  # Juneteenth skipped
    storm = CalendarOptions(extra_closures=frozenset({D(2026, 6, 22)}))
    assert business_days_between(D(2026, 6, 18), D(2026, 6, 22), storm) == 0


def test_business_days_between_inverts_add_business_days() -> None:
    options = CalendarOptions(columbus_day=True, day_after_thanksgiving=True)
    start = D(2025, 10, 1)
    for offset in range(0, 120, 3):
        received = start + timedelta(days=offset)
        for n in (1, 2, 5, 10, 30):
            due = add_business_days(received, n, options)
            assert is_business_day(due, options)
            assert business_days_between(received, due, options) == n
            assert business_days_between(received, due - timedelta(days=1), options) == n - 1


def test_datetimes_are_refused() -> None:
    moment = datetime(2026, 6, 15, 9, 0)
    with pytest.raises(UsageError):
        is_business_day(moment)
    with pytest.raises(UsageError):
        add_business_days(moment, 10)
    with pytest.raises(UsageError):
        business_days_between(D(2026, 6, 1), moment)


CENTRAL = ZoneInfo("America/Chicago")


def test_parse_received_date_only_is_local_midnight() -> None:
    parsed = parse_received("2026-06-15", CENTRAL)
    assert parsed == datetime(2026, 6, 15, 0, 0, tzinfo=CENTRAL)
    assert parsed.utcoffset() == timedelta(hours=-5)


def test_parse_received_with_time() -> None:
    parsed = parse_received(" 2026-01-07T16:45 ", CENTRAL)
    assert parsed == datetime(2026, 1, 7, 16, 45, tzinfo=CENTRAL)
    assert parsed.utcoffset() == timedelta(hours=-6)
    assert parsed.date() == D(2026, 1, 7)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2026-6-15",
        "06/15/2026",
        "2026-02-30",
        "2026-06-15T25:00",
        "2026-06-15 10:00",
        "2026-06-15T10:00:00",
        "2026-06-15T10:00-05:00",
        "２０２６-06-15",
        "tomorrow",
    ],
)
def test_parse_received_rejects_other_shapes_with_one_line(bad: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_received(bad, CENTRAL)
    assert "\n" not in str(caught.value)
    assert repr(bad) in str(caught.value)
