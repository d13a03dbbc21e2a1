"""Mirroring the archive's record to the bucket: WARCs, manifests, signatures, the chain.

``upload_archive`` stores every file the manifest chain vouches for that the ledger does not
yet hold (WARCs before the manifest that lists them, so a manifest in the bucket always
finds its files there), each with the Object Lock its records' retention requires, then
copies the changing files (chain, audit log, config, public key) when they changed, then
prunes local WARCs when the policy says so. It runs under the archive lock; a rerun after a
crash continues where the last run stopped and stores nothing twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.config import CONFIG_NAME
from civicrecords.environment import parse_utc
from civicrecords.errors import IntegrityError, Problem
from civicrecords.integrity.audit import AUDIT_NAME
from civicrecords.integrity.disposal import disposed_files
from civicrecords.integrity.hashing import digest_file
from civicrecords.integrity.manifest import CHAIN_NAME, MANIFESTS, chain_entries, load_manifest
from civicrecords.integrity.signing import PUBLIC_KEY_NAME
from civicrecords.storage.bucketcheck import require_locked
from civicrecords.storage.client import Bucket, connect
from civicrecords.storage.ledger import Ledger, LedgerState
from civicrecords.storage.objects import MB, FileSpec, Lock, Uploader
from civicrecords.storage.retention import default_lock, lock_dates, permanent_lock

# Archive files that change as the archive grows: copied as new versions when they change.
MUTABLE = (f"{MANIFESTS}/{CHAIN_NAME}", AUDIT_NAME, PUBLIC_KEY_NAME, CONFIG_NAME)

Progress = Callable[[str, int], None]


@dataclass
class UploadReport:
    """What one upload run did."""

    bucket: str
    stored: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    already: int = 0
    synced: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"bucket": self.bucket, "stored": self.stored, "adopted": self.adopted,
                "already_stored": self.already, "synced": self.synced, "pruned": self.pruned,
                "bytes": self.bytes, "problems": [p.to_dict() for p in self.problems]}


def open_bucket(archive: Archive) -> Bucket:
    """The archive's configured bucket (``UsageError`` when ``[storage]`` is not set)."""
    return connect(archive.config.storage, archive.env)


def _plan(archive: Archive, state: LedgerState, locks: dict[str, tuple[datetime, str]],
          now: datetime) -> list[FileSpec]:
    """Files the chain vouches for that are not stored yet, WARCs before their manifest."""
    root = archive.root
    gone = disposed_files(root)
    plan: list[FileSpec] = []
    forever = Lock(*permanent_lock(archive.config, now))
    for entry in chain_entries(root):
        manifest_rel = entry["manifest"]
        manifest = load_manifest(root / manifest_rel)
        started = parse_utc(manifest.get("started") or manifest.get("finished")
                            or "1970-01-01T00:00:00Z")
        fallback = default_lock(archive.config, started, now)
        for item in manifest.get("files", []):
            path = item["path"]
            if path in gone or state.is_stored(path, item["sha256"]):
                continue
            until, mode = locks.get(path, fallback) if item.get("role", "warc") == "warc" \
                else permanent_lock(archive.config, now)
            plan.append(FileSpec(path, int(item["size"]), item["sha256"], Lock(until, mode)))
        for path, sha in ((manifest_rel, entry["sha256"]), (manifest_rel + ".sig", None)):
            local = root / path
            if sha is None:
                if not local.exists():
                    continue
                sha = digest_file(local).sha256
            if not state.is_stored(path, sha) and local.exists():
                plan.append(FileSpec(path, local.stat().st_size, sha, forever))
    return plan


def _sync_mutable(archive: Archive, uploader: Uploader, state: LedgerState,
                  now: datetime, report: UploadReport) -> None:
    forever = Lock(*permanent_lock(archive.config, now))
    for path in MUTABLE:
        local = archive.root / path
        if not local.exists():
            continue
        digests = digest_file(local)
        last = state.synced.get(path)
        if last is not None and last["sha256"] == digests.sha256:
            continue
        entry = uploader.store(FileSpec(path, digests.size, digests.sha256, forever))
        uploader.ledger.append("synced", path, version_id=entry["version_id"],
                               sha256=digests.sha256, size=digests.size)
        report.synced.append(path)


def prune_local(archive: Archive, bucket: Bucket, ledger: Ledger, now: datetime) -> list[str]:
    """Delete local WARCs that are stored and verified, whose job finished more than
    ``keep_local_days`` ago, after confirming the bucket still holds the stored version.
    Reads of pruned files are served from the bucket. Returns the paths pruned."""
    storage = archive.config.storage
    if storage.prune != "after-upload":
        return []
    cutoff = now - timedelta(days=storage.keep_local_days)
    state = ledger.state()
    pruned: list[str] = []
    for entry in chain_entries(archive.root):
        manifest = load_manifest(archive.root / entry["manifest"])
        finished = parse_utc(manifest.get("finished") or manifest.get("started") or "")
        if finished > cutoff or manifest.get("kind", "capture") != "capture":
            continue
        for item in manifest.get("files", []):
            path = item["path"]
            local = archive.root / path
            stored = state.stored.get(path)
            if path in state.pruned or not local.exists() or stored is None \
                    or stored["sha256"] != item["sha256"]:
                continue
            head = bucket.head(path, stored["version_id"] or None)
            if head is None or head.get("ContentLength") != item["size"]:
                continue
            local.unlink()
            ledger.append("pruned", path, version_id=stored["version_id"])
            pruned.append(path)
    if pruned:
        os.sync()
    return pruned


def upload_archive(archive: Archive, *, allow_unlocked: bool = False,
                   progress: Progress | None = None, bucket: Bucket | None = None
                   ) -> UploadReport:
    """Store everything not yet stored (see module docstring) and return what was done.

    Refuses (``RefusedError``) a bucket without versioning and Object Lock unless allowed.
    A file that is missing locally or differs from its manifest is reported as a problem
    and skipped; the rest is still stored. ``StorageError`` when the store fails.
    """
    storage = archive.config.storage
    bucket = bucket or open_bucket(archive)
    require_locked(bucket, allow_unlocked=allow_unlocked or storage.allow_unlocked)
    ledger = Ledger(archive.root, archive.env)
    report = UploadReport(bucket=bucket.url())
    with archive.lock("storage upload"):
        now = archive.env.now()
        state = ledger.state()
        with Catalog(archive.catalog_path) as catalog:
            locks = lock_dates(catalog, archive.config, now)
        uploader = Uploader(archive.root, bucket, ledger, storage, archive.env, progress)
        plan = _plan(archive, state, locks, now)
        report.already = len(state.stored)
        for spec in plan:
            try:
                entry = uploader.store(spec)
            except IntegrityError as exc:
                report.problems.extend(exc.problems or [Problem("upload", exc.message,
                                                                path=spec.path)])
                continue
            (report.adopted if entry.get("adopted") else report.stored).append(spec.path)
            report.bytes += 0 if entry.get("adopted") else spec.size
        _sync_mutable(archive, uploader, ledger.state(), now, report)
        if not report.problems:
            report.pruned = prune_local(archive, bucket, ledger, now)
    archive.audit.record("storage.upload", subject=bucket.url(), stored=len(report.stored),
                         adopted=len(report.adopted), bytes=report.bytes,
                         pruned=len(report.pruned), problems=len(report.problems))
    return report


__all__ = ["MB", "MUTABLE", "UploadReport", "open_bucket", "prune_local", "upload_archive"]
