"""Data requests: open, add, rerun, list, show, status, note, identity, export.

Reviewing (``request review``) and responding (``request time/fees/letter/fulfil``) live in
``request_review_commands`` and ``request_response_commands``; ``register`` adds them all.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli import request_response_commands, request_review_commands
from civicrecords.cli.context import CliContext, OutputFormat, Unreviewed
from civicrecords.cli.search_commands import parse_day
from civicrecords.errors import UsageError
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.calendar import parse_received
from civicrecords.requests.gather import add_items, query_criterion, rerun, resolve
from civicrecords.requests.store import (
    STATUSES,
    RequestStore,
    deadline_summary,
    local_zone,
)
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend

request_app = typer.Typer(help="Data requests: register, gather, review, export, fulfil.",
                          no_args_is_help=True)


class Kind(StrEnum):
    public = "public"
    subject = "subject"
    discovery = "discovery"


Status = StrEnum("Status", {s.replace("-", "_"): s for s in STATUSES})  # type: ignore[misc]


def register(app: typer.Typer) -> None:
    """Add the ``request`` command group to ``app``."""
    request_review_commands.register(request_app)
    request_response_commands.register(request_app)
    app.add_typer(request_app, name="request")


def _today(context: CliContext, archive: Archive) -> Any:
    return context.env.now().astimezone(local_zone(archive)).date()


@request_app.command("open")
def open_request(
    ctx: typer.Context,
    kind: Kind = typer.Option(..., "--kind", help="public, subject (data subject) or "
                              "discovery."),
    received: str | None = typer.Option(None, "--received", help="When it arrived: "
                                        "YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: now)."),
    requester: str | None = typer.Option(None, "--requester", help="Requester's name "
                                         "(never required for public requests)."),
    contact: str | None = typer.Option(None, "--contact", help="How to reach the requester."),
    channel: str | None = typer.Option(None, "--channel", help="How it arrived (email, web "
                                       "form, counter, mail...)."),
    description: str = typer.Option("", "--description", help="What was asked for."),
    subject: list[str] = typer.Option([], "--subject", help="Data subject requests: the "
                                      "subject's handle on the platforms, e.g. @name "
                                      "(repeatable)."),
    identity_method: str | None = typer.Option(None, "--identity-method", help="Data subject "
                                               "requests: how identity was verified, e.g. "
                                               "\"driver's license shown at counter\"."),
    verified_by: str | None = typer.Option(None, "--verified-by", help="Data subject "
                                           "requests: who verified the identity."),
    matter: str | None = typer.Option(None, "--matter", help="Discovery: the legal matter "
                                      "(its holds and Bates counter)."),
    bates_prefix: str | None = typer.Option(None, "--bates-prefix", help="Discovery: Bates "
                                            "number prefix, e.g. LAKESIDE."),
    confidentiality: str | None = typer.Option(None, "--confidentiality", help="Discovery: "
                                               "legend stamped on every page, e.g. "
                                               "CONFIDENTIAL."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Register a new request and compute its due date in business days."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    moment = (parse_received(received, local_zone(archive)) if received
              else context.env.now())
    who = {k: v for k, v in (("name", requester), ("contact", contact)) if v}
    details: dict[str, str] = {}
    if kind is Kind.discovery:
        if not (matter and bates_prefix):
            raise UsageError("a discovery request needs --matter and --bates-prefix")
        details = {"matter": matter, "bates_prefix": bates_prefix,
                   "confidentiality": confidentiality or ""}
    elif matter or bates_prefix or confidentiality:
        raise UsageError("--matter, --bates-prefix and --confidentiality are for "
                         "--kind discovery")
    if (identity_method or verified_by) and not (identity_method and verified_by):
        raise UsageError("give both --identity-method and --verified-by")
    store = RequestStore(archive)
    request = store.create(kind=kind.value, received=moment, requester=who, channel=channel,
                           description=description, details=details, subject_handles=subject)
    if identity_method and verified_by:
        store.record_identity(request, method=identity_method, verified_by=verified_by)
    earlier = store.previous_subject_requests(request)
    if fmt is OutputFormat.json:
        context.emit_json(deadline_summary(archive, request, _today(context, archive)))
    else:
        due = f", due {request.due}" if request.due else ""
        context.out.print(f"opened {request.id} ({request.kind}), received "
                          f"{request.received}{due}", markup=False)
    for other in earlier:
        context.note(f"note: {other.id} gave this data subject their data on "
                     f"{other.closure.get('at', '')[:10]} (within "
                     f"{archive.config.requests.subject_repeat_months} months)")


def _query_criterion(query: str, account: list[str], platform: list[str], kind: list[str],
                     since: str | None, until: str | None) -> dict[str, Any]:
    return query_criterion(SearchQuery(
        text=query, accounts=tuple(account), platforms=tuple(platform), kinds=tuple(kind),
        since=parse_day(since, "--since"), until=parse_day(until, "--until")))


@request_app.command("add")
def add(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    query: str | None = typer.Option(None, "--query", help="Add every item matching this "
                                     "search query (any version, any classification)."),
    item: list[str] = typer.Option([], "--item", help="Add one item (repeatable)."),
    thread: list[str] = typer.Option([], "--thread", help="Add the whole conversation of "
                                     "this item (repeatable)."),
    author: list[str] = typer.Option([], "--author", help="Add everything this handle "
                                     "posted, every reply to it and its messages "
                                     "(repeatable)."),
    account: list[str] = typer.Option([], "--account", help="Query filter: account."),
    platform: list[str] = typer.Option([], "--platform", help="Query filter: platform."),
    kind: list[str] = typer.Option([], "--kind", help="Query filter: item kind."),
    since: str | None = typer.Option(None, "--since", help="Query filter: created on or "
                                     "after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Query filter: created on or "
                                     "before YYYY-MM-DD."),
) -> None:
    """Add items to a request by query, item, thread or author; the criteria are saved."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    if not (query or item or thread or author):
        raise UsageError("give --query, --item, --thread or --author")
    store = RequestStore(archive)
    request = store.get(request_id)
    if not request.is_open:
        raise UsageError(f"request {request.id} is {request.status}; nothing can be added")
    added: list[str] = []
    criteria: list[dict[str, Any]] = []
    with Catalog(archive.catalog_path) as catalog:
        if query is not None:
            criteria.append(_query_criterion(query, account, platform, kind, since, until))
        criteria += [{"type": "item", "ref": catalog.find(ref).ref} for ref in item]
        criteria += [{"type": "thread", "ref": catalog.find(ref).ref} for ref in thread]
        if author:
            criteria.append({"type": "author", "handles": list(author)})
        backend = open_backend(archive.root, archive.config) if query is not None else None
        try:
            for criterion in criteria:
                refs = resolve(catalog, backend, archive.audit, criterion)
                added += add_items(request, refs, criterion, context.env.operator_name,
                                   context.env.now())
        finally:
            if backend is not None:
                backend.close()
    store.save(request, "request.add", added=len(added), criteria=criteria)
    context.out.print(f"{request.id}: added {len(added)} item(s); {len(request.items)} in all",
                      markup=False)


