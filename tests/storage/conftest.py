"""Fixtures for storage tests: one real SeaweedFS S3 server per session, archives wired to it."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.environment import Environment
from tests.conftest import SleepRecorder
from tests.support.sample_archive import TOKENS
from tests.support.seaweed import SeaweedServer, start_seaweed


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        yield server
    finally:
        server.stop()


def storage_env(server: SeaweedServer, config_dir: Path, **extra: str) -> Environment:
    """An environment whose AWS chain reaches ``server`` and whose keys are in
    ``config_dir``."""
    return Environment(variables={"PATH": "/usr/bin:/bin", **TOKENS, **server.variables,
                                  **extra},
                       stdout=io.StringIO(), stderr=io.StringIO(), sleep=SleepRecorder(),
                       config_dir=config_dir, operator="test-clerk")


def storage_table(bucket: str, **options: object) -> str:
    """A ``[storage]`` table for ``bucket`` on the test server (path-style addressing)."""
    lines = ["[storage]", 'kind = "s3"', f'bucket = "{bucket}"', 'prefix = "lakeside"',
             'addressing_style = "path"']
    for key, value in options.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower() \
            if isinstance(value, bool) else str(value)
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def with_storage(source: Archive, target: Path, env: Environment, bucket: str,
                 **options: object) -> Archive:
    """A copy of archive ``source`` at ``target`` configured to store in ``bucket``."""
    shutil.copytree(source.root, target)
    config = target / "civicrecords.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n"
                      + storage_table(bucket, **options), encoding="utf-8")
    return Archive.open(target, env)


@pytest.fixture
def stored_archive(tmp_path: Path, captured: dict, seaweed: SeaweedServer) -> Archive:
    """A copy of the captured sample archive configured for a fresh Object Lock bucket."""
    env = storage_env(seaweed, captured["config_dir"])
    return with_storage(captured["archive"], tmp_path / "archive", env, seaweed.new_bucket())
