"""Copy and inspection fees under the Data Practices Act (Minn. Stat. 13.03 subd. 3(c), 13.04).

``compute_fees`` turns a ``FeeRequest`` (who asks, how the data is delivered, pages, media,
logged staff time) and a ``FeeSchedule`` (rates, their source, every citation string) into a
``FeeStatement``: each charged line, each line *not* charged and why, and the arithmetic in
words. Money is ``Decimal``; each line is rounded to cents with ROUND_HALF_UP and totals are
exact sums of rounded lines. No citation is hard-coded: all come from the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Literal

from civicrecords.errors import ConfigError, UsageError

__all__ = [
    "ACTIVITIES",
    "REQUIRED_CITATIONS",
    "FeeLine",
    "FeeRequest",
    "FeeSchedule",
    "FeeStatement",
    "StaffTime",
    "compute_fees",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SEARCH_ACTIVITIES = frozenset({"search", "retrieval"})
COPY_ACTIVITIES = frozenset({"copying", "compiling", "transmitting"})
SEPARATION_ACTIVITIES = frozenset({"redaction", "review"})
ACTIVITIES = SEARCH_ACTIVITIES | COPY_ACTIVITIES | SEPARATION_ACTIVITIES
REQUIRED_CITATIONS = ("inspection", "public_copies", "actual_cost", "subject_copies", "separation")
# Rule ids; each is also the key of the citation printed for it.
RULE_INSPECTION, RULE_PER_PAGE = "inspection", "public_copies"
RULE_ACTUAL_COST, RULE_SUBJECT = "actual_cost", "subject_copies"


def _amount_ok(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value >= 0


def _count_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _money(value: Decimal) -> str:
    return f"${value:,.2f}" if value == value.quantize(CENT) else f"${value:,f}"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class FeeSchedule:
    """A city's fee rates, where they come from, and the citation printed for each rule.

    ``citations`` must hold a non-empty string for every key in ``REQUIRED_CITATIONS``
    (``separation`` is printed on every redaction/review line); an optional ``waiver`` key is
    printed when a charge is waived (``rate_source`` otherwise). ``media_unit_cost`` prices any
    unit-counted material: usb, dvd, paper_sheet, postage... ``waiver_threshold`` waives a
    subtotal that is above zero and at most the threshold. Raises ``ConfigError`` naming the
    field for a missing citation, a negative, non-Decimal or non-finite amount, or a bad limit.
    """

    staff_hourly_rate: Decimal
    copy_hourly_rate: Decimal
    rate_source: str
    citations: Mapping[str, str]
    per_page: Decimal = Decimal("0.25")
    per_page_two_sided: Decimal = Decimal("0.50")
    paper_page_limit: int = 100
    media_unit_cost: Mapping[str, Decimal] = field(default_factory=dict)
    waiver_threshold: Decimal | None = None

    def __post_init__(self) -> None:
        names = ["staff_hourly_rate", "copy_hourly_rate", "per_page", "per_page_two_sided"]
        if self.waiver_threshold is not None:
            names.append("waiver_threshold")
        amounts = {name: getattr(self, name) for name in names}
        amounts.update({f"media_unit_cost[{k!r}]": v for k, v in self.media_unit_cost.items()})
        for name, value in amounts.items():
            if not _amount_ok(value):
                raise ConfigError(f"fee schedule: {name} must be a Decimal >= 0, got {value!r}")
        if not _count_ok(self.paper_page_limit):
            raise ConfigError(
                f"fee schedule: paper_page_limit must be an integer >= 0, "
                f"got {self.paper_page_limit!r}"
            )
        if not isinstance(self.rate_source, str) or not self.rate_source.strip():
            raise ConfigError("fee schedule: rate_source must name where the rates come from")
        given = {k: v for k, v in self.citations.items() if isinstance(v, str) and v.strip()}
        missing = [k for k in REQUIRED_CITATIONS if k not in given]
        if missing:
            raise ConfigError(f"fee schedule: missing citation(s): {', '.join(missing)}")
        object.__setattr__(self, "citations", MappingProxyType(dict(self.citations)))
        object.__setattr__(self, "media_unit_cost", MappingProxyType(dict(self.media_unit_cost)))


@dataclass(frozen=True)
class StaffTime:
    """Logged staff time: `activity` is one of ``ACTIVITIES``; `minutes` a whole number >= 0.

    Raises ``UsageError`` for an unknown activity or negative/non-integer minutes.
    """

    activity: str
    minutes: int
    staff: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.activity not in ACTIVITIES:
            raise UsageError(
                f"unknown staff activity {self.activity!r}; "
                f"expected one of: {', '.join(sorted(ACTIVITIES))}"
            )
        if not _count_ok(self.minutes):
            raise UsageError(f"staff minutes must be a whole number >= 0, got {self.minutes!r}")

    @property
    def label(self) -> str:
        """The activity with staff and note, as printed on fee lines."""
        who = f" by {self.staff}" if self.staff else ""
        why = f" ({self.note})" if self.note else ""
        return f"{self.activity}{who}{why}"


@dataclass(frozen=True)
class FeeRequest:
    """What was asked for and what fulfilling it took.

    ``pages`` counts page sides; ``media`` maps a media kind (a key of the schedule's
    ``media_unit_cost``) to units used. Raises ``UsageError`` for an unknown requester or
    delivery, negative pages or media counts. ``media`` and ``staff_time`` are copied (read-only).
    """

    requester: Literal["public", "subject"]
    delivery: Literal["inspection", "paper", "electronic"]
    pages: int = 0
    two_sided: bool = False
    color_or_oversize: bool = False
    media: Mapping[str, int] = field(default_factory=dict)
    staff_time: tuple[StaffTime, ...] = ()

    def __post_init__(self) -> None:
        if self.requester not in ("public", "subject"):
            raise UsageError(f"requester must be 'public' or 'subject', got {self.requester!r}")
        if self.delivery not in ("inspection", "paper", "electronic"):
            raise UsageError(
                f"delivery must be 'inspection', 'paper' or 'electronic', got {self.delivery!r}"
            )
        if not _count_ok(self.pages):
            raise UsageError(f"pages must be a whole number >= 0, got {self.pages!r}")
        for kind, count in self.media.items():
            if not _count_ok(count):
                raise UsageError(f"media {kind!r} count must be a whole number >= 0, got {count!r}")
        entries = tuple(self.staff_time)
        if not all(isinstance(e, StaffTime) for e in entries):
            raise UsageError("staff_time must contain StaffTime entries")
        object.__setattr__(self, "staff_time", entries)
        object.__setattr__(self, "media", MappingProxyType(dict(self.media)))


@dataclass(frozen=True)
class FeeLine:
    """One charged (or excluded) line; `basis` is a citation string from the schedule."""

    description: str
    quantity: str
    rate: str
    amount: Decimal
    basis: str

    def to_dict(self) -> dict[str, str]:
        """Return the line as JSON-ready strings (amount as e.g. ``"21.75"``)."""
        return {**asdict(self), "amount": str(self.amount)}


@dataclass(frozen=True)
class FeeStatement:
    """The result: charged lines, excluded lines, totals, the rule used and the arithmetic.

    Guarantees: ``subtotal`` is the exact sum of ``lines`` amounts; excluded lines have amount
    0.00; ``total`` is 0.00 when ``waived`` and ``subtotal`` otherwise.
    """

    rule: str
    lines: tuple[FeeLine, ...]
    excluded: tuple[FeeLine, ...]
    subtotal: Decimal
    waived: bool
    total: Decimal
    rate_source: str
    explanation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data; amounts are decimal strings, never floats."""
        data = asdict(self)
        data.update(subtotal=str(self.subtotal), total=str(self.total))
        data.update(lines=[x.to_dict() for x in self.lines], explanation=list(self.explanation))
        data["excluded"] = [x.to_dict() for x in self.excluded]
        return data


