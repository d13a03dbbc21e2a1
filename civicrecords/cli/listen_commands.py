"""``civicrecords listen``: the Meta webhook receiver in the foreground."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from civicrecords.archiver.job import CaptureResult
from civicrecords.archiver.listen import Listener
from civicrecords.catalog import Catalog
from civicrecords.cli.context import CliContext
from civicrecords.errors import ExitStatus
from civicrecords.search.service import update_index


def register(app: typer.Typer) -> None:
    """Add ``listen`` to ``app``."""
    app.command("listen")(listen)


def listen(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Address to bind (default: [listen] "
                                    "host, 127.0.0.1).", show_default=False),
    port: int | None = typer.Option(None, "--port", help="Port to bind (default: [listen] "
                                    "port; 0 picks a free one).", show_default=False),
) -> int:
    """Receive Meta's change notifications and archive what they name at once.

    Answers Meta's subscription handshake (hub.verify_token from the variable named by
    [listen] verify_token_env) and accepts notifications only with a valid
    X-Hub-Signature-256 (the app secret from [listen] app_secret_env); forged ones are
    refused and logged. Each notification is kept and the comments, posts and messages it
    names are fetched into a signed capture job within a second, so content deleted
    minutes after it was posted is still kept. Runs until interrupted (Ctrl-C or SIGTERM),
    then exits 0; run it under systemd behind a TLS reverse proxy.
    """
    context: CliContext = ctx.obj
    archive = context.open_archive()

    def indexed(result: CaptureResult) -> None:
        with Catalog(archive.catalog_path) as catalog:
            update_index(archive.root, archive.config, catalog)

    listener = Listener.from_archive(archive, log=context.note, on_job=indexed)
    stopping = threading.Event()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, stop)
    listener.start(host, port)
    context.note(f"listening for Meta change notifications on {listener.url}")
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
        signal.signal(signal.SIGTERM, previous)
    context.note(f"stopped after {len(listener.jobs)} capture job(s)")
    return int(ExitStatus.OK)
