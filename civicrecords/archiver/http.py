"""The one HTTP client capture uses: every exchange recorded to WARC, retried, scrubbed.

``RecordingClient.get`` fetches through ``wire.ConnectionPool`` (the exact bytes the server
sent, kept-alive connections) and writes a WARC ``request``/``response`` pair whose payload
digest is over the de-chunked, still content-encoded body. Secrets (the capture's tokens,
``Authorization``/``Cookie`` headers, token query parameters, and tokens echoed in text
bodies) are scrubbed before anything is written; the record says what was scrubbed. The same
media bytes fetched twice into one WARC file set are written once; the second fetch becomes a
``revisit`` record.

429/5xx answers, resets, timeouts and truncated bodies are retried with back-off (the
``RateLimitPolicy`` decides how long); what still fails raises ``FetchFailed`` so the job can
record a gap. ``prefetch`` lets a source name the pages it will ask for next (and, through
``media_of``, the media files those pages list), ``prefetch_media`` the media files it will
ask for next: a few of them are sent ahead, each on its own connection, so the server works
while the caller does; each answer is read and recorded when the caller asks for it, so WARC
order is the caller's order (``prefetch.Lane``).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from civicrecords import jsonio
from civicrecords.archiver.prefetch import Lane, Sent
from civicrecords.archiver.ratelimit import RateLimitPolicy, json_body
from civicrecords.archiver.scrub import Scrubber, is_textual
from civicrecords.archiver.warc import Block, WarcFileSet, new_record_id, packed
from civicrecords.archiver.wire import (
    SPOOL_MEMORY,
    TRANSIENT,
    ConnectionPool,
    Fetched,
    StaleConnection,
    TooLarge,
    decode_body,
    describe,
)
from civicrecords.environment import utc_iso
from civicrecords.errors import PlatformError
from civicrecords.integrity.hashing import CHUNK
from civicrecords.model import RecordRef

TEXT_LIMIT = 128 * 1024 * 1024
DEDUPE_MIN_BYTES = 1024  # media at least this big is stored once per WARC file set
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PREFETCH_LIMIT = 4  # pages (and as many media files) sent ahead at most, each on a connection

__all__ = ["Exchange", "FetchFailed", "MediaOf", "RecordingClient", "TooLarge", "decode_body"]


class FetchFailed(PlatformError):
    """A GET that still failed after every retry (the job records it as a gap)."""

    def __init__(self, message: str, *, url: str, attempts: int, status: int | None = None):
        super().__init__(message, url=url, status=status)
        self.attempts = attempts


class IdleWorkFailed(Exception):
    """The caller's idle work failed inside ``get`` (``error`` is what it raised). Never a
    transient network error: nothing is retried, and the caller re-raises ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Exchange:
    """One recorded GET: what came back and where its records are."""

    url: str
    status: int
    reason: str
    headers: dict[str, str]
    fetched_at: datetime
    ip_address: str
    payload_sha256: str
    size: int
    request: RecordRef
    response: RecordRef
    body: bytes | None = field(default=None, repr=False)
    payload_record: RecordRef | None = None
    parsed: Any = field(default=None, repr=False)
    decoded: bytes | None = field(default=None, repr=False)

    @property
    def payload_record_id(self) -> str:
        """The record holding this payload's bytes: the response itself, or for a revisit
        (the same bytes fetched again in this WARC file set) the earlier response."""
        return (self.payload_record or self.response).record_id

    def content(self) -> bytes:
        """The body with any Content-Encoding undone (b"" for a streamed media body). A body
        that did not decode never gets here: it was retried as a truncated transfer."""
        if self.decoded is not None:
            return self.decoded
        if self.body is None:
            return b""
        return decode_body(self.body, self.headers.get("content-encoding", ""))

    def json(self) -> Any:
        """The body parsed as JSON; ``PlatformError`` naming the URL when it is not JSON."""
        if self.parsed is not None:
            return self.parsed
        try:
            return jsonio.loads(self.content())
        except (ValueError, UnicodeDecodeError):
            raise PlatformError(f"{self.url}: response is not JSON", url=self.url,
                                status=self.status) from None

    def json_or_none(self) -> Any:
        """The body as JSON, or None (for rate-limit policies looking at error bodies)."""
        return self.parsed if self.parsed is not None else json_body(self.content())


