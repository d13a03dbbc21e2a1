"""Natives of a production: the responsive items' WARC records, and the same as a WACZ.

The native form of a social media item is its WARC records. ``copy_records`` writes a new
``.warc.gz`` whose gzip members are the archive's members copied byte for byte (a gzip member
per record, so the concatenation is itself a valid WARC), checking each one while copying:
it must be a single complete member holding the expected WARC-Record-ID, its block must
match its WARC-Block-Digest, and a response's payload digest must match the catalog's.
``write_wacz`` packages that WARC as WACZ 1.1.1 (``archive/``, a CDXJ index, ``pages.jsonl``,
``datapackage.json`` and ``datapackage-digest.json`` with an anonymous ECDSA signature by
the archive key), so the production replays in ReplayWeb.page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from civicrecords.environment import parse_utc, utc_iso
from civicrecords.errors import IntegrityError, Problem
from civicrecords.integrity import signing
from civicrecords.integrity.hashing import CHUNK, digest_file, labelled, sha256_bytes
from civicrecords.model import RecordRef
from civicrecords.warcrecords import raw_member

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"


@dataclass(frozen=True)
class CopiedRecord:
    """One record as copied into the volume's WARC, with what the index and the custody
    report need."""

    record_id: str
    type: str
    source: RecordRef
    offset: int
    length: int
    member_sha256: str
    member_md5: str
    block_digest: str
    payload_digest: str | None
    target_uri: str | None
    date: str | None
    http_status: str | None
    mime: str | None


@dataclass(frozen=True)
class ParsedMember:
    """A gzip member's WARC headers and content block."""

    headers: dict[str, str]
    block: bytes


def parse_member(data: bytes, where: str) -> ParsedMember:
    """Decompress one gzip member and split it into WARC headers and block; ``IntegrityError``
    when it is not exactly one well-formed WARC record."""
    inflater = zlib.decompressobj(31)
    try:
        content = inflater.decompress(data) + inflater.flush()
    except zlib.error as exc:
        raise _damaged(where, f"not a gzip member ({exc})") from None
    if inflater.unused_data or not inflater.eof:
        raise _damaged(where, "not exactly one complete gzip member")
    head, separator, rest = content.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    if not separator or not lines[0].startswith("WARC/"):
        raise _damaged(where, "no WARC header")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    try:
        size = int(headers["Content-Length"])
    except (KeyError, ValueError):
        raise _damaged(where, "no usable Content-Length") from None
    if rest[size:] != b"\r\n\r\n":
        raise _damaged(where, "record is truncated or has trailing bytes")
    return ParsedMember(headers, rest[:size])


def _damaged(where: str, message: str, expected: str | None = None,
             actual: str | None = None) -> IntegrityError:
    return IntegrityError(f"{where}: {message}", problems=[
        Problem("altered", message, path=where, expected=expected, actual=actual)])


def first_member(root: Path, warc_file: str) -> RecordRef:
    """Where the first record (the ``warcinfo``) of an archive WARC file is."""
    path = root / warc_file
    inflater = zlib.decompressobj(31)
    consumed = 0
    with open(path, "rb") as handle:
        while not inflater.eof:
            chunk = handle.read(64 * 1024)
            if not chunk:
                raise _damaged(warc_file, "first record is truncated")
            inflater.decompress(chunk)
            consumed += len(chunk) - len(inflater.unused_data)
    head = _head_of(root, warc_file, consumed)
    return RecordRef(warc_file, 0, consumed, head.headers.get("WARC-Record-ID", ""))


def _head_of(root: Path, warc_file: str, length: int) -> ParsedMember:
    return parse_member(raw_member(root, RecordRef(warc_file, 0, length, "")), warc_file)


def _http_head(block: bytes) -> tuple[str | None, str | None]:
    head = block.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1").split("\r\n")
    parts = head[0].split(" ")
    status = parts[1] if len(parts) > 1 and head[0].startswith("HTTP/") else None
    mime = None
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            mime = value.split(";")[0].strip()
    return status, mime


def copy_records(root: Path, refs: Iterable[RecordRef], target: Path,
                 payload_digests: dict[str, str | None]) -> list[CopiedRecord]:
    """Write ``refs`` (in the given order, each once) byte for byte into ``target``, checking
    each as the module docstring says; ``payload_digests`` maps response record ids to the
    catalog's ``sha256:`` payload digest. Raises ``IntegrityError`` naming the record on any
    mismatch (``target`` is then incomplete: the caller discards it)."""
    copied: list[CopiedRecord] = []
    seen: set[str] = set()
    with open(target, "wb") as out:
        for ref in refs:
            if ref.record_id in seen:
                continue
            seen.add(ref.record_id)
            data = raw_member(root, ref)
            where = f"{ref.warc_file}@{ref.offset}"
            parsed = parse_member(data, where)
            headers = parsed.headers
            if ref.record_id and headers.get("WARC-Record-ID") != ref.record_id:
                raise _damaged(where, "record id differs from the catalog", ref.record_id,
                               headers.get("WARC-Record-ID"))
            block_digest = labelled(sha256_bytes(parsed.block))
            if headers.get("WARC-Block-Digest") != block_digest:
                raise _damaged(where, "block digest does not match the record",
                               headers.get("WARC-Block-Digest"), block_digest)
            expected = payload_digests.get(headers.get("WARC-Record-ID", ""))
            if expected and headers.get("WARC-Payload-Digest") != expected:
                raise _damaged(where, "payload digest differs from the catalog", expected,
                               headers.get("WARC-Payload-Digest"))
            status, mime = (_http_head(parsed.block) if headers.get("WARC-Type") in
                            ("response", "revisit") else (None, None))
            offset = out.tell()
            out.write(data)
            copied.append(CopiedRecord(
                record_id=headers.get("WARC-Record-ID", ""), type=headers.get("WARC-Type", ""),
                source=ref, offset=offset, length=len(data),
                member_sha256=hashlib.sha256(data).hexdigest(),
                member_md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                block_digest=block_digest, payload_digest=headers.get("WARC-Payload-Digest"),
                target_uri=headers.get("WARC-Target-URI"), date=headers.get("WARC-Date"),
                http_status=status, mime=mime))
    return copied


