"""``retention dispose``: removing records whose retention has ended, provably.

What disposing of an item means when WARC files are immutable and shared: the item leaves
the catalog and the index (it is no longer found, shown or exported) and a signed disposal
record lists it — ref, series, dates, content hashes, record ids — with a certificate. The
bytes themselves are deleted only file by file: a WARC file (with the other files of its
job and account, which may refer to its records) is deleted, locally and from the bucket,
only when *every* item observed in it is disposed of. A file that also holds a retained item
is kept whole and never rewritten; the disposed item's bytes then leave with the last of its
neighbours. In the bucket a file's versions are deleted once their Object Lock has expired
(COMPLIANCE) or, with ``bypass_governance``, under GOVERNANCE; until then the deletion stays
pending and every later disposal run retries it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from civicrecords import __version__
from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_write, fsync_dir
from civicrecords.catalog import Catalog
from civicrecords.catalog.apply import JobWriter
from civicrecords.catalog.disposal import delete_items
from civicrecords.catalog.replay import read_records
from civicrecords.environment import utc_iso
from civicrecords.errors import RefusedError, UsageError
from civicrecords.integrity.disposal import (
    CERTIFICATE_ROLE,
    DISPOSAL_SCHEMA,
    RECORD_ROLE,
    disposed_files,
    disposed_refs,
)
from civicrecords.integrity.hashing import sha256_bytes
from civicrecords.integrity.manifest import (
    chain_entries,
    commit,
    describe_file,
    load_manifest,
    stage,
)
from civicrecords.model import ITEM_SCHEMA
from civicrecords.storage.certificate import certificate_pdf
from civicrecords.storage.client import Bucket, error_code, translated
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.retention import ItemRetention, files_by_item

DISPOSALS_DIR = "disposals"
_PART = re.compile(r"^(?P<group>.+)-\d+\.warc(\.gz)?$")


@dataclass
class DisposalPlan:
    """What a disposal on ``today`` would do."""

    today: date
    items: list[ItemRetention]
    held: list[ItemRetention]
    blocked: list[ItemRetention]
    delete_files: list[dict[str, Any]] = field(default_factory=list)
    retained_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"today": self.today.isoformat(), "items": len(self.items),
                "held": len(self.held), "blocked": len(self.blocked),
                "delete_files": [f["path"] for f in self.delete_files],
                "retained_files": self.retained_files}


@dataclass
class DisposalResult:
    """A finished disposal."""

    job_id: str
    record: str
    certificate: str
    items: int
    deleted_item_ids: list[int]
    deleted_local: list[str]
    bucket_deleted: list[str] = field(default_factory=list)
    bucket_pending: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"job_id": self.job_id, "record": self.record, "certificate": self.certificate,
                "items": self.items, "deleted_local": self.deleted_local,
                "bucket_deleted": self.bucket_deleted, "bucket_pending": self.bucket_pending}


def _groups(archive: Archive) -> dict[str, list[dict[str, Any]]]:
    gone = disposed_files(archive.root)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in chain_entries(archive.root):
        manifest = load_manifest(archive.root / entry["manifest"])
        for listed in manifest.get("files", []):
            if listed.get("role", "warc") != "warc" or listed["path"] in gone:
                continue
            match = _PART.match(listed["path"])
            groups[match.group("group") if match else listed["path"]].append(listed)
    return groups


def _observed(archive: Archive, files: list[dict[str, Any]]) -> set[str]:
    refs: set[str] = set()
    for listed in files:
        for record in read_records(archive.root, listed["path"]):
            if record.record_type != "metadata" or not record.body:
                continue
            try:
                data = json.loads(record.body)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("schema") == ITEM_SCHEMA:
                item = data["item"]
                refs.add(f"{item['platform']}:{item['account']}:{item['platform_id']}")
    return refs


def plan_disposal(archive: Archive, catalog: Catalog, schedule: list[ItemRetention], *,
                  today: date, only: list[str] | None = None) -> DisposalPlan:
    """Which items and files a disposal would remove (``schedule`` from
    ``retention.schedule``). With ``only`` (item refs), just those items: ``RefusedError``
    when any of them is held, in an open request, or not yet due."""
    by_ref = {entry.ref: entry for entry in schedule}
    if only:
        chosen = []
        for ref in only:
            entry = by_ref.get(ref) or by_ref.get(catalog.find(ref).ref)
            if entry is None:
                raise UsageError(f"no item {ref!r} in the archive")
            if entry.state == "held":
                raise RefusedError(f"item {entry.ref} is under legal hold for "
                                   f"{', '.join(entry.matters)}; it cannot be disposed of")
            if entry.state == "blocked":
                raise RefusedError(f"item {entry.ref} is part of open request(s) "
                                   f"{', '.join(entry.requests)}; it cannot be disposed of")
            if entry.state != "due":
                raise RefusedError(f"item {entry.ref} ({entry.series}) is not due for disposal"
                                   + (f" until {entry.due}" if entry.due else " (permanent)"))
            chosen.append(entry)
    else:
        chosen = [entry for entry in schedule if entry.state == "due"]
    plan = DisposalPlan(today=today, items=chosen,
                        held=[e for e in schedule if e.state == "held"],
                        blocked=[e for e in schedule if e.state == "blocked"])
    disposing = {entry.ref for entry in chosen} | disposed_refs(archive.root)
    touched = files_by_item(catalog)
    candidates = {name for entry in chosen for name in touched.get(entry.item_id, ())}
    deletable: set[str] = set()
    for group_files in _groups(archive).values():
        names = {f["path"] for f in group_files}
        if not names & candidates:
            continue
        observed = _observed(archive, group_files)
        if observed and observed <= disposing:
            plan.delete_files.extend(group_files)
            deletable |= names
    plan.retained_files = sorted(candidates - deletable)
    return plan


def _record(archive: Archive, catalog: Catalog, plan: DisposalPlan, job_id: str,
            approver: str) -> dict[str, Any]:
    config = archive.config
    versions = catalog.versions_of(entry.item_id for entry in plan.items)
    items = []
    per_series: dict[str, list[ItemRetention]] = defaultdict(list)
    for entry in plan.items:
        per_series[entry.series].append(entry)
        items.append({**entry.to_dict(),
                      "versions": [{"content_hash": v.content_hash, "record_id": v.record_id,
                                    "warc_file": v.warc_file, "first_seen": v.first_seen}
                                   for v in versions.get(entry.item_id, [])]})
    series = []
    for name, entries in sorted(per_series.items()):
        definition = config.retention.get(name)
        starts = sorted(e.start.isoformat() for e in entries if e.start)
        retention = ("permanent" if definition.permanent else
                     f"{definition.retain_years} year(s) after {definition.trigger}")
        series.append({"name": name, "title": definition.title, "code": definition.code,
                       "authority": definition.authority or config.retention.authority,
                       "retention": retention, "count": len(entries),
                       "first": starts[0] if starts else None,
                       "last": starts[-1] if starts else None})
    return {"schema": DISPOSAL_SCHEMA, "job_id": job_id, "archive_id": config.archive.id,
            "archive_name": config.archive.name, "authority": config.retention.authority,
            "time": utc_iso(archive.env.now()), "today": plan.today.isoformat(),
            "approved_by": approver, "operator": archive.env.operator_name,
            "series": series, "items": items,
            "deleted_files": [{"path": f["path"], "size": f["size"], "sha256": f["sha256"]}
                              for f in plan.delete_files],
            "retained_files": plan.retained_files}


def _delete_local(archive: Archive) -> list[str]:
    deleted = []
    for path in sorted(disposed_files(archive.root)):
        local = archive.root / path
        if local.exists():
            local.unlink()
            fsync_dir(local.parent)
            deleted.append(path)
    return deleted


def dispose(archive: Archive, plan: DisposalPlan, *, approver: str) -> DisposalResult:
    """Carry out ``plan``: signed disposal record and certificate in the manifest chain,
    items out of the catalog, fully disposed WARC files deleted locally (plus any a crashed
    earlier disposal left). ``RefusedError`` when there is nothing to dispose of;
    ``SigningKeyError`` when the key is unusable."""
    if not approver.strip():
        raise UsageError("--approve NAME is required: who approved this disposal")
    if not plan.items:
        raise RefusedError("nothing is due for disposal")
    with archive.lock("retention dispose"):
        key = archive.private_key()
        started = archive.env.now()
        job_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        with Catalog(archive.catalog_path) as catalog:
            record = _record(archive, catalog, plan, job_id, approver)
            data = (json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False)
                    + "\n").encode()
            record_path = archive.root / DISPOSALS_DIR / f"{job_id}.json"
            certificate_path = record_path.with_suffix(".pdf")
            atomic_write(record_path, data)
            atomic_write(certificate_path, certificate_pdf(record, sha256_bytes(data)))
            manifest = {
                "job_id": job_id, "kind": "disposal", "started": utc_iso(started),
                "finished": utc_iso(archive.env.now()), "operator": archive.env.operator_name,
                "approved_by": approver, "tool": {"name": "civicrecords", "version": __version__},
                "archive_id": archive.config.archive.id, "gaps": [],
                "files": [describe_file(archive.root, record_path, role=RECORD_ROLE).to_dict(),
                          describe_file(archive.root, certificate_path,
                                        role=CERTIFICATE_ROLE).to_dict()]}
            staged = stage(archive.root, manifest, key)
            entry = commit(archive.root, staged)
            writer = JobWriter(catalog, archive.config, job_id, kind="disposal")
            try:
                deleted_ids = delete_items(writer, [e.ref for e in plan.items],
                                           [f["path"] for f in plan.delete_files])
                writer.finish(staged.manifest, entry["manifest"])
            except BaseException:
                writer.rollback()
                raise
        deleted_local = _delete_local(archive)
    archive.audit.record("retention.dispose", subject=job_id, approved_by=approver,
                         items=len(plan.items), deleted_files=deleted_local,
                         record=record_path.relative_to(archive.root).as_posix())
    return DisposalResult(job_id=job_id, record=record_path.relative_to(archive.root).as_posix(),
                          certificate=certificate_path.relative_to(archive.root).as_posix(),
                          items=len(plan.items), deleted_item_ids=deleted_ids,
                          deleted_local=deleted_local)


def delete_from_bucket(archive: Archive, bucket: Bucket, *, bypass_governance: bool = False
                       ) -> tuple[list[str], list[dict[str, Any]]]:
    """Delete every version of each disposed file still in the bucket whose lock allows it;
    return (paths fully deleted, pending deletions with the store's reason). A version the
    store refuses to delete (Object Lock, legal hold) stays, and its file stays pending."""
    ledger = Ledger(archive.root, archive.env)
    state = ledger.state()
    deleted: list[str] = []
    pending: list[dict[str, Any]] = []
    for path in sorted(disposed_files(archive.root) - state.bucket_deleted):
        refused: list[dict[str, Any]] = []
        removed: list[str] = []
        for version in bucket.versions(path):
            args: dict[str, Any] = {"Bucket": bucket.name, "Key": bucket.key(path),
                                    "VersionId": version["VersionId"]}
            if bypass_governance:
                args["BypassGovernanceRetention"] = True
            try:
                bucket.client.delete_object(**args)
                removed.append(version["VersionId"])
            except ClientError as exc:
                if error_code(exc) not in ("AccessDenied", "ObjectLocked", "InvalidRequest"):
                    with translated("delete", bucket.name, bucket.key(path)):
                        raise
                head = bucket.head(path, version["VersionId"]) or {}
                until = head.get("ObjectLockRetainUntilDate")
                refused.append({"version_id": version["VersionId"], "reason": error_code(exc),
                                "retain_until": utc_iso(until) if until else None,
                                "legal_hold": head.get("ObjectLockLegalHoldStatus")})
        if refused:
            pending.append({"path": path, "versions": refused})
        else:
            ledger.append("bucket-deleted", path, versions=removed)
            deleted.append(path)
    if deleted or pending:
        archive.audit.record("retention.bucket_delete", subject=bucket.url(), deleted=deleted,
                             pending=[p["path"] for p in pending])
    return deleted, pending


__all__ = ["DisposalPlan", "DisposalResult", "delete_from_bucket", "dispose", "plan_disposal"]
