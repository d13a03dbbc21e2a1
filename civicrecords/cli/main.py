"""The ``civicrecords`` command: the Typer app, global options and the error boundary.

``run(argv, env)`` is the only place where exceptions become messages and exit statuses:
a ``CivicRecordsError`` prints one line (``error: ...``) on stderr and exits with its
``ExitStatus``; usage mistakes exit 2; ``--traceback`` re-raises for debugging. Tests call
``run`` with their own ``Environment``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from civicrecords import __version__
from civicrecords.cli import (
    archive_commands,
    bundle_commands,
    demo_commands,
    hold_commands,
    import_commands,
    inventory_commands,
    listen_commands,
    monitor_commands,
    request_commands,
    search_commands,
    storage_commands,
    web_commands,
)
from civicrecords.cli.context import CliContext
from civicrecords.environment import Environment
from civicrecords.errors import CivicRecordsError, ExitStatus

app = typer.Typer(
    name="civicrecords",
    help="Keep official social media as evidence and answer records requests from it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"civicrecords {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    ctx: typer.Context,
    archive: Path | None = typer.Option(
        None, "--archive", "-a", help="Archive directory (default: $CIVICRECORDS_ARCHIVE, "
        "or the current directory if it holds civicrecords.toml).", show_default=False),
    operator: str | None = typer.Option(
        None, "--operator", help="Name recorded as the operator in manifests and the audit "
        "log (default: $CIVICRECORDS_OPERATOR or the login name).", show_default=False),
    traceback: bool = typer.Option(False, "--traceback", help="Show the Python traceback "
                                   "of an error instead of one line."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Keep official social media as evidence and answer records requests from it."""
    context: CliContext = ctx.ensure_object(CliContext)
    context.archive_dir = archive
    if operator:
        context.env.operator = operator


archive_commands.register(app)
import_commands.register(app)
search_commands.register(app)
request_commands.register(app)
inventory_commands.register(app)
hold_commands.register(app)
bundle_commands.register(app)
demo_commands.register(app)
monitor_commands.register(app)
listen_commands.register(app)
storage_commands.register(app)
web_commands.register(app)


def run(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI and return its exit status (see the module docstring)."""
    env = env or Environment()
    args = list(sys.argv[1:] if argv is None else argv)
    context = CliContext(env=env)
    try:
        result = app(args=args, prog_name="civicrecords", standalone_mode=False, obj=context)
    except CivicRecordsError as exc:
        if "--traceback" in args:
            raise
        context.error_line(exc.message)
        if context.json_errors:
            context.emit_json(exc.to_dict())
        return int(exc.exit_status)
    except typer.Abort:
        env.stderr.write("aborted\n")
        return int(ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # usage errors from option parsing
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=env.stderr)
        else:
            env.stderr.write(f"error: {exc.format_message()}\n")
        return int(ExitStatus.USAGE)
    except KeyboardInterrupt:
        env.stderr.write("interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    return int(result) if isinstance(result, int) else 0


def entry_point() -> None:
    """Console-script entry: run and exit with the status."""
    sys.exit(run())
