"""The optional tantivy backend for large archives (``pip install 'civicrecords[tantivy]'``,
``[search] backend = "tantivy"``), under ``<archive>/index/tantivy``.

Same fields and same terms as the Whoosh backend (``fields.index_fields``, indexed with
tantivy's plain whitespace tokenizer), and the same query trees (``query_plan``) translated
node by node into tantivy queries instead of going through tantivy's own query parser, which
has no ``*``/``?`` wildcards and treats phrases differently. So both backends find the same
documents; only relevance scores differ (BM25 vs Whoosh's BM25F).
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from civicrecords.errors import ArchiveLockedError, ConfigError
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

try:
    import tantivy
except ImportError:  # pragma: no cover - depends on the installation
    tantivy = None

_POSITIONAL = ("text", "title", "author", "url")
_FAST = set(FACETS.values())
_REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$#&~-])")


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("item_id", indexed=True, fast=True)
    builder.add_unsigned_field("version_id", fast=True)
    for name in _POSITIONAL:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="basic")
    for name in ("tag", "scope", *KEYWORD_FIELDS, *DATE_FIELDS):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic",
                               fast=name in _FAST)
    builder.add_integer_field(SORT_FIELD, fast=True)
    return builder.build()


def wildcard_regex(pattern: str) -> str:
    """A glob (``*``, ``?``) as the full-term regular expression tantivy matches."""
    escaped = _REGEX_SPECIAL.sub(r"\\\1", pattern)
    return escaped.replace(r"\*", ".*").replace(r"\?", ".")


class TantivyBackend:
    """``SearchBackend`` on tantivy (see module docstring)."""

    name = "tantivy"

    def __init__(self, directory: Path, *, memory_mb: int = 96,
                 limits: QueryLimits | None = None) -> None:
        if tantivy is None:
            raise ConfigError("[search] backend = \"tantivy\" needs the tantivy package: "
                              "pip install 'civicrecords[tantivy]'")
        self.directory = directory
        self.memory_mb = memory_mb
        self.limits = limits or QueryLimits()
        self._index: Any = None
        self._schema: Any = None

    def _open(self) -> Any:
        if self._index is None:
            ensure_current(self.directory, self.name)
            self._schema = _schema()
            self._index = tantivy.Index(self._schema, path=str(self.directory), reuse=True)
        return self._index

    # ----- writing -------------------------------------------------------------------------
    def add(self, documents: Iterable[IndexDocument], *, replace_items: Iterable[int] = ()
            ) -> int:
        """See ``SearchBackend.add``."""
        index = self._open()
        heap = max(self.memory_mb, 32) * 1_000_000
        try:
            writer = index.writer(heap_size=heap, num_threads=0)
        except ValueError as exc:
            if "lock" in str(exc).lower():
                raise ArchiveLockedError(f"search index {self.directory} is being updated by "
                                         "another process; try again when it finishes"
                                         ) from None
            raise
        count = 0
        try:
            replaced = [int(item_id) for item_id in replace_items]
            if replaced:  # (delete_documents_by_term does not match unsigned fields)
                writer.delete_documents_by_query(
                    tantivy.Query.term_set_query(self._schema, "item_id", replaced))
            for doc in documents:
                writer.add_document(self._document(doc))
                count += 1
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        writer.wait_merging_threads()
        index.reload()
        return count

    def _document(self, doc: IndexDocument) -> Any:
        values = index_fields(doc)
        data: dict[str, Any] = {"item_id": values.item_id, "version_id": values.version_id,
                                SORT_FIELD: values.sort_key, "scope": list(values.scopes),
                                **values.keywords, **values.dates}
        if values.tags:
            data["tag"] = list(values.tags)
        for name in ("text", "title", "words", "author", "url"):
            text = getattr(values, name)
            if text:
                data[name] = text
        return tantivy.Document.from_dict(data, self._schema)

    def count(self) -> int:
        """See ``SearchBackend.count``."""
        return int(self._open().searcher().num_docs)

    def clear(self) -> None:
        """See ``SearchBackend.clear``."""
        self.close()
        if self.directory.exists():
            shutil.rmtree(self.directory)

    def close(self) -> None:
        """See ``SearchBackend.close``."""
        self._index = None

    # ----- searching -----------------------------------------------------------------------
    def translate(self, node: Node) -> Any:
        """The tantivy query for a normalized tree (see ``query_nodes``)."""
        query, schema, occur = tantivy.Query, self._schema, tantivy.Occur
        if isinstance(node, Term):
            option = "position" if node.field in _POSITIONAL else "basic"
            return query.term_query(schema, node.field, node.value, index_option=option)
        if isinstance(node, Phrase):
            return query.phrase_query(schema, node.field, list(node.values), node.slop)
        if isinstance(node, Wildcard):
            return query.regex_query(schema, node.field, wildcard_regex(node.pattern))
        if isinstance(node, DateSpan):
            by_field: dict[str, list[str]] = defaultdict(list)
            for field, value in date_terms(node.since, node.until):
                by_field[field].append(value)
            return query.boolean_query([(occur.Should, query.term_set_query(schema, f, v))
                                        for f, v in by_field.items()])
        if isinstance(node, And):
            return query.boolean_query(
                [(occur.MustNot, self.translate(c.child)) if isinstance(c, Not)
                 else (occur.Must, self.translate(c)) for c in node.children])
        if isinstance(node, Or):
            return query.boolean_query([(occur.Should, self.translate(c))
                                        for c in node.children])
        if isinstance(node, Not):
            return query.boolean_query([(occur.Must, query.all_query()),
                                        (occur.MustNot, self.translate(node.child))])
        assert isinstance(node, Every)
        return query.all_query()

    def search(self, query: SearchQuery) -> SearchPage:
        """See ``SearchBackend.search``."""
        index = self._open()
        plan = compile_search(query, self.limits)
        compiled = self.translate(plan.node)
        searcher = index.searcher()
        kwargs: dict[str, Any] = {"limit": max(query.limit, 1), "count": True,
                                  "offset": query.offset}
        if plan.by_date:
            kwargs.update(order_by_field=SORT_FIELD,
                          order=tantivy.Order.Desc if plan.newest_first else tantivy.Order.Asc)
        result = searcher.search(compiled, **kwargs)
        addresses = [address for _key, address in result.hits]
        item_ids = searcher.fast_field_values("item_id", addresses)
        version_ids = searcher.fast_field_values("version_id", addresses)
        hits = [Hit(int(item), int(version), 0.0 if plan.by_date else float(key))
                for (key, _), item, version in zip(result.hits, item_ids, version_ids,
                                                   strict=True)]
        facets: dict[str, dict[str, int]] = {}
        if query.facets:
            spec = {name: {"terms": {"field": field, "size": 100_000}}
                    for name, field in FACETS.items()}
            answer = searcher.aggregate(compiled, spec)
            for name in FACETS:
                facets[name] = {facet_label(name, str(b["key"])): int(b["doc_count"])
                                for b in answer.get(name, {}).get("buckets", [])}
        return SearchPage(hits=hits, total=int(result.count or 0), facets=order_facets(facets))
