"""Requests in the browser view (clerks): the list with business-day deadlines, opening a
request, one request's page, adding items, status and notes, identity, export and fulfilment
(fees, staff time and the letter: ``pages_charges``).

Each action calls the same library functions as ``civicrecords request ...`` with the
signed-in clerk as the operator, so the request's history and the audit log name them.
Actions on one request are serialized (a lock per request), so two clerks cannot interleave
changes to the same ``request.json``. Bundles (for discovery requests: production volumes,
numbered by the matter) are written under the request's ``exports/`` directory and offered
as deterministic zips.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.discovery.production import export_volume
from civicrecords.environment import parse_utc
from civicrecords.errors import NotFoundError, UsageError
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.calendar import parse_received
from civicrecords.requests.fulfil import fulfil
from civicrecords.requests.gather import add_items, query_criterion, resolve
from civicrecords.requests.store import (
    STATUSES,
    TRANSITIONS,
    RequestStore,
    deadline_summary,
    local_zone,
)
from civicrecords.requests.store import Request as DataRequest
from civicrecords.search.backend import SearchQuery
from civicrecords.web.auth import Viewer
from civicrecords.web.bundlezip import zip_bundle
from civicrecords.web.downloads import disposition
from civicrecords.web.feeviews import fee_view
from civicrecords.web.itemviews import describe
from civicrecords.web.site import done, form_text, guard, perform, site_of

EXPORTS = "exports"


def today(archive: Archive) -> Any:
    """The archive's local date (deadlines count local business days)."""
    return archive.env.now().astimezone(local_zone(archive)).date()


@contextlib.contextmanager
def request_lock(archive: Archive, request_id: str) -> Iterator[None]:
    """Hold the browser view's lock on one request for the block (other processes and
    threads of the server wait for it)."""
    RequestStore(archive).path(request_id)  # UsageError for a malformed id
    directory = archive.root / "web" / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / f"{request_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def exports_dir(archive: Archive, request: DataRequest) -> Path:
    """Where the browser view writes the request's bundles."""
    return RequestStore(archive).path(request.id) / EXPORTS


def _describe_export(export: dict[str, Any]) -> str:
    """What an export (bundle or production volume) holds, in one line."""
    if export.get("volume"):
        return (f"production volume {export['volume']}, {export.get('begin_bates', '')} to "
                f"{export.get('end_bates', '')}: {export.get('items', 0)} document(s), "
                f"{export.get('withheld', 0)} withheld, {export.get('redacted', 0)} redacted")
    return (f"{export.get('items', 0)} item(s), {export.get('withheld', 0)} withheld, "
            f"{export.get('redactions', 0)} redaction(s), fee ${export.get('fee_total', '0')}")


def _downloadable(archive: Archive, request: DataRequest, export: dict[str, Any]) -> bool:
    """True for an export the browser view wrote (under the request's exports/)."""
    path = Path(export["path"])
    return path.is_relative_to(exports_dir(archive, request).resolve()) and path.is_dir()


def _export_rows(archive: Archive, request: DataRequest) -> list[dict[str, Any]]:
    rows = []
    for export in reversed(request.exports):
        rows.append({"name": Path(export["path"]).name, "path": export["path"],
                     "at": export.get("at", ""), "by": export.get("by", ""),
                     "what": _describe_export(export),
                     "download": _downloadable(archive, request, export),
                     "latest": export is request.exports[-1]})
    return rows


def request_context(archive: Archive, request: DataRequest) -> dict[str, Any]:
    """Everything the request page shows."""
    items = []
    with Catalog(archive.catalog_path) as catalog:
        for number, ref in enumerate(request.items, start=1):
            try:
                row = catalog.find(ref)
                items.append({"number": number, **describe(row, catalog.latest(row))})
            except (NotFoundError, UsageError):
                items.append({"number": number, "ref": ref, "missing": True})
    return {"request": request, "info": deadline_summary(archive, request, today(archive)),
            "items": items, "exports": _export_rows(archive, request),
            "next_statuses": [s for s in TRANSITIONS.get(request.status, ())
                              if s != "fulfilled"],
            "can_export": request.is_open, "fees": fee_view(archive, request)}


