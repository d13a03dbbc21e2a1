"""Archive-level commands: init, capture, verify, rebuild."""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from civicrecords.archive import Archive
from civicrecords.archiver.job import CaptureResult, run_capture
from civicrecords.catalog import Catalog
from civicrecords.catalog.replay import catch_up
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.cli.storage_commands import report_upload, upload_now
from civicrecords.discovery.holds import hold_summary
from civicrecords.errors import CivicRecordsError, ExitStatus, UsageError
from civicrecords.integrity.verify import VerifyReport, verify_archive
from civicrecords.search.service import update_index


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("init")(init)
    app.command("capture")(capture)
    app.command("verify")(verify)
    app.command("rebuild")(rebuild)


def init(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="New or empty directory for the archive."),
    name: str = typer.Option("City records archive", "--name",
                             help="Name of the public body, shown on bundles and letters."),
) -> None:
    """Create an archive: config with examples, layout, and a signing key."""
    context: CliContext = ctx.obj
    archive = Archive.create(directory, context.env, name=name)
    context.out.print(f"created archive {archive.root}")
    context.out.print(f"  config:      {archive.config_path}")
    context.out.print(f"  public key:  {archive.public_key_path}")
    context.out.print(f"  private key: {archive.private_key_path()} (mode 0600; back it up, "
                      "keep it out of the archive)")
    context.out.print("next: add [[accounts]] to the config, then run 'civicrecords capture'")


