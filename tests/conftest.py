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
