"""Legal holds: add, list, show, release (every change audited)."""

from __future__ import annotations

import typer

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.cli.storage_commands import sync_holds
from civicrecords.discovery.holds import (
    Hold,
    add_hold,
    held_refs,
    list_holds,
    load_hold,
    release_hold,
)
from civicrecords.errors import CivicRecordsError

hold_app = typer.Typer(help="Legal holds: preserve a matter's items from disposal until "
                       "released.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``hold`` command group to ``app``."""
    app.add_typer(hold_app, name="hold")


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _counts(context: CliContext) -> dict[str, int]:
    archive = context.open_archive()
    with Catalog(archive.catalog_path) as catalog:
        refs = held_refs(archive, catalog)
    counts: dict[str, int] = {}
    for matters in refs.values():
        for matter in matters:
            counts[matter] = counts.get(matter, 0) + 1
    return counts


@hold_app.command("add")
def add(
    ctx: typer.Context,
    matter: str = typer.Argument(..., help="The legal matter, e.g. 2026-CV-0142."),
    accounts: list[str] = typer.Option([], "--accounts", help="Accounts in scope "
                                       "(comma-separated or repeated; default: all)."),
    since: str | None = typer.Option(None, "--since", help="Items created on or after "
                                     "YYYY-MM-DD (archive time zone)."),
    until: str | None = typer.Option(None, "--until", help="Items created on or before "
                                     "YYYY-MM-DD (archive time zone)."),
    query: str | None = typer.Option(None, "--query", help="Only items matching this search "
                                     "query (any version, any classification)."),
    note: str = typer.Option("", "--note", help="Why, e.g. the litigation hold notice."),
) -> None:
    """Place a legal hold (or add a scope to a matter's hold).

    Items in scope now and in later captures are held (with their whole conversation) until
    the hold is released; held items are never disposed of.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    hold = add_hold(archive, matter, accounts=_split(accounts), since=since, until=until,
                    query=query, note=note)
    held = _counts(context).get(hold.matter, 0)
    context.out.print(f"hold on {hold.matter}: scope {hold.scopes[-1].number} added "
                      f"({hold.scopes[-1].describe()}); {held} item(s) held now", markup=False)
    _sync_bucket(context, archive)


@hold_app.command("list")
def list_command(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Include released holds."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Holds with their scopes and how many items each holds now."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    holds = list_holds(archive, include_released=show_all)
    counts = _counts(context)
    if fmt is OutputFormat.json:
        context.emit_json([{**h.to_dict(), "held_items": counts.get(h.matter, 0)}
                           for h in holds])
        return
    context.emit_table(
        ["matter", "status", "placed", "scopes", "held items"],
        [[h.matter, "active" if h.active else f"released {h.released_at}", h.created_at,
          "; ".join(f"{s.number}: {s.describe()}" for s in h.scopes),
          counts.get(h.matter, 0) if h.active else "-"] for h in holds],
        title="Legal holds")


@hold_app.command("show")
def show(
    ctx: typer.Context,
    matter: str = typer.Argument(..., help="The legal matter."),
    items: bool = typer.Option(False, "--items", help="Also list every held item."),
) -> None:
    """Print a matter's hold as JSON: scopes, status and the items it holds now."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    hold: Hold = load_hold(archive, matter)
    with Catalog(archive.catalog_path) as catalog:
        refs = [ref for ref, matters in held_refs(archive, catalog).items()
                if hold.matter in matters] if hold.active else []
    data = {**hold.to_dict(), "held_items": len(refs)}
    if items:
        data["items"] = refs
    context.emit_json(data)


@hold_app.command("release")
def release(
    ctx: typer.Context,
    matter: str = typer.Argument(..., help="The legal matter."),
    reason: str = typer.Option(..., "--reason", help="Why the hold ends (e.g. the case "
                               "closed and appeals expired)."),
) -> None:
    """Release a matter's hold; its items follow the retention schedule again."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    hold = release_hold(archive, matter, reason=reason)
    context.out.print(f"released the hold on {hold.matter} at {hold.released_at}",
                      markup=False)
    _sync_bucket(context, archive)


def _sync_bucket(context: CliContext, archive: Archive) -> None:
    """With off-site storage configured, make the bucket's S3 legal holds follow at once."""
    if not archive.config.storage.enabled:
        return
    try:
        result = sync_holds(archive)
    except CivicRecordsError as exc:
        context.error_line(f"the hold is recorded, but the bucket's legal holds were not "
                           f"updated: {exc.message}; run 'civicrecords storage sync-holds'")
        return
    context.out.print(f"bucket: S3 legal hold on {len(result.on)} object(s), off "
                      f"{len(result.off)}", markup=False)
