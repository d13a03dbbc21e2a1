"""Search fixtures: the captured sample archive indexed by both backends, and its ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from civicrecords.catalog import Catalog
from civicrecords.integrity.audit import AuditLog
from civicrecords.search.backend import SearchBackend, SearchQuery
from civicrecords.search.indexer import documents_for
from civicrecords.search.service import SearchResults, search
from civicrecords.search.tantivy_backend import TantivyBackend
from civicrecords.search.whoosh_backend import WhooshBackend
from tests.search.world_truth import Truth, archive_truth

BACKENDS = ("whoosh", "tantivy")


@dataclass
class Golden:
    """The captured archive's catalog, one index per backend, and what the world says."""

    catalog_path: Path
    indexes: dict[str, Path]
    truth: dict[tuple[str, str], Truth]
    audit: AuditLog

    def backend(self, name: str) -> SearchBackend:
        """A fresh handle on the index built with backend ``name``."""
        if name == "tantivy":
            return TantivyBackend(self.indexes[name])
        return WhooshBackend(self.indexes[name])

    def search(self, name: str, query: SearchQuery) -> SearchResults:
        """Run ``query`` through the search service on backend ``name``."""
        backend = self.backend(name)
        try:
            with Catalog(self.catalog_path) as catalog:
                return search(catalog, backend, query, self.audit)
        finally:
            backend.close()


@pytest.fixture(scope="session")
def golden(captured: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    """Both backends' indexes of the captured archive (built from its catalog, which is only
    read), the world's ground truth, and an audit log of its own."""
    root = tmp_path_factory.mktemp("golden")
    archive = captured["archive"]
    indexes = {name: root / name for name in BACKENDS}
    with Catalog(archive.catalog_path) as catalog:
        items = list(catalog.iter_items())
        for name in BACKENDS:
            backend = (TantivyBackend if name == "tantivy" else WhooshBackend)(indexes[name])
            backend.add(documents_for(catalog, items))
            backend.close()
    yield Golden(catalog_path=archive.catalog_path, indexes=indexes,
                 truth=archive_truth(captured["world"]),
                 audit=AuditLog(root / "audit.jsonl", captured["env"]))
