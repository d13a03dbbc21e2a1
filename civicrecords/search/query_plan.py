"""One tree for a whole search: the user's text, the filters and the scope rule.

Both backends call ``compile_search`` and translate its result node by node, so a filter or
the public-only rule can never be applied by one backend and forgotten by the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicrecords.search.backend import SearchQuery
from civicrecords.search.fields import scope_for
from civicrecords.search.query_nodes import (
    And,
    DateSpan,
    Every,
    Node,
    Or,
    Phrase,
    Term,
    Wildcard,
    normalize,
    terms_for,
)
from civicrecords.search.query_parser import QueryLimits, parse_query

RANKED_FIELDS = ("text", "title", "words")


@dataclass(frozen=True)
class Plan:
    """What a backend runs: the tree, and whether hits are ordered by date (newest or
    oldest first) instead of by relevance."""

    node: Node
    by_date: bool
    newest_first: bool


def compile_search(query: SearchQuery, limits: QueryLimits) -> Plan:
    """The plan for ``query`` (``QueryError`` when its text is unusable). A query with no
    words of the text to rank by (``*``, ``author:x``, ``kind:comment``, ``NOT snow``) lists
    newest first even when relevance is asked for."""
    parsed = parse_query(query.text, limits).node
    parts: list[Node] = [parsed, Term("scope", scope_for(query))]
    for field, values in (("account", query.accounts), ("platform", query.platforms),
                          ("kind", query.kinds), ("status", query.statuses)):
        node = terms_for(field, values)
        if node is not None:
            parts.append(node)
    if query.edited is not None:
        parts.append(Term("edited", "1" if query.edited else "0"))
    if query.since or query.until:
        parts.append(DateSpan(query.since, query.until))
    node = normalize(And(tuple(p for p in parts if not isinstance(p, Every))))
    by_date = query.sort != "relevance" or not has_words(parsed)
    return Plan(node=node, by_date=by_date, newest_first=query.sort != "oldest")


def has_words(node: Node) -> bool:
    """True when ``node`` looks for words of the text or title (not only for fields, dates
    or exclusions): only then is there a relevance to rank by."""
    if isinstance(node, Term | Phrase | Wildcard):
        return node.field in RANKED_FIELDS
    if isinstance(node, And | Or):
        return any(has_words(child) for child in node.children)
    return False
