"""A request's fee: the archive's ``[fees]`` schedule applied to the request by ``fees.py``.

``schedule`` reads the rates, their source, the citations and the waiver threshold from the
config (amounts are decimal strings there, ``Decimal`` here). ``fee_options`` validates how
the data is delivered (inspection, paper or electronic copies; pages; media) before it is
saved on the request. ``statement`` computes the fee from those options and the request's
logged staff time; paper copies without a page count given are estimated from the response
itself (``estimate_pages``); ``request_statement`` does that from the archive, as the CLI and
the browser view show the fee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from civicrecords.archive import Archive
from civicrecords.config import Config
from civicrecords.errors import ConfigError, UsageError
from civicrecords.requests.fees import FeeRequest, FeeSchedule, FeeStatement, compute_fees
from civicrecords.requests.prepare import Prepared, prepare_request
from civicrecords.requests.store import Request

DELIVERIES: tuple[str, ...] = ("inspection", "paper", "electronic")
DEFAULT_DELIVERY = "electronic"


@dataclass(frozen=True)
class FeeResult:
    """The statement, the page count it used and whether that count was estimated."""

    statement: FeeStatement
    pages: int
    estimated: bool
    delivery: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (amounts as decimal strings)."""
        return {**self.statement.to_dict(), "pages": self.pages, "estimated": self.estimated,
                "delivery": self.delivery}


def schedule(config: Config) -> FeeSchedule:
    """The archive's fee schedule. Raises ``ConfigError`` naming ``[fees]`` when a
    citation every fee rule needs is missing."""
    section = config.fees
    try:
        return FeeSchedule(
            staff_hourly_rate=Decimal(section.staff_hourly_rate),
            copy_hourly_rate=Decimal(section.copy_hourly_rate),
            rate_source=section.rate_source, citations=dict(section.citations),
            per_page=Decimal(section.per_page),
            per_page_two_sided=Decimal(section.per_page_two_sided),
            paper_page_limit=section.paper_page_limit,
            media_unit_cost={k: Decimal(v) for k, v in section.media_unit_cost.items()},
            waiver_threshold=Decimal(section.waiver_threshold)
            if section.waiver_threshold else None)
    except ConfigError as exc:
        raise ConfigError(f"civicrecords.toml [fees]: {exc.message}") from None


def fee_options(config: Config, *, delivery: str, pages: int | None = None,
                two_sided: bool = False, color_or_oversize: bool = False,
                media: dict[str, int] | None = None) -> dict[str, Any]:
    """Validated delivery options as saved on a request. Raises ``UsageError`` for an
    unknown delivery, a negative page count, or a media kind with no configured cost."""
    if delivery not in DELIVERIES:
        raise UsageError(f"--delivery: {delivery!r} is not {', '.join(DELIVERIES)}")
    if pages is not None and pages < 0:
        raise UsageError("--pages must be 0 or more")
    media = dict(media or {})
    unknown = sorted(k for k in media if k not in config.fees.media_unit_cost)
    if unknown:
        known = ", ".join(sorted(config.fees.media_unit_cost)) or "none"
        raise UsageError(f"--media: no cost configured for {', '.join(unknown)} "
                         f"(configured: {known})")
    if any(count < 0 for count in media.values()):
        raise UsageError("--media counts must be 0 or more")
    return {"delivery": delivery, "pages": pages, "two_sided": two_sided,
            "color_or_oversize": color_or_oversize, "media": media}


def estimate_pages(prepared: Prepared, config: Config) -> int:
    """Printed pages of the response: each provided item (all versions) at
    ``[fees] characters_per_page``, at least one page each; a media item is one page."""
    per_page = config.fees.characters_per_page
    pages = 0
    for row in prepared.provided:
        if row.kind == "media":
            pages += 1
        else:
            pages += max(1, math.ceil(prepared.characters.get(row.ref, 0) / per_page))
    return pages


def statement(config: Config, request: Request, prepared: Prepared | None) -> FeeResult:
    """The fee of ``request`` under its saved options (electronic copies by default).
    ``prepared`` supplies the page estimate for paper copies without a page count; it may
    be None otherwise (``UsageError`` if it is needed and missing)."""
    options = request.fee_options or {"delivery": DEFAULT_DELIVERY}
    delivery = options.get("delivery", DEFAULT_DELIVERY)
    pages = options.get("pages")
    estimated = False
    if pages is None:
        if delivery == "paper":
            if prepared is None:
                raise UsageError("paper copies need a page count: give --pages")
            pages, estimated = estimate_pages(prepared, config), True
        else:
            pages = 0
    fee_request = FeeRequest(
        requester="subject" if request.kind == "subject" else "public",
        delivery=delivery, pages=int(pages), two_sided=bool(options.get("two_sided")),
        color_or_oversize=bool(options.get("color_or_oversize")),
        media=dict(options.get("media") or {}), staff_time=request.staff_time)
    return FeeResult(compute_fees(fee_request, schedule(config)), int(pages), estimated,
                     delivery)


def request_statement(archive: Archive, request: Request) -> FeeResult:
    """``statement`` of ``request`` under its saved options; paper copies without a page
    count are estimated from the response as prepared with undecided candidates released
    (``prepare.prepare_request``). Raises ``RefusedError`` when that estimate is needed and
    the request has no items, ``ConfigError`` for an unusable ``[fees]`` schedule."""
    options = request.fee_options or {}
    needs_estimate = options.get("delivery") == "paper" and options.get("pages") is None
    prepared = prepare_request(archive, request, "release") if needs_estimate else None
    return statement(archive.config, request, prepared)
