"""Deciding what a response contains, before anything is written.

``prepare`` takes a request's items in conversation order and settles, for each one, whether
it is provided or withheld in full (and under which statute, decided by whom), and for each
PII candidate in what is provided whether it is redacted. Media a person must look at
(``ExportPolicy.needs_look``) count as undecided until a clerk releases or withholds them.
The bundle exporter, the response letter and the fee estimate all read the same
``Prepared``, so the letter can never describe a different response than the bundle holds.
``prepare_request`` does it all from the archive: the request's decisions, its policy, the
catalog.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.config import Config
from civicrecords.errors import RefusedError
from civicrecords.requests import redact
from civicrecords.requests.policy import ExportPolicy, policy_for
from civicrecords.requests.review import Decision, Ledger, candidates_for, item_key
from civicrecords.requests.store import Request, RequestStore


@dataclass(frozen=True)
class Withheld:
    """An item withheld in full: the statute, and whether a clerk decided it
    (``decided``), its classification did (``classification``) or nobody looked at it
    (``unreviewed``)."""

    basis: str
    how: str
    by: str = ""


@dataclass
class Prepared:
    """A response, decided: items in order with depth, what is withheld, the redaction plan,
    media a clerk released after looking, and each provided item's text length."""

    request: Request
    rows: list[tuple[ItemRow, int]]
    withheld: dict[str, Withheld] = field(default_factory=dict)
    plan: redact.Plan = field(default_factory=redact.Plan)
    looked_at: list[str] = field(default_factory=list)
    characters: dict[str, int] = field(default_factory=dict)

    @property
    def provided(self) -> list[ItemRow]:
        """The items provided (not withheld), in order."""
        return [row for row, _ in self.rows if row.ref not in self.withheld]

    def number_of(self) -> dict[str, int]:
        """Item reference -> its number in the response (1-based, conversation order)."""
        return {row.ref: number for number, (row, _) in enumerate(self.rows, start=1)}


def ordered_items(catalog: Catalog, refs: list[str]) -> list[tuple[ItemRow, int]]:
    """The request's items in conversation order (posts, then each thread by time) with
    their depth under the root."""
    rows = [catalog.find(ref) for ref in refs]
    by_id = {(r.platform, r.account, r.platform_id): r for r in rows}

    def depth(row: ItemRow) -> int:
        level, current, guard = 0, row, 0
        while current.parent_id and guard < 50:
            parent = by_id.get((current.platform, current.account, current.parent_id))
            if parent is None:
                break
            level, current, guard = level + 1, parent, guard + 1
        return level

    def sort_key(row: ItemRow) -> tuple[str, str, str, int, str]:
        root = row.thread_id or row.platform_id
        root_row = by_id.get((row.platform, row.account, root))
        root_time = (root_row.created_at if root_row else row.created_at) or ""
        return (root_time, root, "0" if row.platform_id == root else "1", 0,
                (row.created_at or "") + row.platform_id)

    return [(row, depth(row)) for row in sorted(rows, key=sort_key)]


def _withhold(row: ItemRow, policy: ExportPolicy, decisions: dict[str, Decision],
              config: Config, unreviewed: redact.Unreviewed,
              undecided_media: list[ItemRow], looked_at: list[str]) -> Withheld | None:
    decision = decisions.get(item_key(row.ref))
    basis = policy.withhold(row)
    if basis is not None:
        decided = decision is not None and decision.action == "withhold"
        return Withheld(basis, "decided" if decided else "classification",
                        decision.by if decided and decision else "")
    if policy.needs_look is None or not policy.needs_look(row):
        return None
    if decision is not None:
        looked_at.append(row.ref)
        return None
    if unreviewed == "redact":
        return Withheld(config.redaction.image_basis, "unreviewed")
    if unreviewed is None:
        undecided_media.append(row)
    return None


def prepare(catalog: Catalog, config: Config, request: Request, policy: ExportPolicy,
            decisions: dict[str, Decision], *, unreviewed: redact.Unreviewed = None
            ) -> Prepared:
    """Decide the whole response (see module docstring).

    Raises ``RefusedError`` when the request has no items, or — with ``unreviewed`` None —
    when PII candidates or media nobody has decided remain (the message counts them by
    category and says how to proceed).
    """
    if not request.items:
        raise RefusedError(f"request {request.id} has no items; add some with 'request add'")
    prepared = Prepared(request=request, rows=ordered_items(catalog, request.items))
    undecided_media: list[ItemRow] = []
    for row, _ in prepared.rows:
        withheld = _withhold(row, policy, decisions, config, unreviewed, undecided_media,
                             prepared.looked_at)
        if withheld is not None:
            prepared.withheld[row.ref] = withheld
    provided = prepared.provided
    candidates = candidates_for(catalog, provided, config)
    prepared.plan = redact.plan(candidates, decisions, config, unreviewed=unreviewed,
                                release=policy.release)
    if prepared.plan.undecided or undecided_media:
        by_category = Counter(c.category for c in prepared.plan.undecided)
        if undecided_media:
            by_category["media to look at"] = len(undecided_media)
        detail = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items()))
        total = len(prepared.plan.undecided) + len(undecided_media)
        raise RefusedError(
            f"{total} PII candidate(s) or media await review ({detail}); review them with "
            f"'civicrecords request review {request.id}' or pass --unreviewed redact|release")
    versions = catalog.versions_of(row.id for row in provided)
    for row in provided:
        prepared.characters[row.ref] = sum(len(v.item().text) + len(v.item().title)
                                           for v in versions[row.id])
    return prepared


def prepare_request(archive: Archive, request: Request, unreviewed: redact.Unreviewed = None
                    ) -> Prepared:
    """``prepare`` for ``request`` under its kind's policy (``policy.policy_for``) with the
    latest decisions of its ledger, against the archive's catalog. Raises as ``prepare``
    does (``RefusedError`` for no items, or undecided candidates with ``unreviewed`` None)."""
    decisions = Ledger(RequestStore(archive).path(request.id)).latest()
    with Catalog(archive.catalog_path) as catalog:
        policy = policy_for(request, decisions, catalog, archive.config)
        return prepare(catalog, archive.config, request, policy, decisions,
                       unreviewed=unreviewed)
