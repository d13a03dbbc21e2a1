"""The default search backend: a Whoosh index under ``<archive>/index/whoosh``.

Fields hold the terms ``fields.index_fields`` derives (already folded and stemmed), split on
spaces; queries arrive as ``query_plan`` trees and are translated node by node. Dates filter
through coarse ``created_y/m/d`` terms, never DateRange (~100 ms a query at 100,000
documents). The index holds pickles: it is only ever opened from our own archive directory
(and deleted, not opened, when its version marker does not match) and never shipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.index import LockError

from civicrecords.errors import ArchiveLockedError
from civicrecords.search.backend import Hit, IndexDocument, SearchPage, SearchQuery
from civicrecords.search.dates import date_terms
from civicrecords.search.fields import (
    DATE_FIELDS,
    FACETS,
    KEYWORD_FIELDS,
    SORT_FIELD,
    ensure_current,
    facet_label,
    index_fields,
    order_facets,
)
from civicrecords.search.query_nodes import (
    And,
    DateSpan,
    Every,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
)
from civicrecords.search.query_parser import QueryLimits
from civicrecords.search.query_plan import compile_search

_SORTABLE = set(FACETS.values())


def _schema() -> Schema:
    spaces = SpaceSeparatedTokenizer()
    fields: dict[str, Any] = {
        "item_id": ID(stored=True), "version_id": ID(stored=True),
        "text": TEXT(analyzer=spaces, phrase=True), "title": TEXT(analyzer=spaces, phrase=True),
        "words": TEXT(analyzer=spaces, phrase=False),
        "author": TEXT(analyzer=spaces, phrase=True), "url": TEXT(analyzer=spaces, phrase=True),
        "tag": KEYWORD(scorable=True), "scope": KEYWORD,
        SORT_FIELD: NUMERIC(bits=64, signed=True, sortable=True),
    }
    for name in (*KEYWORD_FIELDS, *DATE_FIELDS):
        fields[name] = ID(sortable=name in _SORTABLE)
    return Schema(**fields)


def to_fields(doc: IndexDocument) -> dict[str, Any]:
    """A document as Whoosh field values."""
    values = index_fields(doc)
    fields: dict[str, Any] = {
        "item_id": str(values.item_id), "version_id": str(values.version_id),
        "text": values.text, "title": values.title, "words": values.words,
        "author": values.author, "url": values.url, "tag": " ".join(values.tags),
        "scope": " ".join(values.scopes), SORT_FIELD: values.sort_key,
        **values.keywords, **values.dates,
    }
    return {k: v for k, v in fields.items() if v != ""}


def translate(node: Node) -> Any:
    """The Whoosh query for a normalized tree (see ``query_nodes``)."""
    if isinstance(node, Term):
        return wq.Term(node.field, node.value)
    if isinstance(node, Phrase):
        if not node.slop:
            return wq.Phrase(node.field, list(node.values), slop=1)
        forward = wq.Phrase(node.field, list(node.values), slop=node.slop + 1)
        if node.slop < 2:
            return forward
        backward = wq.Phrase(node.field, list(reversed(node.values)), slop=node.slop - 1)
        return wq.Or([forward, backward])
    if isinstance(node, Wildcard):
        if node.pattern.endswith("*") and not any(c in node.pattern[:-1] for c in "*?"):
            return wq.Prefix(node.field, node.pattern[:-1])
        return wq.Wildcard(node.field, node.pattern)
    if isinstance(node, DateSpan):
        return wq.Or([wq.Term(f, v) for f, v in date_terms(node.since, node.until)])
    if isinstance(node, And):
        return wq.And([translate(c) for c in node.children])
    if isinstance(node, Or):
        return wq.Or([translate(c) for c in node.children])
    if isinstance(node, Not):
        return wq.Not(translate(node.child))
    assert isinstance(node, Every)
    return wq.Every()


class WhooshBackend:
    """``SearchBackend`` on Whoosh (see module docstring)."""

    name = "whoosh"

    def __init__(self, directory: Path, *, memory_mb: int = 96,
                 limits: QueryLimits | None = None) -> None:
        self.directory = directory
        self.memory_mb = memory_mb
        self.limits = limits or QueryLimits()
        self._index: Any = None

    def _open(self) -> Any:
        if self._index is None:
            ensure_current(self.directory, self.name)
            if whoosh_index.exists_in(str(self.directory)):
                self._index = whoosh_index.open_dir(str(self.directory))
            else:
                self._index = whoosh_index.create_in(str(self.directory), _schema())
        return self._index

    def add(self, documents: Iterable[IndexDocument], *, replace_items: Iterable[int] = ()
            ) -> int:
        """See ``SearchBackend.add``."""
        index = self._open()
        try:
            writer = index.writer(limitmb=self.memory_mb, timeout=60.0)
        except LockError:
            raise ArchiveLockedError(f"search index {self.directory} is being updated by "
                                     "another process; try again when it finishes") from None
        count = 0
        try:
            for item_id in replace_items:
                writer.delete_by_term("item_id", str(item_id))
            for doc in documents:
                writer.add_document(**to_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def count(self) -> int:
        """See ``SearchBackend.count``."""
        return int(self._open().doc_count())

    def clear(self) -> None:
        """See ``SearchBackend.clear``."""
        self.close()
        if self.directory.exists():
            shutil.rmtree(self.directory)

    def close(self) -> None:
        """See ``SearchBackend.close``."""
        if self._index is not None:
            self._index.close()
            self._index = None

    def search(self, query: SearchQuery) -> SearchPage:
        """See ``SearchBackend.search``."""
        plan = compile_search(query, self.limits)
        combined = translate(plan.node)
        wanted = max(query.offset + query.limit, 1)
        kwargs: dict[str, Any] = {"limit": wanted, "optimize": False}
        if plan.by_date:
            kwargs.update(sortedby=SORT_FIELD, reverse=plan.newest_first)
        if query.facets:
            kwargs.update(groupedby={name: sorting.FieldFacet(field)
                                     for name, field in FACETS.items()},
                          maptype=sorting.Count)
        with self._open().searcher() as searcher:
            results = searcher.search(combined, **kwargs)
            hits = [Hit(int(r["item_id"]), int(r["version_id"]), float(r.score or 0.0))
                    for r in results[query.offset:wanted]]
            facets: dict[str, dict[str, int]] = {}
            if query.facets:
                for name in FACETS:
                    counts = results.groups(name)
                    facets[name] = {facet_label(name, _text(k)): int(v)
                                    for k, v in counts.items() if k not in (None, b"", "")}
            return SearchPage(hits=hits, total=len(results), facets=order_facets(facets))


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)

