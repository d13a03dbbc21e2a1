"""A sorted set of spans answering "which of these overlap [lo, hi)?" in logarithmic time.

Overlap checks run once per hit; against a plain list they make ``detect`` quadratic in the
number of hits, which matters for long texts (a whole thread or export checked at once).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["SpanIndex"]

S = TypeVar("S", bound=tuple)  # a tuple whose first two items are start and end


class SpanIndex(Generic[S]):
    """Immutable index of span tuples ``(start, end, ...)``; spans may overlap each other."""

    __slots__ = ("_longest", "_spans", "_starts")

    def __init__(self, spans: Iterable[S] = ()) -> None:
        self._spans: list[S] = sorted(spans)
        self._starts: list[int] = [span[0] for span in self._spans]
        self._longest: int = max((span[1] - span[0] for span in self._spans), default=0)

    def __len__(self) -> int:
        return len(self._spans)

    def overlapping(self, lo: int, hi: int) -> list[S]:
        """Every span with ``start < hi`` and ``end > lo``, in start order."""
        first = bisect.bisect_left(self._starts, lo - self._longest)
        last = bisect.bisect_left(self._starts, hi)
        return [span for span in self._spans[first:last] if span[1] > lo]

    def overlaps(self, lo: int, hi: int) -> bool:
        """True if any span overlaps ``[lo, hi)``."""
        return bool(self.overlapping(lo, hi))
