"""Reading files whose local copy was pruned: ranged GETs of the verified stored version.

``open_stored`` is what ``warcrecords.archive_file`` falls back to when a file is absent:
if the storage ledger says the file was stored (and pruned), it returns a stream of the
exact version that was verified at upload — never whatever the key holds now — for the
whole file or one record's byte range. ``remote_digests`` gives ``verify`` the size and
SHA-256 of that version. Clients are made once per archive (``remember``) because building
one costs far more than a ranged GET.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from civicrecords.config import CONFIG_NAME, load_config
from civicrecords.environment import Environment
from civicrecords.errors import CivicRecordsError
from civicrecords.integrity.hashing import CHUNK, FileDigests
from civicrecords.storage.client import Bucket, connect
from civicrecords.storage.ledger import Ledger

_BUCKETS: dict[Path, Bucket] = {}
_GUARD = threading.Lock()


def remember(root: Path, bucket: Bucket) -> None:
    """Use ``bucket`` for reads of the archive at ``root`` (its client carries the
    credentials of the environment that opened it)."""
    with _GUARD:
        _BUCKETS[root.resolve()] = bucket


def bucket_for(root: Path, env: Environment | None = None) -> Bucket | None:
    """The bucket of the archive at ``root``: the remembered one, else one built from its
    ``[storage]`` and ``env`` (the process environment by default); None when the archive
    has no storage configured."""
    key = root.resolve()
    with _GUARD:
        if key in _BUCKETS:
            return _BUCKETS[key]
    config = load_config(root / CONFIG_NAME)
    if not config.storage.enabled:
        return None
    bucket = connect(config.storage, env or Environment())
    remember(root, bucket)
    return bucket


def _stored_entry(root: Path, relative: str) -> dict[str, Any] | None:
    state = Ledger(root, Environment(variables={})).state()
    return state.stored.get(relative)


def open_stored(root: Path, relative: str, offset: int = 0, length: int | None = None
                ) -> Any | None:
    """A stream of the stored copy of ``relative`` (from ``offset``, ``length`` bytes when
    given), or None when the file was never stored. ``StorageError`` when the store fails."""
    entry = _stored_entry(root, relative)
    if entry is None:
        return None
    try:
        bucket = bucket_for(root)
    except CivicRecordsError:
        return None
    if bucket is None:
        return None
    return bucket.get(relative, version_id=entry.get("version_id") or None, offset=offset,
                      length=length)


def remote_digests(root: Path, relative: str, fast: bool) -> FileDigests | None:
    """Size (and, unless ``fast``, SHA-256 over the downloaded bytes) of the stored copy of
    a pruned file; None when it was never stored or the stored version is gone."""
    entry = _stored_entry(root, relative)
    bucket = bucket_for(root) if entry is not None else None
    if entry is None or bucket is None:
        return None
    version = entry.get("version_id") or None
    head = bucket.head(relative, version)
    if head is None:
        return None
    size = int(head.get("ContentLength", 0))
    if fast:
        return FileDigests(size=size, sha256="")
    sha = hashlib.sha256()
    body = bucket.get(relative, version_id=version)
    try:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            sha.update(chunk)
    finally:
        body.close()
    return FileDigests(size=size, sha256=sha.hexdigest())
