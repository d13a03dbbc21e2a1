"""The CLI reference (``docs/cli.md``), generated from the commands' own help.

``python -m civicrecords.cli.reference > docs/cli.md`` regenerates it; a test fails when the
file is stale or when any command or option lacks help text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from civicrecords.cli.main import app
from civicrecords.errors import ExitStatus

EXIT_MEANINGS = {
    ExitStatus.OK: "success",
    ExitStatus.ERROR: "unexpected failure",
    ExitStatus.USAGE: "bad command-line input (unknown item, malformed query, bad option)",
    ExitStatus.INTEGRITY: "verification found a missing, altered or unsigned file",
    ExitStatus.PARTIAL: "capture finished with gaps (fetches that failed after retries)",
    ExitStatus.LOCKED: "another job holds the archive",
    ExitStatus.CONFIG: "no archive, invalid civicrecords.toml, or unusable signing key",
    ExitStatus.ATTENTION: "status: an account is overdue, disconnected or its token expired",
    ExitStatus.REFUSED: "not allowed in this state (e.g. export with undecided PII)",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C)",
}


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command with its full name, depth first, sorted by name."""
    yield path, command
    for name in sorted(getattr(command, "commands", {}) or {}):
        yield from walk(command.commands[name], (*path, name))


def _param_line(param: Any) -> str:
    if param.param_type_name == "argument":
        label = f"`{(param.metavar or param.name).upper()}`"
    else:
        label = ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
    text = " ".join((getattr(param, "help", None) or "").split())
    default = getattr(param, "default", None)
    if param.param_type_name == "option" and default not in (None, False, (), []) \
            and not param.is_flag and getattr(param, "show_default", True) is not False:
        value = getattr(default, "value", default)
        text += f" Default: `{value}`."
    return f"- {label}: {text}".rstrip()


def reference_markdown() -> str:
    """The whole reference as Markdown."""
    root = typer.main.get_command(app)
    lines = ["# civicrecords command reference", "",
             "Generated from the commands' help by `python -m civicrecords.cli.reference`; do not "
             "edit by hand.", "", "## Exit statuses", ""]
    lines += [f"- `{int(status)}` {status.name}: {meaning}"
              for status, meaning in EXIT_MEANINGS.items()]
    for path, command in walk(root):
        name = " ".join(("civicrecords", *path))
        lines += ["", f"{'#' * min(2 + len(path), 4)} `{name}`", ""]
        lines.append(" ".join((command.help or "").split("\n\n")[0].split()))
        rest = "\n\n".join((command.help or "").split("\n\n")[1:]).strip()
        if rest:
            lines += ["", " ".join(rest.split())]
        params = [p for p in command.params if p.name not in ("help",)]
        if params:
            lines.append("")
            lines += [_param_line(p) for p in params]
    return "\n".join(lines) + "\n"


def undocumented() -> list[str]:
    """Commands and parameters without help text."""
    missing = []
    for path, command in walk(typer.main.get_command(app)):
        name = " ".join(("civicrecords", *path))
        if not (command.help or "").strip():
            missing.append(name)
        for param in command.params:
            if param.name != "help" and not (getattr(param, "help", None) or "").strip():
                missing.append(f"{name} {param.name}")
    return missing


if __name__ == "__main__":
    print(reference_markdown(), end="")