class _Builder:
    """Collects charged and excluded lines, with their explanation sentences, under one basis."""

    def __init__(self, basis: str) -> None:
        self.basis = basis
        self.lines: list[FeeLine] = []
        self.excluded: list[FeeLine] = []
        self.notes: list[str] = []

    def charge(self, what: str, qty: str, rate: str, amount: Decimal, arithmetic: str) -> None:
        self.lines.append(FeeLine(what, qty, rate, amount, self.basis))
        self.notes.append(f"{what}: {arithmetic} = {_money(amount)}")

    def exclude(self, what: str, qty: str, reason: str, basis: str | None = None) -> None:
        line = FeeLine(what, qty, "not charged", ZERO, basis or self.basis)
        self.excluded.append(line)
        self.notes.append(f"Not charged: {what}, {qty} — {reason} ({line.basis})")

    def staff(self, entry: StaffTime, hourly: Decimal) -> None:
        amount = _cents(Decimal(entry.minutes) * hourly / 60)
        rate, qty = f"{_money(hourly)}/hour", f"{entry.minutes} min"
        self.charge(entry.label, qty, rate, amount, f"{qty} ÷ 60 × {rate}")


def _rule_for(request: FeeRequest, schedule: FeeSchedule) -> tuple[str, str]:
    """Return (rule, one-line reason) for the request."""
    if request.delivery == "inspection":
        return RULE_INSPECTION, "inspection of data is free"
    if request.requester == "subject":
        return RULE_SUBJECT, "data subject: actual cost of making copies only"
    limit = schedule.paper_page_limit
    reasons = [
        f"{request.delivery} copies" if request.delivery != "paper" else "",
        f"{request.pages} pages > {limit}" if request.pages > limit else "",
        "color or oversize copies" if request.color_or_oversize else "",
        "media requested" if any(request.media.values()) else "",
    ]
    if not any(reasons):
        pages = f"{request.pages} black-and-white letter/legal paper pages (≤ {limit})"
        return RULE_PER_PAGE, f"public requester, {pages}: flat per-page charge, nothing added"
    return RULE_ACTUAL_COST, f"public requester, {', '.join(filter(None, reasons))}: actual cost"


