"""Benchmark a discovery production: a 10,000-item volume with PDF images.

Run from the repository root::

    .venv/bin/python bench/production.py [--items 10000] [--posts 1900] [--cache DIR]

The first run captures the bundled sample platform twice (initial and later state) into an
archive under ``--cache`` (default: ``$TMPDIR/civicrecords-bench-production``) and indexes
it; later runs reuse it. Then a child process opens a discovery request holding the first
``--items`` items of the catalog and exports one volume (``--unreviewed redact``): PDFs,
text, JSON natives, the byte-for-byte WARC and WACZ, load files, logs, the signed bag. The
parent reports wall time, items per second and the child's peak resident memory
(``ru_maxrss``), and writes ``bench/results/production.json``.
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

from sample_archive import build_archive, environment  # bench/sample_archive.py

from civicrecords.archive import Archive


def child(root: Path, out: Path, items: int) -> None:
    """Export one volume of the first ``items`` items; print its figures as JSON."""
    from civicrecords.catalog import Catalog
    from civicrecords.discovery.production import export_volume
    from civicrecords.requests.gather import add_items
    from civicrecords.requests.store import RequestStore

    env = environment(root.parent)
    archive = Archive.open(root, env)
    with Catalog(archive.catalog_path) as catalog:
        refs = [row.ref for row in catalog.iter_items(limit=items)]
    store = RequestStore(archive)
    request = store.create(kind="discovery", received=env.now(), requester={},
                           channel="bench", description="benchmark",
                           details={"matter": f"BENCH-{os.getpid()}", "bates_prefix": "BENCH",
                                    "confidentiality": "CONFIDENTIAL"})
    add_items(request, refs, {"type": "bench"}, "bench-clerk", env.now())
    store.save(request, "request.add", added=len(refs))
    started = time.monotonic()
    volume = export_volume(archive, request, out, unreviewed="redact")
    seconds = time.monotonic() - started
    size = sum(p.stat().st_size for p in volume.path.rglob("*") if p.is_file())
    print(json.dumps({**volume.to_dict(), "seconds": round(seconds, 2), "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=1900)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "civicrecords-bench-production")
    parser.add_argument("--child", nargs=3, metavar=("ARCHIVE", "OUT", "ITEMS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return
    root = build_archive(args.cache, args.posts)
    out = args.cache / "productions" / f"run-{int(time.time())}"
    started = time.monotonic()
    done = subprocess.run([sys.executable, __file__, "--child", str(root), str(out),
                           str(args.items)], capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"export failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "python": platform.python_version(), "platform": platform.platform(),
        "cpus": os.cpu_count(), "items": figures["documents"], "pages": figures["pages"],
        "withheld": figures["withheld"], "redacted": figures["redacted"],
        "native_records": figures["native_records"], "files": figures["files"],
        "volume_mb": round(figures["bytes"] / 1e6, 1),
        "export_seconds": figures["seconds"],
        "items_per_second": round(figures["documents"] / figures["seconds"], 1),
        "child_wall_seconds": round(wall, 2), "peak_rss_mb": round(peak_mb, 1)}
    shutil.rmtree(out, ignore_errors=True)
    for key, value in result.items():
        print(f"{key:>20}: {value}")
    target = Path(__file__).parent / "results" / "production.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
