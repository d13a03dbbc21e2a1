"""Bundles and productions handed to others: verify."""

from __future__ import annotations

from pathlib import Path

import typer

from civicrecords.bag import verify_bag
from civicrecords.cli.context import CliContext, OutputFormat
from civicrecords.errors import ExitStatus, UsageError

bundle_app = typer.Typer(help="Check bundles and productions.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``bundle`` command group to ``app``."""
    app.add_typer(bundle_app, name="bundle")


@bundle_app.command("verify")
def verify(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Bundle or production volume directory."),
    key: Path | None = typer.Option(None, "--key", help="Trusted public key (PEM) to check "
                                    "the signature against instead of the bundle's own."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> int:
    """Check every file's SHA-256 and SHA-512, the bag's completeness and its signature.

    Exit status 0 only when the bundle is complete, unaltered and correctly signed;
    3 (INTEGRITY) otherwise, naming each file.
    """
    context: CliContext = ctx.obj
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    trusted = None
    if key is not None:
        try:
            trusted = key.read_bytes()
        except OSError as exc:
            raise UsageError(f"--key: cannot read {key}: {exc.strerror}") from None
    report = verify_bag(directory, trusted_key=trusted)
    if fmt is OutputFormat.json:
        context.emit_json({"ok": report.ok, "files": report.files,
                           "key_fingerprint": report.key_fingerprint,
                           "problems": [p.to_dict() for p in report.problems]})
    else:
        for problem in report.problems:
            line = f"FAIL {problem.path or '-'}: {problem.message}"
            if problem.expected is not None:
                line += f" (expected {problem.expected}, found {problem.actual})"
            context.out.print(line, markup=False)
        state = "valid and signed" if report.ok else f"{len(report.problems)} problem(s)"
        context.out.print(f"{directory}: {report.files} payload file(s), {state}; signing key "
                          f"{report.key_fingerprint or 'unknown'}", markup=False)
    return int(ExitStatus.OK if report.ok else ExitStatus.INTEGRITY)