def _per_page_lines(b: _Builder, request: FeeRequest, schedule: FeeSchedule) -> None:
    one, two = _money(schedule.per_page), _money(schedule.per_page_two_sided)
    if not request.two_sided:
        qty = f"{request.pages} pages"
        amount = _cents(request.pages * schedule.per_page)
        b.charge("Paper copies (one-sided)", qty, f"{one}/page", amount, f"{qty} × {one}")
        return
    copies, single = divmod(request.pages, 2)
    if copies or not single:
        qty = f"{copies} two-sided copies ({2 * copies} pages)"
        amount = _cents(copies * schedule.per_page_two_sided)
        arithmetic = f"{2 * copies} pages two-sided = {copies} copies × {two}"
        b.charge("Paper copies (two-sided)", qty, f"{two}/two-sided copy", amount, arithmetic)
    if single:
        amount = _cents(schedule.per_page)
        b.charge(
            "Paper copies (last page one-sided)", "1 page", f"{one}/page", amount, f"1 page × {one}"
        )


def _staff_lines(b: _Builder, request: FeeRequest, schedule: FeeSchedule, rule: str) -> None:
    for entry in request.staff_time:
        qty = f"{entry.minutes} min"
        if entry.activity in SEPARATION_ACTIVITIES:
            reason = "separating public from not-public data is never charged"
            b.exclude(entry.label, qty, reason, schedule.citations["separation"])
        elif rule == RULE_INSPECTION:
            b.exclude(entry.label, qty, "inspection is free")
        elif rule == RULE_PER_PAGE:
            b.exclude(entry.label, qty, "the flat per-page charge includes all staff time")
        elif entry.activity in SEARCH_ACTIVITIES and rule == RULE_SUBJECT:
            b.exclude(entry.label, qty, "a data subject pays only for making copies")
        elif entry.activity in SEARCH_ACTIVITIES:
            b.staff(entry, schedule.staff_hourly_rate)
        else:
            b.staff(entry, schedule.copy_hourly_rate)


