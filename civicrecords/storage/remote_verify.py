"""``verify --remote``: does the bucket still hold exactly what the manifests vouch for?

Every file listed by a manifest in the chain (except files a disposal deleted from the
bucket), every manifest and its signature, and the chain itself must be present as the
current version of its key, with the manifest's size and — unless ``fast`` — SHA-256 computed
over the downloaded bytes. Objects under the prefix that nothing vouches for are reported as
extra. When the current version is not the one stored and verified at upload, the report
says so and whether that original version is still in the bucket (Object Lock keeps it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from civicrecords.archive import Archive
from civicrecords.errors import Problem
from civicrecords.integrity.disposal import disposed_files
from civicrecords.integrity.hashing import CHUNK, digest_file
from civicrecords.integrity.manifest import chain_entries, load_manifest
from civicrecords.integrity.verify import VerifyReport
from civicrecords.storage.client import Bucket
from civicrecords.storage.ledger import STORAGE_DIR, Ledger, LedgerState
from civicrecords.storage.upload import MUTABLE

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Expected:
    """One object the bucket must hold."""

    path: str
    size: int
    sha256: str


def expected_objects(archive: Archive, state: LedgerState) -> list[Expected]:
    """Everything the chain vouches for that belongs in the bucket."""
    root = archive.root
    gone = disposed_files(root) & state.bucket_deleted
    out: list[Expected] = []
    for entry in chain_entries(root):
        manifest = load_manifest(root / entry["manifest"])
        for item in manifest.get("files", []):
            if item["path"] not in gone:
                out.append(Expected(item["path"], int(item["size"]), item["sha256"]))
        manifest_path = root / entry["manifest"]
        out.append(Expected(entry["manifest"], manifest_path.stat().st_size, entry["sha256"]))
        signature = manifest_path.with_name(manifest_path.name + ".sig")
        if signature.exists():
            digests = digest_file(signature)
            out.append(Expected(entry["manifest"] + ".sig", digests.size, digests.sha256))
    return out


def _remote_sha256(bucket: Bucket, path: str) -> str:
    body = bucket.get(path)
    sha = hashlib.sha256()
    try:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            sha.update(chunk)
    finally:
        body.close()
    return sha.hexdigest()


def _check(bucket: Bucket, want: Expected, stored: dict[str, Any] | None,
           fast: bool) -> tuple[list[Problem], list[str], int]:
    url = bucket.url(want.path)
    head = bucket.head(want.path)
    if head is None:
        return [Problem("missing", "object is missing from the bucket", path=url)], [], 0
    problems: list[Problem] = []
    notes: list[str] = []
    size = int(head.get("ContentLength", -1))
    if size != want.size:
        problems.append(Problem("size", "object size differs from the manifest", path=url,
                                expected=str(want.size), actual=str(size)))
    elif not fast:
        actual = _remote_sha256(bucket, want.path)
        if actual != want.sha256:
            problems.append(Problem("altered", "object SHA-256 differs from the manifest",
                                    path=url, expected=want.sha256, actual=actual))
    version = head.get("VersionId") or ""
    if stored is not None and stored.get("version_id") and version != stored["version_id"]:
        original = bucket.head(want.path, stored["version_id"])
        where = ("still in the bucket" if original is not None
                 else "no longer in the bucket")
        notes.append(f"{url}: current version {version} is not the version stored "
                     f"({stored['version_id']}, {where})")
    return problems, notes, size


def verify_remote(archive: Archive, bucket: Bucket, *, fast: bool = False, threads: int = 4,
                  progress: Progress | None = None) -> VerifyReport:
    """Check the bucket against the manifests (see module docstring); every finding is in
    the report. ``StorageError`` only when the bucket cannot be reached at all."""
    ledger = Ledger(archive.root, archive.env)
    state = ledger.state()
    report = VerifyReport()
    expected = expected_objects(archive, state)
    report.manifests = sum(1 for _ in chain_entries(archive.root))
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = pool.map(lambda want: (want, _check(bucket, want, state.stored.get(want.path),
                                                      fast)), expected)
        for want, (problems, notes, size) in results:
            report.problems.extend(problems)
            report.notes.extend(notes)
            if not problems:
                report.files += 1
                report.bytes += size
            if progress:
                progress(want.path, want.size)
    known = {want.path for want in expected} | set(MUTABLE) | disposed_files(archive.root)
    for path in MUTABLE:
        if (archive.root / path).exists() and bucket.head(path) is None:
            report.problems.append(Problem("missing", "object is missing from the bucket",
                                           path=bucket.url(path)))
    for listed in bucket.list_keys():
        relative = bucket.relative(listed["Key"])
        if relative is None or relative in known or relative.startswith(STORAGE_DIR + "/"):
            continue
        report.problems.append(Problem("extra", "object in the bucket that no manifest lists",
                                       path=bucket.url(relative)))
    report.problems.extend(ledger.verify())
    return report
