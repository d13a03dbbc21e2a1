"""Finding things: search, show (with --thread and --versions), reindex."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from civicrecords.catalog import Catalog, ItemRow
from civicrecords.cli.context import CliContext
from civicrecords.errors import RefusedError, UsageError
from civicrecords.search.backend import SearchQuery
from civicrecords.search.conversation import Conversation, conversation
from civicrecords.search.query_nodes import describe
from civicrecords.search.query_parser import KNOWN_VALUES, parse_query
from civicrecords.search.query_plan import compile_search
from civicrecords.search.service import (
    SearchResults,
    open_backend,
    query_limits,
    search,
    update_index,
)
from civicrecords.search.versions import DiffOp, version_history


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


RESULT_COLUMNS = ["ref", "platform", "account", "item_id", "kind", "author", "created_at",
                  "status", "versions", "classification", "url", "title", "snippet", "text",
                  "warc_file", "record_offset", "record_id"]
HIGHLIGHT = "bold underline"
DIFF_STYLES = {"equal": "", "delete": "red strike", "insert": "green underline"}
DIFF_MARKS = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("search")(search_command)
    app.command("show")(show)
    app.command("reindex")(reindex)


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value (``UsageError`` naming the option otherwise)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def search_command(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Query: words, \"phrases\", field:value (text, "
                                "title, author, account, platform, kind, status, tag, url, "
                                "thread, classification, created), AND/OR/NOT, -word, "
                                "(groups), wildcards (plow*), created:[2026-01-01 TO "
                                "2026-01-31]; '*' matches everything."),
    account: list[str] = typer.Option([], "--account", help="Only this account (repeatable)."),
    platform: list[str] = typer.Option([], "--platform", help="Only this platform, e.g. "
                                       "mastodon or web for imported pages (repeatable)."),
    kind: list[str] = typer.Option([], "--kind", help="post, comment, message, media or page "
                                   "(repeatable)."),
    since: str | None = typer.Option(None, "--since", help="Created on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Created on or before YYYY-MM-DD."),
    removed: bool = typer.Option(False, "--removed", help="Only items removed from the platform."),
    edited: bool = typer.Option(False, "--edited", help="Only items with more than one version."),
    all_versions: bool = typer.Option(False, "--all-versions",
                                      help="Match every captured version, not just the latest."),
    all_data: bool = typer.Option(False, "--all-data", help="Include not-public items "
                                  "(recorded in the audit log)."),
    sort: Sort = typer.Option(Sort.relevance, "--sort", help="Result order. Queries with "
                              "no words of the text to rank by ('*', author:x, kind:comment, "
                              "created:...) list newest first unless --sort oldest."),
    limit: int = typer.Option(20, "--limit", min=1, max=10_000, help="Results per page."),
    page: int = typer.Option(1, "--page", min=1, help="Page number."),
    facets: bool = typer.Option(False, "--facets", help="Also count all matches by account, "
                                "platform, kind, month and status (table or json format)."),
    explain: bool = typer.Option(False, "--explain", help="Print on stderr how the query was "
                                 "understood (fields, stems, ignored words, filters)."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """Search the archive (public items only unless --all-data).

    Results come with a snippet of the text around the matches; --format json adds the
    highlighted character spans and the WARC record of each result.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    for value in kind:
        if value not in KNOWN_VALUES["kind"]:
            raise UsageError(f"--kind: {value!r} is not {', '.join(KNOWN_VALUES['kind'])}")
    if facets and fmt in (Format.csv, Format.jsonl):
        raise UsageError("--facets needs --format table or json")
    spec = SearchQuery(
        text=query, accounts=tuple(account), platforms=tuple(platform), kinds=tuple(kind),
        statuses=("removed",) if removed else (), edited=True if edited else None,
        since=parse_day(since, "--since"), until=parse_day(until, "--until"),
        public_only=not all_data, all_versions=all_versions, sort=sort.value, limit=limit,
        offset=(page - 1) * limit, facets=facets)
    if explain:
        limits = query_limits(archive.config)
        parsed = parse_query(query, limits)
        context.note(f"searching: {describe(compile_search(spec, limits).node)}")
        if parsed.ignored:
            context.note(f"ignored (too common or no letters): {', '.join(parsed.ignored)}")
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            results = search(catalog, backend, spec, archive.audit)
    finally:
        backend.close()
    _emit_results(context, results, fmt, page)