@request_app.command("rerun")
def rerun_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
) -> None:
    """Apply the request's saved criteria again (after a new capture) and add what is new."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    store = RequestStore(archive)
    request = store.get(request_id)
    if not request.is_open:
        raise UsageError(f"request {request.id} is {request.status}; nothing can be added")
    needs_index = any(c.get("type") == "query" for c in request.criteria)
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config) if needs_index else None
        try:
            added = rerun(request, catalog, backend, archive.audit, context.env.now())
        finally:
            if backend is not None:
                backend.close()
    store.save(request, "request.rerun", added=len(added), criteria=len(request.criteria))
    context.out.print(f"{request.id}: re-ran {len(request.criteria)} criteria, added "
                      f"{len(added)} item(s); {len(request.items)} in all", markup=False)


@request_app.command("list")
def list_requests(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Include closed requests."),
    overdue_only: bool = typer.Option(False, "--overdue", help="Only open requests past "
                                      "their due date."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Requests by due date, with business days elapsed, left and overdue."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    today = _today(context, archive)
    rows = [deadline_summary(archive, r, today) for r in RequestStore(archive).all()
            if show_all or r.is_open]
    if overdue_only:
        rows = [r for r in rows if r["overdue_business_days"]]
    rows.sort(key=lambda r: (r["due"] or "9999", r["id"]))
    if fmt is OutputFormat.json:
        context.emit_json(rows)
        return
    context.emit_table(
        ["id", "kind", "status", "received", "due", "elapsed", "left", "overdue", "items"],
        [[r["id"], r["kind"], r["status"], r["received"], r["due"] or "-",
          r["elapsed_business_days"],
          "-" if r["business_days_left"] is None else r["business_days_left"],
          (f"{r['overdue_business_days']} business day(s)" if r["overdue_business_days"]
           else "-"), len(r["items"])] for r in rows],
        title=f"Data requests as of {today} (business days)")


@request_app.command("show")
def show_request(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
) -> None:
    """Print a request as JSON (items, criteria, exports, history, deadlines)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    store = RequestStore(archive)
    request = store.get(request_id)
    data = deadline_summary(archive, request, _today(context, archive))
    data["previous_subject_requests"] = [r.id for r in store.previous_subject_requests(request)]
    context.emit_json(data)


