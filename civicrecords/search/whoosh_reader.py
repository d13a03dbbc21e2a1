"""A Whoosh searcher plus what it is worth computing once and reusing for every query.

Whoosh is pure Python, so anything done per matching document per query is expensive at
100,000 documents. This keeps, for one open searcher: the document sets of exact-match terms
(the ``scope`` term every search filters by, kinds, accounts, date terms...), the sort keys
as a compact array and, when a large result must be ordered by date, all documents in date
order; facet columns as small integer codes. Filters, date-ordered results and facet counts
are then set and array operations instead of Whoosh matchers and collectors calling Python
per document.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq

from civicrecords.search.dates import date_terms
from civicrecords.search.fields import SORT_FIELD
from civicrecords.search.query_nodes import And, DateSpan, Every, Node, Not, Or, Term
from civicrecords.search.whoosh_query import translate

WALK_SHARE = 8  # results larger than 1/8 of the index are ordered by walking the date order
CACHE_DOCS = 3_000_000  # document numbers kept in cached term sets (~150 MB at most)


class WhooshReader:
    """Cached views of one Whoosh searcher (valid until the index changes)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self._terms: dict[tuple[str, str], set[int]] = {}
        self._cached = 0
        self._keys: array[int] | None = None
        self._order: list[int] | None = None
        self._codes: dict[str, tuple[array[int], list[str]]] = {}
        self._empty = self.reader.doc_count_all() == 0  # an empty index has no columns

    def close(self) -> None:
        """Release the searcher."""
        self.searcher.close()

    def docset(self, node: Node) -> set[int]:
        """Documents matching ``node``; term and date lookups are cached for the life of
        this reader (callers must not change the sets they get)."""
        if isinstance(node, Term):
            key = (node.field, node.value)
            found = self._terms.get(key)
            if found is None:
                found = set(self.searcher.docs_for_query(wq.Term(node.field, node.value)))
                self._remember(key, found)
            return found
        if isinstance(node, Every):
            return self.docset(Term("scope", "all"))
        if isinstance(node, DateSpan):
            return self.union([Term(f, v) for f, v in date_terms(node.since, node.until)])
        if isinstance(node, Or):
            return self.union(list(node.children))
        if isinstance(node, And):
            return self.intersection(list(node.children))
        return set(self.searcher.docs_for_query(translate(node)))

    def _remember(self, key: tuple[str, str], docs: set[int]) -> None:
        """Cache a term's documents, forgetting the oldest terms beyond ``CACHE_DOCS``."""
        self._terms[key] = docs
        self._cached += len(docs)
        while self._cached > CACHE_DOCS and len(self._terms) > 1:
            oldest = next(iter(self._terms))
            self._cached -= len(self._terms.pop(oldest))

    def union(self, nodes: list[Node]) -> set[int]:
        """Documents matching any of ``nodes``."""
        sets = [self.docset(n) for n in nodes]
        return set().union(*sets) if len(sets) != 1 else sets[0]

    def intersection(self, nodes: list[Node]) -> set[int]:
        """Documents matching every positive node and no ``Not`` node (there is always a
        positive one: the scope)."""
        positive = sorted((self.docset(n) for n in nodes if not isinstance(n, Not)), key=len)
        found = positive[0].intersection(*positive[1:]) if len(positive) > 1 else positive[0]
        for node in nodes:
            if isinstance(node, Not):
                found = found - self.docset(node.child)
        return found

    def sort_keys(self) -> array[int]:
        """Every document's sort key, by document number."""
        if self._keys is None:
            self._keys = array("q", () if self._empty
                               else self.reader.column_reader(SORT_FIELD))
        return self._keys

    def by_date(self, docs: set[int], count: int, newest: bool) -> list[int]:
        """The first ``count`` of ``docs`` in date order (newest or oldest first)."""
        keys = self.sort_keys()
        if len(docs) * WALK_SHARE < len(keys):
            return sorted(docs, key=keys.__getitem__, reverse=newest)[:count]
        if self._order is None:
            self._order = sorted(range(len(keys)), key=keys.__getitem__)
        walk = reversed(self._order) if newest else iter(self._order)
        out: list[int] = []
        for docnum in walk:
            if docnum in docs:
                out.append(docnum)
                if len(out) == count:
                    break
        return out

    def _column_codes(self, field: str) -> tuple[array[int], list[str]]:
        found = self._codes.get(field)
        if found is None:
            values: dict[str, int] = {}
            column = () if self._empty else self.reader.column_reader(field)
            codes = array("I", (values.setdefault(_text(v), len(values)) for v in column))
            found = (codes, list(values))
            self._codes[field] = found
        return found

    def facet_counts(self, docs: Iterable[int], facets: dict[str, str]
                     ) -> dict[str, dict[str, int]]:
        """For each facet name -> column field, how many of ``docs`` hold each value
        (documents without a value are not counted)."""
        docs = list(docs)
        out: dict[str, dict[str, int]] = {}
        for name, field in facets.items():
            codes, labels = self._column_codes(field)
            counts = Counter(codes[d] for d in docs)
            out[name] = {labels[code]: n for code, n in counts.items() if labels[code]}
        return out

    def ids(self, docnums: list[int]) -> list[tuple[int, int]]:
        """(item id, version id) of each document."""
        if not docnums:
            return []
        items = self.reader.column_reader("item_num")
        versions = self.reader.column_reader("version_num")
        return [(int(items[d]), int(versions[d])) for d in docnums]


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")
