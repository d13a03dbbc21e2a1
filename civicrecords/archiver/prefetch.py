"""Requests sent ahead of the caller: the server works while the caller records.

A ``Lane`` takes wishes (a key and a function that sends the request) in the order the
caller will need the answers, keeps at most ``limit`` of them sent and unanswered, and hands
each over once (``take``); taking one sends the next wish. Each sent request has its own
connection, so no thread is needed: the answers wait in the sockets until taken. Wishes
beyond the limit only cost their key, so a caller can name a whole page of URLs at once.
Nothing here records anything: the caller records an answer when it reads it, so WARC order
is the caller's order.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol


class Sent(Protocol):
    """A request on its way: ``ready`` says whether its answer can be read without waiting,
    ``receive`` reads it, ``close`` abandons it."""

    def ready(self) -> bool: ...

    def receive(self, *, max_bytes: int, keep_body: bool, expect_json: bool) -> Any: ...

    def close(self) -> None: ...


class Failed:
    """A request that could not be sent: ``receive`` raises what sending raised, so the
    caller handles it like any failed attempt."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def ready(self) -> bool:
        return True

    def receive(self, *, max_bytes: int, keep_body: bool, expect_json: bool) -> Any:
        raise self.error

    def close(self) -> None:
        pass


class Lane:
    """See the module docstring. ``may_send`` says whether sending now is allowed (not
    while the platform asked to pause)."""

    def __init__(self, limit: int, may_send: Callable[[], bool]) -> None:
        self.limit = limit
        self._may_send = may_send
        self._wishes: OrderedDict[Hashable, Callable[[], Sent]] = OrderedDict()
        self._sent: dict[Hashable, Sent] = {}

    def want(self, key: Hashable, send: Callable[[], Sent]) -> None:
        """Queue ``send`` under ``key`` (ignored when the key is already queued or sent)."""
        if key not in self._wishes and key not in self._sent:
            self._wishes[key] = send
            self.top_up()

    def take(self, key: Hashable) -> Sent | None:
        """The request sent for ``key`` (None when it was not sent: the caller fetches it
        itself, and a wish not sent yet is dropped)."""
        sent = self._sent.pop(key, None)
        self._wishes.pop(key, None)
        self.top_up()
        return sent

    def top_up(self) -> None:
        """Send queued wishes until ``limit`` are unanswered."""
        while self._wishes and len(self._sent) < self.limit and self._may_send():
            key, send = self._wishes.popitem(last=False)
            try:
                self._sent[key] = send()
            except Exception as exc:  # handed to the caller with the answer
                self._sent[key] = Failed(exc)

    def close(self) -> None:
        """Drop every wish and abandon every request not taken."""
        self._wishes.clear()
        for sent in self._sent.values():
            sent.close()
        self._sent.clear()
