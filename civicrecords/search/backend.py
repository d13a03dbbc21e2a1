"""The search seam: what any backend indexes, what it is asked, and what it answers.

A backend stores ``IndexDocument``s (one per item version) and answers a ``SearchQuery``
with item/version ids; everything users see (text, status, links) comes from the catalog, so
backends stay small and interchangeable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from civicrecords.search.query_parser import QueryLimits

SortOrder = Literal["relevance", "newest", "oldest"]


@dataclass(frozen=True)
class IndexDocument:
    """One item version as the index sees it."""

    item_id: int
    version_id: int
    latest: bool
    text: str
    title: str
    author: str
    author_name: str
    account: str
    platform: str
    kind: str
    status: str
    classification: str
    edited: bool
    tags: tuple[str, ...]
    url: str
    created: datetime | None
    thread: str


@dataclass(frozen=True)
class SearchQuery:
    """A query plus filters. ``text`` uses the query language (``*`` matches everything)."""

    text: str = "*"
    accounts: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    edited: bool | None = None
    since: date | None = None
    until: date | None = None
    public_only: bool = True
    all_versions: bool = False
    sort: SortOrder = "relevance"
    limit: int = 20
    offset: int = 0
    facets: bool = False


@dataclass(frozen=True)
class Hit:
    """One matching document."""

    item_id: int
    version_id: int
    score: float


@dataclass
class SearchPage:
    """One page of results, the total number of matches, and facet counts if asked."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchBackend(Protocol):
    """A full-text index of item versions. Backends translate the query tree of
    ``query_plan.compile_search`` (never their own query parser) so they all find the same
    documents; ``limits`` is what one query may cost."""

    name: str
    limits: QueryLimits

    def add(self, documents: Iterable[IndexDocument], *, replace_items: Iterable[int] = ()
            ) -> int:
        """Delete every document of ``replace_items``, add ``documents``, commit; return the
        number added. Atomic: readers see all of it or none of it."""
        ...

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a query; ``QueryError`` (one line, pointing at the problem) when malformed."""
        ...

    def count(self) -> int:
        """Number of documents in the index."""
        ...

    def clear(self) -> None:
        """Remove the whole index (``rebuild`` starts from nothing)."""
        ...

    def close(self) -> None:
        """Release files and locks."""
        ...
