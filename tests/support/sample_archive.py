"""Archives wired to a running sample platform, for tests."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.demo import DEMO_TOKEN, MAYOR_TOKEN_ENV, TOKEN_ENV, account_config
from civicrecords.environment import Environment
from tests.conftest import make_env

TOKENS = {TOKEN_ENV: DEMO_TOKEN, MAYOR_TOKEN_ENV: f"{DEMO_TOKEN}-mayor"}


def sample_env(tmp: Path) -> Environment:
    """An environment holding the sample platform's tokens."""
    return make_env(tmp, **TOKENS)


def sample_archive(tmp: Path, platform: SamplePlatform, env: Environment,
                   name: str = "archive") -> Archive:
    """A new archive configured with the sample platform's two Mastodon accounts."""
    return Archive.create(tmp / name, env, name="City of Lakeside, Minnesota",
                          extra_config=account_config(platform.base_url))


def every_byte(root: Path) -> bytes:
    """All bytes of every file under ``root``, gzip members decompressed as well."""
    chunks: list[bytes] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        chunks.append(data)
        if path.name.endswith(".gz"):
            with contextlib.suppress(OSError, zlib.error, EOFError):
                chunks.append(gzip.decompress(data))
    return b"\n".join(chunks)
