"""Re-deriving the catalog from the archive's WARCs and manifests.

``replay_job`` reads one job's WARC files (in manifest order) and feeds their records to a
``JobWriter`` exactly as the live capture did. ``catch_up`` replays every job in the manifest
chain that the catalog has not seen (after a crash between manifest commit and catalog
commit, or into an empty catalog for ``rebuild``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from civicrecords.catalog import Catalog
from civicrecords.catalog.apply import JobCounts, JobWriter
from civicrecords.catalog.disposal import apply_disposal_record
from civicrecords.config import Config
from civicrecords.errors import CivicRecordsError
from civicrecords.integrity.disposal import CERTIFICATE_ROLE, RECORD_ROLE, disposed_files
from civicrecords.integrity.manifest import chain_entries, load_manifest
from civicrecords.model import ITEM_SCHEMA, SWEEP_SCHEMA, Gap, Item, Observation, RecordRef, Sweep
from civicrecords.warcrecords import archive_file

# Replayers for manifest file roles other than capture WARCs (e.g. imported archives)
# register here: role -> function(writer, root, file entry).
ROLE_REPLAYERS: dict[str, Callable[[JobWriter, Path, dict[str, Any]], None]] = {
    RECORD_ROLE: apply_disposal_record}


@dataclass(frozen=True)
class WarcRecord:
    """One record read back: its headers, location and (for metadata) body."""

    record_type: str
    headers: dict[str, str]
    ref: RecordRef
    body: bytes | None


def read_records(root: Path, relative: str, *, bodies_for: tuple[str, ...] = ("metadata",)
                 ) -> Iterator[WarcRecord]:
    """Every record of a WARC file under ``root``, with its compressed offset and length.
    Bodies are read only for the record types in ``bodies_for``."""
    with archive_file(root, relative) as handle:
        iterator = ArchiveIterator(handle, no_record_parse=True)
        for record in iterator:
            headers = dict(record.rec_headers.headers)
            body = record.content_stream().read() if record.rec_type in bodies_for else None
            offset = iterator.get_record_offset()
            length = iterator.get_record_length()
            yield WarcRecord(record.rec_type, headers,
                             RecordRef(relative, offset, length, headers.get("WARC-Record-ID", "")),
                             body)


def apply_warc(writer: JobWriter, root: Path, relative: str) -> None:
    """Feed one of our capture WARCs to ``writer``."""
    for record in read_records(root, relative):
        headers = record.headers
        if record.record_type in ("request", "response", "revisit"):
            writer.record(record.ref, record_type=record.record_type,
                          target_uri=headers.get("WARC-Target-URI"),
                          date=headers.get("WARC-Date", ""),
                          payload_digest=headers.get("WARC-Payload-Digest"),
                          concurrent_to=headers.get("WARC-Concurrent-To"))
        elif record.record_type == "metadata" and record.body:
            try:
                data = json.loads(record.body)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if data.get("schema") == ITEM_SCHEMA:
                observation = Observation(
                    item=Item.from_dict(data["item"]), job_id=data["job_id"],
                    captured_at=data["captured_at"], observed=data.get("observed", "current"),
                    scope=data.get("scope"), response_record_id=data.get("response_record_id"),
                    response_uri=data.get("response_uri"),
                    payload_digest=data.get("payload_digest"), record=record.ref)
                writer.observe(observation)
            elif data.get("schema") == SWEEP_SCHEMA:
                sweep = Sweep(platform=data["platform"], account=data["account"],
                              scope=data["scope"], seen=list(data["seen"]),
                              job_id=data["job_id"], reason=data.get("reason", "not-returned"),
                              reasons=dict(data.get("reasons") or {}))
                writer.sweep(sweep, headers.get("WARC-Date", ""))


def replay_job(catalog: Catalog, config: Config, root: Path, manifest: dict[str, Any],
               manifest_rel: str) -> JobCounts:
    """Apply one committed job to the catalog from its files (one transaction)."""
    writer = JobWriter(catalog, config, manifest["job_id"], kind=manifest.get("kind", "capture"))
    gone = disposed_files(root)
    try:
        for entry in manifest.get("files", []):
            role = entry.get("role", "warc")
            if role == "warc" and entry["path"] in gone:
                continue  # deleted by a disposal: every item it held was disposed
            if role == "warc":
                apply_warc(writer, root, entry["path"])
            elif role in ROLE_REPLAYERS:
                ROLE_REPLAYERS[role](writer, root, entry)
            elif role != CERTIFICATE_ROLE:  # a disposal certificate holds no items
                raise CivicRecordsError(
                    f"{manifest_rel}: files of role {role!r} cannot be replayed by this "
                    "version of civicrecords (is it older than the archive?)")
        for gap in manifest.get("gaps", []):
            writer.gap(Gap(**gap))
        return writer.finish(manifest, manifest_rel)
    except BaseException:
        writer.rollback()
        raise


def catch_up(catalog: Catalog, config: Config, root: Path,
             progress: Callable[[str], None] | None = None) -> list[str]:
    """Replay every chained job missing from the catalog, in chain order; return their ids."""
    replayed: list[str] = []
    for entry in chain_entries(root):
        if catalog.has_job(entry["job_id"]):
            continue
        manifest = load_manifest(root / entry["manifest"])
        if progress:
            progress(entry["job_id"])
        replay_job(catalog, config, root, manifest, entry["manifest"])
        replayed.append(entry["job_id"])
    return replayed
