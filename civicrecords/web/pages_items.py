"""The item page and its downloads: every version with word diffs, the conversation, media,
and the exact WARC records behind the item.

Scope follows the CLI's ``show``: staff see public items only, get the same 404 for a
not-public item as for one that does not exist, and see no trace of not-public items in a
conversation; a clerk's view of a not-public item is
audited (``show.not_public``), and so are the not-public items of a conversation
(``show.thread_not_public``, by ``search.conversation``) and not-public downloads
(``web.download``).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.errors import NotFoundError, UsageError
from civicrecords.requests.store import RequestStore
from civicrecords.search.conversation import conversation
from civicrecords.search.versions import version_history
from civicrecords.web.auth import Viewer
from civicrecords.web.downloads import file_response, records_response, safe_filename
from civicrecords.web.itemviews import (
    describe,
    file_record,
    item_records,
    item_view,
    media_items,
    media_type,
    media_view,
    shared_with_not_public,
)
from civicrecords.web.site import Site, guard, site_of

THREAD_WINDOW = 50  # conversation entries listed on either side of the item


class Hidden(Exception):
    """The item does not exist, or the viewer may not see it (answered alike: 404)."""


def find_visible(catalog: Catalog, archive: Archive, viewer: Viewer, ref: str) -> ItemRow:
    """The item ``ref`` if the viewer may see it; a clerk's view of a not-public item is
    audited. Raises ``Hidden`` otherwise."""
    if not ref or len(ref) > 2000:
        raise Hidden
    try:
        item = catalog.find(ref)
    except (NotFoundError, UsageError):
        raise Hidden from None
    if not item.is_public:
        if not viewer.can("clerk"):
            raise Hidden
        archive.audit.record("show.not_public", subject=item.ref, via="web")
    return item


def _item_page(site: Site, viewer: Viewer, ref: str) -> dict[str, Any]:
    archive = site.archive_for(viewer.name)
    clerk = viewer.can("clerk")
    with Catalog(archive.catalog_path) as catalog:
        item = find_visible(catalog, archive, viewer, ref)
        versions = catalog.versions(item.id)
        history = version_history(catalog, item)
        talk = conversation(catalog, item, archive.audit, include_not_public=clerk)
        attached = media_items(catalog, item, include_not_public=clerk)
        hidden_media = [row.ref for row in attached if not row.is_public and row.ref != item.ref]
        if hidden_media:
            archive.audit.record("show.media_not_public", subject=item.ref, items=hidden_media)
        media = [view for view in (media_view(catalog, row) for row in attached) if view]
        records = item_records(catalog, item, versions)
        entries = [e for e in talk.entries if not e.withheld]  # no trace of what staff may
        here = next(i for i, e in enumerate(entries) if e.item.ref == item.ref)  # not see
        start = max(0, here - THREAD_WINDOW)
        shown = entries[start:here + THREAD_WINDOW + 1]
        thread = [{"depth": entry.depth, "withheld": entry.withheld,
                   "this": entry.item.ref == item.ref,
                   **({} if entry.withheld else describe(entry.item, entry.version))}
                  for entry in shown]
        context = {"item": item_view(item, versions, media), "row": item, "history": history,
                   "thread": thread, "thread_size": len(entries), "thread_before": start,
                   "thread_after": len(entries) - start - len(shown), "records": records,
                   "events": catalog.events(item.id)}
    context["open_requests"] = ([r.id for r in RequestStore(archive).all() if r.is_open]
                                if clerk else [])
    return context


@guard("staff")
async def item_page(request: Request, viewer: Viewer) -> Response:
    """One item: versions (with diffs), media, conversation, WARC records, history."""
    site = site_of(request)
    try:
        context = await run_in_threadpool(_item_page, site, viewer,
                                          request.query_params.get("ref", ""))
    except Hidden:
        return site.not_found(viewer)
    return site.page(request, viewer, "item.html", **context)


def _file(site: Site, viewer: Viewer, ref: str) -> Response:
    archive = site.archive_for(viewer.name)
    with Catalog(archive.catalog_path) as catalog:
        item = find_visible(catalog, archive, viewer, ref)
        if item.kind != "media":
            raise Hidden
        version = catalog.latest(item)
        stored = file_record(catalog, version)
        if stored is None:
            raise Hidden
        recorded = media_type(version)
    if not item.is_public:
        archive.audit.record("web.download", subject=item.ref, records=[stored.record_id])
    extension = mimetypes.guess_extension(recorded) or ".bin"
    return file_response(archive.root, stored.ref, f"{item.platform_id}{extension}", recorded)


@guard("staff")
async def item_file(request: Request, viewer: Viewer) -> Response:
    """A media item's file, streamed from its WARC record (see ``downloads``)."""
    site = site_of(request)
    try:
        return await run_in_threadpool(_file, site, viewer, request.query_params.get("ref", ""))
    except Hidden:
        return site.not_found(viewer)


def _records(site: Site, viewer: Viewer, ref: str, token: str | None) -> Response:
    archive = site.archive_for(viewer.name)
    with Catalog(archive.catalog_path) as catalog:
        item = find_visible(catalog, archive, viewer, ref)
        entries = item_records(catalog, item, catalog.versions(item.id))
        if token is not None:
            entries = [entry for entry in entries if entry.token == token]
            if not entries:
                raise Hidden
        if not viewer.can("clerk"):
            responses = [e.ref.record_id for e in entries if e.warc_type == "response"]
            restricted = shared_with_not_public(catalog, responses)
            if token is not None and restricted:
                raise Hidden
            entries = [e for e in entries if e.ref.record_id not in restricted]
    if not item.is_public:
        archive.audit.record("web.download", subject=item.ref,
                             records=[e.ref.record_id for e in entries])
    name = f"{item.platform}-{item.account}-{item.platform_id}"
    if token is not None:
        name += f"-{entries[0].role}-{token[:8]}"
    return records_response(archive.root, [e.ref for e in entries],
                            safe_filename(name, ".warc.gz"))


@guard("staff")
async def item_record(request: Request, viewer: Viewer) -> Response:
    """One WARC record of an item, as stored (raw gzip member, ``application/warc``)."""
    site = site_of(request)
    token = request.query_params.get("id", "")
    try:
        return await run_in_threadpool(_records, site, viewer,
                                       request.query_params.get("ref", ""), token)
    except Hidden:
        return site.not_found(viewer)


@guard("staff")
async def item_all_records(request: Request, viewer: Viewer) -> Response:
    """Every WARC record behind an item in one ``.warc.gz`` (for staff, without platform
    responses that also hold not-public items)."""
    site = site_of(request)
    try:
        return await run_in_threadpool(_records, site, viewer,
                                       request.query_params.get("ref", ""), None)
    except Hidden:
        return site.not_found(viewer)


ROUTES = [
    Route("/item", item_page, methods=["GET"]),
    Route("/item/file", item_file, methods=["GET"]),
    Route("/item/record", item_record, methods=["GET"]),
    Route("/item/records.warc.gz", item_all_records, methods=["GET"]),
]
