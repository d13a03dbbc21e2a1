"""``civicrecords import``: web archives made by other tools, kept as evidence and searchable.

WARC (``.warc``, ``.warc.gz``; e.g. ``wget --warc-file``, Heritrix) and WACZ files (e.g.
browsertrix-crawler, ArchiveWeb.page) are copied unmodified to
``imports/<job>/<name>``, hashed and listed (role ``imported``) in a signed, chained job
manifest exactly like a capture's WARCs, so ``verify`` vouches for them and ``rebuild``
re-derives everything from them.

Every HTML response (2xx, ``text/html`` or XHTML) becomes a *page* item: platform ``web``,
account = the import's collection name, platform id = the page URL, kind ``page``, title and
text from the HTML (markup, scripts and styles are never text), created = the capture date
in the record. Its version points at the exact record: the file, the byte offset of the
record (inside the WACZ file itself: WACZ stores its WARCs uncompressed in the zip) and the
WARC-Record-ID. The same URL captured again with different text is a new version of the same
page; identical re-captures and ``revisit`` records only extend when it was last seen. Pages
are classified by the same rules as everything else (a ``[[classification.rules]]`` entry
with ``account = ["<collection>"]`` applies to them), so search scope rules hold for them too.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from civicrecords import __version__
from civicrecords.archive import Archive
from civicrecords.archiver.job import new_job_id
from civicrecords.archiver.recovery import recover
from civicrecords.archiver.warc import part_name
from civicrecords.atomicfile import fsync_dir
from civicrecords.catalog import Catalog
from civicrecords.catalog.apply import JobCounts, JobWriter
from civicrecords.catalog.replay import ROLE_REPLAYERS
from civicrecords.environment import parse_utc, utc_iso
from civicrecords.errors import RefusedError, UsageError
from civicrecords.htmltext import html_title, html_to_text
from civicrecords.integrity.hashing import CHUNK, digest_chunks
from civicrecords.integrity.manifest import chain_entries, commit, load_manifest, stage
from civicrecords.model import Item, Observation, RecordRef

ROLE = "imported"
PLATFORM = "web"
KIND = "page"
MAX_PAGE_BYTES = 8 * 1024 * 1024  # larger pages are indexed from their first 8 MiB
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_COLLECTION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_ZIP_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_READ_ERRORS = (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError)


@dataclass(frozen=True)
class Segment:
    """A WARC byte range: the whole file, or one stored WARC member of a WACZ."""

    member: str | None
    start: int
    length: int


@dataclass(frozen=True)
class _Candidate:
    when: datetime
    order: int
    url: str
    ref: RecordRef
    digest: str | None
    revisit: bool


@dataclass
class ImportedFile:
    """One imported file: where it came from, where it is kept, what it held."""

    original: str
    path: str
    format: str
    size: int
    sha256: str
    md5: str
    records: int = 0
    pages: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class ImportResult:
    """A finished import job."""

    job_id: str
    collection: str
    manifest: str
    files: list[ImportedFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``import --format json``)."""
        return {"job_id": self.job_id, "collection": self.collection,
                "manifest": self.manifest, "files": [f.to_dict() for f in self.files],
                **self.counts}


