"""What the tests need from outside Python (installed by ``scripts/system-deps``)."""

from __future__ import annotations

import os

import pytest

SKIP_VARIABLE = "CIVICRECORDS_SKIP_SYSTEM_DEPS"


def system_dependency_missing(what: str) -> None:
    """Fail the test naming what is missing, or skip it where ``SKIP_VARIABLE`` says the
    machine cannot install system packages."""
    if os.environ.get(SKIP_VARIABLE):
        pytest.skip(f"{what}; skipped because {SKIP_VARIABLE} is set")
    pytest.fail(f"{what}: run scripts/system-deps (or set {SKIP_VARIABLE}=1 where no system "
                "packages can be installed)")
