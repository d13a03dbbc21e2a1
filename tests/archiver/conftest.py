from __future__ import annotations

from collections.abc import Iterator

import pytest

from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.demo import DEMO_TOKEN


@pytest.fixture
def platform() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=60, token=DEMO_TOKEN) as server:
        yield server
