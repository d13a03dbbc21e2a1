"""Reading single WARC records back by location: for show, exports and the web view.

A ``RecordRef`` (file, offset, length of the record's gzip member) is all it takes: the member
is read with one seek, so a record in a 1 GB WARC costs one small read. ``raw_member``
returns the member's exact bytes (natives in productions copy these byte for byte).
``archive_file`` is the one record source: the local file, or — when storage pruned it after
upload — a ranged GET of the bucket's verified copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader

from civicrecords.errors import IntegrityError, Problem
from civicrecords.integrity.hashing import CHUNK
from civicrecords.model import RecordRef


@contextmanager
def archive_file(root: Path, relative: str, offset: int = 0,
                 length: int | None = None) -> Iterator[BinaryIO]:
    """A stream of archive file ``relative`` from ``offset`` (``length`` bytes when given):
    the local copy, else the stored copy of a file pruned after upload. ``IntegrityError``
    when neither can be read."""
    path = root / relative
    handle: Any = None
    if not path.exists():
        from civicrecords.storage.reads import open_stored  # pruned: read the bucket's copy

        handle = open_stored(root, relative, offset, length)
    if handle is None:
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
            handle.seek(offset)
        except OSError as exc:
            raise IntegrityError(f"{relative}: cannot read record: {exc}",
                                 problems=[Problem("missing", str(exc), path=relative)]
                                 ) from None
    try:
        yield handle if length is None else LimitReader(handle, length)
    finally:
        handle.close()


def raw_member(root: Path, ref: RecordRef) -> bytes:
    """The record's compressed bytes exactly as stored (``IntegrityError`` if unreadable)."""
    with archive_file(root, ref.warc_file, ref.offset, ref.length) as stream:
        data = stream.read(ref.length)
    if len(data) != ref.length:
        raise IntegrityError(f"{ref.warc_file}: record at {ref.offset} is truncated",
                             problems=[Problem("truncated", "record is truncated",
                                               path=ref.warc_file)])
    return data


@contextmanager
def open_record(root: Path, ref: RecordRef) -> Iterator[Any]:
    """The parsed warcio record at ``ref`` (HTTP headers parsed for request/response),
    streamed from disk: large payloads are never read whole."""
    with archive_file(root, ref.warc_file, ref.offset, ref.length) as stream:
        record = next(iter(ArchiveIterator(stream)), None)
        if record is None or record.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
            raise IntegrityError(
                f"{ref.warc_file}: no record {ref.record_id} at offset {ref.offset}",
                problems=[Problem("mismatch", "record not at its catalogued place",
                                  path=ref.warc_file)])
        yield record


def record_payload(root: Path, ref: RecordRef) -> bytes:
    """The record's payload with transfer and content encodings undone (small records only:
    item JSON and API responses)."""
    with open_record(root, ref) as record:
        return bytes(record.content_stream().read())


def copy_payload(root: Path, ref: RecordRef, target: BinaryIO) -> str | None:
    """Stream a response record's payload (media files) into ``target`` in bounded chunks;
    return its HTTP Content-Type."""
    with open_record(root, ref) as record:
        headers = record.http_headers
        content_type = headers.get_header("Content-Type") if headers else None
        shutil.copyfileobj(record.content_stream(), target, CHUNK)
        return content_type