# ----- WACZ ------------------------------------------------------------------------------------
def surt_key(url: str) -> str:
    """The SURT form of an http(s) URL as ReplayWeb.page computes it (host reversed with
    commas, ``www.`` dropped, lower case, query arguments sorted); other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    key = ",".join(reversed(host.split(".")))
    if parts.port:
        key += f":{parts.port}"
    key += ")" + (parts.path or "/").lower()
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.lower().split("&")))
    return key


def _timestamp(value: str | None) -> str:
    return parse_utc(value).strftime("%Y%m%d%H%M%S") if value else "19700101000000"


def cdxj_lines(records: list[CopiedRecord]) -> bytes:
    """A sorted CDXJ index of the response and revisit records in ``data.warc.gz``."""
    lines = []
    for record in records:
        if record.type not in ("response", "revisit") or not record.target_uri:
            continue
        entry: dict[str, Any] = {"url": record.target_uri, "status": record.http_status or "",
                                 "mime": "warc/revisit" if record.type == "revisit"
                                 else (record.mime or ""),
                                 "digest": record.payload_digest or "",
                                 "length": str(record.length), "offset": str(record.offset),
                                 "filename": WARC_NAME}
        lines.append(f"{surt_key(record.target_uri)} {_timestamp(record.date)} "
                     f"{json.dumps(entry, ensure_ascii=False)}\n")
    return "".join(sorted(lines)).encode("utf-8")


def pages_jsonl(pages: list[dict[str, str]], title: str) -> bytes:
    """``pages/pages.jsonl``: a header line, then one page per entry (url, ts, title, id)."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": title}
    return "".join(json.dumps(line, ensure_ascii=False) + "\n"
                   for line in [header, *pages]).encode("utf-8")


def _zip_info(name: str, created: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=created.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_wacz(warc: Path, records: list[CopiedRecord], pages: list[dict[str, str]],
               target: Path, *, key: ec.EllipticCurvePrivateKey, created: datetime,
               title: str, description: str, software: str) -> str:
    """Write the WACZ 1.1.1 file ``target`` holding ``warc``; return the SHA-256 of its
    ``datapackage.json`` (the signed hash)."""
    index = cdxj_lines(records)
    page_list = pages_jsonl(pages, title)
    warc_digest = digest_file(warc)
    resources = [
        {"name": WARC_NAME, "path": f"archive/{WARC_NAME}",
         "hash": labelled(warc_digest.sha256), "bytes": warc_digest.size},
        {"name": "index.cdxj", "path": "indexes/index.cdxj",
         "hash": labelled(sha256_bytes(index)), "bytes": len(index)},
        {"name": "pages.jsonl", "path": "pages/pages.jsonl",
         "hash": labelled(sha256_bytes(page_list)), "bytes": len(page_list)},
    ]
    stamp = utc_iso(created.replace(microsecond=0))
    package: dict[str, Any] = {"profile": "data-package", "wacz_version": WACZ_VERSION,
                               "title": title, "description": description, "created": stamp,
                               "modified": stamp, "software": software,
                               "resources": resources}
    if pages:
        package["mainPageUrl"] = pages[0]["url"]
        package["mainPageDate"] = pages[0]["ts"]
    package_bytes = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode()
    package_hash = labelled(sha256_bytes(package_bytes))
    public_der = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    signed = {"hash": package_hash, "created": stamp, "software": software,
              "signature": base64.b64encode(signing.sign(key, package_hash.encode())).decode(),
              "publicKey": base64.b64encode(public_der).decode()}
    digest = {"path": "datapackage.json", "hash": package_hash, "signedData": signed}
    with zipfile.ZipFile(target, "w") as archive_zip:
        with archive_zip.open(_zip_info(f"archive/{WARC_NAME}", created), "w",
                              force_zip64=True) as out, open(warc, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                out.write(chunk)
        for name, data in (("indexes/index.cdxj", index), ("pages/pages.jsonl", page_list),
                           ("datapackage.json", package_bytes),
                           ("datapackage-digest.json",
                            (json.dumps(digest, indent=2) + "\n").encode())):
            archive_zip.writestr(_zip_info(name, created), data)
    return package_hash


def verify_wacz_signature(path: Path) -> bool:
    """True when the WACZ's ``datapackage-digest.json`` matches its ``datapackage.json`` and
    its anonymous signature verifies with the public key it carries."""
    with zipfile.ZipFile(path) as archive_zip:
        package = archive_zip.read("datapackage.json")
        digest = json.loads(archive_zip.read("datapackage-digest.json"))
    signed = digest.get("signedData") or {}
    if digest.get("hash") != labelled(sha256_bytes(package)) or signed.get("hash") != \
            digest.get("hash"):
        return False
    public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    return signing.verify_signature(public, signed["hash"].encode(),
                                    base64.b64decode(signed["signature"]))