def _media_lines(b: _Builder, request: FeeRequest, schedule: FeeSchedule, rule: str) -> None:
    for kind, count in sorted(request.media.items()):
        if count and rule == RULE_INSPECTION:
            b.exclude(f"media: {kind}", str(count), "inspection is free")
        elif count:
            unit = _money(schedule.media_unit_cost[kind])
            amount = _cents(count * schedule.media_unit_cost[kind])
            b.charge(f"media: {kind}", str(count), f"{unit} each", amount, f"{count} × {unit}")


def _waiver_note(subtotal: Decimal, schedule: FeeSchedule) -> tuple[bool, list[str]]:
    threshold = schedule.waiver_threshold
    if threshold is None or subtotal == ZERO:
        return False, []
    compared = f"subtotal {_money(subtotal)} %s waiver threshold {_money(threshold)}"
    if subtotal > threshold:
        return False, ["Not waived: " + compared % ">"]
    basis = schedule.citations.get("waiver", schedule.rate_source)
    return True, [f"Waived: {compared % '≤'} ({basis})"]


def compute_fees(request: FeeRequest, schedule: FeeSchedule) -> FeeStatement:
    """Compute the fee statement for `request` under `schedule`, applying exactly one rule.

    The rule id (``FeeStatement.rule``) is also the citations key printed on its lines:

    - ``inspection``: always free; every entry is listed as excluded.
    - ``public_copies``: public requester, paper, at most ``paper_page_limit`` black-and-white
      letter/legal pages, no media units: a flat charge per page and nothing else. ``pages``
      counts page sides; when ``two_sided`` each pair of pages is one two-sided copy at
      ``per_page_two_sided`` and an odd last page is a one-sided copy at ``per_page``.
    - ``actual_cost``: any other public request: search and retrieval time at
      ``staff_hourly_rate``, copying/compiling/transmitting time at ``copy_hourly_rate``, and
      media units at ``media_unit_cost``. Pages are not charged per page; paper or postage is
      charged only if the city prices it as a media unit (e.g. ``"paper_sheet"``).
    - ``subject_copies``: data subject: only the actual cost of making copies, i.e. copying,
      compiling and transmitting time plus media units. The per-page rate is never used (it is
      a cap for public requesters, not a measure of actual cost); search and retrieval time
      are excluded.

    Guarantees: redaction and review time never appear in ``lines``; a data subject is never
    charged search or retrieval time; inspection and an empty request cost 0.00; every line's
    ``basis`` is a string from ``schedule.citations``; ``explanation`` shows the rule, each
    line's arithmetic, each exclusion, the subtotal, any waiver and the total. Raises
    ``UsageError`` if a media kind has no unit cost in the schedule.
    """
    unknown = sorted(k for k in request.media if k not in schedule.media_unit_cost)
    if unknown:
        known = "configured: " + (", ".join(sorted(schedule.media_unit_cost)) or "none")
        raise UsageError(f"no unit cost configured for media: {', '.join(unknown)} ({known})")
    rule, reason = _rule_for(request, schedule)
    b = _Builder(schedule.citations[rule])
    if rule == RULE_PER_PAGE:
        _per_page_lines(b, request, schedule)
    elif request.pages and rule != RULE_INSPECTION:
        b.notes.append(f"{request.pages} pages: charged as copying time and materials only")
    _staff_lines(b, request, schedule, rule)
    _media_lines(b, request, schedule, rule)
    subtotal = sum((line.amount for line in b.lines), ZERO)
    waived, waiver = _waiver_note(subtotal, schedule)
    total = ZERO if waived else subtotal
    explanation = (
        f"Rule: {reason} ({b.basis})",
        *b.notes,
        f"Subtotal: {_money(subtotal)}",
        *waiver,
        f"Total: {_money(total)}",
        f"Rates: {schedule.rate_source}",
    )
    lines, source = (tuple(b.lines), tuple(b.excluded)), schedule.rate_source
    return FeeStatement(rule, *lines, subtotal, waived, total, source, explanation)
