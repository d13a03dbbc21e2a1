"""An independent WARC reader for tests: no warcio, no civicrecords code.

Splits a .warc.gz into gzip members with zlib, parses each record's header block, and
recomputes the block digest and the payload digest (de-chunked, still content-encoded) the
way WARC 1.1 §6.3.2 defines them.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RawRecord:
    offset: int
    length: int
    headers: dict[str, str]
    block: bytes


def members(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, compressed length, decompressed bytes) of each gzip member."""
    out = []
    position = 0
    while position < len(data):
        inflater = zlib.decompressobj(31)
        content = inflater.decompress(data[position:])
        content += inflater.flush()
        used = len(data) - position - len(inflater.unused_data)
        out.append((position, used, content))
        position += used
    return out


def parse(path: Path) -> list[RawRecord]:
    """Every record of a gzipped WARC, one record per member."""
    records = []
    for offset, length, content in members(path.read_bytes()):
        head, _, rest = content.partition(b"\r\n\r\n")
        lines = head.decode("utf-8").split("\r\n")
        assert lines[0] == "WARC/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        size = int(headers["Content-Length"])
        block = rest[:size]
        assert rest[size:] == b"\r\n\r\n", "record must end with two CRLFs"
        records.append(RawRecord(offset, length, headers, block))
    return records


def dechunk(body: bytes) -> bytes:
    out = bytearray()
    position = 0
    while True:
        line_end = body.index(b"\r\n", position)
        size = int(body[position:line_end].split(b";")[0], 16)
        position = line_end + 2
        if size == 0:
            return bytes(out)
        out += body[position:position + size]
        position += size + 2


def payload_of(record: RawRecord) -> bytes:
    """The HTTP entity body of a request/response record, transfer-decoded."""
    head, _, body = record.block.partition(b"\r\n\r\n")
    headers = {line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
               for line in head.split(b"\r\n")[1:] if b":" in line}
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        return dechunk(body)
    return body


def check_digests(record: RawRecord) -> None:
    """Assert the record's block and payload digests match recomputed SHA-256 values."""
    block = "sha256:" + hashlib.sha256(record.block).hexdigest()
    assert record.headers["WARC-Block-Digest"] == block
    if record.headers["WARC-Type"] == "response":
        expected = "sha256:" + hashlib.sha256(payload_of(record)).hexdigest()
        assert record.headers["WARC-Payload-Digest"] == expected
