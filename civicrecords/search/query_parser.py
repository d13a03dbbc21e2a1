"""The query language: Whoosh syntax, parsed in one linear pass into ``query_nodes``.

    snow                     the word (stemmed: plows, plowing, plowed all match plow)
    "snow emergency"         a phrase; "oak street"~3 a proximity phrase (Lucene slop)
    snow AND plow, snow plow both words (AND is the default)
    snow OR ice              either
    NOT ice, -ice            without
    ( ... )                  grouping; author:(karen OR dave) applies the field to the group
    plow*, te?t              wildcards on whole words (at least two letters that are not * or ?)
    author: account: platform: kind: status: tag: url: thread: classification: text: title:
    created:2026-01, created:[2026-01-01 TO 2026-01-31], created:{2026-01-01 TO *]

Words are folded (case, accents) and stemmed; common words (the, a, of...) are ignored
unless quoted; wildcards match whole unstemmed words. Results are ranked by relevance when
the query has words of the text or title to rank by, and listed newest first otherwise.

Malformed queries raise ``QueryError`` naming the character where the problem is; queries
over the configured limits (length, terms, nesting, wildcards) are refused before any work,
because cost, not just syntax, is what a query can attack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from civicrecords.errors import QueryError
from civicrecords.search import analysis
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

TEXT_FIELDS = ("text", "title")
KEYWORD_FIELDS = ("account", "platform", "kind", "status", "tag", "thread", "classification")
FIELDS = (*TEXT_FIELDS, "author", "url", *KEYWORD_FIELDS, "created")
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "kind": ("post", "comment", "message", "media", "page"),
    "status": ("live", "edited", "removed"),
    "classification": ("public", "private", "confidential", "nonpublic", "protected_nonpublic"),
}
WILDCARD_FIELD = {"text": "words", "title": "words", None: "words"}

_FIELD_PREFIX = re.compile(r"([A-Za-z_]+):")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_WILDCARD_WORD = re.compile(r"^[\w'*?]+$")
_WILDCARD_VALUE = re.compile(r"^[\w'@.:/#*?-]+$")


MAX_DEPTH = 50  # the parser recurses per level; deeper limits are not accepted


@dataclass(frozen=True)
class QueryLimits:
    """What a single query may cost (from ``[search]`` in the config); ``max_depth`` is
    capped at ``MAX_DEPTH``."""

    max_chars: int = 1000
    max_terms: int = 64
    max_depth: int = 8
    max_wildcards: int = 4
    max_leading_wildcards: int = 1
    wildcard_min_chars: int = 2


@dataclass
class Parsed:
    """A parsed query, with the words it ignored (for ``--explain``)."""

    node: Node
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PHRASE RANGE FIELD LP RP AND OR NOT MINUS PLUS END
    text: str
    position: int
    slop: int = 0


def _error(text: str, position: int, message: str) -> QueryError:
    excerpt = text[position:position + 20].split("\n")[0]
    near = f" near '{excerpt}'" if excerpt.strip() else ""
    return QueryError(f"query error at character {position + 1}{near}: {message}")


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token("LP" if char == "(" else "RP", char, i))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _error(text, i, "this quote is never closed")
            slop_match = re.match(r"~(\d{1,2})", text[end + 1:])
            slop = int(slop_match.group(1)) if slop_match else 0
            tokens.append(_Token("PHRASE", text[i + 1:end], i, slop))
            i = end + 1 + (slop_match.end() if slop_match else 0)
        elif char in "[{":
            end = min((p for p in (text.find("]", i), text.find("}", i)) if p >= 0),
                      default=-1)
            if end < 0:
                raise _error(text, i, f"this '{char}' range is never closed with ']' or '}}'")
            tokens.append(_Token("RANGE", text[i:end + 1], i))
            i = end + 1
        elif char in "-+" and i + 1 < length and not text[i + 1].isspace() \
                and (not tokens or tokens[-1].kind != "FIELD" or tokens[-1].position + len(
                    tokens[-1].text) + 1 != i):
            tokens.append(_Token("MINUS" if char == "-" else "PLUS", char, i))
            i += 1
        else:
            prefix = _FIELD_PREFIX.match(text, i)
            if prefix and not text.startswith("//", prefix.end()):
                name = prefix.group(1)
                if name.lower() not in FIELDS:
                    raise _error(text, i, f"unknown field '{name}' (fields: "
                                 f"{', '.join(FIELDS)}); put the words in quotes to search "
                                 "for them as text")
                tokens.append(_Token("FIELD", name.lower(), i))
                i = prefix.end()
                if i >= length or text[i].isspace() or text[i] == ")":
                    raise _error(text, prefix.start(), f"'{name}:' needs a value right after "
                                 "the colon")
                continue
            start = i
            while i < length and not text[i].isspace() and text[i] not in '()"':
                i += 1
            word = text[start:i]
            kind = word if word in ("AND", "OR", "NOT") else "WORD"
            tokens.append(_Token(kind, word, start))
    tokens.append(_Token("END", "", length))
    return tokens


class _Parser:
    def __init__(self, text: str, limits: QueryLimits) -> None:
        self.text = text
        self.limits = limits
        self.tokens = _lex(text)
        self.index = 0
        self.depth = 0
        self.terms = 0
        self.wildcards = 0
        self.leading = 0
        self.ignored: list[str] = []

    # ----- token stream --------------------------------------------------------------------
    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token, message: str) -> QueryError:
        return _error(self.text, token.position, message)

    def descend(self, token: _Token) -> None:
        self.depth += 1
        limit = min(self.limits.max_depth, MAX_DEPTH)
        if self.depth > limit:
            raise self.fail(token, f"nested more than {limit} levels deep; simplify the query")

    # ----- grammar -------------------------------------------------------------------------
    def parse(self) -> Node | None:
        node = self.parse_or(None)
        token = self.peek()
        if token.kind == "RP":
            raise self.fail(token, "this ')' has no matching '('")
        if token.kind != "END":
            raise self.fail(token, "unexpected text")
        return node

    def parse_or(self, field: str | None) -> Node | None:
        first = self.peek()
        if first.kind in ("OR", "AND"):
            raise self.fail(first, f"'{first.text}' needs a term before it")
        parts = [self.parse_and(field)]
        while self.peek().kind == "OR":
            operator = self.take()
            if self.peek().kind in ("END", "RP", "OR", "AND"):
                raise self.fail(operator, "'OR' needs a term after it")
            parts.append(self.parse_and(field))
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def parse_and(self, field: str | None) -> Node | None:
        parts: list[Node | None] = []
        while self.peek().kind not in ("END", "RP", "OR"):
            token = self.peek()
            if token.kind == "AND":
                self.take()
                if not parts:
                    raise self.fail(token, "'AND' needs a term before it")
                if self.peek().kind in ("END", "RP", "OR", "AND"):
                    raise self.fail(token, "'AND' needs a term after it")
                continue
            parts.append(self.parse_unary(field))
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else And(tuple(kept))

    def parse_unary(self, field: str | None) -> Node | None:
        token = self.peek()
        if token.kind in ("NOT", "MINUS"):
            self.take()
            if self.peek().kind in ("END", "RP", "OR", "AND"):
                raise self.fail(token, f"'{token.text}' needs a term after it")
            self.descend(token)
            child = self.parse_unary(field)
            self.depth -= 1
            return Not(child) if child is not None else None
        if token.kind == "PLUS":
            self.take()
            return self.parse_unary(field)
        return self.parse_atom(field)

    def parse_atom(self, field: str | None) -> Node | None:
        token = self.take()
        if token.kind == "LP":
            self.descend(token)
            if self.peek().kind == "RP":
                raise self.fail(token, "empty parentheses")
            node = self.parse_or(field)
            closing = self.take()
            if closing.kind != "RP":
                raise self.fail(token, "this '(' is never closed with ')'")
            self.depth -= 1
            return node
        if token.kind == "FIELD":
            value = self.peek()
            if value.kind == "LP":
                return self.parse_atom(token.text)
            if value.kind not in ("WORD", "PHRASE", "RANGE"):
                raise self.fail(token, f"'{token.text}:' needs a value right after the colon")
            self.take()
            return self.value(token.text, value)
        if token.kind in ("WORD", "PHRASE", "RANGE"):
            return self.value(field, token)
        if token.kind == "RP":
            raise self.fail(token, "this ')' has no matching '('")
        raise self.fail(token, f"'{token.text}' is not allowed here")

    # ----- values --------------------------------------------------------------------------
    def count(self, token: _Token, amount: int = 1) -> None:
        self.terms += amount
        if self.terms > self.limits.max_terms:
            raise self.fail(token, f"more than {self.limits.max_terms} search terms; "
                            "split the search into smaller ones")

    def value(self, field: str | None, token: _Token) -> Node | None:
        if token.kind == "RANGE":
            if field != "created":
                raise self.fail(token, "ranges work only on dates: created:[2026-01-01 TO "
                                "2026-01-31]")
            self.count(token)
            return self.date_range(token)
        if field == "created":
            if token.kind != "WORD":
                raise self.fail(token, "created: takes a date (2026-01-31, 2026-01, 2026) or a "
                                "range [2026-01-01 TO 2026-01-31]")
            self.count(token)
            since, until = self.date_bounds(token, token.text)
            return DateSpan(since, until)
        if token.kind == "WORD" and token.text == "*" and field is None:
            return Every()
        if token.kind == "WORD" and any(c in token.text for c in "*?"):
            return self.wildcard(field, token)
        if field in KEYWORD_FIELDS:
            self.count(token)
            return self.keyword_value(field, token)
        if field == "author":
            return self.author_value(token)
        return self.words_value(field, token)

    def keyword_value(self, field: str, token: _Token) -> Node:
        value = analysis.keyword(token.text)
        known = KNOWN_VALUES.get(field)
        if known is not None and value not in known:
            raise self.fail(token, f"{field}: '{token.text}' is not one of {', '.join(known)}")
        if not value:
            raise self.fail(token, f"'{field}:' needs a value")
        return Term(field, value)

    def author_value(self, token: _Token) -> Node | None:
        raw = token.text.strip()
        if "@" in raw.lstrip("@"):
            self.count(token)
            return Term("author", analysis.fold(raw).lstrip("@"))
        return self.sequence("author", analysis.words(raw), token)

    def words_value(self, field: str | None, token: _Token) -> Node | None:
        if field == "url":
            return self.sequence("url", analysis.url_terms(token.text), token)
        unstemmed = analysis.words(token.text)
        if token.kind == "WORD" and len(unstemmed) == 1 and unstemmed[0] in analysis.STOP_WORDS:
            self.ignored.append(token.text)
            return None
        terms = [analysis.stem(w) for w in unstemmed]
        fields = TEXT_FIELDS if field is None else (field,)
        nodes = [self.sequence(f, terms, token, counted=index > 0)
                 for index, f in enumerate(fields)]
        kept = tuple(n for n in nodes if n is not None)
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(kept)

    def sequence(self, field: str, terms: list[str], token: _Token,
                 counted: bool = False) -> Node | None:
        if not terms:
            self.ignored.append(token.text)
            return None
        if not counted:
            self.count(token, len(terms))
        if len(terms) == 1:
            return Term(field, terms[0])
        return Phrase(field, tuple(terms), token.slop if token.kind == "PHRASE" else 0)

    def wildcard(self, field: str | None, token: _Token) -> Node:
        pattern = analysis.fold(token.text)
        if field == "tag":
            pattern = pattern.lstrip("#")
        exact = field in (*KEYWORD_FIELDS, "author")
        if not (_WILDCARD_VALUE if exact else _WILDCARD_WORD).match(pattern):
            raise self.fail(token, "wildcards work on single words (letters and digits with "
                            "* or ?)")
        literal = sum(1 for c in pattern if c not in "*?")
        if literal < self.limits.wildcard_min_chars:
            raise self.fail(token, f"'{token.text}' is too broad: a wildcard needs at least "
                            f"{self.limits.wildcard_min_chars} letters or digits")
        self.count(token)
        self.wildcards += 1
        if self.wildcards > self.limits.max_wildcards:
            raise self.fail(token, f"more than {self.limits.max_wildcards} wildcards in one "
                            "query")
        if pattern[0] in "*?":
            self.leading += 1
            if self.leading > self.limits.max_leading_wildcards:
                raise self.fail(token, f"more than {self.limits.max_leading_wildcards} "
                                "wildcard(s) at the start of a word in one query")
        target = WILDCARD_FIELD.get(field, field)
        assert target is not None
        return Wildcard(target, pattern)

    # ----- dates ---------------------------------------------------------------------------
    def date_bounds(self, token: _Token, value: str) -> tuple[date, date]:
        match = _DATE.match(value.strip())
        if not match:
            raise self.fail(token, f"'{value}' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
        year, month, day = match.groups()
        try:
            if day:
                start = date(int(year), int(month), int(day))
                return start, start
            if month:
                start = date(int(year), int(month), 1)
                following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
                return start, following - timedelta(days=1)
            return date(int(year), 1, 1), date(int(year), 12, 31)
        except ValueError:
            raise self.fail(token, f"'{value}' is not a valid date") from None

    def date_range(self, token: _Token) -> DateSpan:
        body = token.text[1:-1]
        parts = re.split(r"\s+TO\s+|\s+TO$|^TO\s+|^TO$", body.strip(), flags=re.IGNORECASE)
        if len(parts) != 2:
            raise self.fail(token, "a range looks like [2026-01-01 TO 2026-01-31] (TO in "
                            "capitals; leave a side empty or * for open)")
        low, high = (p.strip() for p in parts)
        since = self.date_bounds(token, low)[0] if low not in ("", "*") else None
        until = self.date_bounds(token, high)[1] if high not in ("", "*") else None
        if token.text[0] == "{" and since is not None:
            since = self.date_bounds(token, low)[1] + timedelta(days=1)
        if token.text[-1] == "}" and until is not None:
            until = self.date_bounds(token, high)[0] - timedelta(days=1)
        if since is not None and until is not None and since > until:
            raise self.fail(token, "the range ends before it starts")
        return DateSpan(since, until)


def parse_query(text: str, limits: QueryLimits = QueryLimits()) -> Parsed:
    """Parse ``text`` (see module docstring) into an un-normalized tree.

    ``QueryError`` for malformed or over-limit queries, and for queries that hold only
    ignored words. An empty query or ``*`` is ``Every``."""
    text = text.strip()
    if len(text) > limits.max_chars:
        raise QueryError(f"query is {len(text)} characters; the limit is {limits.max_chars}")
    if text in ("", "*"):
        return Parsed(Every())
    parser = _Parser(text, limits)
    node = parser.parse()
    if node is None:
        words = ", ".join(parser.ignored) or text
        raise QueryError(f"nothing to search for: {words} are too common or have no letters "
                         "or digits; put words in quotes to search for them exactly")
    return Parsed(node, parser.ignored)
