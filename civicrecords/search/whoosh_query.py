"""Query trees (``query_nodes``) as Whoosh queries, node by node."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from civicrecords.search.dates import date_terms
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


def ranking(node: Node) -> Node:
    """A cheaper tree for scoring documents already known to match ``node``: phrases become
    their words (positions need not be checked again; the words' BM25F still ranks)."""
    if isinstance(node, Phrase):
        terms = tuple(Term(node.field, v) for v in dict.fromkeys(node.values))
        return terms[0] if len(terms) == 1 else And(terms)
    if isinstance(node, And):
        return And(tuple(ranking(c) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(ranking(c) for c in node.children))
    return node
