"""The end-to-end demo on the bundled sample platform (``civicrecords demo``).

Runs the sample Mastodon server on loopback, creates an archive, captures, switches the
platform to its later state (removed comments, edited posts), captures again, searches,
opens a public request, exports a redacted bundle and verifies it and the archive. The demo's
signing key lives in ``<dir>/keys`` (outside the archive) so nothing touches the user's own
configuration.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.archiver.job import CaptureResult, run_capture
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.bag import verify_bag
from civicrecords.catalog import Catalog
from civicrecords.environment import Environment
from civicrecords.errors import ConfigError
from civicrecords.integrity.verify import verify_archive
from civicrecords.requests.bundle import ExportResult, export_bundle
from civicrecords.requests.gather import add_items, query_criterion, query_refs
from civicrecords.requests.store import RequestStore
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import SearchResults, open_backend, search, update_index

MARKER = ".civicrecords-demo"
TOKEN_ENV = "LAKESIDE_MASTODON_TOKEN"
MAYOR_TOKEN_ENV = "LAKESIDE_MAYOR_TOKEN"
DEMO_TOKEN = "demo-token-3f9c2a7d61b84e05"


@dataclass
class DemoResult:
    """Everything the demo produced, for printing."""

    directory: Path
    archive: Path
    captures: list[CaptureResult] = field(default_factory=list)
    search: SearchResults | None = None
    request_id: str = ""
    bundle: ExportResult | None = None
    bundle_ok: bool = False
    archive_ok: bool = False
    removed: int = 0
    edited: int = 0


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise ConfigError(f"{directory}: exists and is not a civicrecords demo directory")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("created by 'civicrecords demo'; safe to delete\n")


def account_config(base_url: str) -> str:
    """The ``[[accounts]]`` TOML for the sample platform's accounts."""
    return (
        "[[accounts]]\n"
        'name = "lakeside-mastodon"\n'
        'platform = "mastodon"\n'
        f'api_base = "{base_url}"\n'
        'handle = "@lakeside"\n'
        f'token_env = "{TOKEN_ENV}"\n'
        'department = "Communications"\n'
        'designation = "official-city"\n\n'
        "[[accounts]]\n"
        'name = "lakeside-mayor"\n'
        'platform = "mastodon"\n'
        f'api_base = "{base_url}"\n'
        'handle = "@mayor"\n'
        f'token_env = "{MAYOR_TOKEN_ENV}"\n'
        'department = "Office of the Mayor"\n'
        'designation = "elected-official"\n\n'
    )


def run_demo(directory: Path, env: Environment, *, posts: int = 300,
             step: Callable[[str], None] | None = None) -> DemoResult:
    """Run the whole pipeline once (see module docstring); ``step`` reports progress."""
    say = step or (lambda _message: None)
    directory = directory.expanduser().resolve()
    _prepare(directory)
    variables = {**env.variables, TOKEN_ENV: DEMO_TOKEN, MAYOR_TOKEN_ENV: f"{DEMO_TOKEN}-mayor"}
    demo_env = Environment(variables=variables, stdout=env.stdout, stderr=env.stderr,
                           clock=env.clock, sleep=env.sleep, monotonic=env.monotonic,
                           config_dir=directory / "keys", operator=env.operator_name)
    result = DemoResult(directory=directory, archive=directory / "archive")
    with SamplePlatform(posts=posts, token=DEMO_TOKEN) as platform:
        say(f"sample platform running at {platform.base_url}")
        archive = Archive.create(result.archive, demo_env, name="City of Lakeside, Minnesota",
                                 extra_config=account_config(platform.base_url),
                                 key_file=directory / "keys" / "archive-signing-key.pem")
        say(f"archive created at {archive.root}")
        for state in ("initial", "later"):
            platform.set_state(state)
            say(f"capturing ({state} state of the platform)...")
            result.captures.append(run_capture(archive, full=True))
            with Catalog(archive.catalog_path) as catalog:
                update_index(archive.root, archive.config, catalog)
    with Catalog(archive.catalog_path) as catalog:
        result.removed = catalog.execute(
            "SELECT count(*) FROM items WHERE status='removed'").fetchone()[0]
        result.edited = catalog.execute(
            "SELECT count(*) FROM items WHERE version_count > 1").fetchone()[0]
        backend = open_backend(archive.root, archive.config)
        try:
            say("searching for 'snow'...")
            result.search = search(catalog, backend, SearchQuery(text="snow", limit=5),
                                   archive.audit)
            store = RequestStore(archive)
            request = store.create(kind="public", received=demo_env.now(), requester={},
                                   channel="email", description="Posts and comments about "
                                   "Oak Street", details={})
            spec = SearchQuery(text='"Oak Street"')
            refs = query_refs(catalog, backend, spec, archive.audit)
            add_items(request, refs, query_criterion(spec), demo_env.operator_name,
                      demo_env.now())
            store.save(request, "request.add", added=len(refs))
            result.request_id = request.id
        finally:
            backend.close()
    say(f"exporting request {result.request_id} ({len(refs)} items)...")
    result.bundle = export_bundle(archive, request, directory / "bundle", unreviewed="redact")
    result.bundle_ok = verify_bag(result.bundle.path).ok
    result.archive_ok = verify_archive(archive.root, archive.public_key_pem()).ok
    return result


def summary_lines(result: DemoResult) -> list[str]:
    """Human-readable lines describing where everything is."""
    lines = [f"demo directory: {result.directory}", f"archive:        {result.archive}"]
    for capture in result.captures:
        counts: dict[str, Any] = {k: sum(a.counts.get(k, 0) for a in capture.accounts)
                                  for k in ("items", "new", "edited", "removed")}
        lines.append(f"capture {capture.job_id}: {counts['items']} items, {counts['new']} new, "
                     f"{counts['edited']} edited, {counts['removed']} removed, "
                     f"{len(capture.gaps)} gap(s)")
    lines.append(f"archive now holds {result.edited} edited and {result.removed} removed items")
    if result.search is not None:
        lines.append(f"search 'snow': {result.search.total} match(es), e.g.:")
        for row in result.search.rows[:3]:
            text = " ".join(row.version.item().text.split())[:80]
            lines.append(f"  {row.item.ref} [{row.item.kind}] {text}")
    if result.bundle is not None:
        lines.append(f"request {result.request_id}: bundle {result.bundle.path} "
                     f"({result.bundle.items} items, {result.bundle.redactions} redactions, "
                     f"{result.bundle.withheld} withheld) — open data/index.html in a browser")
    lines.append(f"bundle verify: {'OK' if result.bundle_ok else 'FAILED'}; "
                 f"archive verify: {'OK' if result.archive_ok else 'FAILED'}")
    lines.append(f"try: civicrecords --archive {result.archive} search 'snow emergency'")
    return lines
