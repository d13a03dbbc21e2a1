"""Putting one archive file in the bucket, verified, exactly once, resumably.

``store_file`` guarantees: when it returns, the bucket holds a version of the file whose
size and S3-computed SHA-256 match the manifest's, written with the requested Object Lock,
and the ledger says so. Small files go up in one PUT whose ``x-amz-checksum-sha256`` *is*
the manifest's digest, so the store itself rejects a local file that no longer matches.
Large files go up in parts (SHA-256 per part; the whole file is hashed on the way and must
match the manifest before the upload is completed); a journal of finished parts lets a rerun
after a crash continue the same multipart upload. Before uploading, an object already in
the bucket with the right digest (left by a run killed after completing) is adopted, so a
rerun never stores a second copy.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from civicrecords.config_storage import StorageSection
from civicrecords.environment import Environment, utc_iso
from civicrecords.errors import IntegrityError, Problem
from civicrecords.storage.client import Bucket, StorageError, error_code, translated
from civicrecords.storage.ledger import Ledger

MB = 1024 * 1024
BAD_DIGEST = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidRequest"}
Progress = Callable[[str, int], None]


def b64(hex_digest: str) -> str:
    """The base64 form S3 uses for a hex SHA-256."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def composite(part_digests: list[bytes]) -> str:
    """S3's checksum of a multipart object: SHA-256 of the part digests, ``-<parts>``."""
    return f"{base64.b64encode(hashlib.sha256(b''.join(part_digests)).digest()).decode()}" \
           f"-{len(part_digests)}"


class Throttle:
    """Caps the average upload rate (bytes/s; 0 = unlimited) using the environment's clock."""

    def __init__(self, rate: float, env: Environment) -> None:
        self.rate = rate
        self.env = env
        self.lock = threading.Lock()
        self.start: float | None = None
        self.sent = 0

    def consume(self, amount: int) -> None:
        """Wait until sending ``amount`` more bytes keeps the average under the cap."""
        if self.rate <= 0:
            return
        with self.lock:
            if self.start is None:
                self.start = self.env.monotonic()
            self.sent += amount
            wait_for = self.sent / self.rate - (self.env.monotonic() - self.start)
        if wait_for > 0:
            self.env.sleep(wait_for)


@dataclass(frozen=True)
class Lock:
    """Object Lock to write with an object."""

    until: datetime
    mode: str

    def args(self) -> dict[str, Any]:
        """The S3 request arguments."""
        return {"ObjectLockMode": self.mode, "ObjectLockRetainUntilDate": self.until}


@dataclass(frozen=True)
class FileSpec:
    """A file to store: archive path, expected size and SHA-256 (from its manifest)."""

    path: str
    size: int
    sha256: str
    lock: Lock | None