# ----- reading web archives -------------------------------------------------------------------
def sniff_format(path: Path) -> str:
    """``wacz``, ``warc.gz`` or ``warc`` from the file's first bytes (``UsageError`` for
    anything else)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04"):
        return "wacz"
    if head.startswith(b"\x1f\x8b"):
        return "warc.gz"
    if head.startswith(b"WARC/"):
        return "warc"
    raise UsageError(f"{path.name}: not a WARC or WACZ file")


def segments(path: Path, fmt: str) -> list[Segment]:
    """The WARC byte ranges of a file. A WACZ must hold its WARCs under ``archive/``, stored
    uncompressed in the zip (as the WACZ specification requires), so every record keeps a
    byte offset in the WACZ file itself; ``UsageError`` otherwise."""
    if fmt != "wacz":
        return [Segment(None, 0, path.stat().st_size)]
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
            found = []
            for info in archive.infolist():
                if not info.filename.startswith("archive/") or ".warc" not in info.filename:
                    continue
                if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                    raise UsageError(f"{path.name}: {info.filename} is compressed or encrypted "
                                     "inside the WACZ; WACZ requires stored WARCs (unzip it "
                                     "and import the WARC file instead)")
                handle.seek(info.header_offset)
                local = _ZIP_LOCAL.unpack(handle.read(_ZIP_LOCAL.size))
                start = info.header_offset + _ZIP_LOCAL.size + local[9] + local[10]
                found.append(Segment(info.filename, start, info.compress_size))
    except (zipfile.BadZipFile, struct.error, OSError) as exc:
        raise UsageError(f"{path.name}: not a readable WACZ (zip) file: {exc}") from None
    if not found:
        raise UsageError(f"{path.name}: the WACZ holds no WARC files under archive/")
    return found


def wacz_titles(path: Path) -> dict[str, str]:
    """URL -> title from a WACZ's ``pages/pages.jsonl`` and ``pages/extraPages.jsonl``."""
    titles: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for name in ("pages/pages.jsonl", "pages/extraPages.jsonl"):
            if name not in names:
                continue
            for line in archive.read(name).decode("utf-8", "replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("url"), str) \
                        and isinstance(entry.get("title"), str):
                    titles.setdefault(entry["url"], " ".join(entry["title"].split()))
    return titles


def _target(headers: Any) -> str:
    return (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")


def _is_html(record: Any) -> bool:
    http = record.http_headers
    if http is None:
        return False
    try:
        status = int(http.get_statuscode() or 0)
    except ValueError:
        return False
    content_type = (http.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return 200 <= status < 300 and content_type in _HTML_TYPES


def scan(writer: JobWriter, handle: BinaryIO, relative: str, name: str,
         parts: list[Segment]) -> tuple[int, list[_Candidate]]:
    """Read every record once: remember request/response/revisit locations in the catalog
    and return the record count and the HTML pages, oldest capture first. ``UsageError``
    when a record cannot be read or the file is truncated."""
    count = 0
    candidates: list[_Candidate] = []
    for part in parts:
        handle.seek(part.start)
        iterator = ArchiveIterator(LimitReader(handle, part.length))
        end = 0
        try:
            for record in iterator:
                offset = part.start + iterator.get_record_offset()
                headers = record.rec_headers
                record_id = headers.get_header("WARC-Record-ID") or ""
                url = _target(headers)
                page = record.rec_type in ("response", "revisit") and bool(url) \
                    and _is_html(record)
                when = parse_utc(headers.get_header("WARC-Date") or "") if page else None
                iterator.read_to_end(record)
                if getattr(record.raw_stream, "limit", 0):
                    raise UsageError(f"{name}: truncated: the record at byte {offset} is "
                                     f"{record.raw_stream.limit} bytes short")
                length = iterator.get_record_length() or 0
                ref = RecordRef(relative, offset, length, record_id)
                digest = headers.get_header("WARC-Payload-Digest")
                if when is not None:
                    candidates.append(_Candidate(when, count, url, ref, digest,
                                                 record.rec_type == "revisit"))
                if record.rec_type in ("request", "response", "revisit"):
                    writer.record(ref, record_type=record.rec_type, target_uri=url or None,
                                  date=headers.get_header("WARC-Date") or "",
                                  payload_digest=digest,
                                  concurrent_to=headers.get_header("WARC-Concurrent-To"))
                end = iterator.get_record_offset() + length
                count += 1
        except _READ_ERRORS as exc:
            where = part.start + end
            raise UsageError(f"{name}: unreadable WARC record after byte {where}: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                             ) from None
        if end != part.length:
            raise UsageError(f"{name}: truncated or damaged: the last complete record ends at "
                             f"byte {part.start + end} of {part.start + part.length}")
    candidates.sort(key=lambda c: (c.when, c.order))
    return count, candidates


def _charset(content_type: str, head: bytes) -> str:
    for source in (re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I),
                   _META_CHARSET.search(head)):
        if source:
            name = source.group(1)
            name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
            try:
                return codecs.lookup(name).name
            except LookupError:
                continue
    return "utf-8"


def read_page(handle: BinaryIO, ref: RecordRef) -> tuple[str, str, dict[str, Any]] | None:
    """(title, text, facts) of the HTML response at ``ref``, or None when its body cannot be
    decoded (an unsupported or broken content encoding)."""
    handle.seek(ref.offset)
    record = next(iter(ArchiveIterator(LimitReader(handle, ref.length))))
    http = record.http_headers
    content_type = http.get_header("Content-Type") or ""
    try:
        body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    except _READ_ERRORS:
        return None
    charset = _charset(content_type, body[:4096])
    markup = body[:MAX_PAGE_BYTES].decode(charset, "replace")
    facts: dict[str, Any] = {"http_status": int(http.get_statuscode() or 0),
                             "content_type": content_type, "charset": charset}
    if len(body) > MAX_PAGE_BYTES:
        facts["indexed_bytes"] = MAX_PAGE_BYTES
    return html_title(markup), html_to_text(markup), facts


def _latest_capture(writer: JobWriter, collection: str, url: str) -> datetime | None:
    row = writer.db.execute(
        "SELECT v.last_seen FROM items i JOIN versions v ON v.id = i.latest_version "
        "WHERE i.platform=? AND i.account=? AND i.platform_id=?",
        (PLATFORM, collection, url)).fetchone()
    return parse_utc(row[0]) if row and row[0] else None


def apply_imported(writer: JobWriter, root: Path, entry: dict[str, Any],
                   source: Path | None = None) -> tuple[int, int]:
    """Feed one imported file's pages to ``writer`` (the ``imported`` role replayer; the
    import itself passes the not-yet-renamed ``source``); return (records, pages)."""
    relative = entry["path"]
    path = source or root / relative
    collection = entry["collection"]
    fmt = entry.get("format") or sniff_format(path)
    titles = wacz_titles(path) if fmt == "wacz" else {}
    pages = 0
    texts: dict[str, tuple[str, str, dict[str, Any]]] = {}
    with open(path, "rb") as handle:
        count, candidates = scan(writer, handle, relative, Path(relative).name,
                                 segments(path, fmt))
        for candidate in candidates:
            if candidate.revisit:
                page = texts.get(candidate.digest or "")
            else:
                page = read_page(handle, candidate.ref)
                if page is not None and candidate.digest:
                    texts[candidate.digest] = page
            if page is None:
                continue
            title, text, facts = page
            known = _latest_capture(writer, collection, candidate.url)
            observed = "history" if known is not None and candidate.when < known else "current"
            captured = utc_iso(candidate.when)
            item = Item(platform=PLATFORM, account=collection, platform_id=candidate.url,
                        kind=KIND, created_at=captured, url=candidate.url, text=text,
                        title=title or titles.get(candidate.url, ""), extra=facts)
            writer.observe(Observation(
                item=item, job_id=writer.job_id, captured_at=captured, observed=observed,
                response_record_id=candidate.ref.record_id, response_uri=candidate.url,
                record=candidate.ref))
            pages += 1
    return count, pages


ROLE_REPLAYERS[ROLE] = apply_imported


# ----- the import job -------------------------------------------------------------------------
def safe_name(name: str, taken: set[str]) -> str:
    """A file name that is safe on any file system and not in ``taken``: unusual characters
    become ``_``, no leading dot or dash, at most 120 characters."""
    cleaned = _UNSAFE_NAME.sub("_", name).lstrip(".-_")[-120:] or "import"
    candidate, number = cleaned, 2
    while candidate in taken:
        stem, dot, suffix = cleaned.partition(".")
        candidate = f"{stem}-{number}{dot}{suffix}"
        number += 1
    taken.add(candidate)
    return candidate


def _imported_before(root: Path) -> dict[str, tuple[str, str]]:
    """sha256 -> (job, path) of every file earlier imports hold."""
    seen: dict[str, tuple[str, str]] = {}
    for entry in chain_entries(root):
        if entry.get("kind") != "import":
            continue
        manifest = load_manifest(root / entry["manifest"])
        for listed in manifest.get("files", []):
            if listed.get("role") == ROLE:
                seen[listed["sha256"]] = (manifest["job_id"], listed["path"])
    return seen


def _copy(source: Path, target: Path) -> tuple[int, str, str]:
    """Copy ``source`` to ``target`` (fsynced), hashing what was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    before = source.stat()

    def chunks(reader: BinaryIO, writer: BinaryIO) -> Iterator[bytes]:
        while chunk := reader.read(CHUNK):
            writer.write(chunk)
            yield chunk

    with open(source, "rb") as reader, open(target, "wb") as writer:
        digests = digest_chunks(chunks(reader, writer), md5=True)
        writer.flush()
        os.fsync(writer.fileno())
    after = source.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) \
            or digests.size != after.st_size:
        raise UsageError(f"{source.name}: changed while it was being copied; import it again "
                         "when nothing is writing it")
    assert digests.md5 is not None
    return digests.size, digests.sha256, digests.md5


def _clear_unstaged_parts(root: Path) -> None:
    """Copies a crashed import left before it staged its manifest (never part of the
    record; staged ones were already finished or discarded by ``recover``)."""
    imports = root / "imports"
    if not imports.exists():
        return
    for part in sorted(imports.rglob(".*.part")):
        part.unlink()
    for directory in sorted(imports.iterdir()):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def run_import(archive: Archive, paths: list[Path], collection: str) -> ImportResult:
    """Import ``paths`` (WARC or WACZ files) into ``collection`` as one signed job.

    Everything is checked before anything is kept: ``UsageError`` for a bad collection name,
    a missing, unreadable, truncated or non-WARC/WACZ file; ``RefusedError`` for a file an
    earlier import already holds. Raises ``ArchiveLockedError`` when another job runs."""
    if not _COLLECTION.match(collection):
        raise UsageError(f"--collection: {collection!r} must be lowercase letters, digits, "
                         "'-' or '_'")
    if any(account.name == collection for account in archive.config.accounts):
        raise UsageError(f"--collection: {collection!r} is the name of a configured account; "
                         "choose another name for imported pages")
    if not paths:
        raise UsageError("give at least one WARC or WACZ file")
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: not a file")
    formats = [sniff_format(path) for path in paths]
    root = archive.root
    with archive.lock("import job"), Catalog(archive.catalog_path) as catalog:
        recover(archive, catalog)
        _clear_unstaged_parts(root)
        key = archive.private_key()
        earlier = _imported_before(root)
        started = archive.env.now()
        job_id = new_job_id(archive)
        writer = JobWriter(catalog, archive.config, job_id, kind="import")
        result = ImportResult(job_id=job_id, collection=collection, manifest="")
        taken: set[str] = set()
        parts: list[tuple[Path, Path]] = []
        try:
            entries = []
            for path, fmt in zip(paths, formats, strict=True):
                final = root / "imports" / job_id / safe_name(path.name, taken)
                part = part_name(final)
                parts.append((part, final))
                size, sha256, md5 = _copy(path, part)
                if sha256 in earlier or any(f.sha256 == sha256 for f in result.files):
                    job, held = earlier.get(sha256, (job_id, "this import"))
                    raise RefusedError(f"{path.name} is already in the archive "
                                       f"({held}, import job {job})")
                relative = final.relative_to(root).as_posix()
                entry = {"path": relative, "size": size, "sha256": sha256, "md5": md5,
                         "role": ROLE, "format": fmt, "collection": collection,
                         "original_name": path.name}
                records, pages = apply_imported(writer, root, entry, source=part)
                entries.append({**entry, "records": records, "pages": pages})
                result.files.append(ImportedFile(path.name, relative, fmt, size, sha256, md5,
                                                 records, pages))
            staged = stage(root, _manifest(archive, job_id, collection, started, entries), key)
            for part, final in parts:
                os.replace(part, final)
            fsync_dir(root / "imports" / job_id)
            chained = commit(root, staged)
            counts = writer.finish(staged.manifest, chained["manifest"])
        except BaseException:
            writer.rollback()
            for part, _ in parts:
                part.unlink(missing_ok=True)
            _clear_unstaged_parts(root)
            raise
        result.manifest = chained["manifest"]
        result.counts = _counts(counts, collection, result.files)
    archive.audit.record("import", subject=job_id, collection=collection,
                         files=[f.to_dict() for f in result.files], manifest=result.manifest)
    return result


def _manifest(archive: Archive, job_id: str, collection: str, started: datetime,
              entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"job_id": job_id, "kind": "import", "started": utc_iso(started),
            "finished": utc_iso(archive.env.now()), "operator": archive.env.operator_name,
            "tool": {"name": "civicrecords", "version": __version__},
            "archive_id": archive.config.archive.id, "collection": collection,
            "files": entries, "gaps": []}


def _counts(counts: JobCounts, collection: str, files: list[ImportedFile]) -> dict[str, int]:
    return {"records": sum(f.records for f in files), "pages": sum(f.pages for f in files),
            "new": counts.new[collection], "changed": counts.edited[collection]}
