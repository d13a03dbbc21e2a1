"""An item as the browser view shows it: the shared ``ItemView`` of ``render`` (the one item
renderer), its media, and the exact WARC records behind it.

The records of an item are, for each version, the platform request and response it was
read from and the metadata record holding the normalized item, plus — for a media item — the
request and response that carried the file. A response is the platform's whole answer (a
page of a timeline, a thread), so it can hold other items too; ``shared_with_not_public``
finds the responses that also hold not-public items, which staff may not download.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from civicrecords.catalog import Catalog, ItemRow, RecordRow, VersionRow
from civicrecords.errors import NotFoundError
from civicrecords.model import RecordRef
from civicrecords.render import ItemView, MediaView, VersionView
from civicrecords.requests.redact import Segment
from civicrecords.web.site import item_url

#: Media shown in the page; anything else is offered only as a download.
INLINE_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif",
    "video/mp4", "video/webm", "video/ogg", "audio/mpeg", "audio/ogg", "audio/mp4",
    "audio/wav", "audio/webm"})
DOWNLOAD_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class RecordEntry:
    """One WARC record behind an item: what it is for, where it is, what it fetched."""

    role: str
    version: int | None
    warc_type: str
    ref: RecordRef
    target_uri: str | None
    date: str | None

    @property
    def token(self) -> str:
        """The record id as it travels in a URL (the UUID of ``<urn:uuid:...>``)."""
        return record_token(self.ref.record_id)


def record_token(record_id: str) -> str:
    """``<urn:uuid:X>`` -> ``X``."""
    return record_id.strip("<>").removeprefix("urn:uuid:")


def media_type(version: VersionRow) -> str:
    """The content type recorded for a media item's file ('' when it has none)."""
    info = version.item().extra.get("file") or {}
    return str(info.get("content_type") or "").split(";")[0].strip().lower()


def file_record(catalog: Catalog, version: VersionRow) -> RecordRow | None:
    """The response record holding a media item's file bytes (None when no file was
    stored)."""
    record_id = (version.item().extra.get("file") or {}).get("record_id")
    if not record_id:
        return None
    try:
        return catalog.record(str(record_id))
    except NotFoundError:
        return None


def _exchange(catalog: Catalog, response_id: str | None) -> list[RecordRow]:
    if not response_id:
        return []
    try:
        response = catalog.record(response_id)
    except NotFoundError:
        return []
    request = catalog.request_for(response.record_id)
    return [request, response] if request else [response]


def item_records(catalog: Catalog, item: ItemRow, versions: list[VersionRow]
                 ) -> list[RecordEntry]:
    """Every WARC record behind ``item`` (see module docstring), oldest version first,
    each record once."""
    out: dict[str, RecordEntry] = {}
    for number, version in enumerate(versions, start=1):
        for row in _exchange(catalog, version.response_record_id):
            out.setdefault(row.record_id, RecordEntry(row.type, number, row.type, row.ref,
                                                      row.target_uri, row.date))
        out.setdefault(version.record_id, RecordEntry(
            "metadata", number, "metadata", version.record, None, version.first_seen))
    if item.kind == "media" and versions:
        stored = file_record(catalog, versions[-1])
        if stored is not None:
            for row in _exchange(catalog, stored.record_id):
                out.setdefault(row.record_id, RecordEntry(f"file {row.type}", None, row.type,
                                                          row.ref, row.target_uri, row.date))
    return list(out.values())


def shared_with_not_public(catalog: Catalog, response_ids: Iterable[str]) -> set[str]:
    """The responses among ``response_ids`` that hold a version of a not-public item."""
    ids = sorted(set(response_ids))
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = catalog.execute(
        f"SELECT DISTINCT v.response_record_id FROM versions v JOIN items i ON i.id = "
        f"v.item_id WHERE v.response_record_id IN ({marks}) AND i.classification != "
        "'public'", ids)
    return {str(row[0]) for row in rows}


def media_items(catalog: Catalog, item: ItemRow, *, include_not_public: bool) -> list[ItemRow]:
    """The media items attached to ``item`` (itself, for a media item)."""
    if item.kind == "media":
        return [item]
    return [row for row in catalog.children(item)
            if row.kind == "media" and (row.is_public or include_not_public)]


def media_view(catalog: Catalog, row: ItemRow) -> MediaView | None:
    """How a media item's stored file is shown (None when no file was stored). Types a
    browser should not render from the archive are offered as downloads only."""
    version = catalog.latest(row)
    if file_record(catalog, version) is None:
        return None
    kind = media_type(version)
    return MediaView(href=item_url(row.ref, "file"),
                     content_type=kind if kind in INLINE_TYPES else DOWNLOAD_TYPE,
                     alt=" ".join(version.item().text.split()))


def item_view(item: ItemRow, versions: list[VersionRow], media: list[MediaView]) -> ItemView:
    """The shared ``ItemView`` of ``item`` with every version, unredacted (the viewer may
    see the item); number 0, as the app does not number items."""
    views = []
    for number, version in enumerate(versions, start=1):
        data = version.item()
        views.append(VersionView(
            number=number, latest=version.id == item.latest_version,
            version_time=version.version_time, first_seen=version.first_seen,
            last_seen=version.last_seen, text=[Segment(data.text)] if data.text else [],
            title=[Segment(data.title)] if data.title else []))
    removed = None
    if item.removed_job:
        removed = f"first missed by job {item.removed_job}"
        if item.removed_reason:
            removed += f": {item.removed_reason}"
    return ItemView(ref=item.ref, number=0, platform=item.platform, account=item.account,
                    kind=item.kind, author=item.author or "", author_name=item.author_name or "",
                    created_at=item.created_at, url=item.url, status=item.status,
                    classification=item.classification, parent_id=item.parent_id,
                    thread=item.thread_id or item.platform_id, removed=removed,
                    versions=views, media=media)


def describe(row: ItemRow, version: VersionRow | None) -> dict[str, Any]:
    """A one-line summary of an item for lists: kind, author, time and the start of its
    text."""
    text = " ".join(version.item().text.split()) if version else ""
    return {"ref": row.ref, "kind": row.kind, "author": row.author or "",
            "created_at": row.created_at or "", "status": row.status,
            "classification": row.classification,
            "summary": text[:160] + ("…" if len(text) > 160 else "")}
