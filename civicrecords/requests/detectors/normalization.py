"""Unicode normalization with an exact map from normalized characters back to the original.

Detectors never match against the raw text of a comment: residents (and people trying to
slip numbers past filters) write fullwidth digits, Unicode dashes, non-breaking spaces and
zero-width characters inside numbers. ``normalize`` produces the NFKC form with every format
character (Unicode category Cf: zero-width space/joiners, word joiner, BOM, soft hyphen,
bidi controls...) removed, plus the index of the original character each output character
came from. ``Document`` adds a one-to-one *folding* on top (every dash to ``-``, every space
separator to `` ``, every decimal digit to ASCII, curly quotes to straight ones) so detector
patterns can stay ASCII; folding never changes lengths, so the same offset map applies.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

from civicrecords.requests.detectors.sentences import split_sentences

__all__ = ["FORMAT_CHARACTERS", "Document", "fold", "normalize"]

# Every code point of general category Cf (Unicode 15.1), as ranges. ``normalize`` uses it only
# as a fast "might need work" check, so it may be a superset of the running Python's Cf set;
# the slow path asks ``unicodedata`` itself. A unit test proves it covers this interpreter's.
_CF_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
FORMAT_CHARACTERS = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _CF_RANGES) + "]")

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\ufe58\ufe63\uff0d\u02d7"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\uff07"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\uff02"


class _FoldTable(dict[int, int]):
    """``str.translate`` table computed lazily per code point (one-to-one, never deletes)."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        target = code
        if ch in _DASHES or (code > 0x7F and unicodedata.category(ch) == "Pd"):
            target = ord("-")
        elif code > 0x7F and unicodedata.category(ch) == "Zs":
            target = ord(" ")
        elif ch in _SINGLE_QUOTES:
            target = ord("'")
        elif ch in _DOUBLE_QUOTES:
            target = ord('"')
        elif code > 0x7F and (digit := unicodedata.decimal(ch, None)) is not None:
            target = ord("0") + digit
        self[code] = target
        return target


_FOLD = _FoldTable()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """Return ``text`` with dashes, spaces, digits and quotes folded to ASCII, same length."""
    if text.isascii():
        return text
    return text.translate(_FOLD)


def _extends_cluster(ch: str) -> bool:
    """True for characters NFKC may compose with the character before them."""
    if unicodedata.combining(ch):
        return True
    if 0x1160 <= ord(ch) <= 0x11FF:  # Hangul medial vowels and final consonants
        return True
    return unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _normalize_region(
    text: str, lo: int, hi: int, out: list[str], starts: list[int], ends: list[int]
) -> None:
    """Append NFKC clusters of ``text[lo:hi]`` (format chars dropped) with their spans."""
    cluster: list[str] = []
    cluster_start = cluster_end = lo

    def flush() -> None:
        if cluster:
            piece = unicodedata.normalize("NFKC", "".join(cluster))
            out.append(piece)
            starts.extend([cluster_start] * len(piece))
            ends.extend([cluster_end] * len(piece))

    for index in range(lo, hi):
        ch = text[index]
        if unicodedata.category(ch) == "Cf":
            continue
        if cluster and _extends_cluster(ch):
            cluster.append(ch)
            cluster_end = index + 1
            continue
        flush()
        cluster = [ch]
        cluster_start, cluster_end = index, index + 1
    flush()


def _normalize_with_ends(text: str) -> tuple[str, list[int], list[int]]:
    """NFKC + Cf removal, with each output char's source cluster start and end.

    ASCII runs are copied as they are (ASCII is NFKC-stable and holds no format characters);
    only non-ASCII runs, each with the ASCII character before it (a combining mark may attach
    to it), go through per-character normalization.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    copied = 0
    for run in _NON_ASCII.finditer(text):
        lo = max(run.start() - 1, copied)
        if lo > copied:
            out.append(text[copied:lo])
            starts.extend(range(copied, lo))
            ends.extend(range(copied + 1, lo + 1))
        _normalize_region(text, lo, run.end(), out, starts, ends)
        copied = run.end()
    if copied < len(text):
        out.append(text[copied:])
        starts.extend(range(copied, len(text)))
        ends.extend(range(copied + 1, len(text) + 1))
    return "".join(out), starts, ends


def _needs_work(text: str) -> bool:
    if text.isascii():
        return False
    return bool(FORMAT_CHARACTERS.search(text)) or not unicodedata.is_normalized("NFKC", text)


def normalize(text: str) -> tuple[str, list[int]]:
    """Return the NFKC form of ``text`` without format (Cf) characters, and an offset map.

    Guarantees: ``len(offsets) == len(normalized)``; offsets never decrease; for each ``i``,
    ``normalized[i]`` was produced by the original character at ``offsets[i]`` (together with
    any combining marks that follow it). A character NFKC expands (``"½"`` -> ``"1⁄2"``) maps
    every output character to the same index. Normalization is applied per base character
    plus its combining marks, which equals whole-string NFKC for all practical text.
    """
    if not _needs_work(text):
        return text, list(range(len(text)))
    normalized, starts, _ends = _normalize_with_ends(text)
    return normalized, starts


class Document:
    """A text prepared for matching: folded normalized text plus maps back to the original.

    ``text`` is what detectors match against. ``to_original(start, end)`` turns a span of
    ``text`` into the span of the original that produced it; the result covers every original
    character of the matched value, including zero-width characters between its characters.
    """

    __slots__ = ("_lower", "_sentences", "digit_count", "ends", "original", "starts", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        self.starts: Sequence[int]
        self.ends: Sequence[int]
        if _needs_work(original):
            normalized, self.starts, self.ends = _normalize_with_ends(original)
        else:
            normalized = original
            self.starts = range(len(original))
            self.ends = range(1, len(original) + 1)
        self.text = fold(normalized)
        self.digit_count = sum(self.text.count(d) for d in "0123456789")
        self._sentences: list[tuple[int, int]] | None = None
        self._lower: str | None = None

    @property
    def lower(self) -> str:
        """``text`` with ASCII letters lowercased (same length, so offsets are shared)."""
        if self._lower is None:
            self._lower = self.text.translate(_ASCII_LOWER)
        return self._lower

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty span of ``text`` to the span of ``original`` it came from."""
        return self.starts[start], self.ends[end - 1]

    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans of ``text`` (computed once; see ``sentences.split_sentences``)."""
        if self._sentences is None:
            self._sentences = split_sentences(self.text)
        return self._sentences

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """The span of the sentence containing ``pos`` (or the nearest one before it)."""
        spans = self.sentences()
        if not spans:
            return 0, len(self.text)
        index = bisect.bisect_right(spans, (pos, len(self.text) + 1)) - 1
        return spans[max(index, 0)]
