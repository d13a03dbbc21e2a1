"""The SQLite catalog: items, their versions and WARC locations, jobs, removals, gaps.

Derived data only (``rebuild`` recreates it from WARCs and manifests). Opened in WAL mode so
searches and ``show`` read while a capture writes. Reading helpers return plain dataclasses;
``catalog.apply.JobWriter`` is the only writer of items and versions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from civicrecords.catalog.schema import migrate, use_wal
from civicrecords.errors import NotFoundError, UsageError
from civicrecords.model import Item, RecordRef


@dataclass(frozen=True)
class ItemRow:
    """One item as the catalog knows it (identity, status, classification, locations)."""

    id: int
    platform: str
    account: str
    platform_id: str
    kind: str
    parent_id: str | None
    thread_id: str | None
    scope: str | None
    author: str | None
    author_id: str | None
    author_name: str | None
    created_at: str | None
    url: str | None
    hidden: int
    status: str
    removed_job: str | None
    removed_reason: str | None
    first_seen: str | None
    last_seen: str | None
    first_job: str | None
    last_job: str | None
    latest_version: int | None
    version_count: int
    classification: str
    legal_basis: str | None
    needs_review: int
    classification_source: str | None
    index_state: int

    @property
    def ref(self) -> str:
        """``platform:account:platform_id``: unambiguous across platforms and accounts."""
        return f"{self.platform}:{self.account}:{self.platform_id}"

    @property
    def is_public(self) -> bool:
        """True when the item's classification is public."""
        return self.classification == "public"


@dataclass(frozen=True)
class VersionRow:
    """One stored version of an item and the WARC metadata record that holds it."""

    id: int
    item_id: int
    content_hash: str
    version_time: str | None
    observed: str
    first_seen: str
    last_seen: str
    first_job: str
    last_job: str
    data: str
    warc_file: str
    offset: int
    length: int
    record_id: str
    response_record_id: str | None

    def item(self) -> Item:
        """The normalized item of this version."""
        return Item.from_dict(json.loads(self.data))

    @property
    def record(self) -> RecordRef:
        """Location of the version's metadata record."""
        return RecordRef(self.warc_file, self.offset, self.length, self.record_id)


@dataclass(frozen=True)
class RecordRow:
    """A request or response record the catalog knows the location of."""

    record_id: str
    type: str
    warc_file: str
    offset: int
    length: int
    target_uri: str | None
    date: str | None
    payload_digest: str | None
    concurrent_to: str | None
    job_id: str | None

    @property
    def ref(self) -> RecordRef:
        return RecordRef(self.warc_file, self.offset, self.length, self.record_id)


def _row(cls: type, row: sqlite3.Row) -> Any:
    """A row dataclass from a row selected with that class's ``*_COLUMNS`` (same order)."""
    return cls(*row)


ITEM_COLUMNS = ", ".join(f.name for f in fields(ItemRow))
VERSION_COLUMNS = ", ".join(f.name for f in fields(VersionRow))
RECORD_COLUMNS = ", ".join(f.name for f in fields(RecordRow))