@guard("clerk")
async def request_list(request: Request, viewer: Viewer) -> Response:
    """Requests by due date with business days elapsed, left and overdue."""
    site = site_of(request)
    show_all = request.query_params.get("all") == "1"
    overdue = request.query_params.get("overdue") == "1"

    def rows() -> list[dict[str, Any]]:
        archive = site.archive_for(viewer.name)
        day = today(archive)
        found = [deadline_summary(archive, r, day) for r in RequestStore(archive).all()
                 if show_all or r.is_open]
        if overdue:
            found = [r for r in found if r["overdue_business_days"]]
        return sorted(found, key=lambda r: (r["due"] or "9999", r["id"]))

    found = await run_in_threadpool(rows)
    return site.page(request, viewer, "requests.html", rows=found, show_all=show_all,
                     overdue=overdue, today=today(site.archive))


@guard("clerk")
async def new_request_form(request: Request, viewer: Viewer) -> Response:
    """The form to register a new request."""
    return site_of(request).page(request, viewer, "request_new.html", error="", values={})


@guard("clerk")
async def new_request(request: Request, viewer: Viewer) -> Response:
    """Register a public or data subject request and compute its due date."""
    site = site_of(request)
    values = {name: form_text(request, name) for name in
              ("kind", "received", "requester", "contact", "channel", "description",
               "subjects")}
    archive = site.archive_for(viewer.name)

    def create() -> DataRequest:
        if values["kind"] not in ("public", "subject"):
            raise UsageError("Choose a public or a data subject request (discovery requests "
                             "are opened with 'civicrecords request open --kind discovery').")
        moment = (parse_received(values["received"].replace(" ", "T"), local_zone(archive))
                  if values["received"] else archive.env.now())
        who = {k: values[f] for k, f in (("name", "requester"), ("contact", "contact"))
               if values[f]}
        handles = [h for h in values["subjects"].replace(",", " ").split() if h]
        return RequestStore(archive).create(
            kind=values["kind"], received=moment, requester=who,
            channel=values["channel"] or None, description=values["description"], details={},
            subject_handles=handles if values["kind"] == "subject" else [])

    try:
        created = await run_in_threadpool(create)
    except UsageError as exc:
        return site.page(request, viewer, "request_new.html", status=400, error=exc.message,
                         values=values)
    due = f", due {created.due}" if created.due else ""
    return await done(site, viewer, f"Opened {created.id}{due}.", f"/requests/{created.id}")


@guard("clerk")
async def request_page(request: Request, viewer: Viewer) -> Response:
    """One request: deadlines, items, exports and what can be done next."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    rid = request.path_params["rid"]
    data = await run_in_threadpool(RequestStore(archive).get, rid)
    context = await run_in_threadpool(request_context, archive, data)
    return site.page(request, viewer, "request.html", statuses=STATUSES, **context)


async def act(request: Request, viewer: Viewer, action: Any, rid: str | None = None
               ) -> Response:
    """Run ``action(archive, store, data) -> message`` on the request (``rid``, else the
    one in the path) under its lock, then return to its page with the message."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    rid = rid or request.path_params["rid"]

    def run() -> str:
        with request_lock(archive, rid):
            store = RequestStore(archive)
            message: str = action(archive, store, store.get(rid))
            return message

    return await perform(site, viewer, run, f"/requests/{rid}")


@guard("clerk")
async def add_to_request(request: Request, viewer: Viewer) -> Response:
    """Add items by query, item or thread (the criterion is saved, as with 'request add')."""
    how, value = form_text(request, "how"), form_text(request, "value")
    shared = site_of(request).search_backend

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        if not data.is_open:
            raise UsageError(f"request {data.id} is {data.status}; nothing can be added")
        if not value:
            raise UsageError("Give a search query or an item to add.")
        with Catalog(archive.catalog_path) as catalog:
            if how == "query":
                criterion = query_criterion(SearchQuery(text=value))
            elif how in ("item", "thread"):
                criterion = {"type": how, "ref": catalog.find(value).ref}
            else:
                raise UsageError("Add by query, item or thread.")
            with shared.use() as backend:
                refs = resolve(catalog, backend, archive.audit, criterion)
        added = add_items(data, refs, criterion, archive.env.operator_name, archive.env.now())
        store.save(data, "request.add", added=len(added), criteria=[criterion])
        return f"Added {len(added)} item(s); {len(data.items)} in all."

    return await act(request, viewer, action, form_text(request, "rid") or None)


@guard("clerk")
async def change_status(request: Request, viewer: Viewer) -> Response:
    """Move the request to another status (denied needs a reason and the statute)."""
    status, reason = form_text(request, "status"), form_text(request, "reason")
    basis = form_text(request, "basis")

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        previous = data.status
        store.set_status(data, status, reason=reason, basis=basis)
        return f"Status changed from {previous} to {data.status}."

    return await act(request, viewer, action)


