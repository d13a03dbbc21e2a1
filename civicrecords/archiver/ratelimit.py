"""When to retry, and how long to wait: the standard HTTP signals plus a hook per platform.

``RateLimitPolicy`` reads an answered exchange and decides whether to retry it (and after how
long) and whether to pause before the next request. The default understands ``Retry-After``,
``X-RateLimit-*`` (Mastodon's ISO dates, X's epoch seconds) and IETF ``RateLimit-*``
headers; sources subclass it for platform-specific signals (Graph API usage headers and
throttling error codes, YouTube quota errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from civicrecords.environment import parse_utc

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Answer(Protocol):
    """What a policy may look at in an answered request."""

    status: int
    headers: dict[str, str]
    fetched_at: datetime

    def json_or_none(self) -> Any: ...


def seconds_until(value: str, now: datetime) -> float | None:
    """Seconds from ``now`` until a reset/retry time given as delta seconds, epoch seconds,
    an HTTP date or an ISO 8601 time; None when the value is unreadable."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if number > 1_000_000_000:  # epoch seconds
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    for parse in (parse_utc, parsedate_to_datetime):
        try:
            moment = parse(text)
        except (ValueError, TypeError, IndexError):
            continue
        return max(0.0, moment.timestamp() - now.timestamp())
    return None


@dataclass
class RateLimitPolicy:
    """Default policy; platform sources override ``retry_after`` / ``pause_after``."""

    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Exponential back-off for attempt ``attempt`` (1-based), capped."""
        return min(self.max_backoff_seconds, self.backoff_seconds * (2 ** (attempt - 1)))

    def retry_after(self, answer: Answer, attempt: int) -> float | None:
        """Seconds to wait before retrying ``answer``; None when it must not be retried."""
        if answer.status not in RETRY_STATUSES:
            return None
        announced = self._announced_wait(answer)
        return announced if announced is not None else self.backoff(attempt)

    def pause_after(self, answer: Answer) -> float:
        """Seconds to wait before the next request (quota exhausted); 0 for none."""
        headers = answer.headers
        for remaining_name, reset_name in (("x-ratelimit-remaining", "x-ratelimit-reset"),
                                           ("x-rate-limit-remaining", "x-rate-limit-reset"),
                                           ("ratelimit-remaining", "ratelimit-reset")):
            remaining = headers.get(remaining_name)
            if remaining is not None and remaining.strip() in ("0", "0.0"):
                wait = seconds_until(headers.get(reset_name, ""), answer.fetched_at)
                return min(self.max_backoff_seconds, wait if wait is not None else 1.0)
        return 0.0

    def _announced_wait(self, answer: Answer) -> float | None:
        """Retry-After when given; a rate-limit reset time only for a 429 (on a 5xx it says
        when the quota renews, not when the server recovers)."""
        headers = answer.headers
        names = ["retry-after"]
        if answer.status == 429:
            names += ["x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"]
        for name in names:
            if name in headers:
                wait = seconds_until(headers[name], answer.fetched_at)
                if wait is not None:
                    return min(self.max_backoff_seconds, wait)
        return None


def json_body(data: bytes, limit: int = 2_000_000) -> Any:
    """Parse a small JSON body; None when it is large or not JSON."""
    if not data or len(data) > limit:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
