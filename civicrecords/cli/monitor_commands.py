"""Keeping watch over capture and moderation: status, moderation record/report."""

from __future__ import annotations

import typer

from civicrecords.archiver.status import account_statuses
from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.cli.search_commands import parse_day
from civicrecords.errors import ExitStatus
from civicrecords.moderation import moderation_report, record_action

moderation_app = typer.Typer(help="The moderation log: why staff hid or deleted comments.",
                             no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``status`` and the ``moderation`` group to ``app``."""
    app.command("status")(status)
    app.add_typer(moderation_app, name="moderation")


def status(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Per account: last capture, last full sweep, open gaps, token state.

    Exit status 7 (ATTENTION) when any account is overdue for capture or its token was
    rejected or has expired; the accounts are named.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with Catalog(archive.catalog_path) as catalog:
        statuses = account_statuses(catalog, archive.config, context.env.now())
    if fmt is OutputFormat.json:
        context.emit_json([s.to_dict() for s in statuses])
    else:
        context.emit_table(
            ["account", "platform", "last capture", "last complete", "last full sweep", "gaps",
             "token", "attention"],
            [[s.name, s.platform, s.last_capture or "never", s.last_successful or "never",
              s.last_full_sweep or "never", len(s.open_gaps),
              ("ok" if s.token and s.token.get("valid") else
               "rejected" if s.token else "not checked"),
              "; ".join(s.problems + s.warnings) or "-"] for s in statuses],
            title="Capture status")
    flagged = [s.name for s in statuses if s.needs_attention]
    if flagged:
        context.note(f"attention needed: {', '.join(flagged)}")
        return int(ExitStatus.ATTENTION)
    return int(ExitStatus.OK)


@moderation_app.command("record")
def record(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="The captured comment (platform id or ref)."),
    action: str = typer.Option(..., "--action", help="hidden or deleted."),
    clause: str = typer.Option(..., "--clause", help="Policy clause (see [moderation] in "
                               "civicrecords.toml)."),
    by: str = typer.Option(..., "--by", help="Who took the action on the platform."),
    reason: str = typer.Option("", "--reason", help="Free-text note."),
    when: str | None = typer.Option(None, "--when", help="When it was done (ISO 8601; "
                                    "default now)."),
) -> None:
    """Record why a public comment was hidden or deleted."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with Catalog(archive.catalog_path) as catalog:
        entry = record_action(archive, catalog, item, action=action, clause=clause, by=by,
                              reason=reason, when=when)
    context.out.print(f"recorded: {entry['item']} {entry['action']} under "
                      f"'{entry['clause']}' by {entry['by']}", markup=False)


@moderation_app.command("report")
def report(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="From YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="To YYYY-MM-DD."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Actions by clause and account, and captured removals without a recorded reason."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with Catalog(archive.catalog_path) as catalog:
        result = moderation_report(archive, catalog, since=parse_day(since, "--since"),
                                   until=parse_day(until, "--until"))
    if fmt is OutputFormat.json:
        context.emit_json(result.to_dict())
        return
    context.emit_table(["clause", "actions"], sorted(result.by_clause.items()),
                       title=f"{len(result.actions)} moderation action(s) by clause")
    context.emit_table(["account", "clause", "actions"],
                       [[a, c, n] for a, counts in result.by_account.items()
                        for c, n in counts.items()], title="By account")
    context.emit_table(["item", "account", "change", "noticed"],
                       [[u["item"], u["account"], u["change"], u["noticed"] or "-"]
                        for u in result.unexplained],
                       title=f"{len(result.unexplained)} removal(s) without a recorded reason")
