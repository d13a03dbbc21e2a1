"""Disposal records: which items and files the retention schedule has disposed of.

A disposal is a job in the manifest chain (``kind = "disposal"``) whose signed manifest lists
a disposal record (role ``disposal-record``, JSON, schema ``civicrecords.disposal/1``) and
its certificate. The record names every disposed item (ref, series, dates, content hashes)
and every WARC file deleted because *all* the items it held were disposed. Files listed there
are expected to be absent: ``verify`` does not report them missing and ``rebuild`` does not
replay them; items listed there are left out of the catalog and the index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from civicrecords.integrity.manifest import chain_entries, load_manifest

DISPOSAL_SCHEMA = "civicrecords.disposal/1"
RECORD_ROLE = "disposal-record"
CERTIFICATE_ROLE = "certificate"


def disposal_records(root: Path) -> list[dict[str, Any]]:
    """Every readable disposal record in chain order (unreadable ones are ``verify``'s
    business and are skipped here)."""
    records: list[dict[str, Any]] = []
    try:
        entries = chain_entries(root)
    except ValueError:
        return records
    for entry in entries:
        if entry.get("kind") != "disposal":
            continue
        try:
            manifest = load_manifest(root / entry["manifest"])
        except (OSError, ValueError):
            continue
        for listed in manifest.get("files", []):
            if listed.get("role") != RECORD_ROLE:
                continue
            try:
                data = json.loads((root / listed["path"]).read_bytes())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("schema") == DISPOSAL_SCHEMA:
                records.append(data)
    return records


def disposed_files(root: Path) -> set[str]:
    """Archive paths of WARC files deleted by disposals."""
    return {f["path"] for record in disposal_records(root)
            for f in record.get("deleted_files", [])}


def disposed_refs(root: Path) -> set[str]:
    """Refs (``platform:account:id``) of every disposed item."""
    return {item["ref"] for record in disposal_records(root) for item in record.get("items", [])}
