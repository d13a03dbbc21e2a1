"""Legal holds: what a matter needs preserved, evaluated by criteria whenever asked.

A hold is clerk work, not derived data: ``<archive>/holds/<matter>.json`` (written atomically
under a lock, every change audited), never touched by ``rebuild``. A matter's hold has one or
more *scopes* (accounts, created-date range, full-text query); an item is held while its
matter's hold is active and it matches any scope, or belongs to the conversation (family) of
an item that does. Scopes are criteria, not frozen lists, so items captured after the hold
was placed are held too, until the hold is released.

Other parts of civicrecords (retention, disposal, S3 Object Lock legal holds) ask
``held_refs`` / ``is_held`` / ``held_warc_files`` before disposing of anything.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_write
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.discovery.locking import exclusive
from civicrecords.environment import utc_iso
from civicrecords.errors import NotFoundError, RefusedError, UsageError
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.service import open_backend

HOLD_SCHEMA = "civicrecords.hold/1"
HOLDS_DIR = "holds"
PAGE = 1000
_MATTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_matter(matter: str) -> str:
    """``matter`` if it is a usable matter name (letters, digits, ``.``, ``_``, ``-``; at most
    64), else ``UsageError``. Matter names become file names."""
    if not _MATTER.match(matter) or matter.endswith("."):
        raise UsageError(f"{matter!r} is not a matter name: use letters, digits, '.', '_' or '-'"
                         " (at most 64, starting with a letter or digit)")
    return matter


@dataclass(frozen=True)
class HoldScope:
    """One set of criteria: every given condition must match (empty accounts = all)."""

    number: int
    accounts: list[str]
    since: str | None
    until: str | None
    query: str | None
    note: str
    added_at: str
    added_by: str

    def describe(self) -> str:
        """One line a clerk can read, e.g. ``accounts a, b; 2026-01-01..; query "snow"``."""
        parts = [f"accounts {', '.join(self.accounts)}" if self.accounts else "all accounts"]
        if self.since or self.until:
            parts.append(f"created {self.since or ''}..{self.until or ''}")
        if self.query:
            parts.append(f"query {self.query!r}")
        return "; ".join(parts)


@dataclass
class Hold:
    """A matter's legal hold (active until released)."""

    matter: str
    created_at: str
    created_by: str
    scopes: list[HoldScope] = field(default_factory=list)
    released_at: str | None = None
    released_by: str | None = None
    release_reason: str | None = None
    schema: str = HOLD_SCHEMA

    @property
    def active(self) -> bool:
        """True until released."""
        return self.released_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the file's form)."""
        return {**asdict(self), "active": self.active}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hold:
        """Inverse of ``to_dict``."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["scopes"] = [HoldScope(**s) for s in known.get("scopes", [])]
        return cls(**known)


def _path(archive: Archive, matter: str) -> Path:
    return archive.root / HOLDS_DIR / f"{check_matter(matter)}.json"


def _lock(archive: Archive) -> Any:
    return exclusive(archive.root / HOLDS_DIR / ".lock", wait=True)


def _save(archive: Archive, hold: Hold) -> None:
    data = json.dumps(hold.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write(_path(archive, hold.matter), data.encode("utf-8"))


def load_hold(archive: Archive, matter: str) -> Hold:
    """The matter's hold (``NotFoundError`` when the matter has none)."""
    path = _path(archive, matter)
    if not path.exists():
        raise NotFoundError(f"no hold for matter {matter!r}")
    return Hold.from_dict(json.loads(path.read_text("utf-8")))


def list_holds(archive: Archive, *, include_released: bool = False) -> list[Hold]:
    """Every hold (active ones only unless ``include_released``), by matter name."""
    directory = archive.root / HOLDS_DIR
    if not directory.exists():
        return []
    holds = [Hold.from_dict(json.loads(p.read_text("utf-8")))
             for p in sorted(directory.glob("*.json")) if not p.name.startswith(".")]
    return [h for h in holds if include_released or h.active]


def _day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def add_hold(archive: Archive, matter: str, *, accounts: Iterable[str] = (),
             since: str | None = None, until: str | None = None, query: str | None = None,
             note: str = "") -> Hold:
    """Place a hold on ``matter`` or add a scope to its hold (re-activating a released one);
    audited as ``hold.add``. ``UsageError`` for an unknown account, a bad date or query."""
    check_matter(matter)
    names = sorted({a for a in accounts if a})
    known = {a.name for a in archive.config.accounts}
    unknown = [a for a in names if a not in known]
    if unknown:
        raise UsageError(f"--accounts: unknown account(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(known)) or 'none configured'})")
    first, last = _day(since, "--since"), _day(until, "--until")
    if first and last and first > last:
        raise UsageError("--since is after --until")
    if query is not None and not query.strip():
        raise UsageError("--query is empty")
    if query is not None:
        backend = open_backend(archive.root, archive.config)
        try:
            backend.search(SearchQuery(text=query, public_only=False, limit=1))
        finally:
            backend.close()
    now, who = utc_iso(archive.env.now()), archive.env.operator_name
    with _lock(archive):
        try:
            hold = load_hold(archive, matter)
        except NotFoundError:
            hold = Hold(matter=matter, created_at=now, created_by=who)
        if not hold.active:
            hold.released_at = hold.released_by = hold.release_reason = None
        scope = HoldScope(number=max((s.number for s in hold.scopes), default=0) + 1,
                          accounts=names, since=first, until=last, query=query, note=note,
                          added_at=now, added_by=who)
        hold.scopes.append(scope)
        _save(archive, hold)
    archive.audit.record("hold.add", subject=matter, scope=asdict(scope))
    return hold


