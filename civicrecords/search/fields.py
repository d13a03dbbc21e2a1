"""What each index field holds, derived once from an ``IndexDocument`` for every backend.

Text fields hold space-separated, already analyzed terms (see ``analysis``); backends index
them with a plain whitespace tokenizer, so both backends store identical terms. Exact-match
fields hold folded keywords. ``scope`` folds the two filters every search applies (latest
version? public?) into one term, so a default search costs one term lookup, not two.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from civicrecords.atomicfile import atomic_write
from civicrecords.search import analysis
from civicrecords.search.backend import IndexDocument, SearchQuery

KEYWORD_FIELDS = ("account", "platform", "kind", "status", "classification", "thread", "edited")
TEXT_FIELDS = ("text", "title", "words", "author", "url")
DATE_FIELDS = ("created_y", "created_m", "created_d")
# facet name -> field it counts
FACETS = {"account": "account", "platform": "platform", "kind": "kind", "month": "created_m",
          "status": "status"}
SORT_FIELD = "sort_key"
_SORT_SCALE = 1_000_000_000  # version ids below a billion keep sort keys unique


def scope_terms(latest: bool, public: bool) -> list[str]:
    """The ``scope`` terms of a document."""
    terms = ["all"]
    if latest:
        terms.append("latest")
    if public:
        terms.append("public")
    if latest and public:
        terms.append("latest-public")
    return terms


def scope_for(query: SearchQuery) -> str:
    """The one ``scope`` term a query needs."""
    if query.all_versions:
        return "public" if query.public_only else "all"
    return "latest-public" if query.public_only else "latest"


def facet_label(facet: str, value: str) -> str:
    """How a facet value is shown (months as ``YYYY-MM``)."""
    if facet == "month" and len(value) == 6:
        return f"{value[:4]}-{value[4:]}"
    return value


def order_facets(facets: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Facet values by count (highest first, then by value); months in calendar order."""
    out: dict[str, dict[str, int]] = {}
    for name, counts in facets.items():
        if name == "month":
            out[name] = dict(sorted(counts.items()))
        else:
            out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


@dataclass(frozen=True)
class IndexedFields:
    """One document's field values, ready for any backend."""

    item_id: int
    version_id: int
    text: str
    title: str
    words: str
    author: str
    url: str
    keywords: dict[str, str]
    tags: tuple[str, ...]
    scopes: tuple[str, ...]
    dates: dict[str, str]
    sort_key: int


_SCOPES = {(latest, public): tuple(scope_terms(latest, public))
           for latest in (False, True) for public in (False, True)}


def index_fields(doc: IndexDocument) -> IndexedFields:
    """The field values of ``doc`` (pure; the same document gives the same values)."""
    keyword = analysis.keyword
    text_words = analysis.words(doc.text)
    title_words = analysis.words(doc.title) if doc.title else []
    dates: dict[str, str] = {}
    seconds = 0
    if doc.created is not None:
        day = doc.created.date().isoformat()
        dates = {"created_y": day[:4], "created_m": day[:4] + day[5:7],
                 "created_d": day[:4] + day[5:7] + day[8:10]}
        seconds = max(0, int(doc.created.timestamp()))
    keywords = {
        "account": keyword(doc.account), "platform": keyword(doc.platform),
        "kind": keyword(doc.kind), "status": keyword(doc.status),
        "classification": keyword(doc.classification), "thread": keyword(doc.thread),
        "edited": "1" if doc.edited else "0",
    }
    return IndexedFields(
        item_id=doc.item_id, version_id=doc.version_id,
        text=" ".join(analysis.stemmed(text_words)),
        title=" ".join(analysis.stemmed(title_words)),
        words=" ".join(dict.fromkeys(text_words + title_words)),
        author=" ".join(analysis.name_terms(doc.author, doc.author_name)),
        url=" ".join(analysis.url_terms(doc.url)),
        keywords={k: v for k, v in keywords.items() if v},
        tags=tuple(dict.fromkeys(t for t in map(keyword, doc.tags) if t and " " not in t)),
        scopes=_SCOPES[(doc.latest, doc.classification == "public")],
        dates=dates,
        sort_key=seconds * _SORT_SCALE + doc.version_id % _SORT_SCALE,
    )


SCHEMA_VERSION = 2


def ensure_current(directory: Path, backend: str) -> None:
    """Make ``directory`` hold an index of this ``SCHEMA_VERSION`` or nothing: an index
    written by another version (or of unknown origin) is deleted, never opened, since it is
    derived data and the indexer refills an empty index (``indexer.index_pending``)."""
    marker = directory.with_name(directory.name + ".json")
    expected = {"backend": backend, "schema": SCHEMA_VERSION}
    try:
        current = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current != expected:
        if directory.exists():
            shutil.rmtree(directory)
        atomic_write(marker, json.dumps(expected).encode())
    directory.mkdir(parents=True, exist_ok=True)
