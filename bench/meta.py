"""Facebook / Instagram benchmark: full captures through the Graph API, and ``listen``
latency from a signed change notification to the archived item.

The bundled sample platform serves the city's Page and Instagram account (POSTS posts);
one full capture of both is timed. Then a ``Listener`` runs on loopback: NOTIFY comment
notifications are delivered one at a time (each waited for until its comment is in the
catalog: POST sent -> signed job committed), then BURST at once (all archived, batched into
as few jobs as the worker needs).

Usage: ``python bench/meta.py [--posts 300] [--notify 30] [--burst 50]``; writes
``bench/results/meta.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civicrecords.archive import Archive  # noqa: E402
from civicrecords.archiver.job import run_capture  # noqa: E402
from civicrecords.archiver.listen import Listener  # noqa: E402
from civicrecords.archiver.sample.instagram import ig_user_id  # noqa: E402
from civicrecords.archiver.sample.meta import APP_SECRET  # noqa: E402
from civicrecords.archiver.sample.meta_webhooks import (  # noqa: E402
    deliver_webhook,
    page_comment_change,
)
from civicrecords.archiver.sample.server import SamplePlatform  # noqa: E402
from civicrecords.catalog import Catalog  # noqa: E402
from civicrecords.environment import Environment  # noqa: E402
from civicrecords.errors import NotFoundError  # noqa: E402

TOKEN = "bench-token-meta"


def _archive(tmp: Path, platform: SamplePlatform, name: str) -> Archive:
    world = platform.world
    env = Environment(variables={"FB_TOKEN": TOKEN, "META_APP_SECRET": APP_SECRET},
                      config_dir=tmp / "keys", operator="bench")
    config = (f'[[accounts]]\nname = "city-facebook"\nplatform = "facebook"\n'
              f'api_base = "{platform.base_url}/v21.0"\naccount_id = "{world.city.id}"\n'
              f'token_env = "FB_TOKEN"\n\n[[accounts]]\nname = "city-instagram"\n'
              f'platform = "instagram"\napi_base = "{platform.base_url}/instagram/v21.0"\n'
              f'account_id = "{ig_user_id(world.city)}"\ntoken_env = "FB_TOKEN"\n')
    return Archive.create(tmp / name, env, name="Bench", extra_config=config)


def _visible(archive: Archive, ref: str) -> bool:
    with Catalog(archive.catalog_path) as catalog:
        try:
            catalog.find(ref)
        except NotFoundError:
            return False
        return True


def _wait(archive: Archive, refs: list[str], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    pending = list(refs)
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"not archived within {seconds} s: {pending[:3]}")
        pending = [r for r in pending if not _visible(archive, r)]
        if pending:
            time.sleep(0.005)


def run(posts: int, notify: int, burst: int) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    with tempfile.TemporaryDirectory() as tmpdir, \
            SamplePlatform(posts=posts, token=TOKEN) as platform:
        tmp = Path(tmpdir)
        archive = _archive(tmp, platform, "captured")
        started = time.perf_counter()
        result = run_capture(archive, full=True)
        capture_seconds = time.perf_counter() - started
        items = sum(a.counts["items"] for a in result.accounts)
        requests = sum(a.counts["requests"] for a in result.accounts)
        world = platform.world
        comments = [(post, c) for post in world.posts(world.city)
                    if post.visibility == "public" for c in world.comments_of(post)]
        assert len(comments) >= notify + burst, "not enough comments; raise --posts"
        archive = _archive(tmp, platform, "listened")  # nothing archived yet
        latencies: list[float] = []
        with Listener.from_archive(archive, log=lambda line: None).start(port=0) as listener:
            for post, comment in comments[:notify]:
                sent = time.perf_counter()
                status, _ = deliver_webhook(listener.url, page_comment_change(world, comment),
                                            APP_SECRET)
                assert status == 200
                _wait(archive, [f"facebook:city-facebook:{post.id}_{comment.id}"])
                latencies.append(time.perf_counter() - sent)
            jobs_before = len(listener.jobs)
            sent = time.perf_counter()
            for _post, comment in comments[notify:notify + burst]:
                deliver_webhook(listener.url, page_comment_change(world, comment), APP_SECRET)
            _wait(archive, [f"facebook:city-facebook:{p.id}_{c.id}"
                            for p, c in comments[notify:notify + burst]])
            burst_seconds = time.perf_counter() - sent
            burst_jobs = len(listener.jobs) - jobs_before
    ordered = sorted(latencies)
    return {
        "posts": posts,
        "full_capture": {"seconds": round(capture_seconds, 2), "items": items,
                         "requests": requests,
                         "items_per_second": round(items / capture_seconds, 1)},
        "listen_latency_ms": {"n": len(ordered),
                              "p50": round(statistics.median(ordered) * 1000, 1),
                              "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
                              "max": round(ordered[-1] * 1000, 1)},
        "listen_burst": {"notifications": burst, "seconds": round(burst_seconds, 2),
                         "jobs": burst_jobs},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--notify", type=int, default=30)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    figures = run(args.posts, args.notify, args.burst)
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results" / "meta.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
