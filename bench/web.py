"""Browser view benchmark: concurrent users searching on loopback against 100,000 items.

Builds an archive of the sample city with at least ``--items`` catalog items (the bundled
sample platform in its own process, captured with ``run_capture``, then indexed) or reuses
one from ``--work DIR``, adds one staff account per user, and starts ``civicrecords serve``
in its own process. Each of ``--users`` threads signs in through the login form and then
requests search pages back to back (a fixed mix of words, phrases, fields, wildcards,
boolean queries, filters, date ranges and later pages; every page computes facets and
highlighted snippets) for ``--seconds`` after a warm-up. Prints requests/s and latency
percentiles (target: p95 <= 300 ms for 20 users at 100,000 items) and writes
``bench/results/web.json``.

Usage: ``python bench/web.py [--items 100000] [--users 20] [--seconds 60] [--work DIR]
[--workers 1 2] [--backend whoosh tantivy]`` (every combination is measured).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-5b1e0f7d"
ITEMS_PER_POST = 8.7  # the sample world: a post brings ~9 comments, replies, media, messages
PASSWORD = "bench-user-password"
QUERIES = [
    {"q": "snow"}, {"q": '"snow emergency"'}, {"q": "plowing"}, {"q": "oak AND street"},
    {"q": "park OR library"}, {"q": "water NOT main"}, {"q": "council*"},
    {"q": "author:lakeside"}, {"q": "kind:comment"}, {"q": "tag:lakeside"},
    {"q": "*", "kind": "post"}, {"q": "meeting", "since": "2026-03-01", "until": "2026-03-31"},
    {"q": "street", "account": "bench-city"}, {"q": "*", "removed": "1"},
    {"q": "election", "kind": "comment"}, {"q": "*", "edited": "1"}, {"q": "library hours"},
    {"q": "budget", "since": "2026-06-01"}, {"q": "recycling", "page": "3"},
    {"q": "thank", "kind": "comment", "sort": "newest"},
]


def _environment(directory: Path) -> Any:
    from civicrecords.environment import Environment

    return Environment(variables={"BENCH_TOKEN": TOKEN, "BENCH_MAYOR_TOKEN": f"{TOKEN}-mayor"},
                       config_dir=directory / "keys", operator="bench")


def build(directory: Path, items: int) -> dict[str, Any]:
    """Capture and index a sample archive of at least ``items`` items in ``directory``."""
    from civicrecords.archive import Archive
    from civicrecords.archiver.job import run_capture
    from civicrecords.catalog import Catalog
    from civicrecords.search.service import update_index

    posts = math.ceil(items / ITEMS_PER_POST)
    platform = subprocess.Popen(
        [sys.executable, "-m", "civicrecords.archiver.sample", "--posts", str(posts),
         "--token", TOKEN], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert platform.stdout is not None
        base_url = platform.stdout.readline().strip()
        accounts = "".join(
            f'[[accounts]]\nname = "{name}"\nplatform = "mastodon"\napi_base = "{base_url}"\n'
            f'handle = "@{handle}"\ntoken_env = "{env}"\n\n'
            for name, handle, env in (("bench-city", "lakeside", "BENCH_TOKEN"),
                                      ("bench-mayor", "mayor", "BENCH_MAYOR_TOKEN")))
        archive = Archive.create(directory / "archive", _environment(directory),
                                 extra_config=accounts)
        started = time.perf_counter()
        run_capture(archive, full=True)
        capture_seconds = time.perf_counter() - started
    finally:
        platform.terminate()
        platform.wait()
    started = time.perf_counter()
    with Catalog(archive.catalog_path) as catalog:
        update_index(archive.root, archive.config, catalog)
        count = catalog.count_items()
    return {"posts": posts, "items": count, "capture_seconds": capture_seconds,
            "index_seconds": time.perf_counter() - started}


def ensure_index(directory: Path, backend_name: str) -> None:
    """Switch the archive to ``backend_name`` and index what that index lacks (everything,
    the first time or when the index format changed since it was built)."""
    from civicrecords.archive import Archive
    from civicrecords.catalog import Catalog
    from civicrecords.search.indexer import index_pending, reset_index
    from civicrecords.search.service import open_backend

    config = directory / "archive" / "civicrecords.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'(?m)^backend = "\w+"', f'backend = "{backend_name}"', text,
                             count=1), "utf-8")
    archive = Archive.open(directory / "archive", _environment(directory))
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        try:
            if backend.count() < catalog.count_items():
                reset_index(catalog, backend)
                index_pending(catalog, backend)
        finally:
            backend.close()


def add_users(directory: Path, users: int) -> list[str]:
    """One staff account per simulated user (created once)."""
    from civicrecords.archive import Archive
    from civicrecords.web.users import UserStore

    archive = Archive.open(directory / "archive", _environment(directory))
    store = UserStore(archive)
    names = [f"user{n:02d}" for n in range(users)]
    for name in names:
        if store.find(name) is None:
            store.add(name, "staff", PASSWORD)
    return names


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(directory: Path, workers: int) -> tuple[subprocess.Popen[str], str]:
    """``civicrecords serve`` on a free loopback port, in its own process(es)."""
    port = _free_port()
    env = {**os.environ, "CIVICRECORDS_CONFIG_DIR": str(directory / "keys")}
    process = subprocess.Popen(
        [sys.executable, "-m", "civicrecords", "--archive", str(directory / "archive"),
         "serve", "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the web app did not start")


def sign_in(base: str, name: str) -> httpx.Client:
    """A client signed in through the login form."""
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    response = client.post("/login", data={"login_token": token.group(1), "name": name,
                                           "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def load(clients: list[httpx.Client], seconds: float, warmup: float) -> dict[str, Any]:
    """Every client searches back to back; latencies after the warm-up are kept."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def user(number: int, client: httpx.Client) -> None:
        index = number
        while True:
            params = QUERIES[index % len(QUERIES)]
            index += 1
            sent = time.perf_counter()
            if sent >= stop_at:
                return
            response = client.get("/search", params=params)
            took = time.perf_counter() - sent
            if sent >= measure_from:
                with lock:
                    timings.append(took)
                    if response.status_code != 200 or 'id="results-h"' not in response.text:
                        errors.append(f"{response.status_code} {params}")

    threads = [threading.Thread(target=user, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.sort()

    def percentile(share: float) -> float:
        return timings[min(len(timings) - 1, int(len(timings) * share))] * 1000

    return {"requests": len(timings), "seconds": seconds,
            "requests_per_s": len(timings) / seconds, "errors": len(errors),
            "error_examples": errors[:5], "p50_ms": percentile(0.50),
            "p95_ms": percentile(0.95), "p99_ms": percentile(0.99),
            "mean_ms": statistics.fmean(timings) * 1000, "max_ms": timings[-1] * 1000}


def run_one(directory: Path, names: list[str], backend: str, workers: int,
            seconds: float, warmup: float) -> dict[str, Any]:
    """One measurement: the archive on ``backend``, served by ``workers`` processes."""
    ensure_index(directory, backend)
    process, base = serve(directory, workers)
    try:
        clients = [sign_in(base, name) for name in names]
        result = load(clients, seconds, warmup)
        for client in clients:
            client.close()
    finally:
        process.terminate()
        process.wait()
    return {"backend": backend, "workers": workers, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="catalog items wanted")
    parser.add_argument("--users", type=int, default=20, help="concurrent users")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the archive here")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="server processes (each count is measured)")
    parser.add_argument("--backend", nargs="+", choices=("whoosh", "tantivy"),
                        default=["whoosh", "tantivy"],
                        help="search backends ([search] backend; each is measured)")
    args = parser.parse_args()
    directory = args.work or Path(tempfile.mkdtemp(prefix="cr-bench-web-"))
    directory.mkdir(parents=True, exist_ok=True)
    info = directory / "built.json"
    if info.exists():
        built = json.loads(info.read_text())
    else:
        built = build(directory, args.items)
        info.write_text(json.dumps(built))
    names = add_users(directory, args.users)
    runs = []
    try:
        for backend in args.backend:
            for workers in args.workers:
                runs.append(run_one(directory, names, backend, workers, args.seconds,
                                    args.warmup))
    finally:
        if args.work is None:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"{built['items']:,} items, {args.users} concurrent users, {args.seconds:.0f} s "
          f"measured after {args.warmup:.0f} s warm-up, {os.cpu_count()} CPUs")
    for run in runs:
        print(f"  {run['backend']:8} {run['workers']} process(es): "
              f"{run['requests_per_s']:6.1f} search pages/s; p50 {run['p50_ms']:5.0f} ms, "
              f"p95 {run['p95_ms']:5.0f} ms (target <= 300 ms), p99 {run['p99_ms']:5.0f} ms; "
              f"{run['errors']} error(s)")
    report = {"items": built["items"], "posts": built["posts"], "users": args.users,
              "seconds": args.seconds, "warmup": args.warmup, "cpus": os.cpu_count(),
              "build": {k: round(v, 1) for k, v in built.items() if k.endswith("_seconds")},
              "runs": runs}
    out = ROOT / "bench" / "results" / "web.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
