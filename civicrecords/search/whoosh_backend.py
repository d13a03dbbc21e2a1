"""The default search backend: a Whoosh index under ``<archive>/index/whoosh``.

Fields hold the terms ``fields.index_fields`` derives (already folded and stemmed), split on
spaces; queries arrive as ``query_plan`` trees. Only the words that rank are run as Whoosh
queries (``whoosh_query``); scope, filters, exclusions and dates (coarse ``created_y/m/d``
terms, never DateRange: ~100 ms a query at 100,000 documents) are cached document sets of
the open reader (``whoosh_reader``). The index holds pickles: it is only ever opened from
our own archive directory (and deleted, not opened, when its version marker does not match)
and never shipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.index import LockError

from civicrecords.errors import ArchiveLockedError
from civicrecords.search.backend import Hit, IndexDocument, SearchPage, SearchQuery
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
from civicrecords.search.query_nodes import And, Not
from civicrecords.search.query_parser import QueryLimits
from civicrecords.search.query_plan import compile_search, has_words
from civicrecords.search.whoosh_query import ranking, translate
from civicrecords.search.whoosh_reader import WhooshReader

_SORTABLE = set(FACETS.values())


def _schema() -> Schema:
    spaces = SpaceSeparatedTokenizer()
    fields: dict[str, Any] = {
        "item_id": ID, "item_num": COLUMN(NumericColumn("q")),
        "version_num": COLUMN(NumericColumn("q")), SORT_FIELD: COLUMN(NumericColumn("q")),
        "text": TEXT(analyzer=spaces, phrase=True), "title": TEXT(analyzer=spaces, phrase=True),
        "words": TEXT(analyzer=spaces, phrase=False),
        "author": TEXT(analyzer=spaces, phrase=True), "url": TEXT(analyzer=spaces, phrase=True),
        "tag": KEYWORD, "scope": KEYWORD,
    }
    for name in (*KEYWORD_FIELDS, *DATE_FIELDS):
        fields[name] = ID(sortable=name in _SORTABLE)
    schema = Schema(**fields)
    for name in schema.names():
        # Whoosh looks up a length column for every posting at commit and stats the disk
        # each time a field has none; every indexed field keeping lengths avoids that.
        if schema[name].indexed:
            schema[name].scorable = True
    return schema


def to_fields(doc: IndexDocument) -> dict[str, Any]:
    """A document as Whoosh field values."""
    values = index_fields(doc)
    fields: dict[str, Any] = {
        "item_id": str(values.item_id), "item_num": values.item_id,
        "version_num": values.version_id,
        "text": values.text, "title": values.title, "words": values.words,
        "author": values.author, "url": values.url, "tag": " ".join(values.tags),
        "scope": " ".join(values.scopes), SORT_FIELD: values.sort_key,
        **values.keywords, **values.dates,
    }
    return {k: v for k, v in fields.items() if v != ""}


class WhooshBackend:
    """``SearchBackend`` on Whoosh (see module docstring)."""

    name = "whoosh"

    def __init__(self, directory: Path, *, memory_mb: int = 96,
                 limits: QueryLimits | None = None) -> None:
        self.directory = directory
        self.memory_mb = memory_mb
        self.limits = limits or QueryLimits()
        self._index: Any = None
        self._reader: WhooshReader | None = None

    def _open(self) -> Any:
        if self._index is None:
            ensure_current(self.directory, self.name)
            if whoosh_index.exists_in(str(self.directory)):
                self._index = whoosh_index.open_dir(str(self.directory))
            else:
                self._index = whoosh_index.create_in(str(self.directory), _schema())
        return self._index

    def _read(self) -> WhooshReader:
        if self._reader is None:
            self._reader = WhooshReader(self._open().searcher())
        return self._reader

    def _forget_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

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
        self._forget_reader()
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
        self._forget_reader()
        if self._index is not None:
            self._index.close()
            self._index = None

    def search(self, query: SearchQuery) -> SearchPage:
        """See ``SearchBackend.search``. Parts of the query that only select (scope,
        filters, exclusions, and everything when results go by date) are evaluated as cached
        document sets; Whoosh scores only the words that rank."""
        plan = compile_search(query, self.limits)
        parts = list(plan.node.children) if isinstance(plan.node, And) else [plan.node]
        ranked = [] if plan.by_date else [
            i for i, part in enumerate(parts) if not isinstance(part, Not) and has_words(part)]
        reader = self._read()
        allowed = reader.intersection([p for i, p in enumerate(parts) if i not in ranked])
        wanted = max(query.offset + query.limit, 1)
        matched = allowed
        if not ranked:
            total = len(allowed)
            docnums = reader.by_date(allowed, wanted, plan.newest_first)[query.offset:]
            scores = [0.0] * len(docnums)
        else:
            words = [parts[i] for i in ranked]
            tree = words[0] if len(words) == 1 else And(tuple(words))
            # matches are counted as sets: Whoosh's own count is wrong whenever its
            # collector drops a sub-query that can no longer reach the page
            matched = allowed.intersection(reader.docset(tree))
            total = len(matched)
            page = []
            if matched:  # (Whoosh ignores an empty filter instead of matching nothing)
                results = reader.searcher.search(translate(ranking(tree)), limit=wanted,
                                                 filter=matched)
                page = list(results.items())[query.offset:wanted]
            docnums, scores = [d for d, _ in page], [float(s or 0.0) for _, s in page]
        hits = [Hit(item, version, score)
                for (item, version), score in zip(reader.ids(docnums), scores, strict=True)]
        facets: dict[str, dict[str, int]] = {}
        if query.facets:
            counts = reader.facet_counts(matched, FACETS)
            facets = {name: {facet_label(name, k): v for k, v in values.items()}
                      for name, values in counts.items()}
        return SearchPage(hits=hits, total=total, facets=order_facets(facets))
