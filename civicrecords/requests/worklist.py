"""The clerk's review list of a request, and turning a clerk's choices into decisions.

``worklist`` numbers everything a person may have to decide, in the response's order: each
PII candidate in a provided item (with the detectors' masked context, never the value of a
number), each media item a person must look at, and each item withheld by its
classification that is flagged for review (e.g. messages with an elected official's account,
which may have been made public). ``decide`` turns a choice — accept (redact) or reject
(release) candidates, withhold or release whole items — selected by number, key, category
or item kind, into ``Decision`` records with who, when, why and the statute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from civicrecords.catalog import Catalog
from civicrecords.config import Config
from civicrecords.errors import RefusedError, UsageError
from civicrecords.requests import redact
from civicrecords.requests.detectors import CATEGORIES
from civicrecords.requests.policy import ExportPolicy
from civicrecords.requests.prepare import ordered_items
from civicrecords.requests.review import Decision, candidates_for, item_key
from civicrecords.requests.store import Request

Choice = Literal["accept", "reject", "withhold", "release"]
CHOICES: tuple[str, ...] = ("accept", "reject", "withhold", "release")
ITEM_CATEGORY = "item"
MEDIA_CATEGORY = "media"


@dataclass(frozen=True)
class Entry:
    """One line of the review list. ``key`` is the decision key (stable across runs);
    ``target`` is ``candidate`` or ``item``; ``status`` is ``undecided``, ``auto-redact``,
    ``redact``, ``release``, ``released to requester``, ``withhold`` or ``withheld``."""

    number: int
    key: str
    target: str
    item_ref: str
    item_number: int
    item_kind: str
    category: str
    field: str
    version: int
    context: str
    status: str
    basis: str
    decided_by: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _candidate_status(candidate: Any, decision: Decision | None, policy: ExportPolicy,
                      config: Config) -> tuple[str, str]:
    basis = redact.basis_for(config, candidate.category)
    if decision is not None and decision.action == "redact":
        return "redact", decision.basis or basis
    if policy.release is not None and policy.release(candidate):
        return "released to requester", ""
    if redact.is_auto(config, candidate.category):
        return "auto-redact", basis
    if decision is not None:
        return decision.action, decision.basis
    return "undecided", basis


def worklist(catalog: Catalog, config: Config, request: Request, policy: ExportPolicy,
             decisions: dict[str, Decision]) -> list[Entry]:
    """Everything to review in ``request`` (see module docstring), numbered from 1."""
    entries: list[Entry] = []
    rows = ordered_items(catalog, request.items)
    provided = []
    for item_number, (row, _) in enumerate(rows, start=1):
        decision = decisions.get(item_key(row.ref))
        by, reason = (decision.by, decision.reason) if decision else ("", "")
        basis = policy.withhold(row)
        if basis is not None:
            if decision is not None or row.needs_review:
                status = "withhold" if decision is not None else "withheld"
                entries.append(Entry(len(entries) + 1, item_key(row.ref), "item", row.ref,
                                     item_number, row.kind, ITEM_CATEGORY, "", 0,
                                     f"{row.kind} classified {row.classification}", status,
                                     basis, by, reason))
            continue
        provided.append((item_number, row))
        if policy.needs_look is not None and policy.needs_look(row):
            status = decision.action if decision is not None else "undecided"
            entries.append(Entry(len(entries) + 1, item_key(row.ref), "item", row.ref,
                                 item_number, row.kind, MEDIA_CATEGORY, "", 0,
                                 "media attached to someone else's post: look before release",
                                 status, decision.basis if decision else "", by, reason))
    numbers = {row.ref: number for number, row in provided}
    versions = catalog.versions_of(row.id for _, row in provided)
    version_numbers = {v.id: index for vs in versions.values()
                       for index, v in enumerate(vs, start=1)}
    kinds = {row.ref: row.kind for _, row in provided}
    for candidate in candidates_for(catalog, [row for _, row in provided], config):
        decision = decisions.get(candidate.key)
        status, basis = _candidate_status(candidate, decision, policy, config)
        entries.append(Entry(
            len(entries) + 1, candidate.key, "candidate", candidate.item_ref,
            numbers[candidate.item_ref], kinds[candidate.item_ref],
            candidate.category, candidate.field, version_numbers.get(candidate.version_id, 0),
            candidate.context, status, basis, decision.by if decision else "",
            decision.reason if decision else ""))
    return _renumbered(entries)


def _renumbered(entries: list[Entry]) -> list[Entry]:
    ordered = sorted(entries, key=lambda e: (e.item_number, e.target != "item", e.key))
    return [Entry(**{**asdict(e), "number": n}) for n, e in enumerate(ordered, start=1)]


def _select(entries: list[Entry], selectors: Iterable[str], categories: Iterable[str],
            kinds: Iterable[str], include_decided: bool) -> list[Entry]:
    by_number = {str(e.number): e for e in entries}
    by_key = {e.key: e for e in entries}
    chosen: dict[str, Entry] = {}
    for selector in selectors:
        entry = by_number.get(selector) or by_key.get(selector)
        if entry is None:
            raise UsageError(f"{selector!r} is not a number or key in the review list")
        chosen[entry.key] = entry
    wanted = set(categories)
    unknown = wanted - set(CATEGORIES) - {MEDIA_CATEGORY, ITEM_CATEGORY}
    if unknown:
        raise UsageError(f"unknown category {', '.join(sorted(unknown))} (known: "
                         f"{', '.join([*CATEGORIES, MEDIA_CATEGORY, ITEM_CATEGORY])})")
    kind_set = set(kinds)
    for entry in entries:
        undecided = entry.status in ("undecided", "withheld")
        if (entry.category in wanted or entry.item_kind in kind_set) and \
                (include_decided or undecided):
            chosen.setdefault(entry.key, entry)
    return list(chosen.values())


def decide(entries: list[Entry], choice: str, *, selectors: Iterable[str] = (),
           categories: Iterable[str] = (), kinds: Iterable[str] = (), basis: str = "",
           reason: str, by: str, at: str, config: Config,
           include_decided: bool = False) -> list[Decision]:
    """Decisions for the selected entries. Numbers and keys select single entries;
    ``categories`` and ``kinds`` select in bulk the entries not decided yet (all of them
    with ``include_decided``). ``accept`` redacts candidates (basis: ``basis`` or the
    category's configured one); ``reject`` releases them; ``withhold`` and ``release`` act
    on whole items (a candidate selects its item) and ``withhold`` needs ``basis``.

    Raises ``UsageError`` for an unknown choice, nothing selected, a missing reason or
    basis, or accept/reject of an item; ``RefusedError`` for rejecting a candidate whose
    category is redacted by statute.
    """
    if choice not in CHOICES:
        raise UsageError(f"{choice!r} is not one of {', '.join(CHOICES)}")
    if not reason.strip():
        raise UsageError("--reason is required: every decision records why")
    chosen = _select(entries, selectors, categories, kinds, include_decided)
    if not chosen:
        raise UsageError("nothing selected: give review numbers or keys, --category or "
                         "--kind (bulk selection skips entries already decided)")
    if choice in ("accept", "reject"):
        items = [e for e in chosen if e.target == "item"]
        if items:
            raise UsageError(f"review entry {items[0].number} is a whole item: use withhold "
                             "or release")
        statutory = [e for e in chosen if redact.is_auto(config, e.category)]
        if choice == "reject" and statutory:
            raise RefusedError(f"{statutory[0].category} candidates are redacted by statute "
                               f"({redact.basis_for(config, statutory[0].category)}); they "
                               "cannot be released")
        action = "redact" if choice == "accept" else "release"
        return [Decision(key=e.key, action=action,  # type: ignore[arg-type]
                         basis=(basis or redact.basis_for(config, e.category))
                         if action == "redact" else "", by=by, at=at, reason=reason)
                for e in chosen]
    if choice == "withhold" and not basis.strip():
        raise UsageError("--basis is required to withhold an item: cite the statute")
    keys = dict.fromkeys(item_key(e.item_ref) for e in chosen)
    return [Decision(key=key, action=choice, basis=basis if choice == "withhold" else "",
                     by=by, at=at, reason=reason) for key in keys]