@request_app.command("status")
def status_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    status: Status = typer.Argument(..., metavar="STATUS", help="gathering, in-review, "
                                    "ready, denied or withdrawn (fulfilled: use 'request "
                                    "fulfil')."),
    reason: str = typer.Option("", "--reason", help="Why (required for denied and "
                               "withdrawn)."),
    basis: str = typer.Option("", "--basis", help="The statute a denial rests on (required "
                              "for denied)."),
) -> None:
    """Move a request to another status; every change is audited."""
    context: CliContext = ctx.obj
    store = RequestStore(context.open_archive())
    request = store.get(request_id)
    previous = request.status
    store.set_status(request, status.value, reason=reason, basis=basis)
    context.out.print(f"{request.id}: {previous} -> {request.status}", markup=False)


@request_app.command("note")
def note_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    text: str = typer.Argument(..., help="The note (e.g. a call with the requester)."),
) -> None:
    """Add a dated note to a request."""
    context: CliContext = ctx.obj
    store = RequestStore(context.open_archive())
    request = store.get(request_id)
    store.add_note(request, text)
    context.out.print(f"{request.id}: note {len(request.notes)} added", markup=False)


@request_app.command("identity")
def identity_command(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    identity_method: str = typer.Option(..., "--identity-method", help="How the data "
                                        "subject's identity was verified."),
    verified_by: str = typer.Option(..., "--verified-by", help="Who verified it."),
    handle: list[str] = typer.Option([], "--handle", help="The subject's handle on the "
                                     "platforms (repeatable; added to those given at open)."),
    note: str = typer.Option("", "--note", help="Anything else about the verification."),
) -> None:
    """Record how a data subject's identity was verified (needed before export)."""
    context: CliContext = ctx.obj
    store = RequestStore(context.open_archive())
    request = store.get(request_id)
    store.record_identity(request, method=identity_method, verified_by=verified_by,
                          handles=handle, note=note)
    context.out.print(f"{request.id}: identity recorded; handles "
                      f"{', '.join(request.subject_handles) or 'none'}", markup=False)


@request_app.command("export")
def export(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    out: Path = typer.Option(..., "--out", help="New directory for the bundle (discovery: "
                             "the production directory that holds VOL001, VOL002...)."),
    unreviewed: Unreviewed | None = typer.Option(
        None, "--unreviewed", help="What to do with PII candidates and media nobody has "
        "decided (default: refuse to export while any remain)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Build the request's signed, redacted BagIt bundle with the response letter (for a
    discovery request: the next production volume under --out)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    request = RequestStore(archive).get(request_id)
    if request.kind == "discovery":
        from civicrecords.discovery.production import export_volume

        volume = export_volume(archive, request, out,
                               unreviewed=unreviewed.value if unreviewed else None)
        if fmt is OutputFormat.json:
            context.emit_json(volume.to_dict())
        else:
            context.out.print(volume.summary(), markup=False)
        return
    result = export_bundle(archive, request, out,
                           unreviewed=unreviewed.value if unreviewed else None)
    if fmt is OutputFormat.json:
        context.emit_json(result.to_dict())
    else:
        context.out.print(f"bundle {result.path}: {result.items} item(s), {result.withheld} "
                          f"withheld, {result.redactions} redaction(s), {result.files} file(s)",
                          markup=False)
