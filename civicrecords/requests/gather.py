"""Gathering a request's items: by query, by item, by thread; criteria are kept.

Every way of adding items is saved as a criterion on the request (what, when, by whom), so
``rerun`` can apply the same criteria after a new capture and pick up what has appeared since.
Items are stored as ``platform:account:id`` references, which survive ``rebuild``.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

from civicrecords.catalog import Catalog
from civicrecords.environment import utc_iso
from civicrecords.integrity.audit import AuditLog
from civicrecords.requests.store import Request
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.service import search

PAGE = 1000


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


def add_items(request: Request, refs: list[str], criterion: dict[str, Any], operator: str,
              now: Any) -> list[str]:
    """Add ``refs`` not already in the request, record the criterion; return what was new."""
    existing = set(request.items)
    added = [ref for ref in refs if ref not in existing]
    request.items.extend(added)
    request.criteria.append({**criterion, "added": len(added), "at": utc_iso(now), "by": operator})
    if request.status == "received":
        request.status = "gathering"
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
