"""The default search backend: a Whoosh index under ``<archive>/index/whoosh``.

English stemming with case and accent folding on ``text``/``title``; exact terms for
account, platform, kind, status, classification; coarse date terms (see ``dates``) instead of
DateRange. The index holds pickles: it is only ever opened from our own archive directory and
never shipped in a bundle.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.qparser import MultifieldParser
from whoosh.support.charset import accent_map

from civicrecords.errors import QueryError
from civicrecords.search.backend import Hit, IndexDocument, SearchPage, SearchQuery
from civicrecords.search.dates import date_terms, day_key, month_key, year_key

MAX_QUERY_LENGTH = 1000
FILTER_FIELDS = {"account": "accounts", "platform": "platforms", "kind": "kinds",
                 "status": "statuses"}


def _schema() -> Schema:
    words = StemmingAnalyzer() | CharsetFilter(accent_map)
    names = RegexTokenizer(r"[\w.@'-]+") | LowercaseFilter() | CharsetFilter(accent_map)
    return Schema(
        doc_id=ID(unique=True, stored=True),
        item_id=ID(stored=True),
        version_id=ID(stored=True),
        latest=ID,
        text=TEXT(analyzer=words),
        title=TEXT(analyzer=words),
        author=TEXT(analyzer=names),
        account=ID,
        platform=ID,
        kind=ID,
        status=ID,
        classification=ID,
        edited=ID,
        tag=KEYWORD(lowercase=True, commas=True),
        url=ID,
        thread=ID,
        created_y=ID,
        created_m=ID,
        created_d=ID,
        created_ts=NUMERIC(bits=64, sortable=True, signed=True),
    )


def to_fields(doc: IndexDocument) -> dict[str, Any]:
    """A document as Whoosh field values."""
    fields: dict[str, Any] = {
        "doc_id": f"{doc.item_id}:{doc.version_id}", "item_id": str(doc.item_id),
        "version_id": str(doc.version_id), "latest": "1" if doc.latest else "0",
        "text": doc.text, "title": doc.title,
        "author": f"{doc.author} {doc.author_name}".strip(), "account": doc.account,
        "platform": doc.platform, "kind": doc.kind, "status": doc.status,
        "classification": doc.classification, "edited": "1" if doc.edited else "0",
        "tag": ",".join(doc.tags), "url": doc.url, "thread": doc.thread,
        "created_ts": int(doc.created.timestamp()) if doc.created else 0,
    }
    if doc.created is not None:
        day = doc.created.date()
        fields.update(created_y=year_key(day), created_m=month_key(day), created_d=day_key(day))
    return fields


class WhooshBackend:
    """``SearchBackend`` on Whoosh (see module docstring)."""

    name = "whoosh"

    def __init__(self, directory: Path, *, memory_mb: int = 96) -> None:
        self.directory = directory
        self.memory_mb = memory_mb
        self._index: Any = None

    def _open(self) -> Any:
        if self._index is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            if whoosh_index.exists_in(str(self.directory)):
                self._index = whoosh_index.open_dir(str(self.directory))
            else:
                self._index = whoosh_index.create_in(str(self.directory), _schema())
        return self._index

    def add(self, documents: Iterable[IndexDocument], *, replace_items: Iterable[int] = ()
            ) -> int:
        """See ``SearchBackend.add``."""
        index = self._open()
        writer = index.writer(limitmb=self.memory_mb, timeout=60.0)
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

    # ----- searching -----------------------------------------------------------------------
    def parse(self, text: str) -> Any:
        """The Whoosh query for the user's text (``QueryError`` when it is unusable)."""
        text = text.strip()
        if len(text) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is {len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
        if text in ("", "*"):
            return wq.Every()
        parser = MultifieldParser(["text", "title"], schema=self._open().schema)
        try:
            return parser.parse(text)
        except Exception as exc:  # Whoosh raises assorted exception types on bad input
            raise QueryError(f"cannot parse query {text!r}: {exc}") from None

    def filters(self, query: SearchQuery) -> list[Any]:
        """Term filters for everything in ``query`` except its text."""
        out: list[Any] = []
        if not query.all_versions:
            out.append(wq.Term("latest", "1"))
        if query.public_only:
            out.append(wq.Term("classification", "public"))
        for field, attribute in FILTER_FIELDS.items():
            values = getattr(query, attribute)
            if values:
                out.append(wq.Or([wq.Term(field, v) for v in values]))
        if query.edited is not None:
            out.append(wq.Term("edited", "1" if query.edited else "0"))
        if query.since or query.until:
            out.append(wq.Or([wq.Term(f, v) for f, v in date_terms(query.since, query.until)]))
        return out

    def search(self, query: SearchQuery) -> SearchPage:
        """See ``SearchBackend.search``."""
        parsed = self.parse(query.text)
        filters = self.filters(query)
        combined = wq.And([parsed, *filters]) if filters else parsed
        wanted = query.offset + query.limit
        with self._open().searcher() as searcher:
            kwargs: dict[str, Any] = {"limit": max(wanted, 1)}
            if query.sort != "relevance" or isinstance(parsed, wq.Every):
                kwargs["sortedby"] = "created_ts"
                kwargs["reverse"] = query.sort != "oldest"
            results = searcher.search(combined, **kwargs)
            hits = [Hit(int(r["item_id"]), int(r["version_id"]), float(r.score or 0.0))
                    for r in results[query.offset:wanted]]
            return SearchPage(hits=hits, total=len(results))
