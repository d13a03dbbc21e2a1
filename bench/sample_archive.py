"""A sample-city archive for benchmarks: captured twice from the bundled sample platform
and indexed, built once under a cache directory and reused by later runs."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.environment import Environment


def environment(cache: Path) -> Environment:
    """The environment benchmark archives are built and opened with."""
    from civicrecords.demo import DEMO_TOKEN, MAYOR_TOKEN_ENV, TOKEN_ENV

    return Environment(variables={"PATH": os.environ.get("PATH", ""), TOKEN_ENV: DEMO_TOKEN,
                                  MAYOR_TOKEN_ENV: f"{DEMO_TOKEN}-mayor"},
                       config_dir=cache / "userconfig", operator="bench-clerk")


def build_archive(cache: Path, posts: int) -> Path:
    """Capture the sample platform twice into ``cache/archive`` (once; reused after)."""
    root = cache / "archive"
    if (root / "catalog.sqlite").exists():
        return root
    from civicrecords.archiver.job import run_capture
    from civicrecords.archiver.sample.server import SamplePlatform
    from civicrecords.catalog import Catalog
    from civicrecords.demo import DEMO_TOKEN, account_config
    from civicrecords.search.service import update_index

    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    env = environment(cache)
    started = time.monotonic()
    with SamplePlatform(posts=posts, token=DEMO_TOKEN) as sample:
        archive = Archive.create(root, env, name="City of Lakeside, Minnesota",
                                 extra_config=account_config(sample.base_url))
        for state in ("initial", "later"):
            sample.set_state(state)
            run_capture(archive, full=True)
    with Catalog(archive.catalog_path) as catalog:
        update_index(archive.root, archive.config, catalog)
        count = catalog.count_items()
    print(f"built archive: {count} items from {posts} posts in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    return root
