"""X and YouTube capture benchmark on the bundled sample platform.

For each size the sample platform runs in its own process (one core serves, one captures);
each capture runs in a fresh child process whose peak memory is read from its own
``VmHWM`` (``ru_maxrss`` would include the parent's). Per platform: a full capture of the
initial state, then a full capture of the later state (edits and removals found), then an
incremental capture. Figures: items and requests, seconds, items per second, peak memory.

Usage: ``python bench/x_youtube.py [--posts 1000 5000]``. Prints a table and writes
``bench/results/x_youtube.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-2c7e9a41"
ACCOUNTS = {
    "x": ('[[accounts]]\nname = "bench-x"\nplatform = "x"\napi_base = "{base}"\n'
          'handle = "lakeside"\ntoken_env = "BENCH_TOKEN"\naccess_tier = "pro"\n'),
    "youtube": ('[[accounts]]\nname = "bench-youtube"\nplatform = "youtube"\n'
                'api_base = "{base}"\nhandle = "@lakeside"\ntoken_env = "BENCH_TOKEN"\n'),
}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _capture(root: str, keys: str, full: bool, queue: multiprocessing.Queue) -> None:
    from civicrecords.archive import Archive
    from civicrecords.archiver.job import run_capture
    from civicrecords.environment import Environment

    env = Environment(variables={"BENCH_TOKEN": TOKEN}, config_dir=Path(keys),
                      operator="bench")
    started = time.perf_counter()
    result = run_capture(Archive.open(Path(root), env), full=full)
    seconds = time.perf_counter() - started
    account = result.accounts[0]
    queue.put({"seconds": round(seconds, 2), "items": account.counts["items"],
               "requests": account.counts["requests"], "new": account.counts["new"],
               "edited": account.counts["edited"], "removed": account.counts["removed"],
               "gaps": len(result.gaps), "items_per_s": round(account.counts["items"] /
                                                              seconds, 1),
               "peak_mb": round(_peak_mb(), 1)})


def _in_child(root: Path, keys: Path, full: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_capture, args=(str(root), str(keys), full, queue))
    process.start()
    result = queue.get(timeout=1800)
    process.join()
    return result


def _set_state(base: str, state: str) -> None:
    request = urllib.request.Request(f"{base}/_sample/state", method="POST",
                                     data=json.dumps({"state": state}).encode())
    urllib.request.urlopen(request).read()


def run(posts: int, workdir: Path) -> dict[str, Any]:
    """Capture both platforms at one size; return the figures."""
    from civicrecords.archive import Archive
    from civicrecords.environment import Environment

    server = subprocess.Popen([sys.executable, "-m", "civicrecords.archiver.sample",
                               "--posts", str(posts), "--token", TOKEN],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        figures: dict[str, Any] = {}
        for platform, config in ACCOUNTS.items():
            _set_state(base, "initial")
            keys = workdir / f"{platform}-{posts}-keys"
            env = Environment(variables={}, config_dir=keys, operator="bench")
            archive = Archive.create(workdir / f"{platform}-{posts}", env, name="Bench City",
                                     extra_config=config.format(base=base))
            first = _in_child(archive.root, keys, True)
            _set_state(base, "later")
            later = _in_child(archive.root, keys, True)
            incremental = _in_child(archive.root, keys, False)
            figures[platform] = {"full": first, "full_later": later,
                                 "incremental": incremental}
        return figures
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    """Run every size, print a table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    results: dict[str, Any] = {"machine_cores": multiprocessing.cpu_count(), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-x-youtube-") as tmp:
        for posts in args.posts:
            results["sizes"][str(posts)] = run(posts, Path(tmp))
    print(f"{'posts':>6} {'platform':>8} {'capture':>12} {'items':>7} {'requests':>8} "
          f"{'seconds':>8} {'items/s':>8} {'peak MB':>8}")
    for posts, platforms in results["sizes"].items():
        for platform, runs in platforms.items():
            for name, figures in runs.items():
                print(f"{posts:>6} {platform:>8} {name:>12} {figures['items']:>7} "
                      f"{figures['requests']:>8} {figures['seconds']:>8} "
                      f"{figures['items_per_s']:>8} {figures['peak_mb']:>8}")
    out = ROOT / "bench" / "results" / "x_youtube.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
