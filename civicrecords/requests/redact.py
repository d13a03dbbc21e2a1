"""Turning candidates and decisions into redacted text.

``plan`` decides, for every candidate, whether it is redacted and under which basis, in this
order: a clerk's decision to redact always holds; a candidate the policy releases to the
requester (a data subject's own data) is released; auto-redact categories are redacted;
otherwise the clerk's decision holds; undecided ones follow ``unreviewed`` ("redact" or
"release") or are returned as undecided so export can refuse.
``apply`` cuts a text into segments where redacted spans are replaced by the placeholder;
the removed characters are not kept anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from civicrecords.config import Config
from civicrecords.requests.review import Decision, PiiCandidate

Unreviewed = Literal["redact", "release"] | None
SpanKey = tuple[str, int, str]  # (item ref, version id, field)


@dataclass(frozen=True)
class Span:
    """A character range to redact and the legal basis printed in its place."""

    start: int
    end: int
    basis: str


@dataclass(frozen=True)
class RedactionEntry:
    """One redaction for the log (``redactions.csv``): never the redacted text itself."""

    item_ref: str
    version_id: int
    field: str
    category: str
    basis: str
    decision: str
    decided_by: str


@dataclass
class Plan:
    """What to redact where, the log of it, and what nobody has decided yet."""

    spans: dict[SpanKey, list[Span]] = field(default_factory=lambda: defaultdict(list))
    log: list[RedactionEntry] = field(default_factory=list)
    undecided: list[PiiCandidate] = field(default_factory=list)
    released_to_requester: list[PiiCandidate] = field(default_factory=list)


@dataclass(frozen=True)
class Segment:
    """A piece of output text: kept text, or a redaction placeholder."""

    text: str
    redacted: bool = False


def basis_for(config: Config, category: str) -> str:
    """The configured legal basis of a PII category."""
    settings = config.redaction.categories.get(category)
    return settings.basis if settings else config.classification.default_basis


def is_auto(config: Config, category: str) -> bool:
    """True when the category is redacted without review."""
    settings = config.redaction.categories.get(category)
    return bool(settings and settings.auto_redact)


def plan(candidates: Iterable[PiiCandidate], decisions: dict[str, Decision], config: Config,
         *, unreviewed: Unreviewed = None,
         release: Callable[[PiiCandidate], bool] | None = None) -> Plan:
    """Decide every candidate (see module docstring). ``release`` may exempt candidates that
    belong to the requester (data-subject requests); auto-redact categories are never
    exempted for anyone but the subject's own values, and never against a clerk's decision
    to redact."""
    result = Plan()
    for candidate in candidates:
        auto = is_auto(config, candidate.category)
        decision = decisions.get(candidate.key)
        if decision is not None and decision.action == "redact":
            outcome, basis, how, who = (decision.action, decision.basis or
                                        basis_for(config, candidate.category), "decided",
                                        decision.by)
        elif release is not None and release(candidate):
            result.released_to_requester.append(candidate)
            continue
        elif auto:
            outcome, basis, how, who = "redact", basis_for(config, candidate.category), "auto", ""
        elif decision is not None:
            outcome, basis, how, who = (decision.action, decision.basis or
                                        basis_for(config, candidate.category), "decided",
                                        decision.by)
        elif unreviewed is not None:
            outcome, basis, how, who = (unreviewed, basis_for(config, candidate.category),
                                        f"unreviewed-{unreviewed}", "")
        else:
            result.undecided.append(candidate)
            continue
        if outcome != "redact":
            continue
        key = (candidate.item_ref, candidate.version_id, candidate.field)
        result.spans[key].append(Span(candidate.start, candidate.end, basis))
        result.log.append(RedactionEntry(candidate.item_ref, candidate.version_id,
                                         candidate.field, candidate.category, basis, how, who))
    return result


def apply(text: str, spans: Iterable[Span], placeholder: str) -> list[Segment]:
    """``text`` with every span (overlaps merged) replaced by ``placeholder`` (``{basis}``
    filled in)."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in ordered:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.basis)
        else:
            merged.append(span)
    segments: list[Segment] = []
    position = 0
    for span in merged:
        if span.start > position:
            segments.append(Segment(text[position:span.start]))
        segments.append(Segment(placeholder.format(basis=span.basis), redacted=True))
        position = max(position, span.end)
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def joined(segments: Iterable[Segment]) -> str:
    """The segments as one string."""
    return "".join(s.text for s in segments)
