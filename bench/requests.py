"""Benchmark the MGDPA request workflow on a 10,000-item archive.

Run from the repository root::

    .venv/bin/python bench/requests.py [--posts 1900] [--cache DIR]

The first run captures the bundled sample platform twice (initial and later state) into an
archive under ``--cache`` (default: ``$TMPDIR/civicrecords-bench-requests``) and indexes it;
later runs reuse it. Each phase then runs in its own child process on a fresh copy of the
archive, so its peak resident memory (``ru_maxrss``) is its own:

* **gather**: a public request takes every item (``request add --query '*'``: every search
  page is audited) and a data subject request takes a busy resident's items by author;
* **review**: the review list of the whole-archive request (detectors over every version of
  every provided item);
* **export**: the whole-archive public bundle (``--unreviewed redact``): decide, redact,
  strip images, render pages and the letter (HTML + PDF), sign the bag;
* **inventory**: ``inventory --pii`` (detectors over every item's latest version, streamed).

Prints a table and writes ``bench/results/requests.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sample_archive import build_archive, environment  # noqa: E402 - bench/sample_archive.py

from civicrecords.archive import Archive  # noqa: E402

PHASES = ("gather", "review", "export", "inventory")


def _whole_archive_request(archive: Archive) -> Any:
    from civicrecords.catalog import Catalog
    from civicrecords.requests.gather import add_items
    from civicrecords.requests.store import RequestStore

    store = RequestStore(archive)
    request = store.create(kind="public", received=archive.env.now(), requester={},
                           channel="bench", description="everything", details={})
    with Catalog(archive.catalog_path) as catalog:
        refs = [row.ref for row in catalog.iter_items()]
    add_items(request, refs, {"type": "bench"}, "bench-clerk", archive.env.now())
    store.save(request, "request.add", added=len(refs))
    return request


def child(phase: str, root: Path, work: Path) -> dict[str, Any]:
    """Run one phase on ``root``; return its figures."""
    from civicrecords.catalog import Catalog
    from civicrecords.requests.gather import author_refs, query_refs
    from civicrecords.search.backend import SearchQuery
    from civicrecords.search.service import open_backend

    archive = Archive.open(root, environment(work.parent))
    figures: dict[str, Any] = {}
    if phase == "gather":
        with Catalog(archive.catalog_path) as catalog:
            backend = open_backend(archive.root, archive.config)
            started = time.monotonic()
            refs = query_refs(catalog, backend, SearchQuery(text="*"), archive.audit)
            figures["query_seconds"] = round(time.monotonic() - started, 3)
            figures["query_items"] = len(refs)
            backend.close()
            busiest = catalog.execute(
                "SELECT author FROM items WHERE kind = 'comment' GROUP BY author "
                "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            started = time.monotonic()
            figures["author_items"] = len(author_refs(catalog, [busiest]))
            figures["author_seconds"] = round(time.monotonic() - started, 3)
        return figures
    request = _whole_archive_request(archive)
    figures["items"] = len(request.items)
    started = time.monotonic()
    if phase == "review":
        from civicrecords.requests.policy import policy_for
        from civicrecords.requests.worklist import worklist

        with Catalog(archive.catalog_path) as catalog:
            entries = worklist(catalog, archive.config, request,
                               policy_for(request, {}, catalog, archive.config), {})
        figures["entries"] = len(entries)
    elif phase == "export":
        from civicrecords.requests.bundle import export_bundle

        result = export_bundle(archive, request, work / "bundle", unreviewed="redact")
        figures.update(withheld=result.withheld, redactions=result.redactions,
                       files=result.files)
        figures["bundle_mb"] = round(sum(p.stat().st_size for p in
                                         (work / "bundle").rglob("*") if p.is_file()) / 1e6, 1)
    elif phase == "inventory":
        from civicrecords.requests.inventory import inventory

        with Catalog(archive.catalog_path) as catalog:
            result = inventory(catalog, archive.config, pii=True)
        figures["scanned"] = result.scanned
    seconds = time.monotonic() - started
    figures["seconds"] = round(seconds, 2)
    figures["items_per_second"] = round(figures["items"] / seconds, 1)
    return figures


def run_phase(phase: str, root: Path, cache: Path) -> dict[str, Any]:
    """Run ``phase`` in a child process on a fresh copy of the archive."""
    work = cache / f"work-{phase}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root, work / "archive")
    done = subprocess.run([sys.executable, __file__, "--child", phase, str(work / "archive"),
                           str(work)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{phase} failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1900)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "civicrecords-bench-requests")
    parser.add_argument("--child", nargs=3, metavar=("PHASE", "ARCHIVE", "WORK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024, 1)
        print(json.dumps(figures))
        return
    root = build_archive(args.cache, args.posts)
    result: dict[str, Any] = {"python": platform.python_version(),
                              "platform": platform.platform(), "cpus": os.cpu_count(),
                              "posts": args.posts}
    for phase in PHASES:
        result[phase] = run_phase(phase, root, args.cache)
        print(f"{phase:>10}: {json.dumps(result[phase])}")
    target = Path(__file__).parent / "results" / "requests.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
