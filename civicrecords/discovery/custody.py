"""Chain of custody: for every produced item version, where and how it was captured, and
the certification counsel adapts (in the style of Fed. R. Evid. 902(14)).

The report has one row per produced version: the capture job, capture time, operator and
software version (from the job's signed manifest, via the catalog), the WARC file and record
id of the item's metadata record, the SHA-256 and MD5 of that record exactly as stored (its
gzip member, which the volume's WARC carries byte for byte when the record is produced), its
WARC block digest, the API response it came from, the SHA-256 of the source WARC file as its
signed manifest lists it, and the SHA-256 and MD5 of the item's JSON native in this volume.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from civicrecords.config import DiscoverySection
from civicrecords.csvcells import spreadsheet_safe
from civicrecords.discovery.documents import Doc
from civicrecords.discovery.loadfiles import FileRef
from civicrecords.discovery.natives import CopiedRecord, parse_member
from civicrecords.integrity.hashing import labelled, sha256_bytes
from civicrecords.integrity.manifest import MANIFESTS, load_manifest
from civicrecords.model import RecordRef
from civicrecords.pdffonts import BOLD, FONT, draw_string, register_fonts
from civicrecords.warcrecords import raw_member

CUSTODY_COLUMNS = (
    "BEGBATES", "ITEMREF", "VERSION", "CAPTURE_JOB", "CAPTURED_AT", "OPERATOR",
    "TOOL_VERSION", "WARC_FILE", "WARC_RECORD_ID", "RECORD_SHA256", "RECORD_MD5",
    "WARC_BLOCK_DIGEST", "RESPONSE_RECORD_ID", "SOURCE_FILE_SHA256", "IN_VOLUME_WARC",
    "NATIVE_FILE", "NATIVE_SHA256", "NATIVE_MD5")


@dataclass(frozen=True)
class RecordDigests:
    """A stored record's gzip-member SHA-256 and MD5 and its WARC block digest."""

    sha256: str
    md5: str
    block_digest: str


def source_files(root: Path) -> dict[str, dict[str, Any]]:
    """Every archive file the signed manifests list: path -> its manifest entry."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((root / MANIFESTS).glob("*.json")):
        try:
            manifest = load_manifest(path)
        except ValueError:
            continue
        for entry in manifest.get("files", []):
            out[entry["path"]] = entry
    return out


def record_digests(root: Path, ref: RecordRef) -> RecordDigests:
    """Digests of a record as stored (``IntegrityError`` when it is damaged)."""
    data = raw_member(root, ref)
    parsed = parse_member(data, f"{ref.warc_file}@{ref.offset}")
    return RecordDigests(hashlib.sha256(data).hexdigest(),
                         hashlib.md5(data, usedforsecurity=False).hexdigest(),
                         labelled(sha256_bytes(parsed.block)))


def custody_rows(docs: list[Doc], *, jobs: dict[str, dict[str, Any]],
                 files: dict[str, dict[str, Any]], copied: dict[str, CopiedRecord],
                 natives: dict[str, FileRef], digests: Callable[[RecordRef], RecordDigests]
                 ) -> list[dict[str, str]]:
    """One row per version of every produced (not withheld) document."""
    rows: list[dict[str, str]] = []
    for doc in docs:
        if doc.withheld:
            continue
        native = natives.get(doc.row.ref)
        for version in doc.versions:
            record = version.row
            job = jobs.get(record.first_job, {})
            shipped = copied.get(record.record_id)
            found = (RecordDigests(shipped.member_sha256, shipped.member_md5,
                                   shipped.block_digest) if shipped else
                     digests(record.record))
            rows.append({
                "BEGBATES": doc.begin, "ITEMREF": doc.row.ref, "VERSION": str(version.number),
                "CAPTURE_JOB": record.first_job, "CAPTURED_AT": record.first_seen,
                "OPERATOR": job.get("operator") or "", "TOOL_VERSION":
                f"civicrecords {job.get('tool_version') or ''}".strip(),
                "WARC_FILE": record.warc_file, "WARC_RECORD_ID": record.record_id,
                "RECORD_SHA256": found.sha256, "RECORD_MD5": found.md5,
                "WARC_BLOCK_DIGEST": found.block_digest,
                "RESPONSE_RECORD_ID": record.response_record_id or "",
                "SOURCE_FILE_SHA256": (files.get(record.warc_file) or {}).get("sha256", ""),
                "IN_VOLUME_WARC": "Y" if shipped else "N",
                "NATIVE_FILE": native.path if native else "",
                "NATIVE_SHA256": native.sha256 if native else "",
                "NATIVE_MD5": native.md5 if native else ""})
    return rows


def custody_csv(rows: list[dict[str, str]]) -> bytes:
    """The report as CSV (UTF-8, CRLF, header row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CUSTODY_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8")


def certification_text(section: DiscoverySection, values: dict[str, str]) -> str:
    """The configured certification with its placeholders filled in."""
    fields = {"signatory_name": section.signatory_name,
              "signatory_title": section.signatory_title, **values}
    return section.certification_text.strip("\n").format(**fields) + "\n"


def certification_pdf(path: Path, *, title: str, text: str, header: str) -> None:
    """The certification as a one- or two-page PDF counsel can print and sign."""
    register_fonts()
    canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    height = letter[1]
    y = height - 72

    def line(content: str, font: str, size: float) -> None:
        nonlocal y
        if y < 72:
            canvas.showPage()
            y = height - 72
        draw_string(canvas, 72, y, content, font, size)
        y -= size * 1.45

    line(header, FONT, 8)
    y -= 10
    line(title, BOLD, 13)
    y -= 8
    for paragraph in text.splitlines():
        for piece in _wrap(paragraph, 92) or [""]:
            line(piece, FONT, 10)
    canvas.showPage()
    canvas.save()


def _wrap(text: str, width: int) -> list[str]:
    indent = len(text) - len(text.lstrip(" "))
    words, lines, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) + indent > width and current:
            lines.append(" " * indent + current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(" " * indent + current)
    return lines
