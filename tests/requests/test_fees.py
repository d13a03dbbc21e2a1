"""Data Practices fees: inspection, per-page, actual cost, data subjects, waivers, rounding."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from civicrecords.errors import ConfigError, UsageError
from civicrecords.requests.fees import (
    ACTIVITIES,
    REQUIRED_CITATIONS,
    FeeRequest,
    FeeSchedule,
    FeeStatement,
    StaffTime,
    compute_fees,
)

CITATIONS = {
    "inspection": "CITE-INSPECTION",
    "public_copies": "CITE-PER-PAGE",
    "actual_cost": "CITE-ACTUAL",
    "subject_copies": "CITE-SUBJECT",
    "separation": "CITE-SEPARATION",
}
SOURCE = "City Council Resolution 2025-14"


def schedule(**changes: object) -> FeeSchedule:
    """A schedule whose two hourly rates differ, so a mix-up changes the total."""
    base = FeeSchedule(
        staff_hourly_rate=Decimal("30.00"),
        copy_hourly_rate=Decimal("20.00"),
        rate_source=SOURCE,
        citations=CITATIONS,
        media_unit_cost={"usb": Decimal("8.00"), "dvd": Decimal("2.50")},
    )
    return dataclasses.replace(base, **changes)


def fees(sched: FeeSchedule | None = None, **request: object) -> FeeStatement:
    return compute_fees(FeeRequest(**request), sched or schedule())  # type: ignore[arg-type]


SEARCH = StaffTime("search", 30, "Pat", "mailbox search")  # $15.00 at staff rate
RETRIEVAL = StaffTime("retrieval", 12, "Pat")  # $6.00 at staff rate
COPYING = StaffTime("copying", 15, "Lee")  # $5.00 at copy rate
TRANSMIT = StaffTime("transmitting", 6, "Lee")  # $2.00 at copy rate
COMPILING = StaffTime("compiling", 9, "Lee")  # $3.00 at copy rate
REDACTION = StaffTime("redaction", 120, "Sam")  # never charged
REVIEW = StaffTime("review", 45, "Sam")  # never charged
ALL_TIME = (SEARCH, RETRIEVAL, COPYING, TRANSMIT, COMPILING, REDACTION, REVIEW)


def amounts(statement: FeeStatement) -> list[Decimal]:
    return [line.amount for line in statement.lines]


def descriptions(lines: tuple) -> list[str]:  # type: ignore[type-arg]
    return [line.description for line in lines]


# --- inspection ------------------------------------------------------------------------------


@pytest.mark.parametrize("requester", ["public", "subject"])
def test_inspection_is_always_free(requester: str) -> None:
    st = fees(
        requester=requester,
        delivery="inspection",
        pages=500,
        color_or_oversize=True,
        media={"usb": 2},
        staff_time=ALL_TIME,
    )
    assert st.rule == "inspection"
    assert st.lines == ()
    assert st.total == st.subtotal == Decimal("0.00")
    assert len(st.excluded) == len(ALL_TIME) + 1  # every staff entry and the media
    assert {line.basis for line in st.excluded} == {"CITE-INSPECTION", "CITE-SEPARATION"}
    assert all(line.amount == 0 for line in st.excluded)
    assert st.explanation[0].startswith("Rule: inspection")
    assert st.explanation[-2] == "Total: $0.00"


# --- public: flat per-page rule -------------------------------------------------------------


def test_public_paper_per_page_shows_the_arithmetic() -> None:
    st = fees(requester="public", delivery="paper", pages=87)
    assert st.rule == "public_copies"
    assert amounts(st) == [Decimal("21.75")]
    assert st.total == Decimal("21.75")
    assert any("87 pages × $0.25 = $21.75" in line for line in st.explanation)
    assert st.lines[0].basis == "CITE-PER-PAGE"
    assert st.lines[0].quantity == "87 pages"
    assert st.lines[0].rate == "$0.25/page"


def test_per_page_rule_adds_nothing_else() -> None:
    plain = fees(requester="public", delivery="paper", pages=40)
    with_time = fees(requester="public", delivery="paper", pages=40, staff_time=ALL_TIME)
    assert with_time.total == plain.total == Decimal("10.00")
    assert len(with_time.lines) == 1
    assert len(with_time.excluded) == len(ALL_TIME)
    by_name = {line.description.split()[0]: line.basis for line in with_time.excluded}
    assert by_name["search"] == "CITE-PER-PAGE"
    assert by_name["copying"] == "CITE-PER-PAGE"
    assert by_name["redaction"] == "CITE-SEPARATION"


def test_hundred_pages_is_per_page_and_hundred_and_one_is_actual_cost() -> None:
    at_limit = fees(requester="public", delivery="paper", pages=100, staff_time=(SEARCH,))
    assert at_limit.rule == "public_copies"
    assert at_limit.total == Decimal("25.00")
    over = fees(requester="public", delivery="paper", pages=101, staff_time=(SEARCH,))
    assert over.rule == "actual_cost"
    assert amounts(over) == [Decimal("15.00")]  # search time; pages are not charged per page
    assert "101 pages > 100" in over.explanation[0]
    assert any("101 pages: charged as copying time" in line for line in over.explanation)


def test_page_limit_comes_from_the_schedule() -> None:
    sched = schedule(paper_page_limit=50)
    assert fees(sched, requester="public", delivery="paper", pages=50).rule == "public_copies"
    assert fees(sched, requester="public", delivery="paper", pages=51).rule == "actual_cost"


@pytest.mark.parametrize(
    ("pages", "expected", "lines"),
    [
        (100, Decimal("25.00"), 1),  # 50 two-sided copies × $0.50
        (87, Decimal("21.75"), 2),  # 43 × $0.50 + last page one-sided $0.25
        (1, Decimal("0.25"), 1),  # a single page cannot be two-sided
        (0, Decimal("0.00"), 1),
    ],
)
def test_two_sided_copies(pages: int, expected: Decimal, lines: int) -> None:
    st = fees(requester="public", delivery="paper", pages=pages, two_sided=True)
    assert st.rule == "public_copies"
    assert st.total == expected
    assert len(st.lines) == lines


def test_two_sided_rate_comes_from_the_schedule() -> None:
    sched = schedule(per_page_two_sided=Decimal("0.40"))
    st = fees(sched, requester="public", delivery="paper", pages=10, two_sided=True)
    assert st.total == Decimal("2.00")
    assert any("10 pages two-sided = 5 copies × $0.40 = $2.00" in x for x in st.explanation)
    one_sided = fees(sched, requester="public", delivery="paper", pages=10)
    assert one_sided.total == Decimal("2.50")


# --- public: actual cost --------------------------------------------------------------------


def test_color_or_oversize_is_actual_cost_even_for_few_pages() -> None:
    st = fees(
        requester="public",
        delivery="paper",
        pages=10,
        color_or_oversize=True,
        staff_time=(SEARCH, COPYING),
    )
    assert st.rule == "actual_cost"
    assert "color or oversize" in st.explanation[0]
    assert amounts(st) == [Decimal("15.00"), Decimal("5.00")]


def test_electronic_copies_charge_search_and_copy_time_at_their_own_rates() -> None:
    st = fees(requester="public", delivery="electronic", staff_time=ALL_TIME, media={"usb": 2})
    assert st.rule == "actual_cost"
    assert descriptions(st.lines) == [
        "search by Pat (mailbox search)",
        "retrieval by Pat",
        "copying by Lee",
        "transmitting by Lee",
        "compiling by Lee",
        "media: usb",
    ]
    assert amounts(st) == [Decimal(x) for x in ("15.00", "6.00", "5.00", "2.00", "3.00", "16.00")]
    assert st.subtotal == st.total == Decimal("47.00")
    assert {line.basis for line in st.lines} == {"CITE-ACTUAL"}
    assert "30 min ÷ 60 × $30.00/hour = $15.00" in st.explanation[1]
    assert "media: usb: 2 × $8.00 = $16.00" in st.explanation


def test_media_on_a_small_paper_request_switches_to_actual_cost() -> None:
    st = fees(requester="public", delivery="paper", pages=20, media={"dvd": 1})
    assert st.rule == "actual_cost"
    assert st.total == Decimal("2.50")


def test_zero_media_units_do_not_count() -> None:
    st = fees(requester="public", delivery="paper", pages=20, media={"dvd": 0})
    assert st.rule == "public_copies"
    assert st.total == Decimal("5.00")


# --- never charge for separating public from not-public data --------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"requester": "public", "delivery": "electronic"},
        {"requester": "public", "delivery": "paper", "pages": 300},
        {"requester": "public", "delivery": "paper", "pages": 30},
        {"requester": "subject", "delivery": "electronic"},
        {"requester": "subject", "delivery": "paper", "pages": 30},
    ],
)
def test_redaction_and_review_time_is_never_charged(request_kwargs: dict) -> None:  # type: ignore[type-arg]
    without = fees(**request_kwargs, staff_time=(SEARCH, COPYING))
    with_sep = fees(**request_kwargs, staff_time=(SEARCH, REDACTION, COPYING, REVIEW))
    assert with_sep.total == without.total
    assert not any(d.startswith(("redaction", "review")) for d in descriptions(with_sep.lines))
    separated = [line for line in with_sep.excluded if line.basis == "CITE-SEPARATION"]
    assert descriptions(tuple(separated)) == ["redaction by Sam", "review by Sam"]
    assert [line.quantity for line in separated] == ["120 min", "45 min"]
    assert any(
        "Not charged: redaction by Sam, 120 min" in x and "CITE-SEPARATION" in x
        for x in with_sep.explanation
    )


# --- data subject -----------------------------------------------------------------------------


def test_data_subject_pays_only_for_making_copies() -> None:
    st = fees(requester="subject", delivery="electronic", staff_time=ALL_TIME, media={"usb": 1})
    assert st.rule == "subject_copies"
    assert descriptions(st.lines) == [
        "copying by Lee",
        "transmitting by Lee",
        "compiling by Lee",
        "media: usb",
    ]
    assert st.total == Decimal("18.00")  # 5 + 2 + 3 + 8
    assert {line.basis for line in st.lines} == {"CITE-SUBJECT"}
    not_charged = {line.description: line.basis for line in st.excluded}
    assert not_charged["search by Pat (mailbox search)"] == "CITE-SUBJECT"
    assert not_charged["retrieval by Pat"] == "CITE-SUBJECT"
    assert not_charged["redaction by Sam"] == "CITE-SEPARATION"


def test_data_subject_paper_copies_are_actual_cost_not_per_page() -> None:
    st = fees(requester="subject", delivery="paper", pages=40)
    assert st.rule == "subject_copies"
    assert st.total == Decimal("0.00")  # no per-page charge for a subject
    timed = fees(requester="subject", delivery="paper", pages=40, staff_time=(COPYING,))
    assert timed.total == Decimal("5.00")


def test_subject_never_pays_search_even_over_the_page_limit() -> None:
    st = fees(requester="subject", delivery="paper", pages=400, staff_time=(SEARCH, RETRIEVAL))
    assert st.total == Decimal("0.00")
    assert len(st.excluded) == 2


# --- waiver -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "waived", "total"),
    [
        (20, True, Decimal("0.00")),  # $5.00 == threshold -> waived
        (19, True, Decimal("0.00")),  # $4.75 below threshold -> waived
        (21, False, Decimal("5.25")),  # $5.25 above threshold -> charged
    ],
)
def test_waiver_threshold_boundary(pages: int, waived: bool, total: Decimal) -> None:
    sched = schedule(waiver_threshold=Decimal("5.00"))
    st = fees(sched, requester="public", delivery="paper", pages=pages)
    assert st.waived is waived
    assert st.total == total
    assert st.subtotal == Decimal(pages) * Decimal("0.25")
    if waived:
        assert any(x.startswith("Waived: subtotal") and SOURCE in x for x in st.explanation)
    else:
        assert "Not waived: subtotal $5.25 > waiver threshold $5.00" in st.explanation


def test_no_threshold_never_waives_and_zero_is_not_waived() -> None:
    assert fees(requester="public", delivery="paper", pages=1).waived is False
    sched = schedule(waiver_threshold=Decimal("5.00"))
    free = fees(sched, requester="public", delivery="inspection")
    assert free.waived is False
    assert not any("aived" in x for x in free.explanation)


def test_waiver_uses_its_own_citation_when_configured() -> None:
    sched = schedule(waiver_threshold=Decimal("5.00"), citations={**CITATIONS, "waiver": "W-1"})
    st = fees(sched, requester="public", delivery="paper", pages=4)
    assert st.waived
    assert any(x.startswith("Waived:") and "(W-1)" in x for x in st.explanation)


# --- rounding ---------------------------------------------------------------------------------


def test_each_line_rounds_half_up_to_cents() -> None:
    sched = schedule(staff_hourly_rate=Decimal("7.50"))
    one_minute = StaffTime("search", 1, "Pat")  # 7.50 / 60 = 0.125
    st = fees(sched, requester="public", delivery="electronic", staff_time=(one_minute,) * 3)
    assert amounts(st) == [Decimal("0.13")] * 3  # half-up, not banker's 0.12
    assert st.total == Decimal("0.39")  # rounded per line, not 0.375 -> 0.38


def test_rounding_of_per_page_and_odd_minutes() -> None:
    sched = schedule(per_page=Decimal("0.125"), copy_hourly_rate=Decimal("31.50"))
    st = fees(sched, requester="public", delivery="paper", pages=3)
    assert st.total == Decimal("0.38")
    assert any("3 pages × $0.125 = $0.38" in x for x in st.explanation)
    copy = StaffTime("copying", 7, "Lee")  # 7 × 31.50 / 60 = 3.675
    timed = fees(sched, requester="subject", delivery="electronic", staff_time=(copy,))
    assert timed.total == Decimal("3.68")
    assert all(line.amount.as_tuple().exponent == -2 for line in timed.lines)


# --- statement shape --------------------------------------------------------------------------


def test_statement_to_dict_is_json_with_string_amounts() -> None:
    st = fees(requester="public", delivery="electronic", staff_time=(SEARCH, REDACTION))
    data = json.loads(json.dumps(st.to_dict()))
    assert data["rule"] == "actual_cost"
    assert data["total"] == data["subtotal"] == "15.00"
    assert data["waived"] is False
    assert data["rate_source"] == SOURCE
    assert data["lines"][0] == {
        "description": "search by Pat (mailbox search)",
        "quantity": "30 min",
        "rate": "$30.00/hour",
        "amount": "15.00",
        "basis": "CITE-ACTUAL",
    }
    assert data["excluded"][0]["amount"] == "0.00"
    assert data["explanation"][-1] == f"Rates: {SOURCE}"


def test_every_printed_citation_comes_from_the_schedule() -> None:
    renamed = {key: f"Resolution §{i}" for i, key in enumerate(REQUIRED_CITATIONS)}
    sched = schedule(citations=renamed)
    for kwargs in (
        {"requester": "public", "delivery": "inspection"},
        {"requester": "public", "delivery": "paper", "pages": 5},
        {"requester": "public", "delivery": "electronic"},
        {"requester": "subject", "delivery": "electronic"},
    ):
        st = fees(sched, **kwargs, staff_time=ALL_TIME)
        for line in st.lines + st.excluded:
            assert line.basis in renamed.values()
        assert "CITE-" not in json.dumps(st.to_dict())
        assert "13." not in " ".join(st.explanation)  # no hard-coded statute numbers


def test_subtotal_is_sum_of_rounded_lines() -> None:
    st = fees(requester="public", delivery="electronic", staff_time=ALL_TIME, media={"dvd": 3})
    assert st.subtotal == sum(amounts(st))
    assert st.explanation[-3] == f"Subtotal: ${st.subtotal}"


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requester": "public", "delivery": "paper", "pages": -1},
        {"requester": "public", "delivery": "paper", "pages": 2.5},
        {"requester": "public", "delivery": "paper", "media": {"usb": -1}},
        {"requester": "press", "delivery": "paper"},
        {"requester": "public", "delivery": "fax"},
        {"requester": "public", "delivery": "paper", "staff_time": ("search 5",)},
    ],
)
def test_bad_requests_raise_usage_error(kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(UsageError):
        FeeRequest(**kwargs)


@pytest.mark.parametrize(
    ("activity", "minutes"), [("search", -5), ("search", True), ("lunch", 5), ("copying", 1.5)]
)
def test_bad_staff_time_raises_usage_error(activity: str, minutes: int) -> None:
    with pytest.raises(UsageError):
        StaffTime(activity, minutes, "Pat")


def test_activities_are_the_documented_set() -> None:
    assert sorted(ACTIVITIES) == sorted(
        ["search", "retrieval", "copying", "compiling", "transmitting", "redaction", "review"]
    )


def test_unknown_media_raises_usage_error() -> None:
    with pytest.raises(UsageError, match="blu-ray"):
        fees(requester="public", delivery="electronic", media={"blu-ray": 1})


@pytest.mark.parametrize(
    "changes",
    [
        {"staff_hourly_rate": Decimal("-1")},
        {"copy_hourly_rate": 20.0},
        {"per_page": Decimal("NaN")},
        {"waiver_threshold": Decimal("-0.01")},
        {"media_unit_cost": {"usb": Decimal("-8")}},
        {"paper_page_limit": -1},
        {"rate_source": " "},
        {"citations": {k: v for k, v in CITATIONS.items() if k != "separation"}},
        {"citations": {**CITATIONS, "actual_cost": ""}},
    ],
)
def test_bad_schedule_raises_config_error(changes: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError):
        schedule(**changes)


def test_schedule_is_not_changed_by_later_edits_to_the_callers_dicts() -> None:
    costs = {"usb": Decimal("8.00")}
    sched = schedule(media_unit_cost=costs)
    costs["usb"] = Decimal("80.00")
    assert fees(sched, requester="public", delivery="electronic", media={"usb": 1}).total == (
        Decimal("8.00")
    )
