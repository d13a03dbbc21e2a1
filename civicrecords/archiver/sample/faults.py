"""Deterministic fault injection for the sample platform.

A ``FaultPlan`` says how often and how requests fail; a ``FaultInjector`` applies it. The
choice for a request depends only on (plan seed, request target, attempt number for that
target), never on timing or thread interleaving, so a test run is reproducible. Each target
(path plus query, exactly as sent) is faulted on at most ``max_per_url`` attempts: a client
that retries at least that many times always gets the full data eventually. Targets (or
paths) listed in ``permanent`` fail on every attempt, to test how gaps are recorded.

Kinds (what the client sees):

``429``            429 ``{"error":"Too many requests"}`` with ``Retry-After`` and
                   ``X-RateLimit-Remaining: 0`` (Mastodon's rack-attack answer)
``500``            500 with Rails' HTML error page
``502``            502 with nginx's HTML error page
``503``            503 ``{"error":"There was a temporary problem serving your request, please
                   try again"}`` with ``Retry-After``
``reset``          the connection is reset (TCP RST) before any byte of the response
``reset_headers``  part of the status line and headers is sent, then the connection is reset
``slow``           the full, correct response, after ``slow_seconds``
``truncate``       headers, then part of the body, then the connection closes: a
                   ``Content-Length`` larger than what was sent, or a chunked body cut off in
                   the middle of a chunk

Plans travel as JSON (the ``/_sample/faults`` admin endpoint): ``{"rate": 0.2, "kinds":
["429", "503", "reset", "truncate", "slow"], "max_per_url": 2, "seed": 7, "paths": ["/api/"],
"retry_after": 1, "slow_seconds": 0.5, "permanent": {"/api/v1/statuses/1/context": "503"}}``;
every key is optional.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

FAULT_KINDS: Final = ("429", "500", "502", "503", "reset", "reset_headers", "slow", "truncate")
DEFAULT_KINDS: Final = ("429", "503", "reset", "truncate", "slow")


@dataclass(frozen=True)
class FaultPlan:
    """How requests fail. Validates its fields; raises ValueError for unknown kinds."""

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    max_per_url: int = 2
    seed: int = 0
    paths: tuple[str, ...] = ("/api/",)
    retry_after: int = 1
    slow_seconds: float = 0.5
    permanent: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))
        object.__setattr__(self, "paths", tuple(self.paths))
        object.__setattr__(self, "permanent", dict(self.permanent))
        unknown = [k for k in (*self.kinds, *self.permanent.values()) if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {list(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.rate > 0 and not self.kinds:
            raise ValueError("a plan with a rate needs at least one kind")
        if self.max_per_url < 0 or self.retry_after < 0 or self.slow_seconds < 0:
            raise ValueError("max_per_url, retry_after and slow_seconds must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultPlan:
        """Build a plan from its JSON form; raises ValueError on unknown keys or bad values."""
        known = {"rate", "kinds", "max_per_url", "seed", "paths", "retry_after",
                 "slow_seconds", "permanent"}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown fault plan key(s): {sorted(extra)}")
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        """The plan's JSON form."""
        return {"rate": self.rate, "kinds": list(self.kinds), "max_per_url": self.max_per_url,
                "seed": self.seed, "paths": list(self.paths), "retry_after": self.retry_after,
                "slow_seconds": self.slow_seconds, "permanent": dict(self.permanent)}


def _draw(seed: int, target: str, attempt: int) -> tuple[float, int]:
    digest = hashlib.blake2b(f"{seed}|{target}|{attempt}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:], "big")


class FaultInjector:
    """Decides, per request, whether and how to fail; counts attempts and injected faults."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.plan = plan or FaultPlan()
        self._attempts: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._log: list[tuple[str, int, str]] = []

    def set_plan(self, plan: FaultPlan | None) -> None:
        """Replace the plan and forget attempt counts (None: no faults)."""
        with self._lock:
            self.plan = plan or FaultPlan()
            self._attempts.clear()

    def decide(self, target: str, path: str) -> str | None:
        """Return the fault kind for this attempt at ``target``, or None to answer normally."""
        plan = self.plan
        if not plan.permanent and plan.rate <= 0:
            return None
        with self._lock:
            attempt = self._attempts[target]
            self._attempts[target] = attempt + 1
        kind = plan.permanent.get(target) or plan.permanent.get(path)
        if kind is None:
            if attempt >= plan.max_per_url or not path.startswith(plan.paths):
                return None
            roll, pick = _draw(plan.seed, target, attempt)
            if roll >= plan.rate:
                return None
            kind = plan.kinds[pick % len(plan.kinds)]
        with self._lock:
            self._injected[kind] += 1
            if len(self._log) < 100_000:
                self._log.append((target, attempt, kind))
        return kind

    def stats(self) -> dict[str, Any]:
        """Injected faults by kind, and the most faulted attempts (JSON-ready)."""
        with self._lock:
            return {"plan": self.plan.to_dict(), "injected": dict(self._injected),
                    "log": [list(entry) for entry in self._log[-1000:]]}
