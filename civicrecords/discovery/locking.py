"""Exclusive locks on clerk work files (holds, matter counters) shared by several processes.

The archive's write lock (``Archive.lock``) belongs to captures and rebuilds; a clerk adding a
hold or exporting a production must not wait for a capture, nor let two exports of one matter
take the same Bates numbers. These locks are ``flock`` locks on small files beside the data.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from civicrecords.errors import RefusedError


@contextlib.contextmanager
def exclusive(path: Path, *, wait: bool, busy: str = "") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if absent) for the block. With
    ``wait=False`` a lock held elsewhere raises ``RefusedError(busy)`` at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            raise RefusedError(busy or f"{path.name} is locked by another process") from None
        yield
    finally:
        os.close(fd)
