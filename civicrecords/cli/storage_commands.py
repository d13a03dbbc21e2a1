"""Storage and retention commands: storage create-bucket/check/upload/status/sync-holds,
restore, retention report/dispose."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.discovery.holds import held_refs, held_warc_files
from civicrecords.errors import ExitStatus, UsageError
from civicrecords.requests.store import RequestStore
from civicrecords.search.service import open_backend, update_index
from civicrecords.storage.bucketcheck import BucketCheck, check_bucket, create_locked_bucket
from civicrecords.storage.disposal import delete_from_bucket, dispose, plan_disposal
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.legalhold import HoldSync, sync_legal_holds
from civicrecords.storage.reads import remember
from civicrecords.storage.restore import restore
from civicrecords.storage.retention import ItemRetention, schedule
from civicrecords.storage.upload import UploadReport, open_bucket, upload_archive

storage_app = typer.Typer(help="Off-site copy on S3 with Object Lock.", no_args_is_help=True)
retention_app = typer.Typer(help="The retention schedule: report and disposal.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(storage_app, name="storage")
    app.add_typer(retention_app, name="retention")
    app.command("restore")(restore_command)


def _require_storage(archive: Archive) -> None:
    if not archive.config.storage.enabled:
        raise UsageError("no object store configured: set [storage] kind = \"s3\" and bucket "
                         "in civicrecords.toml")


def _report_bucket(context: CliContext, result: BucketCheck, fmt: OutputFormat,
                   **extra: object) -> None:
    if fmt is OutputFormat.json:
        context.emit_json({**result.to_dict(), **extra})
        return
    for line in result.problems():
        context.out.print(f"FAIL {line}", markup=False)
    context.out.print(f"s3://{result.bucket}/{result.prefix}: versioning "
                      f"{result.versioning or 'off'}, Object Lock "
                      f"{'enabled' if result.object_lock else 'not enabled'}: "
                      f"{'ready' if result.ok else 'NOT protected'}", markup=False)


@storage_app.command("create-bucket")
def create_bucket(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Create the configured bucket with Object Lock and versioning enabled.

    Object Lock can only be switched on when a bucket is created, so create it with this
    (or your store's own tools) before the first upload. A bucket that already exists is
    only checked. Exit status 0 when the bucket is ready, 8 (REFUSED) when it exists
    without Object Lock or versioning.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    _require_storage(archive)
    created, result = create_locked_bucket(open_bucket(archive))
    if fmt is not OutputFormat.json:
        context.out.print(f"s3://{result.bucket}: {'created' if created else 'already exists'}",
                          markup=False)
    _report_bucket(context, result, fmt, created=created)
    if created:
        archive.audit.record("storage.create_bucket", subject=f"s3://{result.bucket}")
    return int(ExitStatus.OK if result.ok else ExitStatus.REFUSED)


@storage_app.command("check")
def check(
    ctx: typer.Context,
    allow_unlocked: bool = typer.Option(False, "--allow-unlocked",
                                        help="Report but do not fail on a bucket without "
                                        "versioning or Object Lock."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Confirm the bucket has versioning and Object Lock enabled.

    Exit status 0 when it does, 8 (REFUSED) when it does not (unless --allow-unlocked or
    [storage] allow_unlocked = true).
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()
    _require_storage(archive)
    result = check_bucket(open_bucket(archive))
    allowed = allow_unlocked or archive.config.storage.allow_unlocked
    _report_bucket(context, result, fmt)
    return int(ExitStatus.OK if result.ok or allowed else ExitStatus.REFUSED)


def sync_holds(archive: Archive) -> HoldSync:
    """Make the bucket's S3 legal holds match the archive's legal holds."""
    bucket = open_bucket(archive)
    with Catalog(archive.catalog_path) as catalog:
        files = held_warc_files(archive, catalog)
    return sync_legal_holds(archive, bucket, files)


def upload_now(archive: Archive, *, allow_unlocked: bool = False) -> tuple[UploadReport,
                                                                           HoldSync]:
    """Upload what is not stored yet, then sync legal holds (used by capture too)."""
    report = upload_archive(archive, allow_unlocked=allow_unlocked)
    return report, sync_holds(archive)


def report_upload(context: CliContext, report: UploadReport, holds: HoldSync) -> None:
    """Print an upload's outcome (problems one per line)."""
    for problem in report.problems:
        context.out.print(f"FAIL {problem.path or '-'}: {problem.message}", markup=False)
    context.out.print(
        f"{report.bucket}: stored {len(report.stored)} file(s), {report.bytes:,} bytes"
        f" ({len(report.adopted)} found complete from an interrupted run, {report.already} "
        f"already stored); synced {len(report.synced)}; pruned {len(report.pruned)}; legal "
        f"hold on {len(holds.on)}, off {len(holds.off)}", markup=False)


