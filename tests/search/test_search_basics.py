"""Search over the captured sample city: filters, status, scope, removed content."""

from __future__ import annotations

from datetime import date

import pytest

from civicrecords.catalog import Catalog
from civicrecords.errors import QueryError
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend, search


def _run(captured: dict, **kwargs: object) -> list[dict]:
    archive = captured["archive"]
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            results = search(catalog, backend, SearchQuery(**kwargs), archive.audit)
            return [row.to_dict() for row in results.rows]
    finally:
        backend.close()


def test_star_matches_every_public_latest_item(captured: dict) -> None:
    rows = _run(captured, text="*", limit=100_000)
    with Catalog(captured["archive"].catalog_path) as catalog:
        public = catalog.execute(
            "SELECT count(*) FROM items WHERE classification='public'").fetchone()[0]
    assert len(rows) == public
    assert {r["kind"] for r in rows} == {"post", "comment", "media"}  # messages are private


def test_words_are_stemmed_and_filters_narrow(captured: dict) -> None:
    plows = _run(captured, text="plowing", limit=1000)
    assert plows and all("plow" in r["text"].lower() for r in plows)
    posts = _run(captured, text="*", kinds=("post",), accounts=("lakeside-mayor",), limit=1000)
    assert posts and {(r["kind"], r["account"]) for r in posts} == {("post", "lakeside-mayor")}
    january = _run(captured, text="*", since=date(2026, 1, 1), until=date(2026, 1, 31),
                   limit=1000)
    assert january and all(r["created_at"].startswith("2026-01") for r in january)


def test_removed_items_stay_searchable_and_edited_filter_works(captured: dict) -> None:
    world = captured["world"]
    removed = _run(captured, text="*", statuses=("removed",), limit=1000)
    removed_ids = {r["item_id"] for r in removed}
    public_removals = {pid for pid in world.changes().removed_comment_ids
                       if world.item(pid, "initial").visibility in ("public", "unlisted")}
    assert public_removals and public_removals <= removed_ids
    sample = next(r for r in removed if r["kind"] == "comment")
    words = " ".join(sample["text"].split()[:4])
    found = _run(captured, text=f'"{words}"', limit=50)
    assert sample["item_id"] in {r["item_id"] for r in found}
    edited = _run(captured, text="*", edited=True, limit=1000)
    assert edited and all(r["versions"] > 1 for r in edited)


def test_not_public_items_need_all_data_and_are_audited(captured: dict) -> None:
    archive = captured["archive"]
    assert not _run(captured, text="*", kinds=("message",), limit=100)
    before = len(list(archive.audit.entries()))
    messages = _run(captured, text="*", kinds=("message",), public_only=False, limit=1000)
    assert messages and all(r["classification"] == "private" for r in messages)
    entries = list(archive.audit.entries())
    assert len(entries) == before + 1 and entries[-1]["action"] == "search.all_data"
    assert entries[-1]["actor"] == "test-clerk"


def test_overlong_query_is_refused(captured: dict) -> None:
    with pytest.raises(QueryError, match="limit"):
        _run(captured, text="snow " * 400)
