"""``detect()``: run the detectors, settle overlaps, map spans back, attach reviewer context."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from civicrecords.errors import UsageError
from civicrecords.requests.detectors import (
    address,
    contact,
    financial,
    identity,
    keywords,
    minors,
    ssn,
)
from civicrecords.requests.detectors.context import WINDOW, reviewer_context
from civicrecords.requests.detectors.model import CATEGORIES, Candidate, Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.spans import SpanIndex

__all__ = ["NEVER_SHOWN", "NUMBER_PRECEDENCE", "detect"]

_FINDERS: dict[str, Callable[[Document], Iterable[Hit]]] = {
    "ssn": ssn.find,
    "mn_dl": identity.find_mn_dl,
    "card": financial.find_card,
    "aba_routing": financial.find_aba_routing,
    "bank_account": financial.find_bank_account,
    "phone": contact.find_phone,
    "email": contact.find_email,
    "dob": identity.find_dob,
    "street_address": address.find_street_address,
    "health": keywords.find_health,
    "personnel": keywords.find_personnel,
    "minor": minors.find_minor,
}

NUMBER_PRECEDENCE: tuple[str, ...] = (
    "mn_dl",
    "card",
    "ssn",
    "aba_routing",
    "phone",
    "bank_account",
)
"""Number categories, strongest first: where two overlap, only the earlier one is reported."""

NEVER_SHOWN: tuple[str, ...] = ("ssn", "mn_dl", "card", "aba_routing", "bank_account")
"""Categories whose values never appear in any candidate's ``context``."""

_ORDER = {name: index for index, name in enumerate(CATEGORIES)}


def _wanted(categories: Iterable[str] | None) -> list[str]:
    if categories is None:
        return list(CATEGORIES)
    if isinstance(categories, str):
        raise UsageError(
            f"categories must be a list of category names, not the string {categories!r}"
        )
    wanted = list(dict.fromkeys(categories))
    unknown = [name for name in wanted if name not in CATEGORIES]
    if unknown:
        raise UsageError(
            f"unknown PII categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}"
            f" (known: {', '.join(CATEGORIES)})"
        )
    return sorted(wanted, key=_ORDER.__getitem__)


def _needed(wanted: list[str]) -> list[str]:
    """Categories to run: the wanted ones, the never-shown ones (for masking), and every
    number category that outranks a wanted one (to settle overlaps identically)."""
    needed = set(wanted) | set(NEVER_SHOWN)
    for name in wanted:
        if name in NUMBER_PRECEDENCE:
            needed.update(NUMBER_PRECEDENCE[: NUMBER_PRECEDENCE.index(name)])
    return sorted(needed, key=_ORDER.__getitem__)


def _settle_numbers(hits: dict[str, list[Hit]]) -> dict[str, list[Hit]]:
    """Drop number hits that overlap a kept hit of a stronger number category."""
    kept: list[tuple[int, int]] = []
    settled = dict(hits)
    for name in NUMBER_PRECEDENCE:
        if name not in hits:
            continue
        stronger = SpanIndex(kept)
        settled[name] = [hit for hit in hits[name] if not stronger.overlaps(hit.start, hit.end)]
        kept.extend((hit.start, hit.end) for hit in settled[name])
    return settled


def _merge(hits: Iterable[Hit]) -> list[Hit]:
    """Merge overlapping hits of one category into their union.

    The merged hit keeps the detector of the hit that starts first (the longest, on a tie).
    """
    merged: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if merged and hit.start < merged[-1].end:
            last = merged[-1]
            if hit.end > last.end:
                merged[-1] = Hit(last.category, last.start, hit.end, last.detector)
            continue
        merged.append(hit)
    return merged


def detect(text: str, categories: Iterable[str] | None = None) -> list[Candidate]:
    """Return every PII candidate in ``text``, sorted by start (then end, then category order).

    ``categories`` limits the result to those category names (default: all of
    ``CATEGORIES``); the candidates of a category are the same whether or not other
    categories are requested. Overlapping candidates of one category are merged into one
    spanning their union, named after the detector of the earliest (then longest) of them;
    where number categories overlap, only the strongest is kept (order:
    ``NUMBER_PRECEDENCE``). Offsets refer to ``text`` as given. Pure, offline, deterministic.

    Raises ``UsageError`` for an unknown category name or a bare string as ``categories``.
    """
    wanted = _wanted(categories)
    doc = Document(text)
    hits = {name: list(_FINDERS[name](doc)) for name in _needed(wanted)}
    settled = _settle_numbers(hits)
    masks = SpanIndex(
        (*doc.to_original(hit.start, hit.end), hit.category)
        for name in NEVER_SHOWN
        for hit in hits[name]
    )
    candidates: list[Candidate] = []
    for name in wanted:
        for hit in _merge(settled[name]):
            start, end = doc.to_original(hit.start, hit.end)
            near = masks.overlapping(start - 2 * WINDOW, end + 2 * WINDOW)
            context = reviewer_context(text, start, end, name, near)
            candidates.append(Candidate(name, start, end, hit.detector, context))
    candidates.sort(key=lambda c: (c.start, c.end, _ORDER[c.category]))
    return candidates
