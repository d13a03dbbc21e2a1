"""Pipeline benchmark: capture, index, search and verify against their plain baselines.

For each size the sample platform runs in its own process (the machine has two cores: one
serves, one captures). Every phase runs in a child process so its peak memory (ru_maxrss) is
its own:

- capture: ``run_capture`` (full) vs plain keep-alive GETs of exactly the URLs the capture
  fetched (read back from its WARCs), same order, bodies read and discarded; both after an
  untimed capture has warmed the platform's caches;
- index: ``index_pending`` vs raw Whoosh ``add_document`` of the same documents (same schema,
  same writer settings) into a fresh index;
- search: p50/p95 over a fixed query set (text, fields, phrases, filters, dates, wildcards);
- verify: ``verify`` (full SHA-256 re-hash) vs ``hashlib.sha256`` over the same files.

Capture is also compared with plain fetching when every answer of the platform takes
``--latency-ms`` (default 20 ms), as across the internet: on loopback the sample platform
answers in well under a millisecond, which is the worst case for the capture's own work.

The loopback capture and plain fetch, and indexing and raw Whoosh, run ``--rounds`` times
each, alternating (the median of each is compared), since one run varies by ±10% here.

Usage: ``python bench/pipeline.py [--posts 1000 10000] [--latency-ms 20] [--rounds 3]``.
Prints a table and writes ``bench/results/pipeline.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-5b1e0f7d"
REPEATS = 5
QUERIES = [
    ("snow", {}), ('"snow emergency"', {}), ("plowing", {}), ("oak AND street", {}),
    ("park OR library", {}), ("water NOT main", {}), ("council*", {}), ("author:lakeside", {}),
    ("kind:comment", {}), ("tag:lakeside", {}), ("*", {"kinds": ("post",)}),
    ("meeting", {"since": "2026-03-01", "until": "2026-03-31"}),
    ("street", {"accounts": ("bench-city",)}), ("*", {"statuses": ("removed",)}),
    ("election", {"kinds": ("comment",)}), ("*", {"edited": True}), ("library hours", {}),
    ("budget", {"since": "2026-06-01"}), ("recycling", {}), ("thank", {"kinds": ("comment",)}),
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``target(*args)`` in a fresh process; return its result plus peak memory."""
    queue: multiprocessing.Queue = multiprocessing.Queue()

    def wrapper() -> None:
        result = target(*args)
        result["peak_mb"] = round(_peak_mb(), 1)
        queue.put(result)

    process = multiprocessing.get_context("fork").Process(target=wrapper)
    process.start()
    result = queue.get()
    process.join()
    return result


def _environment(directory: Path) -> Any:
    from civicrecords.environment import Environment

    return Environment(variables={"BENCH_TOKEN": TOKEN, "BENCH_MAYOR_TOKEN": f"{TOKEN}-mayor"},
                       config_dir=directory / "keys", operator="bench")


def _make_archive(directory: Path, base_url: str) -> None:
    from civicrecords.archive import Archive

    accounts = "".join(
        f'[[accounts]]\nname = "{name}"\nplatform = "mastodon"\napi_base = "{base_url}"\n'
        f'handle = "@{handle}"\ntoken_env = "{env}"\n\n'
        for name, handle, env in (("bench-city", "lakeside", "BENCH_TOKEN"),
                                  ("bench-mayor", "mayor", "BENCH_MAYOR_TOKEN")))
    Archive.create(directory / "archive", _environment(directory), extra_config=accounts)


def phase_capture(directory: Path) -> dict[str, Any]:
    from civicrecords.archive import Archive
    from civicrecords.archiver.job import run_capture

    archive = Archive.open(directory / "archive", _environment(directory))
    started = time.perf_counter()
    result = run_capture(archive, full=True)
    elapsed = time.perf_counter() - started
    items = sum(a.counts["items"] for a in result.accounts)
    requests = sum(a.counts["requests"] for a in result.accounts)
    return {"seconds": elapsed, "items": items, "requests": requests, "gaps": len(result.gaps)}


