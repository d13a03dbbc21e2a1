"""What every command gets: the environment, the chosen archive, and output helpers."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from civicrecords.archive import Archive, resolve_archive_root
from civicrecords.csvcells import spreadsheet_safe
from civicrecords.environment import Environment


class OutputFormat(StrEnum):
    """``--format`` of commands that print a table for people or JSON for programs."""

    table = "table"
    json = "json"


class Unreviewed(StrEnum):
    """``--unreviewed``: what to do with PII candidates nobody has decided."""

    redact = "redact"
    release = "release"


@dataclass
class CliContext:
    """Per-invocation state shared by commands (Typer's ``ctx.obj``)."""

    env: Environment = field(default_factory=Environment)
    archive_dir: Path | None = None
    json_errors: bool = False

    def open_archive(self) -> Archive:
        """The archive chosen by ``--archive``/``$CIVICRECORDS_ARCHIVE``/the cwd."""
        return Archive.open(resolve_archive_root(self.archive_dir, self.env), self.env)

    @property
    def out(self) -> Console:
        """Rich console on stdout (plain text when stdout is not a terminal)."""
        return Console(file=self.env.stdout, highlight=False, soft_wrap=True,
                       width=None if _isatty(self.env.stdout) else 160)

    @property
    def err(self) -> Console:
        """Rich console on stderr."""
        return Console(file=self.env.stderr, highlight=False, soft_wrap=True)

    def error_line(self, message: str) -> None:
        """One ``error: ...`` line on stderr."""
        self.env.stderr.write(f"error: {message}\n")

    def note(self, message: str) -> None:
        """An informational line on stderr (never mixed into machine output on stdout)."""
        self.env.stderr.write(f"{message}\n")

    def emit_json(self, data: Any) -> None:
        """Pretty JSON on stdout."""
        self.env.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def emit_jsonl(self, rows: Iterable[dict[str, Any]]) -> None:
        """One compact JSON object per line on stdout."""
        for row in rows:
            self.env.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def emit_csv(self, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
        """CSV with a header row on stdout."""
        writer = csv.DictWriter(self.env.stdout, fieldnames=list(columns), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: spreadsheet_safe(_cell(v)) for k, v in row.items()})

    def emit_table(self, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                   title: str | None = None) -> None:
        """A rich table on stdout; captured text is printed literally (no markup)."""
        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*[_escape(_cell(v)) for v in row])
        self.out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _escape(text: str) -> Any:
    from rich.text import Text

    return Text(text)


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