def capture(
    ctx: typer.Context,
    accounts: list[str] = typer.Argument(None, help="Account names (default: all)."),
    full: bool | None = typer.Option(
        None, "--full/--incremental", show_default=False,
        help="--full re-walks everything so removals are detected; --incremental fetches "
        "what is new since the last job (and re-reads recent comments). Default: full for "
        "accounts whose last full sweep is older than their full_sweep_hours."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Capture accounts into signed WARC files, then update catalog and index.

    Exit status 0 when complete, 4 (PARTIAL) when some fetches failed after retries (each is
    listed as a gap in the manifest and the output).
    """
    context: CliContext = ctx.obj
    context.json_errors = fmt is OutputFormat.json
    archive = context.open_archive()
    show_progress = context.env.is_terminal() and fmt is not OutputFormat.json
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed} items"), TimeElapsedColumn(),
                        console=context.err, transient=True)
    tasks: dict[str, Any] = {}

    def advance(account: str, count: int) -> None:
        if account not in tasks:
            tasks[account] = progress.add_task(account, total=None)
        progress.advance(tasks[account], count)

    with progress if show_progress else nullcontext():
        result = run_capture(archive, accounts or None, full=full,
                             progress=advance if show_progress else None)
    with Catalog(archive.catalog_path) as catalog:
        indexed = update_index(archive.root, archive.config, catalog)
    _report_capture(context, result, indexed, fmt is OutputFormat.json)
    storage = archive.config.storage
    if storage.enabled and storage.upload_after_capture:
        try:  # the capture itself succeeded: its exit status stands; status shows the backlog
            stored, holds = upload_now(archive)
        except CivicRecordsError as exc:
            context.error_line(f"upload to the bucket failed: {exc.message}; run "
                               "'civicrecords storage upload'")
        else:
            if fmt is not OutputFormat.json:
                report_upload(context, stored, holds)
            elif stored.problems:
                context.error_line(f"upload left {len(stored.problems)} problem(s); run "
                                   "'civicrecords storage upload'")
    return int(ExitStatus.PARTIAL if result.gaps else ExitStatus.OK)


def _report_capture(context: CliContext, result: CaptureResult, indexed: int,
                    as_json: bool) -> None:
    if as_json:
        context.emit_json({**result.to_dict(), "indexed": indexed})
        return
    for note in result.recovery.completed:
        context.note(f"recovered interrupted job {note}")
    for gap in result.gaps:
        context.note(f"gap: {gap.account}: {gap.url}: {gap.reason}")
    totals = {k: sum(a.counts.get(k, 0) for a in result.accounts)
              for k in ("items", "new", "edited", "removed", "requests")}
    context.out.print(
        f"job {result.job_id}: {len(result.accounts)} account(s), {totals['items']} items "
        f"({totals['new']} new, {totals['edited']} edited, {totals['removed']} removed), "
        f"{totals['requests']} requests, {len(result.gaps)} gap(s); manifest {result.manifest}")


def verify(
    ctx: typer.Context,
    fast: bool = typer.Option(False, "--fast", help="Check presence and sizes only."),
    remote: bool = typer.Option(False, "--remote", help="Also check every object in the "
                                "bucket: presence, size and SHA-256 against the manifests; "
                                "missing, extra and altered objects."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Re-hash every WARC and manifest, check signatures, the chain and the audit log;
    list the active legal holds and how many items they hold.

    Files pruned after upload are checked from their stored copy. Exit status 0 only when
    everything is intact; 3 (INTEGRITY) otherwise, naming each file.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    report = verify_with_storage(archive, fast=fast, remote=remote)
    with Catalog(archive.catalog_path) as catalog:
        holds = hold_summary(archive, catalog)
    if fmt is OutputFormat.json:
        context.emit_json({**report.to_dict(), "holds": holds})
    else:
        for note in report.notes:
            context.note(f"note: {note}")
        for problem in report.problems:
            line = f"FAIL {problem.path or '-'}: {problem.message}"
            if problem.expected is not None:
                line += f" (expected {problem.expected}, found {problem.actual})"
            context.out.print(line, markup=False)
        state = "intact" if report.ok else f"{len(report.problems)} problem(s)"
        context.out.print(f"verified {report.manifests} manifest(s), {report.files} file(s), "
                          f"{report.bytes:,} bytes: {state}")
        matters = ", ".join(f"{h['matter']} ({h['held_items']})" for h in holds["active"])
        context.out.print(f"legal holds: {len(holds['active'])} active"
                          f"{': ' + matters if matters else ''}; {holds['held_items']} item(s) "
                          "held", markup=False)
    return int(ExitStatus.OK if report.ok else ExitStatus.INTEGRITY)


def verify_with_storage(archive: Archive, *, fast: bool, remote: bool) -> VerifyReport:
    """Local verification (pruned files checked from the bucket) plus, with ``remote``, the
    bucket against the manifests."""
    if not archive.config.storage.enabled:
        if remote:
            raise UsageError("--remote: no object store configured ([storage] in "
                             "civicrecords.toml)")
        return verify_archive(archive.root, archive.public_key_pem(), fast=fast)
    from civicrecords.storage.reads import remember, remote_digests
    from civicrecords.storage.remote_verify import verify_remote
    from civicrecords.storage.upload import open_bucket

    bucket = open_bucket(archive)
    remember(archive.root, bucket)
    report = verify_archive(archive.root, archive.public_key_pem(), fast=fast,
                            remote=lambda path, size_only: remote_digests(archive.root, path,
                                                                          size_only))
    if remote:
        found = verify_remote(archive, bucket, fast=fast,
                              threads=archive.config.storage.upload_threads)
        report.problems.extend(found.problems)
        report.notes.extend(found.notes)
        report.notes.append(f"bucket: {found.files} object(s), {found.bytes:,} bytes match "
                            "the manifests")
    return report


def rebuild(ctx: typer.Context) -> None:
    """Recreate the catalog and search index from the WARCs and manifests alone."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    with archive.lock("rebuild"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(archive.catalog_path) + suffix).unlink(missing_ok=True)
        shutil.rmtree(archive.index_dir, ignore_errors=True)
        with Catalog(archive.catalog_path) as catalog:
            jobs = catch_up(catalog, archive.config, archive.root)
            indexed = update_index(archive.root, archive.config, catalog, reset=True)
    archive.audit.record("rebuild", jobs=len(jobs), items=indexed)
    context.out.print(f"rebuilt catalog from {len(jobs)} job(s); indexed {indexed} item(s)")
