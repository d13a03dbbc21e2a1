"""Both backends on a corpus big enough for their shortcuts to matter: counts stay exact,
pages follow each other, facets add up, updates replace what they should."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from civicrecords.errors import ArchiveLockedError
from civicrecords.search.backend import IndexDocument, SearchBackend, SearchQuery
from civicrecords.search.tantivy_backend import TantivyBackend
from civicrecords.search.whoosh_backend import WhooshBackend

VOCABULARY = [f"v{i}" for i in range(300)]
SIZE = 4000


def _corpus() -> list[IndexDocument]:
    """Documents of very different lengths, so a few are far more relevant than the rest
    (what makes Whoosh's collector drop sub-queries that cannot reach the first page)."""
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    docs = []
    for item in range(1, SIZE + 1):
        words = [rng.choice(VOCABULARY) for _ in range(rng.choice((3, 8, 30, 60)))]
        if rng.random() < 0.1:
            words += ["park"] * rng.randint(1, 3)
        if rng.random() < 0.1:
            words.append("library")
        if rng.random() < 0.05:
            words += ["snow", "emergency"]
        rng.shuffle(words)
        docs.append(IndexDocument(
            item_id=item, version_id=item, latest=True, text=" ".join(words), title="",
            author=f"resident{item % 37}", author_name="", account=f"acct{item % 3}",
            platform="mastodon", kind=("post", "comment", "media")[item % 3],
            status="removed" if item % 11 == 0 else "live",
            classification="private" if item % 13 == 0 else "public", edited=False, tags=(),
            url="", created=start + timedelta(minutes=7 * item), thread=str(item)))
    return docs


@pytest.fixture(scope="module")
def corpus() -> list[IndexDocument]:
    return _corpus()


@pytest.fixture(scope="module", params=["whoosh", "tantivy"])
def backend(request: pytest.FixtureRequest, corpus: list[IndexDocument],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    directory = tmp_path_factory.mktemp(request.param)
    cls = TantivyBackend if request.param == "tantivy" else WhooshBackend
    index: SearchBackend = cls(directory / request.param)
    for start in range(0, SIZE, 1000):  # several segments, as repeated captures make
        index.add(corpus[start:start + 1000])
    yield index
    index.close()


def _words(doc: IndexDocument) -> list[str]:
    return doc.text.split()


CASES = [
    ("park OR library", lambda w: "park" in w or "library" in w),
    ("park library", lambda w: "park" in w and "library" in w),
    ("park NOT library", lambda w: "park" in w and "library" not in w),
    ("v1* OR snow", lambda w: any(x.startswith("v1") for x in w) or "snow" in w),
    ('"snow emergency" OR park', lambda w: "park" in w or any(
        a == "snow" and b == "emergency" for a, b in pairwise(w))),
    ("NOT park", lambda w: "park" not in w),
]


@pytest.mark.parametrize(("text", "rule"), CASES, ids=[c[0] for c in CASES])
def test_totals_are_exact_for_any_page_size(backend: SearchBackend,
                                            corpus: list[IndexDocument], text: str,
                                            rule: object) -> None:
    expected = {d.item_id for d in corpus if d.classification == "public" and rule(_words(d))}
    assert len(expected) > 30
    for limit in (1, 10):
        assert backend.search(SearchQuery(text=text, limit=limit)).total == len(expected)
    everything = backend.search(SearchQuery(text=text, limit=SIZE))
    assert {hit.item_id for hit in everything.hits} == expected


def test_relevance_pages_follow_each_other(backend: SearchBackend) -> None:
    query = SearchQuery(text="park OR library", limit=15)
    first15 = [h.item_id for h in backend.search(query).hits]
    pages = [[h.item_id for h in backend.search(SearchQuery(
        text="park OR library", limit=5, offset=5 * n)).hits] for n in range(3)]
    assert [i for page in pages for i in page] == first15
    scores = [h.score for h in backend.search(query).hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_facets_and_filters_agree_with_the_documents(backend: SearchBackend,
                                                     corpus: list[IndexDocument]) -> None:
    public = [d for d in corpus if d.classification == "public" and "park" in _words(d)]
    page = backend.search(SearchQuery(text="park", facets=True, limit=1))
    assert page.facets["account"] == dict(Counter(d.account for d in public))
    assert page.facets["kind"] == dict(Counter(d.kind for d in public))
    assert page.facets["status"] == dict(Counter(d.status for d in public))
    months = Counter(f"{d.created:%Y-%m}" for d in public)
    assert page.facets["month"] == dict(sorted(months.items()))
    filtered = backend.search(SearchQuery(text="park", accounts=("acct1",), kinds=("post",),
                                          statuses=("removed",), limit=SIZE))
    assert {h.item_id for h in filtered.hits} == {
        d.item_id for d in public
        if d.account == "acct1" and d.kind == "post" and d.status == "removed"}


def test_replacing_an_item_removes_its_old_documents(corpus: list[IndexDocument],
                                                     tmp_path: Path) -> None:
    for cls in (WhooshBackend, TantivyBackend):
        index = cls(tmp_path / cls.__name__)
        index.add(corpus[:200])
        before = index.search(SearchQuery(text="*", limit=1)).total
        old = corpus[10]
        changed = IndexDocument(**{**old.__dict__, "text": "completely new words",
                                   "version_id": 99_999})
        index.add([changed], replace_items=[old.item_id])
        assert index.count() == 200
        assert index.search(SearchQuery(text="*", limit=1)).total == before
        assert [h.version_id for h in index.search(SearchQuery(text='"completely new"')).hits
                ] == [99_999]
        index.clear()
        assert index.count() == 0


def test_a_tantivy_index_busy_in_another_process_is_reported(tmp_path: Path,
                                                             corpus: list[IndexDocument]
                                                             ) -> None:
    directory = tmp_path / "tantivy"
    index = TantivyBackend(directory)
    index.add(corpus[:10])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, tantivy\n"
         "writer = tantivy.Index.open(sys.argv[1]).writer()\n"
         "print('holding', flush=True)\ntime.sleep(60)\n", str(directory)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(ArchiveLockedError, match="being updated by another process"):
            index.add(corpus[10:20])
    finally:
        holder.kill()
        holder.wait()
    assert index.add(corpus[10:20]) == 10 and index.count() == 20