def _captured_urls(directory: Path) -> list[tuple[str, dict[str, str]]]:
    from warcio.archiveiterator import ArchiveIterator

    urls: list[tuple[str, dict[str, str]]] = []
    for path in sorted((directory / "archive" / "warcs").rglob("*.warc.gz")):
        token = f"{TOKEN}-mayor" if "bench-mayor" in path.name else TOKEN
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "request":
                    urls.append((record.rec_headers.get_header("WARC-Target-URI"),
                                 {"Authorization": f"Bearer {token}"}))
    return urls


def phase_plain_fetch(directory: Path, items: int) -> dict[str, Any]:
    import http.client
    from urllib.parse import urlsplit

    urls = _captured_urls(directory)
    connections: dict[str, http.client.HTTPConnection] = {}
    started = time.perf_counter()
    for url, headers in urls:
        parts = urlsplit(url)
        connection = connections.get(parts.netloc)
        if connection is None:
            connection = connections[parts.netloc] = http.client.HTTPConnection(parts.netloc)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target, headers={**headers, "Accept-Encoding": "gzip"})
        response = connection.getresponse()
        while response.read(1 << 20):
            pass
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "requests": len(urls), "items": items}


def phase_index(directory: Path) -> dict[str, Any]:
    from civicrecords.archive import Archive
    from civicrecords.catalog import Catalog
    from civicrecords.search.indexer import index_pending, reset_index
    from civicrecords.search.service import open_backend

    archive = Archive.open(directory / "archive", _environment(directory))
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        reset_index(catalog, backend)
        started = time.perf_counter()
        count = index_pending(catalog, backend)
        elapsed = time.perf_counter() - started
        backend.close()
    return {"seconds": elapsed, "items": count}


def phase_raw_whoosh(directory: Path) -> dict[str, Any]:
    from whoosh import index as whoosh_index

    from civicrecords.archive import Archive
    from civicrecords.catalog import Catalog
    from civicrecords.search import whoosh_backend
    from civicrecords.search.indexer import documents_for

    archive = Archive.open(directory / "archive", _environment(directory))
    with Catalog(archive.catalog_path) as catalog:
        items = list(catalog.iter_items())
        fields = [whoosh_backend.to_fields(doc) for doc in documents_for(catalog, items)]
    target = directory / "raw-whoosh"
    target.mkdir()
    schema = whoosh_index.open_dir(str(archive.index_dir / "whoosh")).schema  # the same schema
    ix = whoosh_index.create_in(str(target), schema)
    started = time.perf_counter()
    writer = ix.writer(limitmb=archive.config.search.index_memory_mb)
    for doc in fields:
        writer.add_document(**doc)
    writer.commit()
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "items": len(fields)}


def phase_search(directory: Path) -> dict[str, Any]:
    from datetime import date

    from civicrecords.archive import Archive
    from civicrecords.catalog import Catalog
    from civicrecords.search.backend import SearchQuery
    from civicrecords.search.service import open_backend, search

    archive = Archive.open(directory / "archive", _environment(directory))
    timings: list[float] = []
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        for _ in range(5):
            for text, options in QUERIES:
                options = dict(options)
                for key in ("since", "until"):
                    if key in options:
                        options[key] = date.fromisoformat(options[key])
                query = SearchQuery(text=text, **options)
                started = time.perf_counter()
                search(catalog, backend, query, archive.audit)
                timings.append((time.perf_counter() - started) * 1000)
        backend.close()
    timings.sort()
    return {"queries": len(timings), "p50_ms": statistics.median(timings),
            "p95_ms": timings[int(len(timings) * 0.95) - 1]}


def phase_verify(directory: Path) -> dict[str, Any]:
    from civicrecords.archive import Archive
    from civicrecords.integrity.verify import verify_archive

    archive = Archive.open(directory / "archive", _environment(directory))
    timings = []
    for _ in range(REPEATS):  # best of several: the files are small enough for noise to show
        started = time.perf_counter()
        report = verify_archive(archive.root, archive.public_key_pem())
        timings.append(time.perf_counter() - started)
        assert report.ok, report.problems
    return {"seconds": min(timings), "mb": report.bytes / 1e6}


