"""Applying one job's observations and sweeps to the catalog, in one transaction.

The same ``JobWriter`` serves a live capture (fed as records are written) and ``rebuild``
(fed by reading the job's WARCs back), so both produce the same catalog. Nothing is committed
until ``finish``; a crashed job leaves the catalog as it was.

Rules: an observation adds a version when its content hash is new for the item; the most
recent *current* observation is the item's latest version; an item that a complete sweep of
its scope did not return is marked removed (with the job and reason), and so are its
descendants; an item seen again after removal is restored.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from civicrecords.catalog import Catalog
from civicrecords.catalog.overrides import apply_overrides
from civicrecords.classify import Decision, classify
from civicrecords.config import Config
from civicrecords.environment import parse_utc, utc_iso
from civicrecords.model import (
    Gap,
    Item,
    Observation,
    RecordRef,
    Sweep,
    item_to_json,
    media_scope,
)

INDEX_CLEAN, INDEX_NEW, INDEX_CHANGED = 0, 1, 2
BATCH = 2000  # record and event rows held before they are inserted together


@lru_cache(maxsize=4096)  # an item's creation and version times are usually one string
def canonical_time(value: str | None) -> str | None:
    """A platform timestamp in one sortable form (UTC, microseconds, ``Z``); None stays None
    and unreadable values are kept as given."""
    if not value:
        return None
    try:
        return utc_iso(parse_utc(value), microseconds=True)
    except ValueError:
        return value


@dataclass
class JobCounts:
    """Per-account outcome of a job."""

    new: Counter[str] = field(default_factory=Counter)
    edited: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    restored: Counter[str] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)

    def for_account(self, account: str) -> dict[str, int]:
        """The counts of one account as a dict."""
        return {"items": self.observed[account], "new": self.new[account],
                "edited": self.edited[account], "removed": self.removed[account],
                "restored": self.restored[account]}


class JobWriter:
    """Writes one job into the catalog (see module docstring)."""

    def __init__(self, catalog: Catalog, config: Config, job_id: str, *, kind: str = "capture"
                 ) -> None:
        self.catalog = catalog
        self._db = catalog.connection
        self.config = config
        self.job_id = job_id
        self.kind = kind
        self.counts = JobCounts()
        self._edited_items: set[int] = set()
        self._observed_items: set[int] = set()
        self._new_items: set[int] = set()
        # rows inserted in batches (executemany): records and events nothing reads before the
        # job ends, and new items with their first version, with ids assigned here (the job
        # holds the write lock) and written before anything reads items (``_settle``)
        self._records: list[tuple[Any, ...]] = []
        self._events: list[tuple[Any, ...]] = []
        self._new_item_rows: list[tuple[Any, ...]] = []
        self._new_version_rows: list[tuple[Any, ...]] = []
        self._pending_keys: set[tuple[str, str, str]] = set()
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._db.execute("BEGIN IMMEDIATE")
        self._open = True
        self._next_item_id, self._next_version_id = self._db.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM items) + 1,"
            " (SELECT coalesce(max(id), 0) FROM versions) + 1").fetchone()

    @property
    def db(self) -> sqlite3.Connection:
        """The catalog connection inside this job's transaction, with every row this writer
        holds back already written (so a caller reads what the job did so far)."""
        self._settle()
        return self._db

    # ----- records ---------------------------------------------------------------------------
    def record(self, ref: RecordRef, *, record_type: str, target_uri: str | None, date: str,
               payload_digest: str | None = None, concurrent_to: str | None = None) -> None:
        """Remember where a request/response record is."""
        self._records.append((ref.record_id, record_type, ref.warc_file, ref.offset, ref.length,
                              target_uri, date, payload_digest, concurrent_to, self.job_id))
        if len(self._records) >= BATCH:
            self.write_held()

    def write_held(self) -> None:
        """Write every row held back for a batch now (worth doing while the capture waits
        for the platform: the rows must be written anyway)."""
        self._settle()
        self._db.executemany(
            "INSERT OR IGNORE INTO records (record_id, type, warc_file, offset, length, "
            "target_uri, date, payload_digest, concurrent_to, job_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            self._records)
        self._db.executemany(
            "INSERT INTO events (item_id, job_id, event, at, detail) VALUES (?,?,?,?,?)",
            self._events)
        self._records.clear()
        self._events.clear()

    def _settle(self) -> None:
        """Write the new items and versions held back (before anything reads items)."""
        if not self._new_item_rows:
            return
        self._db.executemany(
            "INSERT INTO items (id, platform, account, platform_id, kind, parent_id, thread_id,"
            " scope, author, author_id, author_name, created_at, url, hidden, first_seen,"
            " last_seen, first_job, last_job, classification, legal_basis, needs_review,"
            " classification_source, index_state, version_count, latest_version, status)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,'live')",
            self._new_item_rows)
        self._db.executemany(
            "INSERT INTO versions (id, item_id, content_hash, version_time, observed,"
            " first_seen, last_seen, first_job, last_job, data, warc_file, offset, length,"
            " record_id, response_record_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self._new_version_rows)
        self._new_item_rows.clear()
        self._new_version_rows.clear()
        self._pending_keys.clear()

    # ----- observations ----------------------------------------------------------------------
    def observe(self, observation: Observation) -> str:
        """Apply one observation; return ``new``, ``changed`` or ``same`` for the item."""
        assert observation.record is not None, "observation must be written before applying"
        item = observation.item
        now = observation.captured_at
        current = observation.observed == "current"
        if item.key in self._pending_keys:
            self._settle()
        row = self._db.execute(
            "SELECT id, removed_job, version_count, latest_version, hidden, index_state "
            "FROM items WHERE platform=? AND account=? AND platform_id=?", item.key).fetchone()
        if row is None:
            item_id = self._insert_new(observation)
            self._new_items.add(item_id)
            self._event(item_id, "new", now)
            self.counts.new[item.account] += 1
            if current:
                self._observed_items.add(item_id)
                self.counts.observed[item.account] += 1
            return "new"
        item_id = row["id"]
        outcome = "same"
        index_state = row["index_state"]
        if current:
            self._refresh_item(item_id, observation)
            if row["removed_job"] is not None:
                self._db.execute("UPDATE items SET removed_job=NULL, removed_reason=NULL "
                                "WHERE id=?", (item_id,))
                self._event(item_id, "restored", now)
                self.counts.restored[item.account] += 1
                index_state = max(index_state, INDEX_CHANGED)
            if bool(row["hidden"]) != item.hidden:
                self._event(item_id, "hidden" if item.hidden else "unhidden", now)
                index_state = max(index_state, INDEX_CHANGED)
        if current and item_id not in self._observed_items:
            self._observed_items.add(item_id)
            self.counts.observed[item.account] += 1
        version_id, added = self._version(item_id, observation)
        if current and item.kind != "media":
            self._drop_detached_media(item_id, observation)
        if added and item_id not in self._new_items:
            outcome = "changed"
            index_state = max(index_state, INDEX_CHANGED)
            if item_id not in self._edited_items:
                self._edited_items.add(item_id)
                self._event(item_id, "edited", now)
                self.counts.edited[item.account] += 1
        versions = row["version_count"] + int(added)
        self._update_status(item_id, versions, version_id if current else None,
                            version_id if added else None, index_state)
        return outcome

    def _drop_detached_media(self, item_id: int, observation: Observation) -> None:
        """Media items of this item that its current version no longer lists are removed
        (the item's own content is the complete sweep of its attachments)."""
        self._settle()
        item = observation.item
        listed = {m.platform_id for m in item.media}
        rows = self._db.execute(
            "SELECT id, platform_id FROM items WHERE platform=? AND account=? AND scope=? AND "
            "removed_job IS NULL", (item.platform, item.account, media_scope(item.platform_id))
        ).fetchall()
        missing = [(r["id"], r["platform_id"]) for r in rows if r["platform_id"] not in listed]
        if missing:
            sweep = Sweep(item.platform, item.account, media_scope(item.platform_id), [],
                          self.job_id, reason="removed-from-parent")
            self._remove(sweep, missing, observation.captured_at)

    def _insert_new(self, observation: Observation) -> int:
        """Hold back the rows of an item the catalog does not have (and its first version)
        and return the item's id."""
        item = observation.item
        item_id, version_id = self._next_item_id, self._next_version_id
        self._next_item_id += 1
        self._next_version_id += 1
        decision = self._classify(item)
        self._new_item_rows.append(
            (item_id, *item.key, item.kind, item.parent_id, item.thread_id, observation.scope,
             item.author, item.author_id, item.author_name, canonical_time(item.created_at),
             item.url, int(item.hidden), observation.captured_at, observation.captured_at,
             self.job_id, self.job_id, decision.classification, decision.basis,
             int(decision.review), decision.source, INDEX_NEW, version_id))
        self._new_version_rows.append(
            (version_id, item_id, *self._version_values(observation)))
        self._pending_keys.add(item.key)
        if len(self._new_item_rows) >= BATCH:
            self._settle()
        return item_id

    def _classify(self, item: Item) -> Decision:
        """The configured classification of a new item (the same for every item of one
        kind, platform, account and visibility)."""
        key = (item.kind, item.platform, item.account, item.visibility)
        decision = self._decisions.get(key)
        if decision is None:
            account = next((a for a in self.config.accounts if a.name == item.account), None)
            decision = self._decisions[key] = classify(
                self.config.classification, kind=item.kind, platform=item.platform,
                account=item.account, account_config=account, visibility=item.visibility)
        return decision

    def _refresh_item(self, item_id: int, observation: Observation) -> None:
        item = observation.item
        self._db.execute(
            "UPDATE items SET kind=?, parent_id=?, thread_id=coalesce(?, thread_id), scope=?,"
            " author=?, author_id=?,"
            " author_name=?, created_at=?, url=?, hidden=?, last_seen=?, last_job=? WHERE id=?",
            (item.kind, item.parent_id, item.thread_id, observation.scope, item.author,
             item.author_id, item.author_name, canonical_time(item.created_at), item.url,
             int(item.hidden), observation.captured_at, self.job_id, item_id))

    def _version(self, item_id: int, observation: Observation) -> tuple[int, bool]:
        """The version of a catalogued item this observation shows (added when its content
        hash is new), and whether it was added."""
        row = self._db.execute(
            "SELECT id FROM versions WHERE item_id=? AND content_hash=?",
            (item_id, observation.item.content_hash())).fetchone()
        if row is not None:
            if observation.observed == "current":
                self._db.execute("UPDATE versions SET last_seen=?, last_job=? WHERE id=?",
                                 (observation.captured_at, self.job_id, row["id"]))
            return row["id"], False
        version_id = self._next_version_id
        self._next_version_id += 1
        self._db.execute(
            "INSERT INTO versions (id, item_id, content_hash, version_time, observed, first_seen,"
            " last_seen, first_job, last_job, data, warc_file, offset, length, record_id,"
            " response_record_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (version_id, item_id, *self._version_values(observation)))
        return version_id, True

    def _version_values(self, observation: Observation) -> tuple[Any, ...]:
        """A version row after its id and item id."""
        item = observation.item
        record = observation.record
        assert record is not None
        return (item.content_hash(), canonical_time(item.version_time()), observation.observed,
                observation.captured_at, observation.captured_at, self.job_id, self.job_id,
                observation.item_json or item_to_json(item).decode("utf-8"),
                record.warc_file, record.offset, record.length, record.record_id,
                observation.response_record_id)

    def _update_status(self, item_id: int, versions: int, current: int | None,
                       added: int | None, index_state: int) -> None:
        """Set the version count, the latest version (the one the platform showed most
        recently; a history version only when there is none yet), index state and status."""
        self._db.execute(
            "UPDATE items SET version_count=?, latest_version=coalesce(?, latest_version, ?),"
            " index_state=?, status = CASE WHEN removed_job IS NOT NULL THEN 'removed'"
            " WHEN ? > 1 THEN 'edited' ELSE 'live' END WHERE id=?",
            (versions, current, added, index_state, versions, item_id))

    def _set_status(self, item_id: int) -> None:
        self._db.execute(
            "UPDATE items SET status = CASE WHEN removed_job IS NOT NULL THEN 'removed'"
            " WHEN version_count > 1 THEN 'edited' ELSE 'live' END WHERE id=?", (item_id,))

    def _event(self, item_id: int, event: str, at: str, detail: str | None = None) -> None:
        self._events.append((item_id, self.job_id, event, at, detail))
        if len(self._events) >= BATCH:
            self.write_held()

    # ----- sweeps and gaps -------------------------------------------------------------------
    def sweep(self, sweep: Sweep, at: str) -> int:
        """Mark items of the sweep's scope that it did not return as removed (and their
        descendants); return how many were marked."""
        self._settle()
        seen = set(sweep.seen)
        rows = self._db.execute(
            "SELECT id, platform_id FROM items WHERE platform=? AND account=? AND scope=? AND "
            "removed_job IS NULL", (sweep.platform, sweep.account, sweep.scope)).fetchall()
        missing = [(r["id"], r["platform_id"]) for r in rows if r["platform_id"] not in seen]
        removed = self._remove(sweep, missing, at)
        self._db.execute("INSERT INTO sweeps (job_id, platform, account, scope, seen, removed) "
                        "VALUES (?,?,?,?,?,?)", (self.job_id, sweep.platform, sweep.account,
                                                 sweep.scope, len(seen), removed))
        return removed

    def _remove(self, sweep: Sweep, targets: list[tuple[int, str]], at: str) -> int:
        count = 0
        cascade = False
        while targets:
            for item_id, platform_id in targets:
                reason = "parent-removed" if cascade else sweep.reason_for(platform_id)
                self._db.execute("UPDATE items SET removed_job=?, removed_reason=?, index_state=? "
                                "WHERE id=?", (self.job_id, reason, INDEX_CHANGED, item_id))
                self._set_status(item_id)
                self._event(item_id, "removed", at, reason)
                self.counts.removed[sweep.account] += 1
                count += 1
            parents = [pid for _, pid in targets]
            targets = []
            for start in range(0, len(parents), 500):
                chunk = parents[start:start + 500]
                marks = ",".join("?" * len(chunk))
                # a descendant seen live in this very job was not removed with its parent
                targets.extend((r["id"], r["platform_id"]) for r in self._db.execute(
                    f"SELECT id, platform_id FROM items WHERE platform=? AND account=? AND "
                    f"parent_id IN ({marks}) AND removed_job IS NULL",
                    (sweep.platform, sweep.account, *chunk))
                    if r["id"] not in self._observed_items)
            cascade = True
        return count

    def missing(self, platform: str, account: str, scope: str, seen: list[str]) -> list[str]:
        """Platform ids the catalog holds as present in ``scope`` that ``seen`` lacks (what a
        sweep would mark removed), so a source can ask the platform why before sweeping."""
        self._settle()
        present = set(seen)
        rows = self._db.execute(
            "SELECT platform_id FROM items WHERE platform=? AND account=? AND scope=? AND "
            "removed_job IS NULL", (platform, account, scope))
        return [r["platform_id"] for r in rows if r["platform_id"] not in present]

    def known(self, platform: str, account: str, scope: str) -> dict[str, str | None]:
        """Platform id -> created_at of every present item of ``scope`` (for incremental
        captures: what the archive already has)."""
        self._settle()
        rows = self._db.execute(
            "SELECT platform_id, created_at FROM items WHERE platform=? AND account=? AND "
            "scope=? AND removed_job IS NULL", (platform, account, scope))
        return {r["platform_id"]: r["created_at"] for r in rows}

    def gap(self, gap: Gap) -> None:
        """Remember a gap of this job."""
        self._db.execute("INSERT INTO gaps (job_id, account, url, reason, attempts, scope) "
                        "VALUES (?,?,?,?,?,?)", (self.job_id, gap.account, gap.url, gap.reason,
                                                 gap.attempts, gap.scope))

    # ----- end -------------------------------------------------------------------------------
    def finish(self, manifest: dict[str, Any], manifest_path: str) -> JobCounts:
        """Record the job (and each account's outcome) and commit everything."""
        self.write_held()
        for account in manifest.get("accounts", []):
            counts = account.get("counts", {})
            self._db.execute(
                "INSERT OR REPLACE INTO job_accounts (job_id, account, platform, mode, started,"
                " finished, items, new, edited, removed, gaps, token) VALUES"
                " (?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.job_id, account["name"], account.get("platform", ""),
                 account.get("mode", "full"), manifest.get("started"), manifest.get("finished"),
                 counts.get("items"), counts.get("new"), counts.get("edited"),
                 counts.get("removed"), counts.get("gaps", 0),
                 json.dumps(account["token"]) if account.get("token") else None))
        self._db.execute(
            "INSERT OR REPLACE INTO jobs (job_id, kind, seq, started, finished, operator,"
            " tool_version, manifest, gaps) VALUES (?,?,?,?,?,?,?,?,?)",
            (self.job_id, manifest.get("kind", self.kind), manifest.get("sequence"),
             manifest.get("started"), manifest.get("finished"), manifest.get("operator"),
             (manifest.get("tool") or {}).get("version"), manifest_path,
             len(manifest.get("gaps", []))))
        apply_overrides(self.db, self.config, self.catalog.path.parent)
        self._db.execute("COMMIT")
        self._open = False
        return self.counts

    def rollback(self) -> None:
        """Abandon everything this writer did."""
        self._records.clear()
        self._events.clear()
        self._new_item_rows.clear()
        self._new_version_rows.clear()
        self._pending_keys.clear()
        if self._open:
            self._db.execute("ROLLBACK")
            self._open = False