MediaOf = Callable[[Any], list[str]]  # a parsed page -> the media URLs it lists


def _key(url: str, headers: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return url, tuple(sorted(headers.items()))


class RecordingClient:
    """See the module docstring. One instance per account per job; its public methods are
    called from one thread (it uses no other)."""

    def __init__(self, warcs: WarcFileSet, *, scrubber: Scrubber, policy: RateLimitPolicy,
                 env_now: Any, env_sleep: Any, monotonic: Any, timeout: float = 30.0,
                 max_retries: int = 5, user_agent: str = "civicrecords",
                 ahead: int = PREFETCH_LIMIT) -> None:
        self.warcs = warcs
        # the caller's deferred work, called with a "has the answer come?" test whenever an
        # answer is not there yet: the time spent waiting for the platform is not lost
        self.idle: Callable[[Callable[[], bool]], None] | None = None
        self.scrubber = scrubber
        self.policy = policy
        self.now = env_now
        self.sleep = env_sleep
        self.monotonic = monotonic
        self.max_retries = max_retries
        self._pool = ConnectionPool(timeout=timeout, user_agent=user_agent)
        self._pages = Lane(ahead, self._may_send)
        self._media = Lane(ahead, self._may_send)
        self._media_of: dict[Any, tuple[MediaOf, int]] = {}  # page key -> what it lists
        self._media_asked: set[str] = set()  # media URLs prefetched or fetched (never twice)
        self._not_before = 0.0
        self.retries = 0

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (prefetched ones included)."""
        return self._pool.requests

    def close(self) -> None:
        """Abandon requests sent ahead and never asked for, close every connection."""
        self._pages.close()
        self._media.close()
        self._pool.close()

    # ----- public ------------------------------------------------------------------------
    def prefetch(self, urls: list[str], *, headers: dict[str, str] | None = None,
                 media_of: MediaOf | None = None, media_max_bytes: int = TEXT_LIMIT) -> None:
        """Send GETs for JSON ``urls`` ahead, in this order, at most ``ahead`` unanswered.
        Nothing is recorded until ``get(url, headers=headers, expect_json=True)`` asks for
        it; a failed prefetch is simply fetched again by ``get``. ``media_of`` names the media
        files the caller will fetch after reading such a page: when ``get`` reads it, they are
        passed to ``prefetch_media``."""
        headers = dict(headers or {})
        for url in urls:
            key = _key(url, headers)
            if media_of is not None:
                self._media_of[key] = (media_of, media_max_bytes)
            self._pages.want(key, partial(self._send, url, headers))

    def prefetch_media(self, urls: list[str], *, max_bytes: int) -> None:
        """Send GETs for media ``urls`` ahead, in this order, at most ``ahead`` unanswered (a
        URL already fetched or queued is skipped). Nothing is recorded until
        ``get(url, keep_body=False, max_bytes=max_bytes)`` asks for it."""
        for url in urls:
            if url not in self._media_asked:
                self._media_asked.add(url)
                self._media.want(_key(url, {}), partial(self._send, url, {}))

    def get(self, url: str, *, headers: dict[str, str] | None = None,
            max_bytes: int = TEXT_LIMIT, keep_body: bool = True,
            expect_json: bool = False) -> Exchange:
        """GET ``url`` (retrying as the policy says) and record it. Any HTTP status that is
        not retried is returned; only transport failures and exhausted retries raise
        ``FetchFailed``. ``keep_body=False`` streams the body to the WARC only (media).
        ``expect_json`` treats a 2xx body that does not decode and parse as JSON as a
        truncated transfer (retried, never recorded as if complete)."""
        headers = headers or {}
        label = self.scrubber.url(url)
        ahead = None
        if expect_json:
            ahead = self._pages.take(_key(url, headers))
        elif not keep_body:
            self._media_asked.add(url)
            ahead = self._media.take(_key(url, headers))
        media_of = self._media_of.pop(_key(url, headers), None) if expect_json else None
        attempt = 0
        last_reason = "no attempt made"
        last_status: int | None = None
        stale_allowed = True
        while attempt <= self.max_retries:
            attempt += 1
            try:
                if ahead is not None:
                    sent, ahead = ahead, None  # used once, whatever it holds
                else:
                    self._wait_turn()
                    sent = self._pool.send(url, headers, now=self.now(), label=label)
                if self.idle is not None and not sent.ready():
                    try:
                        self.idle(sent.ready)
                    except Exception as exc:  # e.g. a full disk: not the platform's doing
                        sent.close()
                        raise IdleWorkFailed(exc) from exc
                fetched = sent.receive(max_bytes=max_bytes, keep_body=keep_body,
                                       expect_json=expect_json)
            except TooLarge:
                raise
            except StaleConnection:
                if stale_allowed:
                    stale_allowed = False
                    attempt -= 1
                    continue
                last_reason = "connection reset"
                self._retry_later(self.policy.backoff(attempt))
                continue
            except TRANSIENT as exc:
                last_reason, last_status = describe(exc), None
                self._retry_later(self.policy.backoff(attempt))
                continue
            if media_of is not None and fetched.parsed is not None:
                lister, cap = media_of
                self.prefetch_media(lister(fetched.parsed), max_bytes=cap)
            exchange = self._store(fetched, keep_body=keep_body)
            delay = self.policy.retry_after(exchange, attempt)
            if delay is None:
                self._schedule(self.policy.pause_after(exchange))
                return exchange
            last_reason = f"HTTP {exchange.status} {exchange.reason}".strip()
            last_status = exchange.status
            self._retry_later(delay)
        raise FetchFailed(f"{label}: {last_reason} after {attempt} attempts", url=label,
                          attempts=attempt, status=last_status)

    # ----- pacing ------------------------------------------------------------------------
    def _retry_later(self, delay: float) -> None:
        self.retries += 1
        self._schedule(delay)

    def _schedule(self, delay: float) -> None:
        if delay > 0:
            self._not_before = max(self._not_before, self.monotonic() + delay)

    def _wait_turn(self) -> None:
        wait = self._not_before - self.monotonic()
        if wait > 0:
            self.sleep(wait)

    def _may_send(self) -> bool:
        return self.monotonic() >= self._not_before

    def _send(self, url: str, headers: dict[str, str]) -> Sent:
        return self._pool.send(url, headers, now=self.now(), label=self.scrubber.url(url))

    # ----- recording ---------------------------------------------------------------------
    def _store(self, fetched: Fetched, *, keep_body: bool) -> Exchange:
        """Write the exchange (scrubbed; a revisit for media bytes already in this set)."""
        try:
            label = self.scrubber.url(fetched.url)
            block, payload_sha, scrubbed, head = self._response_block(fetched)
            original = None
            dedupe = not keep_body and fetched.status == 200 and fetched.size >= DEDUPE_MIN_BYTES
            if dedupe:
                original = self.warcs.payloads.get(payload_sha)
            request_ref, response_ref = self._record(
                label, fetched, block, scrubbed, head=head, payload_sha=payload_sha,
                revisit_of=original)
            if dedupe and original is None:
                self.warcs.payloads[payload_sha] = (response_ref, label, fetched.fetched_at)
            return Exchange(url=label, status=fetched.status, reason=fetched.reason,
                            headers=fetched.headers, fetched_at=fetched.fetched_at,
                            ip_address=fetched.ip_address, payload_sha256=payload_sha,
                            size=fetched.size, request=request_ref, response=response_ref,
                            body=fetched.body, parsed=fetched.parsed,
                            decoded=fetched.decoded,
                            payload_record=original[0] if original else None)
        finally:
            fetched.close()

    def _response_block(self, fetched: Fetched) -> tuple[Block, str, list[str], bytes]:
        """The response record's block (scrubbed of secrets when needed), its payload digest,
        what was scrubbed, and the (scrubbed) head. The caller still gets the body as
        received (e.g. to follow a paging URL that carries the token); it is never written."""
        spool = fetched.spool
        spool.file.seek(0)
        head = spool.file.read(fetched.head_length)
        clean_head, scrubbed = self.scrubber.headers(head)
        if fetched.decoded is not None and is_textual(fetched.headers.get("content-type")):
            clean_body, changed = self.scrubber.data(fetched.decoded)
            if changed:
                scrubbed.append("body")
                rebuilt = _reframe(clean_head, len(clean_body))
                return (Block.from_bytes(rebuilt + clean_body, payload=clean_body),
                        hashlib.sha256(clean_body).hexdigest(), scrubbed, rebuilt)
        payload_sha = fetched.payload_sha256
        if clean_head == head:
            spool.file.seek(0)
            return (Block(stream=spool.file, length=spool.size, sha256=spool.sha.hexdigest(),
                          payload_sha256=payload_sha, packed=packed(fetched.headers)),
                    payload_sha, scrubbed, head)
        rebuilt_file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - closed in _record
        sha = hashlib.sha256(clean_head)
        rebuilt_file.write(clean_head)
        spool.file.seek(fetched.head_length)
        for chunk in iter(lambda: spool.file.read(CHUNK), b""):
            sha.update(chunk)
            rebuilt_file.write(chunk)
        length = rebuilt_file.tell()
        rebuilt_file.seek(0)
        return (Block(stream=rebuilt_file, length=length, sha256=sha.hexdigest(),  # type: ignore[arg-type]
                      payload_sha256=payload_sha, packed=packed(fetched.headers)),
                payload_sha, scrubbed, clean_head)

    def _record(self, label: str, fetched: Fetched, block: Block, scrubbed: list[str], *,
                head: bytes, payload_sha: str,
                revisit_of: tuple[RecordRef, str, datetime] | None = None
                ) -> tuple[RecordRef, RecordRef]:
        """Write the request and the response — or, when the same payload was already
        written to this file set, a ``revisit`` record holding only the response head."""
        clean_request, request_scrubbed = self.scrubber.headers(fetched.sent)
        response_id = new_record_id()
        extra = [("WARC-IP-Address", fetched.ip_address)] if fetched.ip_address else []
        request_headers = [*extra, ("WARC-Concurrent-To", response_id)]
        if request_scrubbed:
            request_headers.append(("Civicrecords-Scrubbed",
                                    ", ".join(sorted(set(request_scrubbed)))))
        request_ref = self.warcs.write(
            "request", Block.from_bytes(clean_request), target_uri=label,
            date=fetched.fetched_at, content_type="application/http; msgtype=request",
            headers=request_headers)
        response_headers = list(extra)
        if scrubbed:
            response_headers.append(("Civicrecords-Scrubbed", ", ".join(sorted(set(scrubbed)))))
        if revisit_of is not None:
            original, original_uri, original_date = revisit_of
            block.stream.close()
            block = Block.from_bytes(head)
            block.payload_sha256 = payload_sha
            response_headers += [("WARC-Profile", REVISIT_PROFILE),
                                 ("WARC-Refers-To", original.record_id),
                                 ("WARC-Refers-To-Target-URI", original_uri),
                                 ("WARC-Refers-To-Date", utc_iso(original_date))]
        response_ref = self.warcs.write(
            "revisit" if revisit_of is not None else "response", block, target_uri=label,
            date=fetched.fetched_at, content_type="application/http; msgtype=response",
            headers=response_headers, record_id=response_id)
        block.stream.close()
        return request_ref, response_ref


def _reframe(head: bytes, length: int) -> bytes:
    """A response head re-framed for an identity body of ``length`` bytes (used only when a
    scrub changed the body: Content-Encoding/Transfer-Encoding dropped, length set)."""
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.partition(b":")[0].strip().lower()
        if name in (b"content-length", b"transfer-encoding", b"content-encoding"):
            continue
        kept.append(line)
    kept.append(b"Content-Length: " + str(length).encode())
    return b"\r\n".join(kept) + b"\r\n\r\n"
