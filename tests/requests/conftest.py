"""Fixtures for the request workflow: a private copy of the captured sample archive, a CLI
runner with a fixed clock, and a helper that opens a request with items."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.requests.gather import add_items
from civicrecords.requests.store import Request, RequestStore

Runner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def sample_copy(captured: dict, tmp_path: Path) -> Archive:
    """A writable copy of the session's captured sample archive (same signing key)."""
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    return Archive.open(root, captured["env"])


def cli_runner(env: Environment, archive_root: Path) -> Runner:
    """Run ``civicrecords --archive ROOT ...`` in-process; returns (status, stdout, stderr)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        env.stdout, env.stderr = io.StringIO(), io.StringIO()
        status = run(["--archive", str(archive_root), *args], env)
        return status, env.stdout.getvalue(), env.stderr.getvalue()

    return invoke


def at(moment: str) -> Callable[[], datetime]:
    """A clock fixed at ``moment`` (ISO, UTC)."""
    fixed = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return lambda: fixed


def open_with(archive: Archive, kind: str, refs: list[str], **options: object) -> Request:
    """A new request of ``kind`` holding ``refs`` (saved, audited)."""
    store = RequestStore(archive)
    request = store.create(kind=kind, received=archive.env.now(), requester={},
                           channel="email", description="test", details={},
                           subject_handles=list(options.get("handles", [])))  # type: ignore
    add_items(request, refs, {"type": "test"}, archive.env.operator_name, archive.env.now())
    store.save(request, "request.add", added=len(refs))
    if options.get("verified"):
        store.record_identity(request, method="driver's license at the counter",
                              verified_by="J. Clerk")
    return request
