"""The catalog's SQLite schema and its versioned migrations.

The catalog is derived data: ``civicrecords rebuild`` recreates it from the WARCs and
manifests. Its schema still carries a version (``meta.schema_version``) so an older catalog is
upgraded in place by the steps in ``MIGRATIONS`` rather than silently misread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

SCHEMA_VERSION = 1

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, seq INTEGER, started TEXT, finished TEXT,
    operator TEXT, tool_version TEXT, manifest TEXT, gaps INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL, account TEXT NOT NULL, platform_id TEXT NOT NULL,
    kind TEXT NOT NULL, parent_id TEXT, thread_id TEXT, scope TEXT,
    author TEXT, author_id TEXT, author_name TEXT, created_at TEXT, url TEXT,
    hidden INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'live',
    removed_job TEXT, removed_reason TEXT,
    first_seen TEXT, last_seen TEXT, first_job TEXT, last_job TEXT,
    latest_version INTEGER, version_count INTEGER NOT NULL DEFAULT 0,
    classification TEXT NOT NULL DEFAULT 'public', legal_basis TEXT,
    needs_review INTEGER NOT NULL DEFAULT 0, classification_source TEXT,
    index_state INTEGER NOT NULL DEFAULT 1,
    UNIQUE (platform, account, platform_id)
);
CREATE INDEX IF NOT EXISTS items_thread ON items (platform, account, thread_id);
CREATE INDEX IF NOT EXISTS items_parent ON items (platform, account, parent_id);
CREATE INDEX IF NOT EXISTS items_scope ON items (platform, account, scope);
CREATE INDEX IF NOT EXISTS items_pid ON items (platform_id);
CREATE INDEX IF NOT EXISTS items_index_state ON items (index_state) WHERE index_state != 0;
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items (id),
    content_hash TEXT NOT NULL, version_time TEXT, observed TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, first_job TEXT NOT NULL,
    last_job TEXT NOT NULL, data TEXT NOT NULL,
    warc_file TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
    record_id TEXT NOT NULL, response_record_id TEXT,
    UNIQUE (item_id, content_hash)
);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY, type TEXT NOT NULL, warc_file TEXT NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, target_uri TEXT, date TEXT,
    payload_digest TEXT, concurrent_to TEXT, job_id TEXT
);
CREATE TABLE IF NOT EXISTS events (
    item_id INTEGER NOT NULL REFERENCES items (id), job_id TEXT NOT NULL,
    event TEXT NOT NULL, at TEXT NOT NULL, detail TEXT
);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id);
CREATE TABLE IF NOT EXISTS sweeps (
    job_id TEXT NOT NULL, platform TEXT NOT NULL, account TEXT NOT NULL, scope TEXT NOT NULL,
    seen INTEGER NOT NULL, removed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS job_accounts (
    job_id TEXT NOT NULL, account TEXT NOT NULL, platform TEXT NOT NULL, mode TEXT NOT NULL,
    started TEXT, finished TEXT, items INTEGER, new INTEGER, edited INTEGER, removed INTEGER,
    gaps INTEGER NOT NULL DEFAULT 0, token TEXT,
    PRIMARY KEY (job_id, account)
);
CREATE TABLE IF NOT EXISTS gaps (
    job_id TEXT NOT NULL, account TEXT NOT NULL, url TEXT NOT NULL, reason TEXT NOT NULL,
    attempts INTEGER NOT NULL, scope TEXT
);
"""

MIGRATIONS: dict[int, str] = {1: SCHEMA_V1}


def schema_version(connection: sqlite3.Connection) -> int:
    """The catalog's schema version (0 for an empty database); reads only."""
    if connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is None:
        return 0
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def use_wal(connection: sqlite3.Connection, timeout: float = 30.0) -> None:
    """Put the catalog in WAL mode (kept in the file, so this writes only on first open).

    Switching needs an exclusive lock and SQLite does not wait for it through the busy
    timeout, so a first opener racing another process retries until ``timeout``."""
    deadline = time.monotonic() + timeout
    while connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the catalog to ``SCHEMA_VERSION`` (creating it when empty), in one transaction.

    A current catalog is only read, so opening one never contends with a writer; two
    processes creating the same catalog at once are serialized by the write lock, and the
    second finds the work done."""
    if schema_version(connection) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for another migrator
    try:
        current = schema_version(connection)
        if current > SCHEMA_VERSION:
            from civicrecords.errors import ConfigError

            raise ConfigError(
                f"catalog schema {current} is newer than this civicrecords understands; "
                "upgrade")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[version]):
                connection.execute(statement)
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (version,))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _statements(script: str) -> Iterator[str]:
    """The complete SQL statements of ``script`` (trigger bodies kept whole)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