def release_hold(archive: Archive, matter: str, *, reason: str) -> Hold:
    """Release the matter's hold (its items may be disposed of again under the schedule);
    audited as ``hold.release``. ``RefusedError`` when it is already released."""
    if not reason.strip():
        raise UsageError("--reason is required to release a hold")
    with _lock(archive):
        hold = load_hold(archive, matter)
        if not hold.active:
            raise RefusedError(f"the hold on matter {matter!r} was already released on "
                               f"{hold.released_at}")
        hold.released_at = utc_iso(archive.env.now())
        hold.released_by = archive.env.operator_name
        hold.release_reason = reason
        _save(archive, hold)
    archive.audit.record("hold.release", subject=matter, reason=reason,
                         scopes=len(hold.scopes))
    return hold


# ----- evaluating scopes ----------------------------------------------------------------------
def _bound(day: str, zone: zoneinfo.ZoneInfo) -> str:
    """Midnight of ``day`` in ``zone``, in the catalog's canonical time form."""
    return utc_iso(datetime.combine(date.fromisoformat(day), time(0), zone), microseconds=True)


def _query_ids(backend: SearchBackend, text: str) -> set[int]:
    ids: set[int] = set()
    offset = 0
    while True:
        page = backend.search(SearchQuery(text=text, public_only=False, all_versions=True,
                                          limit=PAGE, offset=offset, sort="oldest"))
        ids.update(hit.item_id for hit in page.hits)
        offset += PAGE
        if offset >= page.total or not page.hits:
            return ids


def _scope_rows(archive: Archive, catalog: Catalog, scope: HoldScope,
                backend: SearchBackend | None) -> list[ItemRow]:
    zone = zoneinfo.ZoneInfo(archive.config.archive.timezone)
    where, params = ["1=1"], []
    if scope.accounts:
        where.append(f"account IN ({','.join('?' * len(scope.accounts))})")
        params.extend(scope.accounts)
    if scope.since:
        where.append("created_at >= ?")
        params.append(_bound(scope.since, zone))
    if scope.until:
        following = (date.fromisoformat(scope.until) + timedelta(days=1)).isoformat()
        where.append("created_at < ?")
        params.append(_bound(following, zone))
    rows = list(catalog.iter_items(" AND ".join(where), params))
    if scope.query and backend is not None:
        matching = _query_ids(backend, scope.query)
        rows = [row for row in rows if row.id in matching]
    return rows


def _families(catalog: Catalog, rows: list[ItemRow]) -> set[str]:
    refs = {row.ref for row in rows}
    roots = {(row.platform, row.account, row.thread_id or row.platform_id) for row in rows}
    for platform, account, root in roots:
        for row in catalog.iter_items("platform=? AND account=? AND (thread_id=? OR "
                                      "platform_id=?)", (platform, account, root, root)):
            refs.add(row.ref)
    return refs


def held_refs(archive: Archive, catalog: Catalog) -> dict[str, list[str]]:
    """Every item held now: item ref (``platform:account:id``) -> the matters holding it
    (sorted). Evaluated from the active holds' criteria against the current catalog and
    search index, so newly captured items in scope are included."""
    holds = list_holds(archive)
    out: dict[str, set[str]] = defaultdict(set)
    if not holds:
        return {}
    needs_search = any(s.query for h in holds for s in h.scopes)
    backend = open_backend(archive.root, archive.config) if needs_search else None
    try:
        for hold in holds:
            rows = [row for scope in hold.scopes
                    for row in _scope_rows(archive, catalog, scope, backend)]
            for ref in _families(catalog, rows):
                out[ref].add(hold.matter)
    finally:
        if backend is not None:
            backend.close()
    return {ref: sorted(matters) for ref, matters in sorted(out.items())}


def is_held(archive: Archive, catalog: Catalog, ref: str) -> list[str]:
    """The matters holding item ``ref`` now (empty when none: it may be disposed of as far
    as holds are concerned). Accepts any reference ``Catalog.find`` does."""
    full = catalog.find(ref).ref
    return held_refs(archive, catalog).get(full, [])


def held_warc_files(archive: Archive, catalog: Catalog) -> dict[str, list[str]]:
    """Archive-relative WARC files that hold any record of a held item (every version's
    metadata record, the API request/response it came from, media file records) -> the
    matters holding them. A file in this map must not be disposed of or lose its legal hold."""
    refs = held_refs(archive, catalog)
    if not refs:
        return {}
    out: dict[str, set[str]] = defaultdict(set)
    rows = {catalog.find(ref).id: matters for ref, matters in refs.items()}
    versions = catalog.versions_of(rows)
    record_ids: dict[str, set[str]] = defaultdict(set)
    for item_id, matters in rows.items():
        for version in versions[item_id]:
            out[version.warc_file].update(matters)
            file_record = (version.item().extra.get("file") or {}).get("record_id")
            for record_id in (version.response_record_id, file_record):
                if record_id:
                    record_ids[record_id].update(matters)
    for record_id, matters in record_ids.items():
        try:
            response = catalog.record(record_id)
        except NotFoundError:
            continue
        out[response.warc_file].update(matters)
        request = catalog.request_for(record_id)
        if request is not None:
            out[request.warc_file].update(matters)
    return {path: sorted(matters) for path, matters in sorted(out.items())}


def hold_summary(archive: Archive, catalog: Catalog) -> dict[str, Any]:
    """For ``verify`` and ``hold list``: active holds with their held-item counts, and the
    number of distinct items held by any of them."""
    refs = held_refs(archive, catalog)
    counts: dict[str, int] = defaultdict(int)
    for matters in refs.values():
        for matter in matters:
            counts[matter] += 1
    return {"active": [{"matter": hold.matter, "scopes": len(hold.scopes),
                        "held_items": counts.get(hold.matter, 0)}
                       for hold in list_holds(archive)],
            "held_items": len(refs)}
