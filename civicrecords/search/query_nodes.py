"""The parsed form of a search: a small tree every backend translates mechanically.

Terms in the tree are already analyzed (folded, stemmed where the field is stemmed), so a
backend never analyzes anything itself; that is what makes Whoosh and tantivy answer the same.
``compile_search`` turns a whole ``SearchQuery`` (text plus filters plus scope) into one tree;
``describe`` prints a tree the way ``search --explain`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from civicrecords.search.analysis import keyword


@dataclass(frozen=True)
class Term:
    """Documents whose ``field`` holds exactly ``value``."""

    field: str
    value: str


@dataclass(frozen=True)
class Phrase:
    """``values`` in order in ``field``. ``slop`` 0: adjacent. Proximity phrases reach the
    backends only as two-word pairs (see ``normalize``): the words in order at most ``slop``
    words apart, or in reverse order at most ``slop - 2`` apart (Lucene's edit distance)."""

    field: str
    values: tuple[str, ...]
    slop: int = 0


@dataclass(frozen=True)
class Wildcard:
    """Terms of ``field`` matching ``pattern`` (``*`` any run, ``?`` one character)."""

    field: str
    pattern: str


@dataclass(frozen=True)
class DateSpan:
    """Created on a day from ``since`` to ``until`` (inclusive; None is open)."""

    since: date | None
    until: date | None


@dataclass(frozen=True)
class And:
    """Every child matches (``Not`` children exclude)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Excludes what ``child`` matches (only ever inside an ``And`` after ``normalize``)."""

    child: Node


@dataclass(frozen=True)
class Every:
    """Every document."""


Node: TypeAlias = Term | Phrase | Wildcard | DateSpan | And | Or | Not | Every


def normalize(node: Node) -> Node:
    """An equivalent tree the backends can translate one node at a time: nested And/Or
    flattened, every ``Not`` inside an ``And`` that has a positive child (``Every`` added
    when there is none), proximity phrases of three or more words split into pairs."""
    if isinstance(node, Phrase) and node.slop and len(node.values) > 2:
        pairs = tuple(Phrase(node.field, node.values[i:i + 2], node.slop)
                      for i in range(len(node.values) - 1))
        return And(pairs)
    if isinstance(node, Not):
        return And((Every(), Not(normalize(node.child))))
    if isinstance(node, And):
        children: list[Node] = []
        for child in node.children:
            if isinstance(child, Not):
                children.append(Not(normalize(child.child)))
                continue
            child = normalize(child)
            children.extend(child.children if isinstance(child, And) else (child,))
        if all(isinstance(c, Not) for c in children):
            children.insert(0, Every())
        elif len(children) > 1:
            children = [c for c in children if not isinstance(c, Every)]
        return children[0] if len(children) == 1 else And(tuple(children))
    if isinstance(node, Or):
        flat: list[Node] = []
        for child in node.children:
            child = normalize(child)
            flat.extend(child.children if isinstance(child, Or) else (child,))
        if any(isinstance(c, Every) for c in flat):
            return Every()
        return flat[0] if len(flat) == 1 else Or(tuple(flat))
    return node


def describe(node: Node) -> str:
    """The tree in query syntax, fields and analyzed terms spelled out."""
    if isinstance(node, Term):
        return f"{node.field}:{_quote(node.value)}"
    if isinstance(node, Phrase):
        slop = f"~{node.slop}" if node.slop else ""
        return f'{node.field}:"{" ".join(node.values)}"{slop}'
    if isinstance(node, Wildcard):
        return f"{node.field}:{node.pattern}"
    if isinstance(node, DateSpan):
        since = node.since.isoformat() if node.since else "*"
        until = node.until.isoformat() if node.until else "*"
        return f"created:[{since} TO {until}]"
    if isinstance(node, Not):
        return f"NOT {describe(node.child)}"
    if isinstance(node, And | Or):
        word = " AND " if isinstance(node, And) else " OR "
        parts = [describe(c) if not isinstance(c, And | Or) else f"({describe(c)})"
                 for c in node.children]
        return word.join(parts)
    return "*"


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ' ():"') else value


def terms_for(field: str, values: tuple[str, ...]) -> Node | None:
    """Any of ``values`` (folded) in exact-match ``field``; None when ``values`` is empty."""
    if not values:
        return None
    nodes = tuple(Term(field, keyword(v)) for v in values)
    return nodes[0] if len(nodes) == 1 else Or(nodes)
