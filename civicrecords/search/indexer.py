"""Keeping the index in step with the catalog.

The catalog marks items whose documents must be added (new) or replaced (new version, status
or classification change). ``index_pending`` turns those into ``IndexDocument``s (one per
version, the latest flagged), hands them to the backend in batches, and only then clears the
marks, so an interrupted run is simply picked up by the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from civicrecords import jsonio
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.catalog.apply import INDEX_CHANGED
from civicrecords.environment import parse_utc
from civicrecords.search.backend import IndexDocument, SearchBackend
from civicrecords.search.conversation import thread_key

BATCH = 20_000


def documents_for(catalog: Catalog, items: list[ItemRow]) -> Iterator[IndexDocument]:
    """Every version of ``items`` as index documents."""
    versions = catalog.versions_of(item.id for item in items)
    for item in items:
        created = None
        if item.created_at:
            try:
                created = parse_utc(item.created_at)
            except ValueError:
                created = None
        thread = thread_key(catalog, item)
        for version in versions[item.id]:
            data = jsonio.loads(version.data)  # only the fields the index needs
            yield IndexDocument(
                item_id=item.id, version_id=version.id, latest=version.id == item.latest_version,
                text=data.get("text") or "", title=data.get("title") or "",
                author=item.author or "", author_name=item.author_name or "",
                account=item.account, platform=item.platform, kind=item.kind,
                status=item.status, classification=item.classification,
                edited=item.version_count > 1,
                tags=tuple(t.lower() for t in data.get("tags") or () if t),
                url=item.url or "", created=created, thread=thread)


def index_pending(catalog: Catalog, backend: SearchBackend,
                  progress: Callable[[int], None] | None = None) -> int:
    """Index every item the catalog marks as pending; return how many items were indexed.

    An empty index (deleted, or replaced because it was built by another version) while the
    catalog says items are indexed is refilled from scratch."""
    if backend.count() == 0 and catalog.execute(
            "SELECT 1 FROM items WHERE index_state = 0 LIMIT 1").fetchone():
        catalog.execute("UPDATE items SET index_state=1")
    done = 0
    while True:
        items = list(catalog.iter_items("index_state != 0", limit=BATCH))
        if not items:
            return done
        replace = [item.id for item in items if item.index_state == INDEX_CHANGED]
        backend.add(documents_for(catalog, items), replace_items=replace)
        ids = [item.id for item in items]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            catalog.execute(f"UPDATE items SET index_state=0 WHERE id IN "
                            f"({','.join('?' * len(chunk))})", chunk)
        done += len(items)
        if progress:
            progress(done)


def reset_index(catalog: Catalog, backend: SearchBackend) -> None:
    """Empty the index and mark every item for indexing (used by ``rebuild``)."""
    backend.clear()
    catalog.execute("UPDATE items SET index_state=1")
