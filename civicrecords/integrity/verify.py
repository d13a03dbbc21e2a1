"""``civicrecords verify``: is every file the manifests vouch for present and unaltered?

Checks, each reported as a ``Problem`` naming the file: the manifest chain (every link, every
sequence number), every manifest's hash and ECDSA signature against the archive's public key,
every listed file's size and SHA-256, files under ``warcs/`` or ``imports/`` that no
manifest lists, and the audit log's hash chain. ``fast=True`` checks sizes only (bagit's
"complete" vs "valid").
Leftovers of an interrupted job (hidden ``.part`` files, a staged manifest) are reported as
notes, not problems: they were never part of the record and the next job clears them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.errors import Problem, SigningKeyError
from civicrecords.integrity import signing
from civicrecords.integrity.audit import AUDIT_NAME
from civicrecords.integrity.disposal import disposed_files
from civicrecords.integrity.hashing import FileDigests, digest_file, sha256_bytes
from civicrecords.integrity.jsonlines import verify_chain
from civicrecords.integrity.manifest import CHAIN_NAME, MANIFESTS, chain_entries, load_manifest

Progress = Callable[[str, int], None]
# Digests of a file whose local copy was pruned, from its stored copy (None: not stored).
# Called with (archive path, fast); fast asks for the size only.
RemoteDigests = Callable[[str, bool], FileDigests | None]


@dataclass
class VerifyReport:
    """Outcome of a verification."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifests: int = 0
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is missing, altered, unsigned or unlisted."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with every problem as data."""
        return {"ok": self.ok, "manifests": self.manifests, "files": self.files,
                "bytes": self.bytes, "problems": [p.to_dict() for p in self.problems],
                "notes": self.notes}


def _check_manifest(root: Path, entry: dict[str, Any], previous: dict[str, Any] | None,
                    public: Any, report: VerifyReport) -> dict[str, Any] | None:
    relative = entry["manifest"]
    path = root / relative
    if not path.exists():
        report.problems.append(Problem("missing", "manifest is missing", path=relative))
        return None
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != entry["sha256"]:
        report.problems.append(Problem("altered", "manifest does not match its chain entry",
                                       path=relative, expected=entry["sha256"], actual=actual))
    signature_path = path.with_name(path.name + ".sig")
    if not signature_path.exists():
        report.problems.append(Problem("unsigned", "signature file is missing",
                                       path=relative + ".sig"))
    elif not signing.verify_signature(public, data, signature_path.read_bytes()):
        report.problems.append(Problem("bad-signature",
                                       "signature does not verify with the archive public key",
                                       path=relative + ".sig"))
    try:
        manifest = load_manifest(path)
    except ValueError as exc:
        report.problems.append(Problem("corrupt", str(exc), path=relative))
        return None
    expected_previous = None
    if previous is not None:
        expected_previous = {"job_id": previous["job_id"], "sha256": previous["sha256"],
                             "seq": previous["seq"]}
    if manifest.get("previous") != expected_previous:
        report.problems.append(Problem(
            "chain-broken", "manifest does not point to the manifest before it", path=relative,
            expected=str(expected_previous), actual=str(manifest.get("previous"))))
    if manifest.get("sequence") != entry["seq"]:
        report.problems.append(Problem("chain-sequence", "manifest sequence number is wrong",
                                       path=relative, expected=str(entry["seq"]),
                                       actual=str(manifest.get("sequence"))))
    return manifest


def _check_file(root: Path, listed: dict[str, Any], fast: bool,
                remote: RemoteDigests | None = None) -> tuple[int | None, Problem | None]:
    """(bytes checked — None when the file could not be checked at all, problem or None)
    for one file a manifest lists."""
    relative = listed["path"]
    path = root / relative
    stored = remote(relative, fast) if remote is not None and not path.exists() else None
    if not path.exists() and stored is None:
        return None, Problem("missing", "file listed in a manifest is missing", path=relative)
    size = stored.size if stored is not None else path.stat().st_size
    if size != listed["size"]:
        return None, Problem("size", "file size differs from the manifest", path=relative,
                             expected=str(listed["size"]), actual=str(size))
    if fast:
        return size, None
    actual = stored.sha256 if stored is not None else digest_file(path).sha256
    if actual != listed["sha256"]:
        return size, Problem("altered", "SHA-256 differs from the manifest", path=relative,
                             expected=listed["sha256"], actual=actual)
    return size, None


def _check_files(root: Path, files: list[dict[str, Any]], fast: bool, report: VerifyReport,
                 remote: RemoteDigests | None, progress: Progress | None) -> None:
    """Check files on every core at once (SHA-256 hashing releases the GIL); problems are
    reported in the manifests' order."""
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = pool.map(lambda listed: _check_file(root, listed, fast, remote), files)
        for listed, (size, problem) in zip(files, outcomes, strict=True):
            if size is not None:
                report.files += 1
                report.bytes += size
            if problem is not None:
                report.problems.append(problem)
            if progress:
                progress(listed["path"], int(listed.get("size", 0)))


def verify_archive(root: Path, public_key_pem: bytes, *, fast: bool = False,
                   progress: Progress | None = None,
                   remote: RemoteDigests | None = None) -> VerifyReport:
    """Verify everything under ``root`` (see module docstring). Never raises for a damaged
    archive: every finding is in the report. Files deleted by a disposal are expected to be
    absent; a file pruned after upload is checked through ``remote`` (its stored copy)."""
    report = VerifyReport()
    try:
        public = signing.load_public_key(public_key_pem)
    except SigningKeyError as exc:
        report.problems.append(Problem("bad-key", exc.message, path=signing.PUBLIC_KEY_NAME))
        return report
    chain_path = root / MANIFESTS / CHAIN_NAME
    report.problems.extend(verify_chain(chain_path, f"{MANIFESTS}/{CHAIN_NAME}"))
    try:
        entries = chain_entries(root)
    except ValueError as exc:
        report.problems.append(Problem("corrupt", str(exc), path=f"{MANIFESTS}/{CHAIN_NAME}"))
        entries = []
    listed: set[str] = set()
    chained: set[str] = set()
    files: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    gone = disposed_files(root)
    for entry in entries:
        chained.add(entry["manifest"])
        manifest = _check_manifest(root, entry, previous, public, report)
        previous = entry
        report.manifests += 1
        if manifest is None:
            continue
        for item in manifest.get("files", []):
            listed.add(item["path"])
            if item["path"] in gone and not (root / item["path"]).exists():
                report.notes.append(f"{item['path']}: disposed under the retention schedule")
                continue
            files.append(item)
    _check_files(root, files, fast, report, remote, progress)
    manifests_dir = root / MANIFESTS
    if manifests_dir.exists():
        for path in sorted(manifests_dir.glob("*.json")):
            relative = path.relative_to(root).as_posix()
            if relative not in chained:
                report.problems.append(Problem("unchained", "manifest is not in the chain",
                                               path=relative))
        for pending in sorted(manifests_dir.glob(".*.pending")):
            report.notes.append(f"interrupted job left {pending.name}; the next job completes "
                                "or discards it")
    for path in [p for top in ("warcs", "imports") if (root / top).exists()
                 for p in sorted((root / top).rglob("*"))]:
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if path.name.startswith(".") and path.name.endswith(".part"):
            report.notes.append(f"{relative}: left by an interrupted job; not part of the record")
        elif relative not in listed:
            report.problems.append(Problem("unlisted", "file is not listed in any manifest",
                                           path=relative))
    report.problems.extend(verify_chain(root / AUDIT_NAME, AUDIT_NAME))
    return report
