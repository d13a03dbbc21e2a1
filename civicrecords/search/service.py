"""Searching as users see it: backend hits joined with the catalog, scope rules enforced.

Default scope is items whose classification is public. Including not-public data is allowed
but always leaves an audit entry (who, when, the query) — the same rule for the CLI and the
web view, because both call ``search`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.catalog import Catalog, ItemRow, VersionRow
from civicrecords.config import Config
from civicrecords.integrity.audit import AuditLog
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.whoosh_backend import WhooshBackend


@dataclass
class ResultRow:
    """One result: the item, the version that matched, and its score."""

    item: ItemRow
    version: VersionRow
    score: float

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
        }


@dataclass
class SearchResults:
    """A page of results with the total match count."""

    query: SearchQuery
    rows: list[ResultRow]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def open_backend(root: Path, config: Config) -> SearchBackend:
    """The archive's configured search backend."""
    if config.search.backend == "tantivy":
        from civicrecords.search.tantivy_backend import TantivyBackend

        return TantivyBackend(root / "index" / "tantivy")
    return WhooshBackend(root / "index" / "whoosh", memory_mb=config.search.index_memory_mb)


def search(catalog: Catalog, backend: SearchBackend, query: SearchQuery, audit: AuditLog
           ) -> SearchResults:
    """Run ``query``; audit it when it reaches not-public data. Results whose item is gone
    from the catalog (an index older than the catalog) are dropped."""
    if not query.public_only:
        audit.record("search.all_data", query=query.text,
                     filters={k: v for k, v in vars(query).items()
                              if k not in ("text", "limit", "offset") and v not in ((), None)})
    page = backend.search(query)
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
        rows.append(ResultRow(item=item, version=version, score=hit.score))
    return SearchResults(query=query, rows=rows, total=page.total, facets=page.facets)


__all__ = ["ResultRow", "SearchResults", "open_backend", "search"]
