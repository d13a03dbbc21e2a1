"""The Source protocol every platform implements, and the session it captures through.

A source knows one platform's API: how to page through an account's posts, find comments,
edits, messages and media, and map each response to ``Item`` objects. It never touches files:
it fetches through ``Session.get_json`` / ``get_text`` / ``get_media`` (which record every exchange
to WARC, retry, and turn final failures into gaps), and reports what it found with
``Session.observe`` and ``Session.sweep``. The mapping functions of each source are pure
(JSON in, items out) so they are tested directly against real platform responses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from civicrecords.archiver.http import Exchange, MediaOf
from civicrecords.archiver.ratelimit import RateLimitPolicy
from civicrecords.config import AccountConfig
from civicrecords.model import Item


@dataclass(frozen=True)
class JsonPage:
    """A JSON response and the exchange that carried it."""

    data: Any
    exchange: Exchange


class Session(Protocol):
    """What a source may do during a capture (implemented by ``archiver.job``)."""

    account: AccountConfig
    token: str | None
    app_secret: str | None  # Meta app secret for appsecret_proof; never written anywhere
    full: bool  # True: walk everything (sweeps find removals); False: what is new, quickly
    state: dict[str, Any]

    def get_json(self, url: str, *, scope: str, headers: dict[str, str] | None = None,
                 ok: tuple[int, ...] = (200,)) -> JsonPage | None:
        """Fetch and parse JSON. Returns None (and records a gap in ``scope``) when the fetch
        failed after retries, or the status is not in ``ok``; 404/410 are returned as a
        JsonPage when listed in ``ok`` so sources can treat them as removals."""
        ...

    def get_text(self, url: str, *, scope: str, headers: dict[str, str] | None = None,
                 ok: tuple[int, ...] = (200,)) -> Exchange | None:
        """Fetch a text document (an RSS/Atom feed, a web page) and keep its body for the
        caller to parse (``exchange.content()``: bytes, Content-Encoding undone). Recorded,
        retried and turned into gaps exactly like ``get_json``; statuses in ``ok`` (e.g.
        404/410 for a page that was taken down) are returned, not gaps."""
        ...

    def prefetch(self, urls: list[str], *, headers: dict[str, str] | None = None,
                 media_of: MediaOf | None = None) -> None:
        """Hint that ``get_json`` will soon be called for ``urls`` (same headers): they are
        fetched in the background meanwhile. ``media_of`` maps such a page's JSON to the
        media URLs ``get_media`` will be asked for after it (prefetched too). Purely an
        optimization; order of records and every guarantee of ``get_json`` and
        ``get_media`` stay the same."""
        ...

    def prefetch_media(self, urls: list[str]) -> None:
        """Hint that ``get_media`` will soon be called for ``urls``; like ``prefetch``."""
        ...

    def get_media(self, url: str, *, scope: str) -> Exchange | None:
        """Stream a media file into the WARC (size-capped); None and a gap on failure."""
        ...

    def observe(self, item: Item, exchange: Exchange, *, scope: str,
                observed: Literal["current", "history"] = "current") -> None:
        """Record ``item`` as seen in ``exchange`` (a WARC metadata record + catalog). The
        record may be written later in the job (e.g. while waiting for the platform), so the
        item must not be changed afterwards; ``known``, ``missing`` and ``sweep`` of its
        scope see it (and every observation made before it)."""
        ...

    def sweep(self, scope: str, seen: list[str], *, reason: str = "not-returned",
              reasons: dict[str, str] | None = None) -> None:
        """Declare that a complete walk of ``scope`` returned exactly ``seen``; items of the
        scope not in it are marked removed with ``reasons[id]`` or ``reason``. Ignored when a
        gap was recorded in ``scope`` during this job (an incomplete walk proves nothing)."""
        ...

    def gap(self, url: str, reason: str, *, scope: str, attempts: int = 1) -> None:
        """Record a fetch that could not be completed."""
        ...

    def progress(self, advance: int = 1) -> None:
        """Tell the job that ``advance`` more items were handled (for progress display)."""
        ...

    def missing(self, scope: str, seen: list[str]) -> list[str]:
        """Ids the archive holds as present in ``scope`` that ``seen`` lacks: what a sweep
        would mark removed. A source may ask the platform about each (deleted? hidden?
        unavailable?) and pass ``reasons`` to ``sweep``."""
        ...

    def known(self, scope: str) -> dict[str, str | None]:
        """Id -> created_at of every item the archive holds as present in ``scope`` (for
        incremental captures)."""
        ...

    def report_token(self, *, valid: bool, expires_at: str | None = None,
                     detail: str = "") -> None:
        """Record what the platform said about the account's token (shown by ``status``)."""
        ...


class Source(Protocol):
    """One platform's capture logic."""

    platform: ClassVar[str]

    def run(self, session: Session) -> None:
        """Capture the session's account completely (or record gaps for what failed)."""
        ...

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """The retry/throttle policy for this platform."""
        ...


SourceFactory = Callable[[AccountConfig], Source]
