"""The archive's data classification: ``classify`` (a clerk's per-item override) and
``inventory`` (not-public data categories and counts for the annual data inventory)."""

from __future__ import annotations

import typer

from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.requests.inventory import inventory
from civicrecords.requests.reclassify import override


def register(app: typer.Typer) -> None:
    """Add ``classify`` and ``inventory`` to ``app``."""
    app.command("classify")(classify_command)
    app.command("inventory")(inventory_command)


def classify_command(
    ctx: typer.Context,
    item_ref: str = typer.Argument(..., metavar="ITEM", help="Item id (platform id, "
                                   "account:id or platform:account:id)."),
    classification: str = typer.Option(..., "--as", help="public, private, confidential, "
                                       "nonpublic, protected_nonpublic, or rules (back to "
                                       "the configured rules)."),
    basis: str = typer.Option("", "--basis", help="The statute (required unless --as "
                              "rules)."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded with your name)."),
) -> None:
    """Override one item's classification; kept outside the catalog, so it survives
    captures and rebuilds, and audited."""
    context: CliContext = ctx.obj
    item = override(context.open_archive(), item_ref, classification, basis=basis,
                    reason=reason)
    context.out.print(f"{item.ref}: {item.classification} ({item.legal_basis or '-'}), "
                      f"source {item.classification_source}", markup=False)


def inventory_command(
    ctx: typer.Context,
    pii: bool = typer.Option(False, "--pii", help="Also count items holding each kind of "
                             "personal data the detectors find (reads every item; slower)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                        help="Output format."),
) -> None:
    """Summarise the archive's not-public data (classification, kind, legal basis, counts)
    for the annual data inventory."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    progress = (lambda n: context.note(f"scanned {n} items")) \
        if context.env.is_terminal() else None
    with Catalog(archive.catalog_path) as catalog:
        result = inventory(catalog, archive.config, pii=pii, progress=progress)
    if fmt is OutputFormat.json:
        context.emit_json(result.to_dict())
        return
    context.emit_table(
        ["classification", "kind", "legal basis", "items", "needs review", "by clerk"],
        [[r.classification, r.kind, r.basis, r.items, r.needs_review, r.overridden]
         for r in result.classes],
        title=f"{result.organization}: {result.items} items, {result.not_public_items} "
        "not public")
    if pii:
        context.emit_table(
            ["category", "legal basis", "public items", "not-public items", "candidates"],
            [[r.label, r.basis, r.public_items, r.not_public_items, r.candidates]
             for r in result.pii],
            title=f"Personal data candidates in the latest version of {result.scanned} items")
    for note in result.notes:
        context.out.print(note, markup=False)
