"""Finding things: search and show."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

import typer

from civicrecords.catalog import Catalog, ItemRow
from civicrecords.cli.context import CliContext
from civicrecords.errors import RefusedError, UsageError
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend, search


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
                  "status", "versions", "classification", "url", "text"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("search")(search_command)
    app.command("show")(show)


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
    query: str = typer.Argument(..., help="Query: words, \"phrases\", field:value, AND/OR/NOT, "
                                "wildcards; '*' matches everything."),
    account: list[str] = typer.Option([], "--account", help="Only this account (repeatable)."),
    platform: list[str] = typer.Option([], "--platform", help="Only this platform (repeatable)."),
    kind: list[str] = typer.Option([], "--kind", help="post, comment, message or media "
                                   "(repeatable)."),
    since: str | None = typer.Option(None, "--since", help="Created on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Created on or before YYYY-MM-DD."),
    removed: bool = typer.Option(False, "--removed", help="Only items removed from the platform."),
    edited: bool = typer.Option(False, "--edited", help="Only items with more than one version."),
    all_versions: bool = typer.Option(False, "--all-versions",
                                      help="Match every captured version, not just the latest."),
    all_data: bool = typer.Option(False, "--all-data", help="Include not-public items "
                                  "(recorded in the audit log)."),
    sort: Sort = typer.Option(Sort.relevance, "--sort", help="Result order."),
    limit: int = typer.Option(20, "--limit", min=1, max=10_000, help="Results per page."),
    page: int = typer.Option(1, "--page", min=1, help="Page number."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """Search the archive (public items only unless --all-data)."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    for value in kind:
        if value not in ("post", "comment", "message", "media"):
            raise UsageError(f"--kind: {value!r} is not post, comment, message or media")
    spec = SearchQuery(
        text=query, accounts=tuple(account), platforms=tuple(platform), kinds=tuple(kind),
        statuses=("removed",) if removed else (), edited=True if edited else None,
        since=parse_day(since, "--since"), until=parse_day(until, "--until"),
        public_only=not all_data, all_versions=all_versions, sort=sort.value, limit=limit,
        offset=(page - 1) * limit)
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            results = search(catalog, backend, spec, archive.audit)
    finally:
        backend.close()
    rows = [r.to_dict() for r in results.rows]
    if fmt is Format.json:
        context.emit_json(rows)
    elif fmt is Format.jsonl:
        context.emit_jsonl(rows)
    elif fmt is Format.csv:
        context.emit_csv(RESULT_COLUMNS, rows)
    else:
        context.emit_table(
            ["item", "kind", "author", "created", "status", "text"],
            [[r["ref"], r["kind"], r["author"], (r["created_at"] or "")[:16], r["status"],
              _snippet(r["text"])] for r in rows],
            title=f"{results.total} match(es), page {page}")


def _snippet(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def item_details(catalog: Catalog, item: ItemRow) -> dict[str, Any]:
    """An item with every version and its history of events, as JSON-ready data."""
    versions = []
    for number, version in enumerate(catalog.versions(item.id), start=1):
        data = version.item()
        versions.append({
            "number": number, "latest": version.id == item.latest_version,
            "version_time": version.version_time, "first_seen": version.first_seen,
            "last_seen": version.last_seen, "first_job": version.first_job,
            "last_job": version.last_job, "observed": version.observed,
            "text": data.text, "title": data.title,
            "media": [m.__dict__ for m in data.media], "versioned": data.versioned,
            "warc_file": version.warc_file, "record_id": version.record_id,
            "response_record_id": version.response_record_id,
        })
    return {"ref": item.ref, "platform": item.platform, "account": item.account,
            "item_id": item.platform_id, "kind": item.kind, "author": item.author,
            "author_name": item.author_name, "created_at": item.created_at, "url": item.url,
            "parent_id": item.parent_id, "thread_id": item.thread_id, "status": item.status,
            "removed_job": item.removed_job, "removed_reason": item.removed_reason,
            "classification": item.classification, "legal_basis": item.legal_basis,
            "first_seen": item.first_seen, "last_seen": item.last_seen,
            "versions": versions, "events": catalog.events(item.id)}


def show(
    ctx: typer.Context,
    item_ref: str = typer.Argument(..., metavar="ITEM", help="Item id (platform id, "
                                   "account:id or platform:account:id)."),
    versions: bool = typer.Option(False, "--versions", help="Print every captured version."),
    all_data: bool = typer.Option(False, "--all-data", help="Allow a not-public item "
                                  "(recorded in the audit log)."),
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
    if fmt in (Format.json, Format.jsonl):
        context.emit_json(details)
        return
    out = context.out
    out.print(f"{details['ref']}  [{details['kind']}, {details['status']}, "
              f"{details['classification']}]", markup=False)
    out.print(f"author:  {details['author']} ({details['author_name']})", markup=False)
    out.print(f"created: {details['created_at']}   url: {details['url']}", markup=False)
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
                  f"{version['version_time']}, seen {version['first_seen']} .. "
                  f"{version['last_seen']}", markup=False)
        out.print(f"    record {version['record_id']} in {version['warc_file']}", markup=False)
        out.print(version["text"], markup=False)
