"""Signed, hash-chained job manifests.

Each job that adds files to the archive (a capture, an import) ends with a manifest
``manifests/<job>.json`` listing every file with its size, SHA-256 and MD5, signed by the
archive key (``<job>.json.sig``, DER ECDSA-SHA256 over the file's exact bytes) and chained to
the previous manifest by hash, both inside the signed manifest (``previous``) and in
``manifests/chain.jsonl``.

Finalizing is crash-safe in two phases: ``stage`` writes the manifest and signature under
pending names; after the job renames its data files into place, ``commit`` moves the manifest
into place and appends the chain entry. ``recover`` finishes or discards what a crash left.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords.atomicfile import atomic_write, fsync_dir
from civicrecords.integrity import signing
from civicrecords.integrity.hashing import digest_file, sha256_bytes
from civicrecords.integrity.jsonlines import append_chained, read_entries

MANIFEST_SCHEMA = "civicrecords.manifest/1"
MANIFESTS = "manifests"
CHAIN_NAME = "chain.jsonl"


@dataclass(frozen=True)
class FileEntry:
    """One file a manifest vouches for (path relative to the archive root, POSIX form)."""

    path: str
    size: int
    sha256: str
    md5: str
    role: str = "warc"
    records: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``records`` left out when unknown)."""
        data: dict[str, Any] = {"path": self.path, "size": self.size, "sha256": self.sha256,
                                "md5": self.md5, "role": self.role}
        if self.records is not None:
            data["records"] = self.records
        return data


def describe_file(root: Path, path: Path, *, role: str = "warc",
                  records: int | None = None) -> FileEntry:
    """Hash a file under ``root`` (one pass, SHA-256 and MD5) into a FileEntry."""
    digests = digest_file(path, md5=True)
    assert digests.md5 is not None
    return FileEntry(path=path.relative_to(root).as_posix(), size=digests.size,
                     sha256=digests.sha256, md5=digests.md5, role=role, records=records)


def manifest_path(root: Path, job_id: str) -> Path:
    """Final location of a job's manifest."""
    return root / MANIFESTS / f"{job_id}.json"


def _pending_path(root: Path, job_id: str) -> Path:
    return root / MANIFESTS / f".{job_id}.json.pending"


def chain_entries(root: Path) -> list[dict[str, Any]]:
    """The chain, oldest first."""
    return list(read_entries(root / MANIFESTS / CHAIN_NAME))


@dataclass(frozen=True)
class Staged:
    """A manifest written under its pending name, waiting for ``commit``."""

    job_id: str
    data: bytes
    signature: bytes
    manifest: dict[str, Any]


def stage(root: Path, manifest: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> Staged:
    """Fill in schema, sequence, previous link and key fingerprint; sign; write pending.

    ``manifest`` must hold ``job_id`` and ``files`` (list of FileEntry dicts).
    """
    chain = chain_entries(root)
    previous = None
    if chain:
        last = chain[-1]
        previous = {"job_id": last["job_id"], "sha256": last["sha256"], "seq": last["seq"]}
    full = {
        **manifest,
        "schema": MANIFEST_SCHEMA,
        "sequence": len(chain) + 1,
        "previous": previous,
        "signing_key": signing.fingerprint(key),
    }
    data = (json.dumps(full, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    signature = signing.sign(key, data)
    pending = _pending_path(root, full["job_id"])
    atomic_write(pending, data)
    atomic_write(pending.with_name(pending.name + ".sig"), signature)
    return Staged(job_id=full["job_id"], data=data, signature=signature, manifest=full)


def commit(root: Path, staged: Staged) -> dict[str, Any]:
    """Move a staged manifest into place and append its chain entry (idempotent)."""
    pending = _pending_path(root, staged.job_id)
    final = manifest_path(root, staged.job_id)
    if pending.exists():
        os.replace(pending.with_name(pending.name + ".sig"), final.with_name(final.name + ".sig"))
        os.replace(pending, final)
        fsync_dir(final.parent)
    sha = sha256_bytes(final.read_bytes())
    for entry in chain_entries(root):
        if entry["job_id"] == staged.job_id:
            return entry
    return append_chained(root / MANIFESTS / CHAIN_NAME, {
        "job_id": staged.job_id,
        "manifest": final.relative_to(root).as_posix(),
        "sha256": sha,
        "kind": staged.manifest.get("kind", "capture"),
    })


def pending_manifests(root: Path) -> list[Staged]:
    """Manifests a crashed job staged but did not commit."""
    staged: list[Staged] = []
    directory = root / MANIFESTS
    if not directory.exists():
        return staged
    for pending in sorted(directory.glob(".*.json.pending")):
        signature_path = pending.with_name(pending.name + ".sig")
        try:
            data = pending.read_bytes()
            manifest = json.loads(data)
            signature = signature_path.read_bytes()
        except (OSError, json.JSONDecodeError):
            pending.unlink(missing_ok=True)
            signature_path.unlink(missing_ok=True)
            continue
        staged.append(Staged(job_id=manifest["job_id"], data=data, signature=signature,
                             manifest=manifest))
    return staged


def discard(root: Path, staged: Staged) -> None:
    """Remove a pending manifest that cannot be completed."""
    pending = _pending_path(root, staged.job_id)
    pending.unlink(missing_ok=True)
    pending.with_name(pending.name + ".sig").unlink(missing_ok=True)


def load_manifest(path: Path) -> dict[str, Any]:
    """Parse a manifest file; ``ValueError`` if it is not a civicrecords manifest."""
    data = json.loads(path.read_bytes())
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        raise ValueError(f"{path.name} is not a civicrecords manifest")
    return data
