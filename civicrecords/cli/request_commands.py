"""Data requests: open, add, list, show, export."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext
from civicrecords.cli.search_commands import parse_day
from civicrecords.errors import UsageError
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.calendar import business_days_between, parse_received
from civicrecords.requests.gather import (
    add_items,
    query_criterion,
    query_refs,
    thread_refs,
)
from civicrecords.requests.store import Request, RequestStore, calendar_options, local_zone
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend

request_app = typer.Typer(help="Data requests: register, gather, review, export, fulfil.",
                          no_args_is_help=True)


class Kind(StrEnum):
    public = "public"
    subject = "subject"
    discovery = "discovery"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class Unreviewed(StrEnum):
    redact = "redact"
    release = "release"


def register(app: typer.Typer) -> None:
    """Add the ``request`` command group to ``app``."""
    app.add_typer(request_app, name="request")


def _summary(context: CliContext, request: Request) -> dict[str, object]:
    archive = context.open_archive()
    today = context.env.now().astimezone(local_zone(archive)).date()
    received = datetime.fromisoformat(request.received).date()
    elapsed = business_days_between(received, today, calendar_options(archive))
    overdue = None
    if request.due and request.is_open:
        due = datetime.fromisoformat(request.due).date()
        overdue = business_days_between(due, today, calendar_options(archive))
    return {**request.to_dict(), "elapsed_business_days": elapsed,
            "overdue_business_days": overdue}


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
    request = RequestStore(archive).create(kind=kind.value, received=moment, requester=who,
                                           channel=channel, description=description,
                                           details=details)
    if fmt is OutputFormat.json:
        context.emit_json(request.to_dict())
    else:
        due = f", due {request.due}" if request.due else ""
        context.out.print(f"opened {request.id} ({request.kind}), received "
                          f"{request.received}{due}", markup=False)


@request_app.command("add")
def add(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    query: str | None = typer.Option(None, "--query", help="Add every item matching this "
                                     "search query (any version, any classification)."),
    item: list[str] = typer.Option([], "--item", help="Add one item (repeatable)."),
    thread: list[str] = typer.Option([], "--thread", help="Add the whole conversation of "
                                     "this item (repeatable)."),
    account: list[str] = typer.Option([], "--account", help="Query filter: account."),
    platform: list[str] = typer.Option([], "--platform", help="Query filter: platform."),
    kind: list[str] = typer.Option([], "--kind", help="Query filter: item kind."),
    since: str | None = typer.Option(None, "--since", help="Query filter: created on or "
                                     "after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Query filter: created on or "
                                     "before YYYY-MM-DD."),
) -> None:
    """Add items to a request by query, item or thread; the criteria are saved."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    if not (query or item or thread):
        raise UsageError("give --query, --item or --thread")
    store = RequestStore(archive)
    request = store.get(request_id)
    added: list[str] = []
    with Catalog(archive.catalog_path) as catalog:
        if query is not None:
            spec = SearchQuery(text=query, accounts=tuple(account), platforms=tuple(platform),
                               kinds=tuple(kind), since=parse_day(since, "--since"),
                               until=parse_day(until, "--until"))
            backend = open_backend(archive.root, archive.config)
            try:
                refs = query_refs(catalog, backend, spec, archive.audit)
            finally:
                backend.close()
            added += add_items(request, refs, query_criterion(spec),
                               context.env.operator_name, context.env.now())
        for reference in item:
            ref = catalog.find(reference).ref
            added += add_items(request, [ref], {"type": "item", "ref": ref},
                               context.env.operator_name, context.env.now())
        for reference in thread:
            refs = thread_refs(catalog, reference)
            added += add_items(request, refs, {"type": "thread", "ref": reference},
                               context.env.operator_name, context.env.now())
    store.save(request, "request.add", added=len(added), criteria=request.criteria[-1])
    context.out.print(f"{request.id}: added {len(added)} item(s); {len(request.items)} in all",
                      markup=False)


@request_app.command("list")
def list_requests(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Include closed requests."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Requests with their due dates and business days elapsed or overdue."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    rows = [_summary(context, r) for r in RequestStore(archive).all() if show_all or r.is_open]
    if fmt is OutputFormat.json:
        context.emit_json(rows)
        return
    context.emit_table(
        ["id", "kind", "status", "received", "due", "elapsed", "overdue", "items"],
        [[r["id"], r["kind"], r["status"], r["received"], r["due"] or "-",
          r["elapsed_business_days"],
          (f"{r['overdue_business_days']} business day(s)" if r["overdue_business_days"]
           else "-"), len(r["items"])] for r in rows],  # type: ignore[arg-type]
        title="Data requests")


@request_app.command("show")
def show_request(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
) -> None:
    """Print a request as JSON (items, criteria, exports, history)."""
    context: CliContext = ctx.obj
    context.emit_json(_summary(context, RequestStore(context.open_archive()).get(request_id)))


@request_app.command("export")
def export(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    out: Path = typer.Option(..., "--out", help="New directory for the bundle (discovery: "
                             "the production directory that holds VOL001, VOL002...)."),
    unreviewed: Unreviewed | None = typer.Option(
        None, "--unreviewed", help="What to do with PII candidates nobody has decided "
        "(default: refuse to export while any remain)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Build the request's signed, redacted BagIt bundle (for a discovery request: the next
    production volume under --out)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    request = RequestStore(archive).get(request_id)
    if request.kind == "discovery":
        from civicrecords.discovery.production import export_volume

        volume = export_volume(archive, request, out,
                               unreviewed=unreviewed.value if unreviewed else None)
        if as_json:
            context.emit_json(volume.to_dict())
        else:
            context.out.print(volume.summary(), markup=False)
        return
    result = export_bundle(archive, request, out,
                           unreviewed=unreviewed.value if unreviewed else None)
    if as_json:
        context.emit_json(result.to_dict())
    else:
        context.out.print(f"bundle {result.path}: {result.items} item(s), {result.withheld} "
                          f"withheld, {result.redactions} redaction(s), {result.files} file(s)",
                          markup=False)