def _emit_results(context: CliContext, results: SearchResults, fmt: Format, page: int) -> None:
    rows = [r.to_dict() for r in results.rows]
    if fmt is Format.jsonl:
        context.emit_jsonl(rows)
    elif fmt is Format.csv:
        context.emit_csv(RESULT_COLUMNS, rows)
    elif fmt is Format.json:
        if results.query.facets:
            context.emit_json({"total": results.total, "page": page, "results": rows,
                               "facets": results.facets})
        else:
            context.emit_json(rows)
    else:
        table = Table(title=f"{results.total} match(es), page {page}")
        for column in ("item", "kind", "author", "created", "status", "snippet"):
            table.add_column(column, overflow="fold")
        for row, result in zip(rows, results.rows, strict=True):
            table.add_row(Text(row["ref"]), Text(row["kind"]), Text(row["author"] or ""),
                          Text((row["created_at"] or "")[:16]), Text(row["status"]),
                          _snippet_text(row["title"], result.snippet))
        context.out.print(table)
        if not rows and results.total:
            context.note(f"page {page} is past the last page of {results.total} match(es)")
        if results.facets:
            _emit_facets(context, results.facets)


def _snippet_text(title: str, snippet: Any) -> Text:
    text = Text()
    if title:
        text.append(" ".join(title.split()), style="bold")
        text.append("\n")
    if snippet is not None:
        body = Text(snippet.text)
        for start, end in snippet.highlights:
            body.stylize(HIGHLIGHT, start, end)
        text.append_text(body)
    return text


def _emit_facets(context: CliContext, facets: dict[str, dict[str, int]]) -> None:
    table = Table(title="matches by facet")
    for column in ("facet", "value", "count"):
        table.add_column(column, overflow="fold")
    for name, counts in facets.items():
        for value, count in counts.items():
            table.add_row(Text(name), Text(value), Text(str(count)))
    context.out.print(table)


def item_details(catalog: Catalog, item: ItemRow) -> dict[str, Any]:
    """An item with every version (and what changed in each), and its history of events, as
    JSON-ready data."""
    return {"ref": item.ref, "platform": item.platform, "account": item.account,
            "item_id": item.platform_id, "kind": item.kind, "author": item.author,
            "author_name": item.author_name, "created_at": item.created_at, "url": item.url,
            "parent_id": item.parent_id, "thread_id": item.thread_id, "status": item.status,
            "removed_job": item.removed_job, "removed_reason": item.removed_reason,
            "classification": item.classification, "legal_basis": item.legal_basis,
            "first_seen": item.first_seen, "last_seen": item.last_seen,
            "versions": [v.to_dict() for v in version_history(catalog, item)],
            "events": catalog.events(item.id)}