class Catalog:
    """A connection to ``catalog.sqlite`` (created and migrated on open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.connection.row_factory = sqlite3.Row
        use_wal(self.connection)
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA foreign_keys=ON")
        migrate(self.connection)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run one statement (for modules that own their own tables' queries)."""
        return self.connection.execute(sql, tuple(params))

    # ----- items ---------------------------------------------------------------------------
    def item(self, item_id: int) -> ItemRow:
        """The item with catalog id ``item_id`` (``NotFoundError`` if absent)."""
        row = self.connection.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no item with catalog id {item_id}")
        return _row(ItemRow, row)

    def items(self, item_ids: Iterable[int]) -> dict[int, ItemRow]:
        """Items by catalog id (absent ids are left out)."""
        ids = list(item_ids)
        out: dict[int, ItemRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.connection.execute(
                    f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk):
                out[row["id"]] = _row(ItemRow, row)
        return out

    def find(self, reference: str) -> ItemRow:
        """Resolve an item reference: ``platform:account:id``, ``account:id`` or a bare
        platform id. ``NotFoundError`` when nothing matches; ``UsageError`` when a bare id is
        ambiguous (the message lists the full references to use)."""
        rows = self.connection.execute(  # a bare id, even one with colons (at://..., URLs)
            f"SELECT {ITEM_COLUMNS} FROM items WHERE platform_id = ?", (reference,)).fetchall()
        parts = reference.split(":")
        if not rows and len(parts) >= 3:
            rows = self.connection.execute(
                f"SELECT {ITEM_COLUMNS} FROM items WHERE platform=? AND account=? AND "
                "platform_id=?", (parts[0], parts[1], ":".join(parts[2:]))).fetchall()
        if not rows and len(parts) >= 2:
            rows = self.connection.execute(
                f"SELECT {ITEM_COLUMNS} FROM items WHERE account=? AND platform_id=?",
                (parts[0], ":".join(parts[1:]))).fetchall()
        if not rows:
            raise NotFoundError(f"no item {reference!r} in the archive")
        if len(rows) > 1:
            refs = ", ".join(_row(ItemRow, r).ref for r in rows)
            raise UsageError(f"item id {reference!r} is ambiguous; use one of: {refs}")
        return _row(ItemRow, rows[0])

    def children(self, item: ItemRow) -> list[ItemRow]:
        """Items whose parent is ``item`` (same platform and account), oldest first."""
        rows = self.connection.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE platform=? AND account=? AND parent_id=? "
            "ORDER BY created_at, platform_id", (item.platform, item.account, item.platform_id))
        return [_row(ItemRow, r) for r in rows]

    def thread(self, item: ItemRow) -> list[ItemRow]:
        """Every item of ``item``'s conversation (the root post first, then by time)."""
        root = item.thread_id or item.platform_id
        rows = self.connection.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE platform=? AND account=? AND "
            "(thread_id=? OR platform_id=?) ORDER BY (platform_id = ?) DESC, created_at, "
            "platform_id", (item.platform, item.account, root, root, root))
        return [_row(ItemRow, r) for r in rows]

    def iter_items(self, where: str = "1=1", params: Iterable[Any] = (),
                   limit: int | None = None) -> Iterator[ItemRow]:
        """Items matching an SQL condition over the items table, in catalog id order."""
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        for row in self.connection.execute(
                f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} ORDER BY id{tail}",
                tuple(params)):
            yield _row(ItemRow, row)

    def count_items(self) -> int:
        """Number of items in the catalog."""
        return int(self.connection.execute("SELECT count(*) FROM items").fetchone()[0])

    # ----- versions ------------------------------------------------------------------------
    def versions(self, item_id: int) -> list[VersionRow]:
        """Every version of an item, oldest first (platform time, then first capture)."""
        rows = self.connection.execute(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE item_id=? "
            "ORDER BY coalesce(version_time, first_seen), first_seen, id", (item_id,))
        return [_row(VersionRow, r) for r in rows]

    def latest(self, item: ItemRow) -> VersionRow:
        """The version the platform showed most recently."""
        row = self.connection.execute(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?", (item.latest_version,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"item {item.ref} has no stored version")
        return _row(VersionRow, row)

    def versions_of(self, item_ids: Iterable[int]) -> dict[int, list[VersionRow]]:
        """Versions of many items at once (each list oldest first)."""
        ids = list(item_ids)
        out: dict[int, list[VersionRow]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.connection.execute(
                    f"SELECT {VERSION_COLUMNS} FROM versions WHERE item_id IN ({marks}) "
                    "ORDER BY item_id, coalesce(version_time, first_seen), first_seen, id",
                    chunk):
                out[row["item_id"]].append(_row(VersionRow, row))
        return out

    # ----- records, events, jobs ------------------------------------------------------------
    def record(self, record_id: str) -> RecordRow:
        """A request/response record by WARC-Record-ID (``NotFoundError`` if unknown)."""
        row = self.connection.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE record_id = ?", (record_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no WARC record {record_id} in the catalog")
        return _row(RecordRow, row)

    def request_for(self, response_id: str) -> RecordRow | None:
        """The request record sent for a response (via WARC-Concurrent-To)."""
        row = self.connection.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE type='request' AND concurrent_to = ?",
            (response_id,)).fetchone()
        return _row(RecordRow, row) if row else None

    def events(self, item_id: int) -> list[dict[str, Any]]:
        """What happened to an item, job by job (new, edited, removed, restored...)."""
        rows = self.connection.execute(
            "SELECT job_id, event, at, detail FROM events WHERE item_id=? ORDER BY rowid",
            (item_id,))
        return [dict(r) for r in rows]

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the catalog has applied, in chain order."""
        return [dict(r) for r in self.connection.execute("SELECT * FROM jobs ORDER BY seq")]

    def has_job(self, job_id: str) -> bool:
        """True when the job's records are in the catalog."""
        return self.connection.execute(
            "SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone() is not None

    def gaps(self, job_id: str | None = None) -> list[dict[str, Any]]:
        """Gaps recorded by one job (or all jobs)."""
        if job_id is None:
            rows = self.connection.execute("SELECT * FROM gaps ORDER BY rowid")
        else:
            rows = self.connection.execute("SELECT * FROM gaps WHERE job_id=? ORDER BY rowid",
                                           (job_id,))
        return [dict(r) for r in rows]
