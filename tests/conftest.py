"""Shared fixtures: an injectable environment, fresh archives, the sample platform."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.environment import Environment


class SleepRecorder:
    """Stands in for ``time.sleep``: records each requested wait instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_env(tmp: Path, **variables: str) -> Environment:
    """An environment whose config dir, output and sleep belong to the test."""
    return Environment(variables={"PATH": "/usr/bin:/bin", **variables},
                       stdout=io.StringIO(), stderr=io.StringIO(), sleep=SleepRecorder(),
                       config_dir=tmp / "userconfig", operator="test-clerk")


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    return make_env(tmp_path)


@pytest.fixture
def archive(tmp_path: Path, env: Environment) -> Archive:
    return Archive.create(tmp_path / "archive", env, name="City of Testville")


@pytest.fixture
def copy_tree(tmp_path: Path) -> Iterator:
    def copy(source: Path, name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(source, target)
        return target
    yield copy


@pytest.fixture(scope="session")
def captured(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A sample archive captured twice (initial, then later state), indexed; read-only.

    Copy ``captured['archive'].root`` before changing anything in it.
    """
    from civicrecords.archiver.job import run_capture
    from civicrecords.archiver.sample.server import SamplePlatform
    from civicrecords.catalog import Catalog
    from civicrecords.demo import DEMO_TOKEN
    from civicrecords.search.indexer import index_pending
    from civicrecords.search.service import open_backend
    from tests.support.sample_archive import sample_archive, sample_env

    tmp = tmp_path_factory.mktemp("captured")
    env = sample_env(tmp)
    with SamplePlatform(posts=80, token=DEMO_TOKEN) as platform:
        archive = sample_archive(tmp, platform, env)
        for state in ("initial", "later"):
            platform.set_state(state)
            run_capture(archive, full=True)
        world = platform.world
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        index_pending(catalog, backend)
        backend.close()
    return {"archive": archive, "env": env, "world": world, "config_dir": env.config_dir}