@storage_app.command("upload")
def upload(
    ctx: typer.Context,
    allow_unlocked: bool = typer.Option(False, "--allow-unlocked",
                                        help="Store even in a bucket without Object Lock."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Store every manifest-listed file not yet in the bucket (verified, locked), sync legal
    holds, prune by policy. Safe to rerun after a crash: nothing is stored twice.

    Exit status 0 when everything was stored, 3 (INTEGRITY) when a local file was missing or
    did not match its manifest (the rest is still stored).
    """
    context: CliContext = ctx.obj
    context.json_errors = fmt is OutputFormat.json
    archive = context.open_archive()
    _require_storage(archive)
    report, holds = upload_now(archive, allow_unlocked=allow_unlocked)
    if fmt is OutputFormat.json:
        context.emit_json({**report.to_dict(), **holds.to_dict()})
    else:
        report_upload(context, report, holds)
    return int(ExitStatus.INTEGRITY if report.problems else ExitStatus.OK)


@storage_app.command("status")
def status(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """What is stored, pruned, under S3 legal hold or still uploading."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    ledger = Ledger(archive.root, archive.env)
    state = ledger.state()
    data = {"stored": len(state.stored),
            "stored_bytes": sum(int(e["size"]) for e in state.stored.values()),
            "pruned": sorted(state.pruned),
            "legal_hold": sorted(p for p, e in state.holds.items() if e["status"] == "ON"),
            "bucket_deleted": sorted(state.bucket_deleted),
            "uploads_in_progress": [j["path"] for j in ledger.journals()],
            "ledger_problems": [p.to_dict() for p in ledger.verify()]}
    if fmt is OutputFormat.json:
        context.emit_json(data)
        return
    context.out.print(f"stored {data['stored']} file(s), {data['stored_bytes']:,} bytes; "
                      f"pruned locally {len(data['pruned'])}; under legal hold "
                      f"{len(data['legal_hold'])}; deleted by disposal "
                      f"{len(data['bucket_deleted'])}; unfinished uploads "
                      f"{len(data['uploads_in_progress'])}", markup=False)
    for path in data["uploads_in_progress"]:
        context.out.print(f"  unfinished: {path} (run 'civicrecords storage upload')",
                          markup=False)


@storage_app.command("sync-holds")
def sync_holds_command(ctx: typer.Context) -> None:
    """Set S3 legal hold on every stored object holding records of held items; clear it on
    objects whose holds were released."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    _require_storage(archive)
    result = sync_holds(archive)
    context.out.print(f"legal hold on {len(result.on)} object(s), off {len(result.off)}")


def restore_command(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="S3_URL", help="s3://bucket/prefix of the archive."),
    directory: Path = typer.Argument(..., help="New or empty directory to restore into."),
    addressing_style: str = typer.Option("auto", "--addressing-style",
                                         help="path, virtual or auto (path for most "
                                         "on-premises stores)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Rebuild a working archive (config, catalog, index) from the bucket alone.

    Uses the standard AWS settings (credentials, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL).
    Exit status 0 when everything was restored intact, 3 (INTEGRITY) otherwise.
    """
    context: CliContext = ctx.obj
    context.json_errors = fmt is OutputFormat.json
    if addressing_style not in ("path", "virtual", "auto"):
        raise UsageError(f"--addressing-style: {addressing_style!r} is not path, virtual or auto")
    archive, report = restore(url, directory, context.env, addressing_style=addressing_style)
    with Catalog(archive.catalog_path) as catalog:
        indexed = update_index(archive.root, archive.config, catalog)
    intact = not report.problems and (report.verify is None or report.verify.ok)
    if fmt is OutputFormat.json:
        context.emit_json({**report.to_dict(), "indexed": indexed})
    else:
        problems = report.problems + (report.verify.problems if report.verify else [])
        for problem in problems:
            context.out.print(f"FAIL {problem.path or '-'}: {problem.message}", markup=False)
        for path in report.from_older_version:
            context.note(f"{path}: current version altered; restored the original version")
        context.out.print(f"restored {report.files} file(s), {report.bytes:,} bytes, "
                          f"{len(report.jobs)} job(s), indexed {indexed} item(s) into "
                          f"{archive.root}", markup=False)
        context.out.print(f"to capture here, copy the signing key to "
                          f"{archive.private_key_path()}", markup=False)
    return int(ExitStatus.OK if intact else ExitStatus.INTEGRITY)


def _schedule(archive: Archive, catalog: Catalog, today: date) -> list[ItemRetention]:
    open_requests: dict[str, list[str]] = {}
    for request in RequestStore(archive).all():
        if request.is_open:
            for ref in request.items:
                open_requests.setdefault(ref, []).append(request.id)
    return schedule(catalog, archive.config, today=today,
                    held=held_refs(archive, catalog), requested=open_requests)


@retention_app.command("report")
def report_command(
    ctx: typer.Context,
    state: list[str] = typer.Option([], "--state", help="Only due, held, blocked, retained "
                                    "or permanent items (repeatable)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate on YYYY-MM-DD instead "
                                     "of today (planning)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """What is due for disposal, what is held, what an open request blocks, per series."""
    context: CliContext = ctx.obj
    archive = context.open_archive()
    try:
        today = date.fromisoformat(as_of) if as_of else archive.env.now().date()
    except ValueError:
        raise UsageError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    with Catalog(archive.catalog_path) as catalog:
        entries = _schedule(archive, catalog, today)
    if state:
        entries = [e for e in entries if e.state in state]
    if fmt is OutputFormat.json:
        context.emit_json({"today": today.isoformat(), "items": [e.to_dict() for e in entries]})
        return
    counts: dict[tuple[str, str], int] = {}
    for entry in entries:
        counts[(entry.series, entry.state)] = counts.get((entry.series, entry.state), 0) + 1
    states = ("due", "held", "blocked", "retained", "permanent")
    series = sorted({s for s, _ in counts})
    context.emit_table(["series", *states],
                       [[name, *[counts.get((name, s), 0) for s in states]] for name in series],
                       title=f"retention on {today.isoformat()}")
    for entry in entries:
        if entry.state in ("held", "blocked"):
            why = ", ".join(entry.matters or entry.requests)
            context.out.print(f"{entry.state}: {entry.ref} ({entry.series}, due {entry.due}) "
                              f"by {why}", markup=False)


@retention_app.command("dispose")
def dispose_command(
    ctx: typer.Context,
    approve: str = typer.Option(..., "--approve", metavar="NAME",
                                help="Who approved this disposal (recorded and certified)."),
    item: list[str] = typer.Option([], "--item", help="Dispose of only this item "
                                   "(repeatable); refused if it is held, requested or not due."),
    bypass_governance: bool = typer.Option(False, "--bypass-governance",
                                           help="Delete bucket copies still under a "
                                           "GOVERNANCE lock (needs that permission)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Dispose of every item whose retention has ended and that no hold or open request
    covers: signed disposal record and certificate, items out of catalog and search, WARC
    files holding only disposed items deleted locally and (once unlocked) from the bucket."""
    context: CliContext = ctx.obj
    context.json_errors = fmt is OutputFormat.json
    archive = context.open_archive()
    today = archive.env.now().date()
    with Catalog(archive.catalog_path) as catalog:
        plan = plan_disposal(archive, catalog, _schedule(archive, catalog, today), today=today,
                             only=list(item) or None)
    result = dispose(archive, plan, approver=approve)
    backend = open_backend(archive.root, archive.config)
    try:
        backend.add([], replace_items=result.deleted_item_ids)
    finally:
        backend.close()
    if archive.config.storage.enabled:
        bucket = open_bucket(archive)
        remember(archive.root, bucket)
        result.bucket_deleted, result.bucket_pending = delete_from_bucket(
            archive, bucket, bypass_governance=bypass_governance)
        upload_now(archive)  # the disposal record and certificate go off-site at once
    data: dict[str, Any] = {**result.to_dict(), "held": len(plan.held),
                            "blocked": len(plan.blocked)}
    if fmt is OutputFormat.json:
        context.emit_json(data)
        return
    context.out.print(f"disposal {result.job_id}: {result.items} item(s) disposed of; "
                      f"{len(result.deleted_local)} WARC file(s) deleted locally, "
                      f"{len(result.bucket_deleted)} from the bucket, "
                      f"{len(result.bucket_pending)} pending an Object Lock; "
                      f"{len(plan.held)} held and {len(plan.blocked)} blocked item(s) kept",
                      markup=False)
    context.out.print(f"record: {result.record}   certificate: {result.certificate}",
                      markup=False)