class Uploader:
    """Stores files of one archive in one bucket (see module docstring)."""

    def __init__(self, root: Path, bucket: Bucket, ledger: Ledger, storage: StorageSection,
                 env: Environment, progress: Progress | None = None) -> None:
        self.root = root
        self.bucket = bucket
        self.ledger = ledger
        self.storage = storage
        self.env = env
        self.progress = progress
        self.part_size = storage.part_size_mb * MB
        self.threshold = storage.multipart_threshold_mb * MB
        self.throttle = Throttle(storage.max_upload_mb_per_second * MB, env)

    # ----- entry point ---------------------------------------------------------------------
    def store(self, spec: FileSpec) -> dict[str, Any]:
        """Store ``spec`` (see module docstring); return the ledger entry.

        Raises ``IntegrityError`` when the local file is missing or differs from its
        manifest (nothing is stored then), ``StorageError`` when the store fails.
        """
        local = self.root / spec.path
        if not local.exists() or local.stat().st_size != spec.size:
            raise IntegrityError(f"{spec.path}: missing or not the size its manifest records; "
                                 "not stored", problems=[Problem("missing", "cannot upload",
                                                                 path=spec.path)])
        adopted = self._adopt(spec)
        if adopted is not None:
            return adopted
        if spec.size >= self.threshold:
            version_id, checksum, parts = self._multipart(spec, local)
        else:
            version_id, checksum, parts = self._single(spec, local), b64(spec.sha256), 1
        return self._verify_and_record(spec, version_id, checksum, parts)

    # ----- adopting a copy a killed run completed -----------------------------------------
    def _adopt(self, spec: FileSpec) -> dict[str, Any] | None:
        head = self.bucket.head(spec.path)
        if head is None or head.get("ContentLength") != spec.size:
            return None
        meta = head.get("Metadata") or {}
        if meta.get("sha256") != spec.sha256:
            return None
        checksum = head.get("ChecksumSHA256") or ""
        parts = 1
        if "-" in checksum:
            parts = int(checksum.rsplit("-", 1)[1])
            part_size = int(meta.get("part-size", "0") or 0)
            if part_size <= 0 or self._composite_of(spec, part_size) != checksum:
                return None
        elif checksum != b64(spec.sha256):
            return None
        self.ledger.drop_journal(spec.path)
        return self._record(spec, head, checksum, parts, adopted=True)

    def _composite_of(self, spec: FileSpec, part_size: int) -> str:
        digests = []
        with open(self.root / spec.path, "rb") as handle:
            while chunk := handle.read(part_size):
                digests.append(hashlib.sha256(chunk).digest())
        return composite(digests)

    # ----- one PUT -------------------------------------------------------------------------
    def _put_args(self, spec: FileSpec, part_size: int = 0) -> dict[str, Any]:
        meta = {"sha256": spec.sha256}
        if part_size:
            meta["part-size"] = str(part_size)
        args: dict[str, Any] = {"Bucket": self.bucket.name, "Key": self.bucket.key(spec.path),
                                "Metadata": meta, "ChecksumAlgorithm": "SHA256"}
        if spec.lock is not None:
            args.update(spec.lock.args())
        return args

    def _single(self, spec: FileSpec, local: Path) -> str:
        data = local.read_bytes()
        self.throttle.consume(len(data))
        try:
            response = self.bucket.client.put_object(
                **self._put_args(spec), Body=data, ChecksumSHA256=b64(spec.sha256))
        except ClientError as exc:
            if error_code(exc) in BAD_DIGEST:
                raise self._altered(spec) from None
            with translated("upload", self.bucket.name, self.bucket.key(spec.path)):
                raise
        if self.progress:
            self.progress(spec.path, len(data))
        return str(response.get("VersionId") or "")

    def _altered(self, spec: FileSpec) -> IntegrityError:
        return IntegrityError(
            f"{spec.path}: the local file does not match its manifest's SHA-256; not stored "
            "(run 'civicrecords verify')",
            problems=[Problem("altered", "local file differs from the manifest",
                              path=spec.path, expected=spec.sha256)])

    # ----- multipart -----------------------------------------------------------------------
    def _start(self, spec: FileSpec) -> dict[str, Any]:
        journal = self.ledger.journal(spec.path)
        if (journal and journal.get("sha256") == spec.sha256
                and journal.get("part_size") == self.part_size):
            try:
                done = self._server_parts(spec, journal["upload_id"])
            except StorageError as exc:
                if exc.code != "NoSuchUpload":
                    raise
            else:
                journal["parts"] = done
                return journal
        self._abort_stale(spec)
        with translated("start upload of", self.bucket.name, self.bucket.key(spec.path)):
            created = self.bucket.client.create_multipart_upload(
                **self._put_args(spec, self.part_size))
        journal = {"path": spec.path, "key": self.bucket.key(spec.path),
                   "upload_id": created["UploadId"], "sha256": spec.sha256,
                   "size": spec.size, "part_size": self.part_size, "parts": {},
                   "started": utc_iso(self.env.now())}
        self.ledger.save_journal(spec.path, journal)
        return journal

    def _server_parts(self, spec: FileSpec, upload_id: str) -> dict[str, dict[str, str]]:
        done: dict[str, dict[str, str]] = {}
        paginator = self.bucket.client.get_paginator("list_parts")
        with translated("list parts of", self.bucket.name, self.bucket.key(spec.path)):
            for page in paginator.paginate(Bucket=self.bucket.name,
                                           Key=self.bucket.key(spec.path), UploadId=upload_id):
                for part in page.get("Parts", []):
                    done[str(part["PartNumber"])] = {"etag": part["ETag"],
                                                     "checksum": part.get("ChecksumSHA256", "")}
        return done

    def _abort_stale(self, spec: FileSpec) -> None:
        key = self.bucket.key(spec.path)
        with translated("list uploads of", self.bucket.name, key):
            uploads = self.bucket.client.list_multipart_uploads(
                Bucket=self.bucket.name, Prefix=key).get("Uploads", [])
            for upload in uploads:
                if upload["Key"] == key:
                    self.bucket.client.abort_multipart_upload(
                        Bucket=self.bucket.name, Key=key, UploadId=upload["UploadId"])

    def _multipart(self, spec: FileSpec, local: Path) -> tuple[str, str, int]:
        journal = self._start(spec)
        upload_id = journal["upload_id"]
        key = self.bucket.key(spec.path)
        whole = hashlib.sha256()
        digests: list[bytes] = []
        finished: dict[str, dict[str, str]] = dict(journal["parts"])
        guard = threading.Lock()

        def send(number: int, data: bytes, checksum: str) -> None:
            self.throttle.consume(len(data))
            with translated("upload part of", self.bucket.name, key):
                try:
                    reply = self.bucket.client.upload_part(
                        Bucket=self.bucket.name, Key=key, UploadId=upload_id, PartNumber=number,
                        Body=data, ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)
                except ClientError as exc:
                    if error_code(exc) in BAD_DIGEST:
                        raise self._altered(spec) from None
                    raise
            with guard:
                finished[str(number)] = {"etag": reply["ETag"], "checksum": checksum}
                journal["parts"] = dict(finished)
                self.ledger.save_journal(spec.path, journal)
            if self.progress:
                self.progress(spec.path, len(data))

        pending: set[Future[None]] = set()
        with ThreadPoolExecutor(max_workers=self.storage.upload_threads) as pool, \
                open(local, "rb") as handle:
            try:
                number = 0
                while data := handle.read(self.part_size):
                    number += 1
                    whole.update(data)
                    digest = hashlib.sha256(data).digest()
                    digests.append(digest)
                    checksum = base64.b64encode(digest).decode()
                    if finished.get(str(number), {}).get("checksum") == checksum:
                        if self.progress:
                            self.progress(spec.path, len(data))
                        continue
                    while len(pending) >= self.storage.upload_threads:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            future.result()
                    pending.add(pool.submit(send, number, data, checksum))
                for future in pending:
                    future.result()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        if whole.hexdigest() != spec.sha256:
            self._abandon(spec, upload_id)
            raise self._altered(spec)
        parts = [{"PartNumber": n, "ETag": finished[str(n)]["etag"],
                  "ChecksumSHA256": finished[str(n)]["checksum"]}
                 for n in range(1, len(digests) + 1)]
        with translated("complete upload of", self.bucket.name, key):
            reply = self.bucket.client.complete_multipart_upload(
                Bucket=self.bucket.name, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": parts})
        return str(reply.get("VersionId") or ""), composite(digests), len(digests)

    def _abandon(self, spec: FileSpec, upload_id: str) -> None:
        with translated("abort upload of", self.bucket.name, self.bucket.key(spec.path)):
            self.bucket.client.abort_multipart_upload(
                Bucket=self.bucket.name, Key=self.bucket.key(spec.path), UploadId=upload_id)
        self.ledger.drop_journal(spec.path)

    # ----- verification --------------------------------------------------------------------
    def _verify_and_record(self, spec: FileSpec, version_id: str, checksum: str,
                           parts: int) -> dict[str, Any]:
        head = self.bucket.head(spec.path, version_id or None)
        stored = (head or {}).get("ChecksumSHA256") or ""
        if head is None or head.get("ContentLength") != spec.size or stored != checksum:
            raise StorageError(
                f"{self.bucket.url(spec.path)}: the stored copy does not match what was sent "
                f"(size {None if head is None else head.get('ContentLength')} of {spec.size}, "
                f"checksum {stored or 'none'} instead of {checksum}); not marked stored")
        self.ledger.drop_journal(spec.path)
        return self._record(spec, head, checksum, parts, adopted=False)

    def _record(self, spec: FileSpec, head: dict[str, Any], checksum: str, parts: int,
                *, adopted: bool) -> dict[str, Any]:
        until = head.get("ObjectLockRetainUntilDate")
        return self.ledger.append(
            "stored", spec.path, key=self.bucket.key(spec.path), bucket=self.bucket.name,
            version_id=head.get("VersionId") or "", size=spec.size, sha256=spec.sha256,
            checksum=checksum, parts=parts, lock_mode=head.get("ObjectLockMode"),
            retain_until=utc_iso(until) if isinstance(until, datetime) else None,
            adopted=adopted)