def phase_hashlib(directory: Path) -> dict[str, Any]:
    import hashlib

    files = sorted((directory / "archive" / "warcs").rglob("*.warc.gz"))
    files += sorted((directory / "archive" / "manifests").glob("*.json"))
    timings = []
    for _ in range(REPEATS):
        total = 0
        started = time.perf_counter()
        for path in files:
            digest = hashlib.sha256()
            with open(path, "rb", buffering=0) as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(chunk)
                    total += len(chunk)
        timings.append(time.perf_counter() - started)
    return {"seconds": min(timings), "mb": total / 1e6}


def _set_latency(base_url: str, milliseconds: float) -> None:
    """Make the sample platform answer every API and media request after a delay, like a
    platform across the internet (0: answer at once)."""
    import urllib.request

    plan = None if not milliseconds else {
        "rate": 1.0, "kinds": ["slow"], "max_per_url": 1000, "slow_seconds": milliseconds / 1000,
        "paths": ["/api/", "/system/"]}
    request = urllib.request.Request(f"{base_url}/_sample/faults", method="POST",
                                     data=json.dumps(plan).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time, with every run's seconds and the highest peak memory."""
    chosen = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {**chosen, "rounds_seconds": [run["seconds"] for run in runs],
            "peak_mb": max(run["peak_mb"] for run in runs)}


def run_capture_pair(posts: int, latency_ms: float, directory: Path, rounds: int
                     ) -> dict[str, Any]:
    """Capture vs plain fetch of one world, with every answer delayed by ``latency_ms``:
    ``rounds`` times each (alternating), the median of each compared."""
    server = subprocess.Popen(
        [sys.executable, "-m", "civicrecords.archiver.sample", "--posts", str(posts),
         "--token", TOKEN], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        _set_latency(base_url, latency_ms)
        # the platform caches what it builds; the plain fetch needs the capture's URLs, so it
        # always runs second: an untimed capture first, so both timed runs meet a warm one
        _make_archive(directory / "warm-up", base_url)
        _child(phase_capture, directory / "warm-up")
        captures: list[dict[str, Any]] = []
        plains: list[dict[str, Any]] = []
        for number in range(rounds):  # the first round's archive is the one kept
            target = directory.with_name(f"{directory.name}-{number}") if number else directory
            _make_archive(target, base_url)
            captures.append(_child(phase_capture, target))
            plains.append(_child(phase_plain_fetch, target, captures[-1]["items"]))
            if number:
                shutil.rmtree(target)
        capture, plain = _median(captures), _median(plains)
    finally:
        server.terminate()
        server.wait()
    items = capture["items"]
    return {"latency_ms": latency_ms,
            "capture": {**capture, "items_per_s": items / capture["seconds"]},
            "plain_fetch": {**plain, "items_per_s": items / plain["seconds"]},
            "capture_vs_plain": plain["seconds"] / capture["seconds"]}


def run_size(posts: int, latencies: list[float], rounds: int) -> dict[str, Any]:
    """All phases for one world size (capture also with each simulated latency, once)."""
    with tempfile.TemporaryDirectory(prefix="cr-bench-") as temp:
        directory = Path(temp)
        pair = run_capture_pair(posts, 0, directory / "loopback", rounds)
        capture, plain = pair["capture"], pair["plain_fetch"]
        delayed = [run_capture_pair(posts, ms, directory / f"latency-{ms:g}", 1)
                   for ms in latencies if ms]
        directory = directory / "loopback"
        indexes: list[dict[str, Any]] = []
        raws: list[dict[str, Any]] = []
        for _ in range(rounds):
            indexes.append(_child(phase_index, directory))
            raws.append(_child(phase_raw_whoosh, directory))
            shutil.rmtree(directory / "raw-whoosh")
        index, raw = _median(indexes), _median(raws)
        searching = _child(phase_search, directory)
        verify = _child(phase_verify, directory)
        hashing = _child(phase_hashlib, directory)
    items = capture["items"]
    return {
        "posts": posts, "items": items, "capture": capture, "plain_fetch": plain,
        "capture_vs_plain": pair["capture_vs_plain"], "with_latency": delayed,
        "index": {**index, "items_per_s": index["items"] / index["seconds"]},
        "raw_whoosh": {**raw, "docs_per_s": raw["items"] / raw["seconds"]},
        "index_vs_raw": raw["seconds"] / index["seconds"] * index["items"] / max(raw["items"], 1),
        "search": searching,
        "verify": {**verify, "mb_per_s": verify["mb"] / verify["seconds"]},
        "hashlib": {**hashing, "mb_per_s": hashing["mb"] / hashing["seconds"]},
        "verify_vs_hashlib": (verify["mb"] / verify["seconds"])
        / (hashing["mb"] / hashing["seconds"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000],
                        help="world sizes (posts per account; ~10 items per post in all)")
    parser.add_argument("--latency-ms", type=float, nargs="*", default=[20.0],
                        help="also compare capture with plain fetching when every answer "
                        "takes this long, like a platform across the internet (first size)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of capture, plain fetch, indexing and raw Whoosh each "
                        "(medians compared)")
    args = parser.parse_args()
    # the latency comparison runs at the first size only (it takes latency x requests)
    results = [run_size(posts, args.latency_ms if index == 0 else [], args.rounds)
               for index, posts in enumerate(args.posts)]
    for r in results:
        peak = max(r[k]["peak_mb"] for k in ("capture", "index", "search", "verify"))
        print(f"\n{r['items']:,} items ({r['posts']:,} posts per account)")
        print(f"  capture   {r['capture']['items_per_s']:8.0f} items/s  vs plain fetch "
              f"{r['plain_fetch']['items_per_s']:8.0f}  = {r['capture_vs_plain']:.0%} "
              f"(target >= 70%)  peak {r['capture']['peak_mb']} MB")
        print("            seconds per round: capture "
              + " ".join(f"{s:.2f}" for s in r["capture"]["rounds_seconds"]) + ", plain "
              + " ".join(f"{s:.2f}" for s in r["plain_fetch"]["rounds_seconds"]))
        print(f"  index     {r['index']['items_per_s']:8.0f} items/s  vs raw Whoosh "
              f"{r['raw_whoosh']['docs_per_s']:8.0f} docs/s = {r['index_vs_raw']:.0%} "
              f"(target >= 80%)  peak {r['index']['peak_mb']} MB")
        print("            seconds per round: index "
              + " ".join(f"{s:.2f}" for s in r["index"]["rounds_seconds"]) + ", raw "
              + " ".join(f"{s:.2f}" for s in r["raw_whoosh"]["rounds_seconds"]))
        print(f"  search    p50 {r['search']['p50_ms']:.1f} ms  p95 {r['search']['p95_ms']:.1f} ms"
              f" (target p95 <= 100 ms)  peak {r['search']['peak_mb']} MB")
        print(f"  verify    {r['verify']['mb_per_s']:8.0f} MB/s  vs hashlib "
              f"{r['hashlib']['mb_per_s']:8.0f} MB/s = {r['verify_vs_hashlib']:.0%} "
              f"(target >= 70%)  peak {r['verify']['peak_mb']} MB")
        for run in r["with_latency"]:
            print(f"  capture with {run['latency_ms']:g} ms per answer: "
                  f"{run['capture']['items_per_s']:.0f} items/s vs plain fetch "
                  f"{run['plain_fetch']['items_per_s']:.0f} = {run['capture_vs_plain']:.0%}")
        print(f"  peak memory of any phase: {peak} MB (target < 500 MB)")
    out = ROOT / "bench" / "results" / "pipeline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
