"""Sentence and clause spans, and "is this word near that match" checks.

Keyword categories (health, personnel, minor) report the sentence that would be redacted, and
context-gated detectors (date of birth, licence, bank account) look for their context word in
a window around a match. Both live here so every detector uses the same notion of "nearby".
All functions work on folded text (see ``normalization.Document``) and return spans of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

__all__ = [
    "accepted_matches",
    "clause_at",
    "labelled_as_other_number",
    "near",
    "number_label",
    "split_sentences",
    "word_set",
]


def word_set(words: str) -> frozenset[str]:
    """The whitespace-separated words of ``words`` as a frozenset (for keyword lists)."""
    return frozenset(words.split())


_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n")
_TOKEN_BEFORE = re.compile(r"(?<![A-Za-z.])([A-Za-z]+(?:\.[A-Za-z]+)*)$")
_ABBREVIATIONS = word_set(
    """
    mr mrs ms dr jr sr st ave blvd rd ln ct hwy pkwy mt ft no nos apt ste dept govt co
    corp inc ltd vs etc approx est jan feb mar apr jun jul aug sep sept oct nov dec mon
    tue tues wed thu thur thurs fri sat sun a.m p.m e.g i.e d.o.b u.s sgt lt capt cpl
    det ofc hon rep sen gov min max tel ph ext
    """
)
_OTHER_NUMBER_LABEL = re.compile(
    r"(?:\b(?P<label>orders?|invoices?|tracking|confirmation|conf|ticket|case|claim|ref|"
    r"reference|receipt|transaction|txn|permit|application|app|accounts?|acct|checking|"
    r"savings|routing|aba|rtn|member|policy|serial|model|part|item|sku|po|pin|parcel|pid|"
    r"package|shipment|record|file|folio|citation|loan|meter|badge|employee|student|"
    r"patient|id)\b\.?|(?P<hash>#))"
    r"[\s:#.-]{0,4}(?:(?:no|num|number|is|was|are)\b\.?[\s:#.-]{0,3}){0,2}$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[;:]\s|\s-+\s|\s\(|\)\s")
_MAX_CLAUSE = 300


def _is_boundary(text: str, end: re.Match[str]) -> bool:
    if end.group().startswith(".") and end.group().rstrip("\"')]") == ".":
        token = _TOKEN_BEFORE.search(text, max(0, end.start() - 16), end.start())
        if token and (len(token.group()) == 1 or token.group().lower() in _ABBREVIATIONS):
            return False
    rest = text[end.end() : end.end() + 3].lstrip()
    return not (rest and rest[0].islower())


def _add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans, in order, trimmed of surrounding whitespace.

    A sentence ends at a newline, or after ``.``/``!``/``?`` (plus closing quotes) followed by
    whitespace, unless the period ends a common abbreviation or an initial ("St.", "Dr.",
    "Jan.", "J.") or the next word starts in lowercase. Every non-space character of ``text``
    belongs to exactly one span.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for end in _END.finditer(text):
        if end.group() == "\n":
            _add_trimmed(spans, text, start, end.start())
        elif _is_boundary(text, end):
            _add_trimmed(spans, text, start, end.end())
        else:
            continue
        start = end.end()
    _add_trimmed(spans, text, start, len(text))
    return spans


def clause_at(text: str, sentence: tuple[int, int], pos: int) -> tuple[int, int]:
    """Narrow a long ``sentence`` span to the clause around ``pos``.

    Sentences up to 300 characters are returned unchanged; longer ones are cut at ``;``,
    ``:``, spaced dashes and parentheses, and if the clause is still too long, to a window of
    at most 300 characters around ``pos`` ending on word boundaries.
    """
    start, end = sentence
    if end - start <= _MAX_CLAUSE:
        return sentence
    for brk in _CLAUSE_BREAK.finditer(text, start, end):
        if brk.end() <= pos:
            start = brk.end()
        elif brk.start() >= pos:
            end = brk.start()
            break
    if end - start > _MAX_CLAUSE:
        start = max(start, pos - _MAX_CLAUSE // 2)
        end = min(end, start + _MAX_CLAUSE)
        while start > sentence[0] and not text[start - 1].isspace():
            start -= 1
        while end < sentence[1] and not text[end].isspace():
            end += 1
    span: list[tuple[int, int]] = []
    _add_trimmed(span, text, start, end)
    return span[0] if span else sentence


def _widen(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Move ``lo``/``hi`` outwards so they do not cut a word in two."""
    floor, ceiling = max(0, lo - 24), min(len(text), hi + 24)
    while lo > floor and text[lo - 1].isalnum():
        lo -= 1
    while hi < ceiling and text[hi].isalnum():
        hi += 1
    return lo, hi


def near(
    text: str,
    start: int,
    end: int,
    pattern: re.Pattern[str],
    *,
    before: int = 40,
    after: int = 40,
    within: tuple[int, int] | None = None,
) -> bool:
    """True if ``pattern`` occurs within ``before`` chars before or ``after`` chars after.

    The match itself (``text[start:end]``) is never searched. Windows are widened to whole
    words and, when ``within`` is given (e.g. the sentence), clipped to it.
    """
    lo, hi = _widen(text, max(0, start - before), min(len(text), end + after))
    if within is not None:
        lo, hi = max(lo, within[0]), min(hi, within[1])
    return bool(
        (lo < start and pattern.search(text, lo, start))
        or (end < hi and pattern.search(text, end, hi))
    )


def number_label(text: str, start: int) -> str | None:
    """The label directly before the number at ``start``, lowercased, or None.

    Labels name other kinds of number: "order", "invoice", "tracking", "confirmation",
    "case", "permit", "account", "checking", "routing", "policy", "parcel", "PIN", "ID", "#"
    and the like, optionally followed by up to two of "no.", "number", "is" and punctuation
    ("Order #", "tracking no.: ", "case number is "). A plural is returned singular.
    """
    match = _OTHER_NUMBER_LABEL.search(text, max(0, start - 40), start)
    if match is None:
        return None
    label = (match.group("label") or "#").lower()
    return label[:-1] if label in ("orders", "invoices", "accounts") else label


def labelled_as_other_number(text: str, start: int) -> bool:
    """True if the number at ``start`` directly follows a label (see ``number_label``)."""
    return number_label(text, start) is not None


def accepted_matches(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], bool]
) -> Iterator[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` in ``text`` that ``accept`` approves.

    Unlike ``finditer``, a rejected match does not hide matches that start inside it: the
    search resumes one character after the rejected match's start.
    """
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        if accept(match):
            yield match
            pos = max(match.end(), match.start() + 1)
        else:
            pos = match.start() + 1
