"""One search backend for the whole server, shared by all its requests.

A backend keeps per-searcher caches that make every query after the first fast, so the
server opens the archive's backend once and reuses it. When the index on disk changes (a
capture indexed new items, a reindex) the next search reopens it, so results are never
older than the index. Searches take turns: backends do not promise to be thread-safe, and
their pure-Python work would not run in parallel anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from civicrecords.archive import Archive
from civicrecords.search.backend import SearchBackend
from civicrecords.search.service import open_backend


class SharedBackend:
    """The archive's search backend, opened once and reopened when the index changes."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.directory = archive.index_dir / archive.config.search.backend
        self._lock = threading.Lock()
        self._backend: SearchBackend | None = None
        self._stamp: tuple[int, int] | None = None

    def _index_stamp(self) -> tuple[int, int] | None:
        """Changes whenever a commit adds, replaces or removes index files."""
        try:
            info = self.directory.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_ino

    @contextmanager
    def use(self) -> Iterator[SearchBackend]:
        """The backend, current with the index on disk, for this caller alone until the
        block ends."""
        with self._lock:
            stamp = self._index_stamp()
            if self._backend is None or stamp != self._stamp:
                self._close()
                self._backend = open_backend(self.archive.root, self.archive.config)
                self._stamp = stamp
            yield self._backend

    def _close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def close(self) -> None:
        """Release the index (at server shutdown)."""
        with self._lock:
            self._close()
