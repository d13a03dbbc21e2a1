"""Precision and recall of the detectors against a labelled corpus.

A corpus is a directory of JSON Lines files named ``<category>.jsonl``; each line is
``{"text": ..., "spans": [[start, end], ...], "note": ...}`` where ``spans`` are the expected
candidate spans of that category in ``text`` (empty for a negative example). A candidate
*matches* an expected span when the two overlap. Per category:

* ``tp``: expected spans matched by at least one candidate;
* ``fn``: expected spans no candidate matches;
* ``fp``: candidates that match no expected span;
* ``precision`` = matching candidates / all candidates, ``recall`` = tp / (tp + fn).

The tests and ``bench/detectors.py`` both score through this module, so they cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from civicrecords.errors import CivicRecordsError, Problem
from civicrecords.requests.detectors.engine import detect
from civicrecords.requests.detectors.model import CATEGORIES

__all__ = ["CorpusError", "CorpusLine", "Score", "evaluate", "load_corpus", "score_spans"]

Span = tuple[int, int]


class CorpusError(CivicRecordsError):
    """A corpus file is missing or a line is malformed; ``problems`` names file and line."""


@dataclass(frozen=True)
class CorpusLine:
    """One labelled example: the text, the expected spans of one category, and a note."""

    category: str
    text: str
    spans: tuple[Span, ...]
    note: str
    line: int


@dataclass
class Score:
    """Counts for one category; ``misses``/``false_alarms`` keep the examples for debugging."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    matching: int = 0
    misses: list[tuple[CorpusLine, Span]] = field(default_factory=list)
    false_alarms: list[tuple[CorpusLine, Span]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of candidates that match an expected span (1.0 when there are none)."""
        found = self.matching + self.fp
        return self.matching / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of expected spans matched by a candidate (1.0 when none are expected)."""
        expected = self.tp + self.fn
        return self.tp / expected if expected else 1.0


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_spans(
    found: Sequence[Span], expected: Sequence[Span], into: Score | None = None
) -> Score:
    """Add the overlap-matching counts of ``found`` against ``expected`` to ``into``."""
    score = into if into is not None else Score()
    for span in expected:
        if any(_overlaps(span, f) for f in found):
            score.tp += 1
        else:
            score.fn += 1
    for span in found:
        if any(_overlaps(span, e) for e in expected):
            score.matching += 1
        else:
            score.fp += 1
    return score


def _parse(category: str, path: Path, number: int, raw: str) -> CorpusLine:
    try:
        data = json.loads(raw)
        text, note = data["text"], data.get("note", "")
        spans = tuple((int(a), int(b)) for a, b in data["spans"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(
            f"{path}:{number}: not a corpus line",
            problems=[Problem("malformed", str(exc), path=f"{path}:{number}")],
        ) from exc
    if not isinstance(text, str) or any(not 0 <= a < b <= len(text) for a, b in spans):
        raise CorpusError(
            f"{path}:{number}: span outside the text",
            problems=[Problem("bad-span", f"spans {spans!r}", path=f"{path}:{number}")],
        )
    return CorpusLine(category, text, spans, str(note), number)


def load_corpus(directory: Path, categories: Iterable[str] | None = None) -> list[CorpusLine]:
    """Read ``<category>.jsonl`` for each category (default: all); raise ``CorpusError``."""
    lines: list[CorpusLine] = []
    for category in categories if categories is not None else CATEGORIES:
        path = directory / f"{category}.jsonl"
        if not path.is_file():
            raise CorpusError(f"{path}: corpus file missing")
        with path.open(encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    lines.append(_parse(category, path, number, raw))
    return lines


def evaluate(lines: Iterable[CorpusLine]) -> dict[str, Score]:
    """Run ``detect`` on each line for its category and return the scores by category."""
    scores: dict[str, Score] = {}
    for line in lines:
        score = scores.setdefault(line.category, Score())
        found = [(c.start, c.end) for c in detect(line.text, [line.category])]
        before_fn, before_fp = score.fn, score.fp
        score_spans(found, line.spans, score)
        if score.fn > before_fn:
            score.misses.extend(
                (line, s) for s in line.spans if not any(_overlaps(s, f) for f in found)
            )
        if score.fp > before_fp:
            score.false_alarms.extend(
                (line, f) for f in found if not any(_overlaps(f, s) for s in line.spans)
            )
    return scores
