"""The end-to-end demo."""

from __future__ import annotations

from pathlib import Path

import typer

from civicrecords.cli.context import CliContext
from civicrecords.demo import run_demo, summary_lines
from civicrecords.errors import ExitStatus


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    directory: Path = typer.Option(Path("civicrecords-demo"), "--dir",
                                   help="Where to put the demo archive and bundle (a previous "
                                   "demo there is replaced)."),
    posts: int = typer.Option(300, "--posts", min=10, max=1_000_000,
                              help="Posts on the sample platform."),
) -> int:
    """Run the whole pipeline on the bundled sample platform and print where things are."""
    context: CliContext = ctx.obj
    result = run_demo(directory, context.env, posts=posts, step=context.note)
    for line in summary_lines(result):
        context.out.print(line, markup=False)
    return int(ExitStatus.OK if result.bundle_ok and result.archive_ok else ExitStatus.INTEGRITY)