@guard("clerk")
async def add_note(request: Request, viewer: Viewer) -> Response:
    """Add a dated note to the request."""
    text = form_text(request, "text")

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        store.add_note(data, text)
        return f"Note {len(data.notes)} added."

    return await act(request, viewer, action)


@guard("clerk")
async def record_identity(request: Request, viewer: Viewer) -> Response:
    """Record how a data subject's identity was verified."""
    method, verified_by = form_text(request, "method"), form_text(request, "verified_by")

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        store.record_identity(data, method=method, verified_by=verified_by)
        return "Identity verification recorded."

    return await act(request, viewer, action)


@guard("clerk")
async def export(request: Request, viewer: Viewer) -> Response:
    """Build the request's signed bundle (a discovery request: its next production volume)
    under its ``exports/`` directory."""
    unreviewed = form_text(request, "unreviewed") or None

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        if unreviewed not in (None, "redact", "release"):
            raise UsageError("Undecided candidates can be redacted or released, or the "
                             "export refused.")
        if data.kind == "discovery":
            volume = export_volume(archive, data, exports_dir(archive, data) / "production",
                                   unreviewed=unreviewed)  # type: ignore[arg-type]
            return (f"Volume {volume.volume} built: {volume.begin_bates} to "
                    f"{volume.end_bates}, {volume.documents} document(s), {volume.withheld} "
                    f"withheld, {volume.redacted} redacted.")
        stamp = archive.env.now().strftime("%Y%m%dT%H%M%SZ")
        target = exports_dir(archive, data) / f"{data.id}-{stamp}"
        suffix = 1
        while target.exists():
            suffix += 1
            target = target.with_name(f"{data.id}-{stamp}-{suffix}")
        result = export_bundle(archive, data, target,
                               unreviewed=unreviewed)  # type: ignore[arg-type]
        return (f"Bundle {target.name} built: {result.items} item(s), {result.withheld} "
                f"withheld, {result.redactions} redaction(s).")

    return await act(request, viewer, action)


@guard("clerk")
async def fulfil_request(request: Request, viewer: Viewer) -> Response:
    """Record delivery of the latest bundle (verified first) and close the request."""
    via, delivered = form_text(request, "via"), form_text(request, "delivered")

    def action(archive: Archive, store: RequestStore, data: DataRequest) -> str:
        if not via:
            raise UsageError("Say how the bundle was delivered.")
        when = parse_received(delivered, local_zone(archive)) if delivered else None
        result = fulfil(archive, data, via=via, delivered_at=when)
        return f"Fulfilled {result.delivered_at} via {result.via}; fee ${result.fee_total}."

    return await act(request, viewer, action)


@guard("clerk")
async def export_zip(request: Request, viewer: Viewer) -> Response:
    """A bundle the browser view exported, as a deterministic zip download."""
    site = site_of(request)
    archive = site.archive_for(viewer.name)
    rid, name = request.path_params["rid"], request.path_params["name"]

    def build() -> Path | None:
        data = RequestStore(archive).get(rid)
        for entry in data.exports:
            path = Path(entry["path"])
            if path.name == name and _downloadable(archive, data, entry):
                archive.audit.record("web.bundle_download", subject=data.id, bundle=str(path))
                return zip_bundle(path, path.parent / f"{name}.zip", parse_utc(entry["at"]))
        return None

    target = await run_in_threadpool(build)
    if target is None:
        return site.not_found(viewer)
    return FileResponse(target, media_type="application/zip",
                        headers={"Content-Disposition": disposition("attachment",
                                                                    f"{name}.zip")})


ROUTES = [
    Route("/requests", request_list, methods=["GET"]),
    Route("/requests/new", new_request_form, methods=["GET"]),
    Route("/requests/new", new_request, methods=["POST"]),
    Route("/requests/{rid}", request_page, methods=["GET"]),
    Route("/requests/add", add_to_request, methods=["POST"]),
    Route("/requests/{rid}/add", add_to_request, methods=["POST"]),
    Route("/requests/{rid}/status", change_status, methods=["POST"]),
    Route("/requests/{rid}/note", add_note, methods=["POST"]),
    Route("/requests/{rid}/identity", record_identity, methods=["POST"]),
    Route("/requests/{rid}/export", export, methods=["POST"]),
    Route("/requests/{rid}/fulfil", fulfil_request, methods=["POST"]),
    Route("/requests/{rid}/exports/{name}.zip", export_zip, methods=["GET"]),
]
