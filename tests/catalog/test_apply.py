"""The catalog writer's rules: versions by content, removal by sweep, restore, cascades."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.catalog.apply import JobWriter
from civicrecords.catalog.replay import catch_up
from civicrecords.model import Item, Observation, RecordRef, Sweep


def _observe(writer: JobWriter, item: Item, scope: str, n: int) -> str:
    record = RecordRef("warcs/x.warc.gz", n * 100, 100, f"<urn:uuid:{writer.job_id}-{n}>")
    return writer.observe(Observation(item=item, job_id=writer.job_id,
                                      captured_at=f"2026-11-0{n % 9 + 1}T00:00:00Z",
                                      scope=scope, record=record))


def _item(pid: str, text: str, parent: str | None = None) -> Item:
    return Item(platform="bluesky", account="city", platform_id=pid,
                kind="comment" if parent else "post", text=text, parent_id=parent,
                created_at="2026-10-01T00:00:00Z")


def test_versions_removal_cascade_and_restore(archive: Archive) -> None:
    with Catalog(archive.catalog_path) as catalog:
        job = JobWriter(catalog, archive.config, "job-1")
        assert _observe(job, _item("A", "post"), "timeline", 1) == "new"
        assert _observe(job, _item("B", "reply", "A"), "thread:A", 2) == "new"
        assert _observe(job, _item("C", "other reply", "A"), "thread:A", 3) == "new"
        job.finish({"job_id": "job-1"}, "manifests/job-1.json")

        job = JobWriter(catalog, archive.config, "job-2")
        assert _observe(job, _item("B", "reply, edited"), "timeline", 4) == "changed"
        job.sweep(Sweep("bluesky", "city", "timeline", ["B"], "job-2",
                        reasons={"A": "deleted"}), "2026-11-05T00:00:00Z")
        job.finish({"job_id": "job-2"}, "manifests/job-2.json")
        a, b, c = (catalog.find(x) for x in "ABC")
        assert (a.status, a.removed_reason) == ("removed", "deleted")
        assert (c.status, c.removed_reason) == ("removed", "parent-removed")
        assert b.status == "edited"  # seen live in the same job: not removed with its parent
        assert b.version_count == 2

        job = JobWriter(catalog, archive.config, "job-3")
        assert _observe(job, _item("A", "post"), "timeline", 5) == "same"
        job.finish({"job_id": "job-3"}, "manifests/job-3.json")
        a = catalog.find("A")
        assert a.status == "live" and a.removed_job is None
        assert [e["event"] for e in catalog.events(a.id)] == ["new", "removed", "restored"]


def test_a_current_catalog_opens_while_a_job_holds_the_write_lock(archive: Archive) -> None:
    Catalog(archive.catalog_path).close()
    with Catalog(archive.catalog_path) as writer:
        job = JobWriter(writer, archive.config, "job-1")  # BEGIN IMMEDIATE: the write lock
        _observe(job, _item("A", "post"), "timeline", 1)
        with Catalog(archive.catalog_path) as reader:  # status, search, the web view...
            assert reader.count_items() == 0  # reads what is committed, no lock needed
        job.finish({"job_id": "job-1"}, "manifests/job-1.json")


def test_a_new_catalog_opens_while_another_process_is_creating_it(tmp_path: Path) -> None:
    """The listener may be creating the catalog when a reader is first to open it: switching
    a new file to WAL needs a lock SQLite does not wait for, so opening must wait itself."""
    path = tmp_path / "catalog.sqlite"
    creator = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    creator.execute("BEGIN IMMEDIATE")  # a rollback-journal writer, mid-creation
    creator.execute("CREATE TABLE early (a)")
    threading.Timer(0.3, creator.execute, ("COMMIT",)).start()
    with Catalog(path) as catalog:
        assert catalog.count_items() == 0
        assert catalog.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    creator.close()


def _tables(path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(path)
    try:
        item_columns = [row[1] for row in db.execute("PRAGMA table_info(items)")
                        if row[1] != "index_state"]  # the live catalog was indexed since
        return {
            "items": db.execute(f"SELECT {', '.join(item_columns)} FROM items ORDER BY id")
            .fetchall(),
            **{table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
               for table in ("versions", "events", "records", "sweeps")}}
    finally:
        db.close()


def test_replaying_the_warcs_gives_the_catalog_the_live_captures_wrote(
        captured: dict, copy_tree) -> None:
    """``rebuild`` reads the WARCs back into a new catalog: it must hold the very rows the
    live captures wrote (ids, versions with their stored JSON, events, records, sweeps)."""
    live = captured["archive"]
    root = copy_tree(live.root, "replayed")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / 'catalog.sqlite'}{suffix}").unlink(missing_ok=True)
    archive = Archive.open(root, captured["env"])
    with Catalog(archive.catalog_path) as catalog:
        replayed = catch_up(catalog, archive.config, root)
    assert len(replayed) == 2
    expected, got = _tables(live.catalog_path), _tables(archive.catalog_path)
    assert len(expected["items"]) > 400 and len(expected["versions"]) > len(expected["items"])
    assert {name: len(rows) for name, rows in got.items()} == {
        name: len(rows) for name, rows in expected.items()}
    assert got == expected
