"""One hashing helper for the whole code base: SHA-256 (+ MD5 where asked) in one pass.

Digests are lowercase hex. ``sha256:<hex>`` is the labelled form used in WARC headers and
manifests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileDigests:
    """Size and digests of one file or stream."""

    size: int
    sha256: str
    md5: str | None = None


def labelled(sha256_hex: str) -> str:
    """Return the ``sha256:<hex>`` form of a hex SHA-256 digest."""
    return f"sha256:{sha256_hex}"


def unlabel(value: str) -> str:
    """Strip a ``sha256:`` label; raise ``ValueError`` for any other algorithm label."""
    if ":" not in value:
        return value.lower()
    algorithm, _, digest = value.partition(":")
    if algorithm.lower() != "sha256":
        raise ValueError(f"not a sha256 digest: {value}")
    return digest.lower()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest_stream(stream: BinaryIO, *, md5: bool = False) -> FileDigests:
    """Read ``stream`` to its end and return its size, SHA-256 and (if asked) MD5."""
    return digest_chunks(iter(lambda: stream.read(CHUNK), b""), md5=md5)


def digest_chunks(chunks: Iterable[bytes], *, md5: bool = False) -> FileDigests:
    """Digest an iterable of byte chunks (see ``digest_stream``)."""
    sha = hashlib.sha256()
    md = hashlib.md5(usedforsecurity=False) if md5 else None
    size = 0
    for chunk in chunks:
        sha.update(chunk)
        if md is not None:
            md.update(chunk)
        size += len(chunk)
    return FileDigests(size=size, sha256=sha.hexdigest(), md5=md.hexdigest() if md else None)


def digest_file(path: Path, *, md5: bool = False) -> FileDigests:
    """Size, SHA-256 and (if asked) MD5 of the file at ``path``; raises ``OSError``.

    SHA-256 alone uses ``hashlib.file_digest`` (C loop, GIL released), so several files can
    be hashed at once on several cores."""
    with open(path, "rb", buffering=0) as handle:
        if not md5:
            digest = hashlib.file_digest(handle, "sha256")
            return FileDigests(size=handle.tell(), sha256=digest.hexdigest())
        return digest_stream(handle, md5=md5)  # type: ignore[arg-type]
