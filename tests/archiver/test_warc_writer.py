"""The WARC writer: record ids, header lines, and already-compressed bodies stored."""

from __future__ import annotations

import gzip
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from civicrecords.archiver.warc import Block, WarcFileSet, header_block, new_record_id, packed

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_record_ids_are_random_version_4_uuids() -> None:
    ids = {new_record_id() for _ in range(500)}
    assert len(ids) == 500
    for record_id in ids:
        assert record_id.startswith("<urn:uuid:") and record_id.endswith(">")
        value = uuid.UUID(record_id[10:-1])
        assert value.version == 4 and value.variant == uuid.RFC_4122
        assert str(value) == record_id[10:-1]


def test_a_line_break_in_a_value_never_starts_a_header_line() -> None:
    block = header_block([("WARC-Type", "metadata"),
                          ("WARC-Target-URI", "urn:x:thread:1\r\nWARC-Type: response")])
    assert block.count(b"\r\n") == 4  # version line, two fields, blank line
    assert b"%0D%0AWARC-Type: response" in block


def test_packed_bodies_are_stored_and_read_back_exactly(tmp_path: Path) -> None:
    assert packed({"content-encoding": "gzip"}) and packed({"content-type": "image/jpeg"})
    assert not packed({"content-type": "application/json"})
    assert not packed({"content-type": "image/svg+xml"})
    jpeg_like = os.urandom(200_000)
    json_body = b'{"text": "' + b"snow " * 20_000 + b'"}'
    warcs = WarcFileSet(tmp_path, job_id="job", account="acct", started=NOW,
                        max_bytes=10**9, info={}, now=lambda: NOW)
    warcs.write("resource", replace(Block.from_bytes(jpeg_like), packed=True), date=NOW,
                content_type="image/jpeg", target_uri="http://x/a.jpg")
    warcs.write("resource", Block.from_bytes(json_body), date=NOW,
                content_type="application/json", target_uri="http://x/a.json")
    (final,) = warcs.finish()
    bodies = {}
    with open(final, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "resource":
                bodies[record.rec_headers.get_header("WARC-Target-URI")] = (
                    record.content_stream().read())
    assert bodies == {"http://x/a.jpg": jpeg_like, "http://x/a.json": json_body}
    size = final.stat().st_size
    assert size < len(jpeg_like) + len(json_body) // 20  # stored media, deflated JSON
    assert gzip.decompress(final.read_bytes()).count(b"WARC/1.1\r\n") == 3
