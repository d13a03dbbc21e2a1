"""Rendering a volume's documents to Bates-stamped PDFs under ``IMAGES/``.

One PDF per document (config ``[discovery] images = "item"``) or per conversation
(``"thread"``: a family's documents one after the other, each from a fresh page). Every page
takes the matter's next Bates number, so a document's Bates range is exactly its pages.
Media documents show their image; posts show thumbnails of their attached images unless
that attachment is withheld (or not public and not produced).
"""

from __future__ import annotations

import io
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.discovery.bates import bates_number
from civicrecords.discovery.documents import Doc, item_image
from civicrecords.discovery.loadfiles import FileRef
from civicrecords.discovery.pdfimages import (
    ImageWriter,
    Picture,
    decode_picture,
    placeholder_picture,
)
from civicrecords.errors import NotFoundError
from civicrecords.integrity.hashing import digest_file
from civicrecords.requests import redact
from civicrecords.warcrecords import copy_payload


@dataclass(frozen=True)
class Stamp:
    """How pages are labelled: the matter's prefix and width, legend and header lines."""

    prefix: str
    width: int
    legend: str
    header_left: str
    header_right: str


def folder(index: int, size: int) -> str:
    """The sub-folder (``0001``, ``0002``...) of the ``index``-th file, ``size`` per folder."""
    return f"{(index - 1) // size + 1:04d}"


def file_ref(payload: Path, path: Path) -> FileRef:
    """A written file as load files describe it (path relative to ``payload``)."""
    digests = digest_file(path, md5=True)
    return FileRef(path.relative_to(payload).as_posix().replace("/", "\\"), digests.size,
                   digests.md5 or "", digests.sha256)


def _file_bytes(archive: Archive, catalog: Catalog, record_id: str | None
                ) -> tuple[bytes, str] | None:
    if not record_id:
        return None
    try:
        record = catalog.record(record_id)
    except NotFoundError:
        return None
    buffer = io.BytesIO()
    content_type = copy_payload(archive.root, record.ref, buffer)
    return buffer.getvalue(), (content_type or "").split(";")[0].strip()


def pictures_for(archive: Archive, catalog: Catalog, doc: Doc, withheld: set[str],
                 produced: set[str]) -> list[Picture]:
    """The pictures a document's pages show (see the module docstring)."""
    if doc.withheld or doc.data is None:
        return []
    if doc.row.kind == "media":
        found = _file_bytes(archive, catalog, (doc.data.extra.get("file") or {}).get(
            "record_id"))
        description = redact.joined(doc.latest.text) if doc.latest else ""
        picture = decode_picture(found[0], f"Image ({found[1]}). Description: "
                                 f"{description or 'none given'}") if found else None
        if picture is None:
            kind = found[1] if found else "file not captured"
            return [placeholder_picture(f"Media file ({kind}): no image to show. "
                                        f"Description: {description or 'none given'}")]
        return [picture]
    pictures = []
    for child in catalog.children(doc.row):
        if child.kind != "media" or child.ref in withheld or (
                child.ref not in produced and not child.is_public):
            continue
        extra = catalog.latest(child).item().extra
        found = _file_bytes(archive, catalog, (extra.get("file") or {}).get("record_id"))
        picture = decode_picture(found[0], f"Attached image {child.platform_id}",
                                 max_height=150, pixels=400) if found else None
        if picture is not None:
            pictures.append(picture)
    return pictures


def render_images(archive: Archive, catalog: Catalog, docs: list[Doc], payload: Path, *,
                  first_number: int, stamp: Stamp, per_thread: bool, folder_size: int,
                  zone: zoneinfo.ZoneInfo) -> int:
    """Write every document's PDF pages, numbering pages from ``first_number``; set each
    document's ``pages`` and ``image``; return the next unused number. ``RefusedError``
    when the numbers outgrow the matter's width."""
    counter = [first_number]

    def next_bates() -> str:
        number = counter[0]
        counter[0] += 1
        return bates_number(stamp.prefix, number, stamp.width)

    withheld = {d.row.ref for d in docs if d.withheld}
    produced = {d.row.ref for d in docs}
    groups: list[list[Doc]] = []
    for doc in docs:
        if per_thread and groups and groups[-1][-1].family == doc.family:
            groups[-1].append(doc)
        else:
            groups.append([doc])
    for number, group in enumerate(groups, start=1):
        name = bates_number(stamp.prefix, counter[0], stamp.width)
        path = payload / "IMAGES" / folder(number, folder_size) / f"{name}.pdf"
        writer = ImageWriter(path, next_bates=next_bates, legend=stamp.legend,
                             header_left=stamp.header_left, header_right=stamp.header_right,
                             title=name)
        for doc in group:
            pictures = pictures_for(archive, catalog, doc, withheld, produced)
            doc.pages = writer.document(item_image(doc, zone, pictures))
        writer.close()
        ref = file_ref(payload, path)
        for doc in group:
            doc.image = ref
    return counter[0]


def set_families(docs: list[Doc]) -> None:
    """Give each member of a family of two or more documents the family's Bates range (the
    first page of its first document to the last page of its last)."""
    start = 0
    while start < len(docs):
        end = start
        while end + 1 < len(docs) and docs[end + 1].family == docs[start].family:
            end += 1
        if end > start:
            for doc in docs[start:end + 1]:
                doc.family_range = (docs[start].begin, docs[end].end)
        start = end + 1
