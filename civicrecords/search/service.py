"""Searching as users see it: backend hits joined with the catalog, scope rules enforced.

Default scope is items whose classification is public. Including not-public data is allowed
but always leaves an audit entry (who, when, the query) — the same rule for the CLI, request
gathering and the web view, because all of them call ``search`` here. Each result carries a
highlighted snippet of the catalog's text and the location of the WARC record it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.catalog import Catalog, ItemRow, VersionRow
from civicrecords.config import Config
from civicrecords.errors import RefusedError
from civicrecords.integrity.audit import AuditLog
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.highlight import Snippet, snippet
from civicrecords.search.indexer import index_pending, reset_index
from civicrecords.search.query_parser import QueryLimits, parse_query
from civicrecords.search.whoosh_backend import WhooshBackend


@dataclass
class ResultRow:
    """One result: the item, the version that matched, its score and snippet."""

    item: ItemRow
    version: VersionRow
    score: float
    snippet: Snippet | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a search result."""
        data = self.version.item()
        return {
            "ref": self.item.ref, "platform": self.item.platform, "account": self.item.account,
            "item_id": self.item.platform_id, "kind": self.item.kind,
            "author": self.item.author, "author_name": self.item.author_name,
            "created_at": self.item.created_at, "text": data.text, "title": data.title,
            "url": self.item.url, "status": self.item.status,
            "versions": self.item.version_count, "parent_id": self.item.parent_id,
            "thread_id": self.item.thread_id, "classification": self.item.classification,
            "first_seen": self.item.first_seen, "last_seen": self.item.last_seen,
            "removed_job": self.item.removed_job, "score": round(self.score, 4),
            "latest": self.version.id == self.item.latest_version,
            "version_first_seen": self.version.first_seen,
            "snippet": self.snippet.text if self.snippet else "",
            "highlights": [list(h) for h in self.snippet.highlights] if self.snippet else [],
            "warc_file": self.version.warc_file, "record_offset": self.version.offset,
            "record_length": self.version.length, "record_id": self.version.record_id,
            "response_record_id": self.version.response_record_id,
        }


@dataclass
class SearchResults:
    """A page of results with the total match count and facet counts (when asked)."""

    query: SearchQuery
    rows: list[ResultRow]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def query_limits(config: Config) -> QueryLimits:
    """The archive's per-query limits (``[search]``)."""
    section = config.search
    return QueryLimits(max_chars=section.max_query_chars, max_terms=section.max_query_terms,
                       max_depth=section.max_query_depth, max_wildcards=section.max_wildcards,
                       max_leading_wildcards=section.max_leading_wildcards,
                       wildcard_min_chars=section.wildcard_min_chars)


def open_backend(root: Path, config: Config) -> SearchBackend:
    """The archive's configured search backend."""
    limits = query_limits(config)
    memory = config.search.index_memory_mb
    if config.search.backend == "tantivy":
        from civicrecords.search.tantivy_backend import TantivyBackend

        return TantivyBackend(root / "index" / "tantivy", memory_mb=memory, limits=limits)
    return WhooshBackend(root / "index" / "whoosh", memory_mb=memory, limits=limits)


def update_index(root: Path, config: Config, catalog: Catalog, *, reset: bool = False) -> int:
    """Bring the archive's search index up to date with ``catalog`` (with ``reset``: empty
    it and index every item again); return how many items were indexed. The backend is
    closed afterwards, so its writer lock is never left held."""
    backend = open_backend(root, config)
    try:
        if reset:
            reset_index(catalog, backend)
        return index_pending(catalog, backend)
    finally:
        backend.close()


def search(catalog: Catalog, backend: SearchBackend, query: SearchQuery, audit: AuditLog,
           *, snippets: bool = True) -> SearchResults:
    """Run ``query``; audit it when it reaches not-public data.

    Raises ``QueryError`` for a malformed query (before anything is audited) and
    ``RefusedError`` when the index is empty while the catalog holds items (run
    ``civicrecords reindex``), so an unbuilt index never reads as "no matches". Results whose
    item is gone from the catalog (an index older than the catalog) are dropped."""
    tree = parse_query(query.text, backend.limits).node
    if not query.public_only:
        audit.record("search.all_data", query=query.text,
                     filters={k: v for k, v in vars(query).items()
                              if k not in ("text", "limit", "offset") and v not in ((), None)})
    page = backend.search(query)
    if page.total == 0 and backend.count() == 0 and catalog.count_items() > 0:
        raise RefusedError(f"the search index is empty but the catalog holds "
                           f"{catalog.count_items()} items; run 'civicrecords reindex'")
    items = catalog.items(hit.item_id for hit in page.hits)
    versions = catalog.versions_of(items)
    rows: list[ResultRow] = []
    seen: set[tuple[int, int]] = set()
    for hit in page.hits:
        item = items.get(hit.item_id)
        version = next((v for v in versions.get(hit.item_id, []) if v.id == hit.version_id), None)
        if item is None or version is None or (hit.item_id, hit.version_id) in seen:
            continue
        if query.public_only and not item.is_public:
            continue
        seen.add((hit.item_id, hit.version_id))
        shown = snippet(version.item().text, tree) if snippets else None
        rows.append(ResultRow(item=item, version=version, score=hit.score, snippet=shown))
    return SearchResults(query=query, rows=rows, total=page.total, facets=page.facets)


__all__ = ["ResultRow", "SearchResults", "open_backend", "query_limits", "search"]
