"""Snippets: the part of an item's text that best shows why it matched, with the matches.

Works on the catalog's text (the index stores none) with the same analyzer the index uses, so
a highlighted word is one the query really matched: ``plowing`` for ``plow``, ``Café`` for
``cafe``, each word of a phrase. Highlights are character spans into the snippet; nothing is
marked up, so captured text can never be mistaken for markup by whoever renders it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from civicrecords.search import analysis
from civicrecords.search.query_nodes import And, Node, Not, Or, Phrase, Term, Wildcard

TEXT_FIELDS = ("text", "title", "words")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    """A stretch of text (whitespace collapsed) and the spans in it that matched."""

    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"text": self.text, "highlights": [list(h) for h in self.highlights]}


@dataclass
class _Wanted:
    stems: set[str] = field(default_factory=set)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    patterns: list[re.Pattern[str]] = field(default_factory=list)


def _collect(node: Node, wanted: _Wanted) -> None:
    if isinstance(node, Not):
        return
    if isinstance(node, And | Or):
        for child in node.children:
            _collect(child, wanted)
    elif isinstance(node, Term) and node.field in TEXT_FIELDS:
        wanted.stems.add(node.value)
    elif isinstance(node, Phrase) and node.field in TEXT_FIELDS:
        if node.slop:
            wanted.stems.update(node.values)
        else:
            wanted.phrases.append(node.values)
    elif isinstance(node, Wildcard) and node.field in TEXT_FIELDS:
        wanted.patterns.append(re.compile(fnmatch.translate(node.pattern)))


def _matches(tokens: list[analysis.Token], wanted: _Wanted) -> list[int]:
    hit: set[int] = set()
    for index, token in enumerate(tokens):
        if token.stem in wanted.stems or any(p.match(token.word) for p in wanted.patterns):
            hit.add(index)
    stems = [t.stem for t in tokens]
    for phrase in wanted.phrases:
        size = len(phrase)
        for start in range(len(stems) - size + 1):
            if tuple(stems[start:start + size]) == phrase:
                hit.update(range(start, start + size))
    return sorted(hit)


def snippet(text: str, query: Node, width: int = 200) -> Snippet:
    """The ``width``-character stretch of ``text`` holding the most matches of ``query``
    (the start of the text when nothing in it matched, e.g. a match on title or author)."""
    flat = " ".join(text.split())
    wanted = _Wanted()
    _collect(query, wanted)
    tokens = analysis.tokens_with_offsets(flat)
    hits = _matches(tokens, wanted)
    if not hits:
        return _cut(flat, 0, width, [])
    best_start, best_count = hits[0], 0
    right = 0
    for left, index in enumerate(hits):
        while right < len(hits) and tokens[hits[right]].end - tokens[index].start <= width:
            right += 1
        if right - left > best_count:
            best_start, best_count = index, right - left
    lead = max(0, min(tokens[best_start].start - width // 6, len(flat) - width))
    if lead:
        space = flat.find(" ", lead)
        lead = space + 1 if 0 <= space < tokens[best_start].start else tokens[best_start].start
    spans = [(tokens[i].start, tokens[i].end) for i in hits]
    return _cut(flat, lead, width, spans)


def _cut(flat: str, start: int, width: int, spans: list[tuple[int, int]]) -> Snippet:
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return Snippet(prefix + flat[start:end] + suffix, kept)
