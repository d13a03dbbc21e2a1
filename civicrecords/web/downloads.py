"""Streaming archive bytes to the browser: WARC records exactly as stored, and media files.

Nothing is read whole: a 2 GB video or its record travels in bounded chunks. Records go out
as the raw gzip member of the WARC file (``application/warc``; a member is itself a valid
one-record ``.warc.gz``), byte for byte. Media files go out with their recorded type only
when a browser may show it (``itemviews.INLINE_TYPES``); anything else is an
``application/octet-stream`` attachment, and every file carries a sandboxing
Content-Security-Policy, so a captured SVG or HTML file can never run as the app.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.responses import StreamingResponse

from civicrecords.errors import IntegrityError, Problem
from civicrecords.integrity.hashing import CHUNK
from civicrecords.model import RecordRef
from civicrecords.warcrecords import archive_file, open_record
from civicrecords.web.itemviews import DOWNLOAD_TYPE, INLINE_TYPES

WARC_TYPE = "application/warc"
FILE_POLICY = "default-src 'none'; sandbox"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(text: str, suffix: str = "") -> str:
    """A download file name made of ASCII letters, digits, ``.``, ``_`` and ``-`` only (at
    most 120 characters before ``suffix``), never starting with a dot."""
    name = _UNSAFE.sub("_", text).strip("._") or "download"
    return name[:120] + suffix


def disposition(kind: str, filename: str) -> str:
    """A Content-Disposition header value (``kind``: inline or attachment)."""
    return f'{kind}; filename="{safe_filename(filename)}"'


def member_chunks(root: Any, ref: RecordRef) -> Iterator[bytes]:
    """The record's gzip member as stored, in chunks; ``IntegrityError`` if the file ends
    early."""
    sent = 0
    with archive_file(root, ref.warc_file, ref.offset, ref.length) as stream:
        while sent < ref.length:
            chunk = stream.read(min(CHUNK, ref.length - sent))
            if not chunk:
                break
            sent += len(chunk)
            yield chunk
    if sent != ref.length:
        raise IntegrityError(f"{ref.warc_file}: record at {ref.offset} is truncated",
                             problems=[Problem("truncated", "record is truncated",
                                               path=ref.warc_file)])


def records_response(root: Any, refs: Iterable[RecordRef], filename: str) -> StreamingResponse:
    """One or more records as a ``.warc.gz`` download (members concatenated in order)."""
    chosen = list(refs)

    def body() -> Iterator[bytes]:
        for ref in chosen:
            yield from member_chunks(root, ref)

    return StreamingResponse(body(), media_type=WARC_TYPE, headers={
        "Content-Disposition": disposition("attachment", filename),
        "Content-Length": str(sum(ref.length for ref in chosen))})


class _Payload:
    """A media record opened for streaming: its content type, then its bytes."""

    def __init__(self, root: Any, ref: RecordRef) -> None:
        self._stack = contextlib.ExitStack()
        record = self._stack.enter_context(open_record(root, ref))
        headers = record.http_headers
        recorded = headers.get_header("Content-Type") if headers else None
        self.content_type = (recorded or "").split(";")[0].strip().lower()
        self._stream = record.content_stream()

    def chunks(self) -> Iterator[bytes]:
        try:
            while True:
                chunk = self._stream.read(CHUNK)
                if not chunk:
                    return
                yield chunk
        finally:
            self._stack.close()


def file_response(root: Any, ref: RecordRef, name: str, fallback_type: str
                  ) -> StreamingResponse:
    """A media file from its response record (see module docstring). ``fallback_type`` is
    the type recorded with the item when the record has none."""
    payload = _Payload(root, ref)
    content_type = payload.content_type or fallback_type
    inline = content_type in INLINE_TYPES
    return StreamingResponse(payload.chunks(),
                             media_type=content_type if inline else DOWNLOAD_TYPE, headers={
        "Content-Disposition": disposition("inline" if inline else "attachment", name),
        "Content-Security-Policy": FILE_POLICY})
