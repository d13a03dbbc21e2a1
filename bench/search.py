"""Search benchmark: indexing rate, query latency, index size and peak memory per backend.

Documents are synthetic but have exactly the shape ``search.indexer`` produces (one
``IndexDocument`` per item version: texts, authors, hashtags and URLs drawn from the sample
city's own vocabulary in ``archiver.sample.content``; ~70% comments, 15% posts, 10% media,
5% direct messages; 5% of items edited, so they carry an older version too; 4% removed;
dates spread over 2024-2026). Building a real catalog of 1,000,000 items through captures
would measure capture, not search.

Each phase runs in its own process (``--phase``), so the peak memory (``ru_maxrss``) it
reports is its own:

- index: ``backend.add`` in batches of ``indexer.BATCH`` documents, as ``index_pending``
  does; only the ``add`` calls are timed (document generation is not);
- search: the first query right after opening the index (``first_query_ms``: what a
  one-off CLI search pays), then ``backend.search`` (parse, plan, translate, run, fetch
  ids) over a fixed set of queries (words, phrases, proximity, AND/OR/NOT, wildcards,
  fields, date ranges, filters, sorts), each run once to warm up and then ``--repeat``
  times; p50/p95 over all runs; facet counting (``--facets``) is reported separately.

Usage: ``python bench/search.py [--sizes 100000 1000000] [--backends whoosh tantivy]``.
Prints a table and writes ``bench/results/search.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCOUNTS = ("bench-city", "bench-mayor", "bench-parks", "bench-police")
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("snow", {}), ('"snow emergency"', {}), ("plowing", {}), ("oak AND street", {}),
    ("park OR library", {}), ("water NOT main", {}), ("council*", {}),
    ("author:lakeside", {}), ("kind:comment", {}), ("tag:snowemergency", {}),
    ("*", {"kinds": ("post",)}), ("meeting", {"since": "2026-03-01", "until": "2026-03-31"}),
    ("street", {"accounts": ("bench-city",)}), ("*", {"statuses": ("removed",)}),
    ("election", {"kinds": ("comment",)}), ("*", {"edited": True}), ('"library hours"', {}),
    ("budget", {"since": "2026-06-01"}), ("snow created:[2026-01-01 TO 2026-01-31]", {}),
    ('"oak street"~3', {}), ("(snow OR ice) AND kind:post", {}), ("*arking", {}),
    ('author:"karen olson"', {}), ("thank", {"sort": "newest"}), ("*", {"sort": "oldest"}),
    ("plow* -snow", {}), ("status:edited detour", {}), ("url:oak", {}),
]
FACET_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("*", {}), ("snow", {}), ("kind:comment", {}), ("meeting OR council", {})]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def _backend(name: str, directory: Path) -> Any:
    from civicrecords.search.tantivy_backend import TantivyBackend
    from civicrecords.search.whoosh_backend import WhooshBackend

    return (TantivyBackend if name == "tantivy" else WhooshBackend)(directory / name)


def documents(count: int, seed: int = 7) -> Iterator[Any]:
    """``count`` items as index documents (edited items add an older version)."""
    from civicrecords.archiver.sample import content
    from civicrecords.search.backend import IndexDocument

    rng = random.Random(seed)
    residents = []
    for _ in range(4000):
        first, last = content.resident_identity(rng)
        residents.append((content.username_for(rng, first, last), f"{first} {last}"))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    version = 0
    for item in range(1, count + 1):
        created = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        topic = content.pick_topic(rng, created.month)
        roll = rng.random()
        account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
        tags: tuple[str, ...] = ()
        classification = "public"
        if roll < 0.15:
            kind, author, name = "post", "lakeside", "City of Lakeside, MN"
            text = content.city_post_text(rng, topic, created.month, mayor=False)
            tags = tuple(t.lower() for t in topic.tags)
        elif roll < 0.25:
            kind, author, name = "media", "lakeside", "City of Lakeside, MN"
            text = f"Photo: {content.fill(rng, rng.choice(topic.posts))[:80]}"
        elif roll < 0.30:
            kind, (author, name) = "message", residents[rng.randrange(len(residents))]
            text = content.message_text(rng, rng.randrange(3), from_city=False)
            classification = "private"
        else:
            kind, (author, name) = "comment", residents[rng.randrange(len(residents))]
            text = content.comment_text(rng, topic, nested=rng.random() < 0.3)
        status = "removed" if rng.random() < 0.04 else "live"
        edited = rng.random() < 0.05
        thread = str(10**17 + item // 8)
        url = f"https://social.example/@{author}/{10**17 + item}"
        if edited:
            version += 1
            yield IndexDocument(item, version, False, text, "", author, name, account,
                                "mastodon", kind, "edited", classification, True, tags, url,
                                created, thread)
            text = content.edited_text(rng, text, 1)
            status = "edited" if status == "live" else status
        version += 1
        yield IndexDocument(item, version, True, text, "", author, name, account, "mastodon",
                            kind, status, classification, edited, tags, url, created, thread)


def phase_index(backend_name: str, directory: Path, count: int) -> dict[str, Any]:
    from civicrecords.search.indexer import BATCH

    backend = _backend(backend_name, directory)
    added = 0
    seconds = 0.0
    batch: list[Any] = []
    source = documents(count)
    while True:
        batch.clear()
        for doc in source:
            batch.append(doc)
            if len(batch) >= BATCH:
                break
        if not batch:
            break
        began = time.perf_counter()
        added += backend.add(batch)
        seconds += time.perf_counter() - began
    backend.close()
    return {"items": count, "documents": added, "seconds": round(seconds, 1),
            "items_per_s": round(count / seconds), "index_mb": round(
                _size_mb(directory / backend_name), 1)}


def _query(text: str, options: dict[str, Any], *, facets: bool = False) -> Any:
    from civicrecords.search.backend import SearchQuery

    values = dict(options)
    for key in ("since", "until"):
        if key in values:
            values[key] = date.fromisoformat(values[key])
    return SearchQuery(text=text, limit=20, facets=facets, **values)


def _latencies(backend: Any, queries: list[tuple[str, dict[str, Any]]], repeat: int,
               facets: bool) -> tuple[list[float], dict[str, float], dict[str, int]]:
    samples: list[float] = []
    worst: dict[str, float] = {}
    totals: dict[str, int] = {}
    for text, options in queries:
        query = _query(text, options, facets=facets)
        totals[f"{text} {options or ''}".strip()] = backend.search(query).total  # warm-up
        for _ in range(repeat):
            began = time.perf_counter()
            backend.search(query)
            elapsed = (time.perf_counter() - began) * 1000
            samples.append(elapsed)
            key = f"{text} {options or ''}".strip()
            worst[key] = max(worst.get(key, 0.0), elapsed)
    return samples, worst, totals


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def phase_search(backend_name: str, directory: Path, repeat: int) -> dict[str, Any]:
    backend = _backend(backend_name, directory)
    began = time.perf_counter()
    backend.search(_query(*QUERIES[0]))
    cold = (time.perf_counter() - began) * 1000
    samples, worst, totals = _latencies(backend, QUERIES, repeat, facets=False)
    facet_samples, _, _ = _latencies(backend, FACET_QUERIES, repeat, facets=True)
    backend.close()
    slowest = sorted(worst.items(), key=lambda kv: -kv[1])[:3]
    return {"queries": len(QUERIES), "runs": len(samples), "first_query_ms": round(cold, 1),
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(_percentile(samples, 0.95), 2),
            "max_ms": round(max(samples), 2),
            "facets_p50_ms": round(statistics.median(facet_samples), 2),
            "facets_p95_ms": round(_percentile(facet_samples, 0.95), 2),
            "slowest": {k: round(v, 1) for k, v in slowest},
            "matches": totals}


def _child(*args: str) -> dict[str, Any]:
    completed = subprocess.run([sys.executable, __file__, *args], check=True,
                               capture_output=True, text=True)
    return json.loads(completed.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["whoosh", "tantivy"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--phase", choices=["index", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "index":
        result = phase_index(args.backend, args.directory, args.count)
    elif args.phase == "search":
        result = phase_search(args.backend, args.directory, args.repeat)
    if args.phase:
        result["peak_mb"] = round(_peak_mb(), 1)
        print(json.dumps(result))
        return
    results: list[dict[str, Any]] = []
    for size in args.sizes:
        for name in args.backends:
            work = Path(tempfile.mkdtemp(dir=args.workdir))
            try:
                indexed = _child("--phase", "index", "--backend", name, "--directory",
                                 str(work), "--count", str(size))
                searched = _child("--phase", "search", "--backend", name, "--directory",
                                  str(work), "--repeat", str(args.repeat))
            finally:
                shutil.rmtree(work)
            results.append({"items": size, "backend": name, "index": indexed,
                            "search": searched})
            print(f"{size:>9,} {name:8} index {indexed['items_per_s']:>7,} items/s "
                  f"({indexed['seconds']} s, {indexed['index_mb']} MB, peak "
                  f"{indexed['peak_mb']} MB) | search p50 {searched['p50_ms']} ms p95 "
                  f"{searched['p95_ms']} ms, facets p95 {searched['facets_p95_ms']} ms, peak "
                  f"{searched['peak_mb']} MB", flush=True)
    out = ROOT / "bench" / "results" / "search.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