def show(
    ctx: typer.Context,
    item_ref: str = typer.Argument(..., metavar="ITEM", help="Item id (platform id, "
                                   "account:id or platform:account:id)."),
    versions: bool = typer.Option(False, "--versions", help="Print every captured version "
                                  "with a word-level diff against the version before and when "
                                  "each was first and last seen."),
    thread: bool = typer.Option(False, "--thread", help="Print the whole conversation: the "
                                "post, then every comment and reply under what it answers."),
    all_data: bool = typer.Option(False, "--all-data", help="Allow a not-public item and "
                                  "include not-public items of its thread (recorded in the "
                                  "audit log)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table (text) or json."),
) -> None:
    """Print one item with its status, versions and WARC records."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with Catalog(archive.catalog_path) as catalog:
        item = catalog.find(item_ref)
        if not item.is_public:
            if not all_data:
                raise RefusedError(f"item {item.ref} is classified {item.classification}; "
                                   "add --all-data to view it (the view is audited)")
            archive.audit.record("show.not_public", subject=item.ref)
        details = item_details(catalog, item)
        talk = conversation(catalog, item, archive.audit, include_not_public=all_data) \
            if thread else None
    if fmt in (Format.json, Format.jsonl):
        if talk is not None:
            details["thread"] = [entry.to_dict() for entry in talk.entries]
        context.emit_json(details)
        return
    _print_item(context, details, versions)
    if talk is not None:
        _print_thread(context, talk, item.ref)


def _print_item(context: CliContext, details: dict[str, Any], versions: bool) -> None:
    out = context.out
    out.print(f"{details['ref']}  [{details['kind']}, {details['status']}, "
              f"{details['classification']}]", markup=False)
    if details["author"] or details["author_name"]:
        out.print(f"author:  {details['author']} ({details['author_name']})", markup=False)
    created = "captured" if details["kind"] == "page" else "created"
    out.print(f"{created}: {details['created_at']}   url: {details['url']}", markup=False)
    if details["parent_id"]:
        out.print(f"reply to: {details['parent_id']}   thread: {details['thread_id']}",
                  markup=False)
    if details["removed_job"]:
        out.print(f"removed: first missed by job {details['removed_job']} "
                  f"({details['removed_reason']})", markup=False)
    out.print(f"seen: {details['first_seen']} .. {details['last_seen']}, "
              f"{len(details['versions'])} version(s)", markup=False)
    shown = details["versions"] if versions else [v for v in details["versions"] if v["latest"]]
    for version in shown:
        out.print(f"\n--- version {version['number']}"
                  f"{' (latest)' if version['latest'] else ''}: platform time "
                  f"{version['version_time']}; first seen {version['first_seen']} (job "
                  f"{version['first_job']}), last seen {version['last_seen']} (job "
                  f"{version['last_job']})", markup=False)
        out.print(f"    record {version['record_id']} in {version['warc_file']} at offset "
                  f"{version['record_offset']}", markup=False)
        if versions and version["number"] > 1:
            out.print(f"    changed: {', '.join(version['changed']) or 'nothing visible'}",
                      markup=False)
            for name, ops in version["diff"].items():
                out.print(f"    {name}:", markup=False)
                out.print(_diff_text([DiffOp(o["op"], o["text"]) for o in ops]))
        else:
            out.print(version["text"], markup=False)


def _diff_text(ops: list[DiffOp]) -> Text:
    text = Text()
    for op in ops:
        start, end = DIFF_MARKS[op.op]
        text.append(f"{start}{op.text}{end}", style=DIFF_STYLES[op.op])
    return text


def _print_thread(context: CliContext, talk: Conversation, target: str) -> None:
    out = context.out
    out.print(f"\n=== conversation {talk.root}: {len(talk.entries)} item(s)"
              f"{f', {talk.withheld} not-public withheld (--all-data)' if talk.withheld else ''}",
              markup=False)
    for entry in talk.entries:
        indent = "  " * entry.depth
        if entry.withheld or entry.version is None:
            out.print(f"{indent}- [not-public item withheld]", markup=False)
            continue
        row = entry.item
        mark = "  <= this item" if row.ref == target else ""
        out.print(f"{indent}- {row.kind} by {row.author} at {(row.created_at or '')[:16]} "
                  f"[{row.status}] {row.ref}{mark}", markup=False)
        for line in (entry.version.item().text or "").splitlines() or [""]:
            out.print(f"{indent}  {line}", markup=False)


def reindex(ctx: typer.Context) -> None:
    """Empty the search index and index every catalog item again (after changing
    [search] backend, or when search reports an empty index)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with archive.lock("reindex"), Catalog(archive.catalog_path) as catalog:
        indexed = update_index(archive.root, archive.config, catalog, reset=True)
    archive.audit.record("reindex", backend=archive.config.search.backend, items=indexed)
    context.out.print(f"indexed {indexed} item(s) with {archive.config.search.backend}")
