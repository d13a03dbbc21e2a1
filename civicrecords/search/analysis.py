"""Turning text into index terms: the one analyzer every backend and the highlighter share.

Both backends index the *output* of these functions (space-separated terms fed to a plain
whitespace tokenizer), and queries are analyzed here too, so Whoosh and tantivy hold and look
up exactly the same terms: the same stemming, folding and splitting, by construction.

- ``fold``: lower case, accents and ligatures folded to ASCII (``Café`` → ``cafe``,
  ``Ærø`` → ``aero``, ``straße`` → ``strasse``), curly apostrophes made straight.
- ``words``: runs of letters and digits, inner apostrophes kept (``city's``, ``can't``); URLs
  and hashtags split into their words. Tokens longer than ``MAX_TOKEN`` are dropped (a
  hostile 10 kB "word" is not a search term).
- ``stem``: English Porter2 (Snowball) stemming, cached.

Stop words are indexed (so phrases such as "the who" are exact) and dropped only from bare
query words (see ``querylang``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from whoosh.lang.porter2 import stem as _porter2

MAX_TOKEN = 64
MAX_TERMS_PER_FIELD = 200_000

STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if", "in",
    "is", "it", "of", "on", "or", "that", "the", "this", "to", "us", "was", "we", "were",
    "will", "with", "yet", "you", "your"))

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_EXTRA_FOLDS = {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe",
                "Œ": "oe", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
                "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ς": "σ",
                "\u2019": "'", "\u2018": "'", "\u02bc": "'"}


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x2C80):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base != char and base and base.isascii() and base.isprintable():
            table[code] = base.lower()
    table.update({code: "" for code in range(0x300, 0x370)})  # stray combining marks
    table.update({ord(k): v for k, v in _EXTRA_FOLDS.items()})
    return table


_FOLD = _fold_table()
_STEMS: dict[str, str] = {}
_NAMES: dict[tuple[str, str], list[str]] = {}
_KEYWORDS: dict[str, str] = {}


def fold(text: str) -> str:
    """Lower-cased, accent-folded ``text`` (same length or longer; never shorter words)."""
    return text.lower().translate(_FOLD)


def stem(word: str) -> str:
    """The Porter2 stem of an already folded word."""
    found = _STEMS.get(word)
    if found is None:
        found = _porter2(word) if word.isalpha() or "'" in word else word
        if len(_STEMS) < 500_000:
            _STEMS[word] = found
    return found


def words(text: str) -> list[str]:
    """Folded words of ``text`` in order (unstemmed, stop words kept)."""
    found = _WORD.findall(fold(text))
    if found and max(map(len, found)) > MAX_TOKEN:
        found = [w for w in found if len(w) <= MAX_TOKEN]
    return found if len(found) <= MAX_TERMS_PER_FIELD else found[:MAX_TERMS_PER_FIELD]


def stemmed(folded: list[str]) -> list[str]:
    """``stem`` of each folded word: what the ``text`` and ``title`` fields hold."""
    cache = _STEMS
    return [cache.get(w) or stem(w) for w in folded]


def name_terms(handle: str, display_name: str) -> list[str]:
    """Terms of the ``author`` field: the whole handle (``karen@north.example``), its local
    part, then the display name's words, all folded and unstemmed."""
    found = _NAMES.get((handle, display_name))
    if found is not None:
        return found
    terms: list[str] = []
    folded = fold(handle.strip().lstrip("@"))
    if folded:
        terms.append(folded)
        local = folded.split("@", 1)[0]
        if local and local != folded:
            terms.append(local)
    terms.extend(words(display_name))
    if len(_NAMES) < 100_000:
        _NAMES[(handle, display_name)] = terms
    return terms


def url_terms(url: str) -> list[str]:
    """Terms of the ``url`` field: the folded words of the URL in order (scheme, host parts,
    path segments, query), so ``url:lakesidemn`` and ``url:"oak street"`` both work."""
    return words(url)


def keyword(value: str) -> str:
    """A value of an exact-match field (account, kind, tag...): folded, ``#`` stripped."""
    found = _KEYWORDS.get(value)
    if found is None:
        found = fold(value.strip()).lstrip("#")
        if len(_KEYWORDS) < 100_000:
            _KEYWORDS[value] = found
    return found


@dataclass(frozen=True)
class Token:
    """One word of a text with its place in the original string."""

    start: int
    end: int
    word: str
    stem: str


def tokens_with_offsets(text: str) -> list[Token]:
    """The words ``words(text)`` returns, each with its character span in ``text`` itself
    (for highlighting: the span covers the original, unfolded characters)."""
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = char.lower().translate(_FOLD)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    folded_text = "".join(pieces)
    origin.append(len(text))
    out: list[Token] = []
    for match in _WORD.finditer(folded_text):
        word = match.group()
        if len(word) <= MAX_TOKEN:
            start = origin[match.start()]
            end = origin[match.end() - 1] + 1
            out.append(Token(start, end, word, stem(word)))
    return out
