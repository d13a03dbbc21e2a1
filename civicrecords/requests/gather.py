"""Gathering a request's items: by query, by item, by thread, by author; criteria are kept.

Every way of adding items is a *criterion* saved on the request (what, when, by whom), and
``resolve`` turns any criterion into item references the same way whether it is applied for
the first time (``add``) or again after a new capture (``rerun``), so a re-run picks up what
has appeared since and never loses what was added before. Items are stored as
``platform:account:id`` references, which survive ``rebuild``.

Criterion types: ``query`` (search query and filters, any version, any classification),
``item`` (one item), ``thread`` (the item's whole conversation) and ``author`` (for a data
subject: everything the handles posted, every item replying directly to one of theirs, every
message of each conversation they wrote in or were addressed in, and the media attached to
all of these).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

from civicrecords.catalog import Catalog
from civicrecords.environment import utc_iso
from civicrecords.errors import UsageError
from civicrecords.integrity.audit import AuditLog
from civicrecords.requests.store import Request, normalize_handle
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.service import search

PAGE = 1000
CRITERION_TYPES = ("query", "item", "thread", "author")


def query_refs(catalog: Catalog, backend: SearchBackend, query: SearchQuery,
               audit: AuditLog) -> list[str]:
    """Every item matching ``query`` in any version and any classification."""
    spec = replace(query, public_only=False, all_versions=True, limit=PAGE, offset=0,
                   sort="oldest")
    refs: list[str] = []
    seen: set[str] = set()
    while True:
        results = search(catalog, backend, spec, audit)
        for row in results.rows:
            if row.item.ref not in seen:
                seen.add(row.item.ref)
                refs.append(row.item.ref)
        if spec.offset + PAGE >= results.total or not results.rows:
            return refs
        spec = replace(spec, offset=spec.offset + PAGE)


def thread_refs(catalog: Catalog, reference: str) -> list[str]:
    """Every item of the conversation ``reference`` belongs to."""
    return [row.ref for row in catalog.thread(catalog.find(reference))]


def author_refs(catalog: Catalog, handles: list[str]) -> list[str]:
    """What a data subject's handles are connected to (see the module docstring), in catalog
    order. Handles compare case-insensitively, without a leading ``@``."""
    wanted = sorted({normalize_handle(h) for h in handles})
    if not wanted:
        raise UsageError("give at least one handle")
    marks = ",".join("?" * len(wanted))
    theirs = f"lower(author) IN ({marks})"
    replying = (f"EXISTS (SELECT 1 FROM items p WHERE p.platform = items.platform AND "
                f"p.account = items.account AND p.platform_id = items.parent_id AND "
                f"lower(p.author) IN ({marks}))")
    addressed = (f"EXISTS (SELECT 1 FROM versions v, json_each(v.data, '$.mentions') m "
                 f"WHERE v.item_id = items.id AND lower(m.value) IN ({marks})) OR "
                 f"EXISTS (SELECT 1 FROM versions v, json_each(v.data, '$.recipients') r "
                 f"WHERE v.item_id = items.id AND lower(r.value) IN ({marks}))")
    conversations = {(row.platform, row.account, row.thread_id or row.platform_id)
                     for row in catalog.iter_items(
                         f"kind = 'message' AND ({theirs} OR {addressed})",
                         [*wanted, *wanted, *wanted])}
    found: dict[str, tuple[str, str, str]] = {}
    for row in catalog.iter_items(f"{theirs} OR {replying}", [*wanted, *wanted]):
        found[row.ref] = row.platform, row.account, row.platform_id
    for platform, account, thread in sorted(conversations):
        for row in catalog.iter_items(
                "platform = ? AND account = ? AND kind = 'message' AND "
                "(thread_id = ? OR platform_id = ?)", (platform, account, thread, thread)):
            found[row.ref] = row.platform, row.account, row.platform_id
    parents = {key for key in found.values()}
    for platform, account, parent_id in sorted(parents):
        for row in catalog.iter_items("platform = ? AND account = ? AND parent_id = ? AND "
                                      "kind = 'media'", (platform, account, parent_id)):
            found.setdefault(row.ref, (row.platform, row.account, row.platform_id))
    return list(found)


def resolve(catalog: Catalog, backend: SearchBackend | None, audit: AuditLog,
            criterion: dict[str, Any]) -> list[str]:
    """The item references a saved criterion stands for now. ``backend`` is needed only for
    ``query`` criteria. Raises ``UsageError`` for an unknown type, ``NotFoundError`` when a
    named item is not in the archive."""
    kind = criterion.get("type")
    if kind == "query":
        if backend is None:
            raise UsageError("a query criterion needs the search index")
        return query_refs(catalog, backend, criterion_query(criterion), audit)
    if kind == "item":
        return [catalog.find(criterion["ref"]).ref]
    if kind == "thread":
        return thread_refs(catalog, criterion["ref"])
    if kind == "author":
        return author_refs(catalog, list(criterion["handles"]))
    raise UsageError(f"unknown criterion type {kind!r} (known: {', '.join(CRITERION_TYPES)})")


def _extend(request: Request, refs: list[str]) -> list[str]:
    existing = set(request.items)
    added = [ref for ref in dict.fromkeys(refs) if ref not in existing]
    request.items.extend(added)
    if request.status == "received" or (added and request.status == "ready"):
        request.status = "gathering"
    return added


def add_items(request: Request, refs: list[str], criterion: dict[str, Any], operator: str,
              now: Any) -> list[str]:
    """Add ``refs`` not already in the request, record the criterion; return what was new.
    A request that was ready goes back to gathering when something new is added (its last
    export no longer covers everything)."""
    added = _extend(request, refs)
    request.criteria.append({**criterion, "added": len(added), "at": utc_iso(now),
                             "by": operator})
    return added


def rerun(request: Request, catalog: Catalog, backend: SearchBackend | None, audit: AuditLog,
          now: Any) -> list[str]:
    """Apply every saved criterion again and add what is new (nothing is ever dropped);
    each criterion records when it last ran and what it added. Returns the new refs."""
    added: list[str] = []
    for criterion in request.criteria:
        if criterion.get("type") not in CRITERION_TYPES:
            continue
        spec = {k: v for k, v in criterion.items()
                if k not in ("added", "at", "by", "last_run", "last_added")}
        new = _extend(request, resolve(catalog, backend, audit, spec))
        criterion["last_run"] = utc_iso(now)
        criterion["last_added"] = len(new)
        added.extend(new)
    return added


def query_criterion(query: SearchQuery) -> dict[str, Any]:
    """A search query as a saved criterion (dates as ISO strings)."""
    data = asdict(query)
    for key in ("since", "until"):
        if isinstance(data[key], date):
            data[key] = data[key].isoformat()
    for key in ("limit", "offset", "sort", "facets", "public_only", "all_versions"):
        data.pop(key, None)
    return {"type": "query", **{k: list(v) if isinstance(v, tuple) else v
                                for k, v in data.items()}}


def criterion_query(criterion: dict[str, Any]) -> SearchQuery:
    """Inverse of ``query_criterion``."""
    fields = {k: v for k, v in criterion.items()
              if k in SearchQuery.__dataclass_fields__}
    for key in ("since", "until"):
        if fields.get(key):
            fields[key] = date.fromisoformat(fields[key])
    for key in ("accounts", "platforms", "kinds", "statuses"):
        fields[key] = tuple(fields.get(key) or ())
    return SearchQuery(**fields)
