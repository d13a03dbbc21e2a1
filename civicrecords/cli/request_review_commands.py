"""``request review``: list what a person must decide in a request, and record decisions."""

from __future__ import annotations

import unicodedata
from collections import Counter
from enum import StrEnum

import typer

from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.environment import utc_iso
from civicrecords.errors import UsageError
from civicrecords.requests.policy import policy_for
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import RequestStore
from civicrecords.requests.worklist import Entry, decide, worklist


class Choice(StrEnum):
    accept = "accept"
    reject = "reject"
    withhold = "withhold"
    release = "release"


def register(app: typer.Typer) -> None:
    """Add ``review`` to the ``request`` command group."""
    app.command("review")(review)


def review(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., metavar="ID", help="Request id."),
    selectors: list[str] = typer.Argument(None, metavar="[NUMBER|KEY]...",
                                          help="Review entries to decide, by number or key."),
    decide_as: Choice | None = typer.Option(
        None, "--decide", help="accept (redact) or reject (release) PII candidates; "
        "withhold or release whole items (media, or the item holding a candidate). Without "
        "it, the review list is printed."),
    category: list[str] = typer.Option([], "--category", help="Select every undecided "
                                       "entry of this category (ssn, phone, email, ..., "
                                       "media, item; repeatable)."),
    kind: list[str] = typer.Option([], "--kind", help="Select every undecided entry in "
                                   "items of this kind (post, comment, message, media)."),
    basis: str = typer.Option("", "--basis", help="The statute (required to withhold; "
                              "default for accept: the category's configured basis)."),
    reason: str = typer.Option("", "--reason", help="Why (required with --decide; "
                               "recorded with your name)."),
    include_decided: bool = typer.Option(False, "--redecide", help="Let --category and "
                                         "--kind also select entries already decided."),
    show_all: bool = typer.Option(False, "--all", help="List decided entries too."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """List PII candidates (masked context), media to look at and withheld items of a
    request, or decide them singly or in bulk; every decision records who and why."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    store = RequestStore(archive)
    request = store.get(request_id)
    ledger = Ledger(store.path(request.id))
    with Catalog(archive.catalog_path) as catalog:
        decisions = ledger.latest()
        policy = policy_for(request, decisions, catalog, archive.config)
        entries = worklist(catalog, archive.config, request, policy, decisions)
    if decide_as is None:
        if reason or basis:
            raise UsageError("--reason and --basis go with --decide")
        _print(context, entries, selectors or [], category, kind, show_all, fmt)
        return
    if not request.is_open:
        raise UsageError(f"request {request.id} is {request.status}; it cannot change")
    made = decide(entries, decide_as.value, selectors=selectors or [], categories=category,
                  kinds=kind, basis=basis, reason=reason, by=context.env.operator_name,
                  at=utc_iso(context.env.now()), config=archive.config,
                  include_decided=include_decided)
    ledger.record(made)
    if request.status in ("received", "gathering"):
        request.status = "in-review"
    store.save(request, "request.decide", choice=decide_as.value, count=len(made),
               keys=[d.key for d in made], basis=basis, reason=reason)
    context.out.print(f"{request.id}: {decide_as.value} recorded for {len(made)} entr"
                      f"{'y' if len(made) == 1 else 'ies'}", markup=False)


def _print(context: CliContext, entries: list[Entry], selectors: list[str], category: list[str],
           kind: list[str], show_all: bool, fmt: OutputFormat) -> None:
    shown = [e for e in entries
             if (not selectors or str(e.number) in selectors or e.key in selectors)
             and (not category or e.category in category)
             and (not kind or e.item_kind in kind)
             and (show_all or selectors or e.status in ("undecided", "withheld"))]
    if fmt is OutputFormat.json:
        context.emit_json([e.to_dict() for e in shown])
        return
    counts = Counter(e.status for e in entries)
    context.note(", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                 or "nothing to review")
    context.emit_table(
        ["no.", "item", "kind", "category", "where", "status", "basis", "context"],
        [[e.number, e.item_number, e.item_kind, e.category,
          f"{e.field} v{e.version}" if e.field else "", e.status, e.basis, _plain(e.context)]
         for e in shown], title=f"Review list ({len(shown)} of {len(entries)} shown)")


def _plain(text: str) -> str:
    """Captured text for a terminal: control and format characters (escape sequences,
    bidirectional overrides) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
