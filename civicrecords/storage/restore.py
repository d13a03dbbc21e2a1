"""``civicrecords restore s3://bucket/prefix DIR``: a working archive from the bucket alone.

Downloads the config, public key, manifest chain, audit log, every manifest and signature,
and every file the manifests list (files a disposal deleted excepted), each checked against
its manifest's SHA-256 on the way in. When the current version of a key does not match, the
older versions Object Lock kept are tried, newest first, so an overwritten object is
restored from its original. The storage ledger is rewritten to name the versions restored
(a later upload stores nothing twice), and the catalog is rebuilt from the WARCs; the caller
rebuilds the search index. The signing key never leaves the city's machine: copy it back to
capture into the restored archive.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_file
from civicrecords.catalog import Catalog
from civicrecords.catalog.replay import catch_up
from civicrecords.config import CONFIG_NAME
from civicrecords.config_storage import StorageSection
from civicrecords.environment import Environment
from civicrecords.errors import ConfigError, Problem
from civicrecords.integrity.audit import AUDIT_NAME
from civicrecords.integrity.disposal import disposed_files
from civicrecords.integrity.hashing import CHUNK, digest_file
from civicrecords.integrity.manifest import CHAIN_NAME, MANIFESTS, chain_entries, load_manifest
from civicrecords.integrity.signing import PUBLIC_KEY_NAME
from civicrecords.integrity.verify import VerifyReport, verify_archive
from civicrecords.storage.client import Bucket, connect, parse_s3_url
from civicrecords.storage.ledger import Ledger


@dataclass
class RestoreReport:
    """What was restored and what could not be."""

    root: Path
    files: int = 0
    bytes: int = 0
    from_older_version: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    verify: VerifyReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"archive": str(self.root), "files": self.files, "bytes": self.bytes,
                "from_older_version": self.from_older_version, "jobs": len(self.jobs),
                "problems": [p.to_dict() for p in self.problems],
                "verify": self.verify.to_dict() if self.verify else None}


def _download(bucket: Bucket, relative: str, target: Path, version_id: str | None
              ) -> tuple[str, int]:
    """Stream one object version to ``target`` (temporary name, fsync, rename); return its
    SHA-256 and size."""
    sha = hashlib.sha256()
    size = 0
    body = bucket.get(relative, version_id=version_id)
    try:
        with atomic_file(target) as handle:
            for chunk in iter(lambda: body.read(CHUNK), b""):
                sha.update(chunk)
                size += len(chunk)
                handle.write(chunk)
    finally:
        body.close()
    return sha.hexdigest(), size


def _fetch_verified(bucket: Bucket, relative: str, target: Path, sha256: str,
                    report: RestoreReport) -> str | None:
    """Download the newest version of ``relative`` whose bytes have ``sha256``; return its
    version id, or None (with a problem reported) when no version matches."""
    head = bucket.head(relative)
    candidates: list[str | None] = [head.get("VersionId") if head else None] if head else []
    candidates += [v["VersionId"] for v in bucket.versions(relative)
                   if not head or v["VersionId"] != head.get("VersionId")]
    for number, version in enumerate(candidates):
        actual, size = _download(bucket, relative, target, version)
        if actual == sha256:
            report.files += 1
            report.bytes += size
            if number:
                report.from_older_version.append(relative)
            return version or ""
    target.unlink(missing_ok=True)
    kind = "altered" if candidates else "missing"
    report.problems.append(Problem(kind, "no version in the bucket matches the manifest",
                                   path=bucket.url(relative), expected=sha256))
    return None


def restore(url: str, target: Path, env: Environment, *,
            addressing_style: str | None = None) -> tuple[Archive, RestoreReport]:
    """Rebuild a working archive at ``target`` (absent or empty) from ``s3://bucket/prefix``.

    Raises ``ConfigError`` when ``target`` is not empty or the bucket holds no archive
    (config, public key or chain missing). Files that cannot be restored intact are listed
    in the report's problems; the rest of the archive is still restored and verified.
    """
    target = target.expanduser().resolve()
    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target}: not empty; restore needs a new or empty directory")
    name, prefix = parse_s3_url(url)
    connection = StorageSection(kind="s3", bucket=name, prefix=prefix)
    bucket = connect(connection, env, addressing_style=addressing_style or "auto")
    for required in (CONFIG_NAME, PUBLIC_KEY_NAME, f"{MANIFESTS}/{CHAIN_NAME}"):
        if bucket.head(required) is None:
            raise ConfigError(f"{bucket.url(required)} not found: no civicrecords archive at "
                              f"{url}")
    target.mkdir(parents=True, exist_ok=True)
    report = RestoreReport(root=target)
    versions: dict[str, str] = {}
    for relative in (CONFIG_NAME, PUBLIC_KEY_NAME, f"{MANIFESTS}/{CHAIN_NAME}", AUDIT_NAME):
        if bucket.head(relative) is None:
            continue
        _sha, size = _download(bucket, relative, target / relative, None)
        report.files += 1
        report.bytes += size
    for sub in ("warcs", "requests"):
        (target / sub).mkdir(exist_ok=True)
    manifests: list[dict[str, Any]] = []
    for entry in chain_entries(target):
        manifest_rel = entry["manifest"]
        version = _fetch_verified(bucket, manifest_rel, target / manifest_rel, entry["sha256"],
                                  report)
        if version is None:
            continue
        versions[manifest_rel] = version
        signature = manifest_rel + ".sig"
        head = bucket.head(signature)
        if head is not None:
            _download(bucket, signature, target / signature, None)
            versions[signature] = head.get("VersionId") or ""
        manifests.append(load_manifest(target / manifest_rel))
    # disposal records and certificates first: they say which WARCs are gone for good
    for wanted_warcs in (False, True):
        gone = disposed_files(target) if wanted_warcs else set()
        for manifest in manifests:
            for listed in manifest.get("files", []):
                is_warc = listed.get("role", "warc") == "warc"
                if is_warc != wanted_warcs or listed["path"] in gone:
                    continue
                found = _fetch_verified(bucket, listed["path"], target / listed["path"],
                                        listed["sha256"], report)
                if found is not None:
                    versions[listed["path"]] = found
    _write_ledger(target, env, bucket, versions)
    archive = Archive.open(target, env)
    with Catalog(archive.catalog_path) as catalog:
        report.jobs = catch_up(catalog, archive.config, target)
    report.verify = verify_archive(target, archive.public_key_pem())
    archive.audit.record("storage.restore", subject=bucket.url(), files=report.files,
                         bytes=report.bytes, problems=len(report.problems))
    return archive, report


def _write_ledger(target: Path, env: Environment, bucket: Bucket,
                  versions: dict[str, str]) -> None:
    ledger = Ledger(target, env)
    for relative, version in sorted(versions.items()):
        digests = digest_file(target / relative)
        ledger.append("stored", relative, key=bucket.key(relative), bucket=bucket.name,
                      version_id=version, size=digests.size, sha256=digests.sha256,
                      restored=True)


__all__ = ["RestoreReport", "restore"]
