"""Reviewer context: a short, single-line window around a candidate with values masked."""

from __future__ import annotations

import re
from collections.abc import Sequence

from civicrecords.requests.detectors.normalization import FORMAT_CHARACTERS

__all__ = ["WINDOW", "reviewer_context"]

WINDOW = 40
"""Characters of original text kept on each side of a candidate (before word trimming)."""

_SPACES = re.compile(r"\s+")


def _clean(piece: str) -> str:
    return _SPACES.sub(" ", FORMAT_CHARACTERS.sub("", piece))


def _window(text: str, start: int, end: int, width: int) -> tuple[int, int]:
    lo, hi = max(0, start - width), min(len(text), end + width)
    if lo > 0 and not text[lo - 1].isspace():
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text) and not text[hi].isspace():
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    return lo, hi


def reviewer_context(
    text: str,
    start: int,
    end: int,
    label: str,
    masks: Sequence[tuple[int, int, str]] = (),
    *,
    width: int = WINDOW,
) -> str:
    """Return about ``width`` characters either side of ``text[start:end]``, masked.

    Guarantees: the candidate itself appears only as ``[label]``; every ``masks`` span
    ``(start, end, label)`` that reaches into the window appears only as ``[its label]``
    (also when cut by the window edge), so no character of a masked value survives; format
    characters are dropped and whitespace runs (including newlines) become one space; an
    ellipsis marks text cut off at either end.
    """
    lo, hi = _window(text, start, end, width)
    spans = sorted(
        [(start, end, label, True)]
        + [(max(a, lo), min(b, hi), name, False) for a, b, name in masks if a < hi and b > lo]
    )
    merged: list[tuple[int, int, str, bool]] = []
    for a, b, name, own in spans:
        if merged and a < merged[-1][1]:
            pa, pb, pname, pown = merged[-1]
            merged[-1] = (pa, max(pb, b), label if own or pown else pname, own or pown)
        else:
            merged.append((a, b, name, own))
    pieces: list[str] = []
    cursor = lo
    for a, b, name, _own in merged:
        pieces.append(_clean(text[cursor:a]))
        pieces.append(f"[{name}]")
        cursor = b
    pieces.append(_clean(text[cursor:hi]))
    body = "".join(pieces).strip()
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
