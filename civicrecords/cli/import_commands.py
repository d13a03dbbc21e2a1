"""``civicrecords import``: web archives made by other tools."""

from __future__ import annotations

from pathlib import Path

import typer

from civicrecords.archiver.importer import run_import
from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.search.service import update_index


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("import")(import_command)


def import_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="WARC (.warc, .warc.gz) "
                                       "or WACZ files made by other tools (wget --warc-file, "
                                       "browsertrix-crawler, ArchiveWeb.page...)."),
    collection: str = typer.Option(..., "--collection", help="Name for the imported pages, "
                                   "used as their account (e.g. city-website); lowercase "
                                   "letters, digits, '-' or '_'. Import later crawls of the "
                                   "same site into the same collection to get page versions."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Keep web archives unmodified in the archive (hashed, in a signed manifest) and make
    their HTML pages searchable (platform web, kind page), each linked to its exact record.

    Exit status 2 for a file that is not a readable WARC/WACZ (nothing is kept), 8 for a file
    the archive already holds.
    """
    context: CliContext = ctx.obj
    context.json_errors = fmt is OutputFormat.json
    archive = context.open_archive()
    result = run_import(archive, list(paths), collection)
    with Catalog(archive.catalog_path) as catalog:
        indexed = update_index(archive.root, archive.config, catalog)
    if fmt is OutputFormat.json:
        context.emit_json({**result.to_dict(), "indexed": indexed})
        return
    for imported in result.files:
        context.out.print(f"{imported.original} -> {imported.path} ({imported.format}, "
                          f"{imported.records} records, {imported.pages} pages, sha256 "
                          f"{imported.sha256})", markup=False)
    counts = result.counts
    context.out.print(f"import job {result.job_id}: {len(result.files)} file(s), "
                      f"{counts['pages']} page capture(s) in collection {result.collection} "
                      f"({counts['new']} new pages, {counts['changed']} changed); manifest "
                      f"{result.manifest}", markup=False)
