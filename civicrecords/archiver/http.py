"""The one HTTP client capture uses: every exchange recorded to WARC, retried, scrubbed.

``RecordingClient.get`` sends a GET over a kept-alive ``http.client`` connection, tees the
exact bytes the server sent (status line, headers and the body as framed on the wire, chunk
sizes included) into a spool, and writes a WARC ``request``/``response`` pair whose payload
digest is over the de-chunked, still content-encoded body. Secrets (the capture's tokens,
``Authorization``/``Cookie`` headers, token query parameters, and tokens echoed in text
bodies) are scrubbed before anything is written; the record says what was scrubbed.

429/5xx answers, resets, timeouts and truncated bodies are retried with back-off (the
``RateLimitPolicy`` decides how long); what still fails raises ``FetchFailed`` so the job can
record a gap. Bodies stream through bounded buffers, so a 2 GB video never sits in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import socket
import ssl
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from civicrecords.archiver.ratelimit import RateLimitPolicy, json_body
from civicrecords.archiver.scrub import Scrubber, is_textual
from civicrecords.archiver.warc import Block, WarcFileSet, new_record_id
from civicrecords.environment import utc_iso
from civicrecords.errors import PlatformError
from civicrecords.integrity.hashing import CHUNK
from civicrecords.model import RecordRef

SPOOL_MEMORY = 4 * 1024 * 1024
TEXT_LIMIT = 128 * 1024 * 1024
DEDUPE_MIN_BYTES = 1024  # media at least this big is stored once per WARC file set
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
TRANSIENT = (OSError, http.client.HTTPException, ValueError, ssl.SSLError)


class FetchFailed(PlatformError):
    """A GET that still failed after every retry (the job records it as a gap)."""

    def __init__(self, message: str, *, url: str, attempts: int, status: int | None = None):
        super().__init__(message, url=url, status=status)
        self.attempts = attempts


class TooLarge(PlatformError):
    """A body bigger than the configured cap (not retried)."""


class _StaleConnection(Exception):
    """A kept-alive connection the server had already closed (retried at once, once)."""


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

    @property
    def payload_record_id(self) -> str:
        """The record holding this payload's bytes: the response itself, or for a revisit
        (the same bytes fetched again in this WARC file set) the earlier response."""
        return (self.payload_record or self.response).record_id

    def content(self) -> bytes:
        """The body with any Content-Encoding undone (text responses only)."""
        if self.body is None:
            return b""
        return decode_body(self.body, self.headers.get("content-encoding", ""))

    def json(self) -> Any:
        """The body parsed as JSON; ``PlatformError`` naming the URL when it is not JSON."""
        try:
            return json.loads(self.content())
        except (ValueError, UnicodeDecodeError):
            raise PlatformError(f"{self.url}: response is not JSON", url=self.url,
                                status=self.status) from None

    def json_or_none(self) -> Any:
        """The body as JSON, or None (for rate-limit policies looking at error bodies)."""
        return json_body(self.content())


def decode_body(data: bytes, encoding: str) -> bytes:
    """Undo gzip/deflate Content-Encoding; other encodings are returned as sent."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(data)
    if encoding == "deflate":
        try:
            return zlib.decompress(data)
        except zlib.error:
            return zlib.decompress(data, -zlib.MAX_WBITS)
    return data


class _HashingSpool:
    """A spooled temporary file that digests everything written to it."""

    def __init__(self) -> None:
        # closed by close(), which the client calls when the exchange is written
        self.file: BinaryIO = tempfile.SpooledTemporaryFile(  # type: ignore[assignment] # noqa: SIM115
            max_size=SPOOL_MEMORY)
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self.file.write(data)
            self.sha.update(data)
            self.size += len(data)

    def close(self) -> None:
        self.file.close()


class _TeeReader:
    """Wraps the response file object and copies every byte ``http.client`` consumes."""

    def __init__(self, raw: Any, sink: _HashingSpool) -> None:
        self._raw = raw
        self._sink = sink

    def readline(self, limit: int = -1) -> bytes:
        data = self._raw.readline(limit)
        self._sink.write(data)
        return data

    def read(self, amount: int | None = -1) -> bytes:
        data = self._raw.read(amount)
        self._sink.write(data)
        return data

    def read1(self, amount: int = -1) -> bytes:
        data = self._raw.read1(amount)
        self._sink.write(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._sink.write(bytes(memoryview(buffer)[:count]))
        return count

    def peek(self, amount: int = 0) -> bytes:
        return self._raw.peek(amount)

    def close(self) -> None:
        self._raw.close()

    def flush(self) -> None:
        self._raw.flush()


class _TeeResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, sink: _HashingSpool, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        self.fp = _TeeReader(self.fp, sink)


class _RecordingMixin:
    sent: list[bytes]

    def send(self, data: Any) -> None:
        if isinstance(data, bytes | bytearray):
            self.sent.append(bytes(data))
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_RecordingMixin, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_RecordingMixin, http.client.HTTPSConnection):
    pass


class RecordingClient:
    """See the module docstring. One instance per account per job; not thread-safe."""

    def __init__(self, warcs: WarcFileSet, *, scrubber: Scrubber, policy: RateLimitPolicy,
                 env_now: Any, env_sleep: Any, monotonic: Any, timeout: float = 30.0,
                 max_retries: int = 5, user_agent: str = "civicrecords") -> None:
        self.warcs = warcs
        self.scrubber = scrubber
        self.policy = policy
        self.now = env_now
        self.sleep = env_sleep
        self.monotonic = monotonic
        self.timeout = timeout
        self.max_retries = max_retries
        self.user_agent = user_agent
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._not_before = 0.0
        self.requests_made = 0
        self.retries = 0

    def close(self) -> None:
        """Close every kept-alive connection."""
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    # ----- public ------------------------------------------------------------------------
    def get(self, url: str, *, headers: dict[str, str] | None = None,
            max_bytes: int = TEXT_LIMIT, keep_body: bool = True,
            expect_json: bool = False) -> Exchange:
        """GET ``url`` (retrying as the policy says) and record it. Any HTTP status that is
        not retried is returned; only transport failures and exhausted retries raise
        ``FetchFailed``. ``keep_body=False`` streams the body to the WARC only (media).
        ``expect_json`` treats a 2xx body that does not decode and parse as JSON as a
        truncated transfer (retried, never recorded as if complete)."""
        attempt = 0
        last_reason = "no attempt made"
        last_status: int | None = None
        stale_allowed = True
        while attempt <= self.max_retries:
            attempt += 1
            self._wait_turn()
            try:
                exchange = self._attempt(url, headers or {}, max_bytes, keep_body,
                                         expect_json)
            except TooLarge:
                raise
            except _StaleConnection:
                if stale_allowed:
                    stale_allowed = False
                    attempt -= 1
                    continue
                last_reason = "connection reset"
                self.retries += 1
                self._schedule(self.policy.backoff(attempt))
                continue
            except TRANSIENT as exc:
                last_reason = _describe(exc)
                last_status = None
                self.retries += 1
                self._schedule(self.policy.backoff(attempt))
                continue
            delay = self.policy.retry_after(exchange, attempt)
            if delay is None:
                self._schedule(self.policy.pause_after(exchange))
                return exchange
            last_reason = f"HTTP {exchange.status} {exchange.reason}".strip()
            last_status = exchange.status
            self.retries += 1
            self._schedule(delay)
        raise FetchFailed(
            f"{self.scrubber.url(url)}: {last_reason} after {attempt} attempts",
            url=self.scrubber.url(url), attempts=attempt, status=last_status,
        )

    # ----- internals ---------------------------------------------------------------------
    def _schedule(self, delay: float) -> None:
        if delay > 0:
            self._not_before = max(self._not_before, self.monotonic() + delay)

    def _wait_turn(self) -> None:
        wait = self._not_before - self.monotonic()
        if wait > 0:
            self.sleep(wait)

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        connection = self._connections.get(key)
        if connection is None:
            if scheme == "https":
                connection = _HTTPSConnection(host, port, timeout=self.timeout,
                                              context=ssl.create_default_context())
            else:
                connection = _HTTPConnection(host, port, timeout=self.timeout)
            self._connections[key] = connection
        return connection

    def _drop(self, scheme: str, host: str, port: int) -> None:
        connection = self._connections.pop((scheme, host, port), None)
        if connection is not None:
            connection.close()

    def _attempt(self, url: str, extra_headers: dict[str, str], max_bytes: int,
                 keep_body: bool, expect_json: bool) -> Exchange:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PlatformError(f"not an http(s) URL: {self.scrubber.url(url)}", url=url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        reused = (parts.scheme, parts.hostname, port) in self._connections
        connection = self._connection(parts.scheme, parts.hostname, port)
        spool = _HashingSpool()
        try:
            return self._exchange(connection, url, target, parts.netloc, extra_headers,
                                  spool, max_bytes, keep_body, expect_json)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            self._drop(parts.scheme, parts.hostname, port)
            if reused and spool.size == 0:
                raise _StaleConnection() from exc
            raise
        except BaseException:
            self._drop(parts.scheme, parts.hostname, port)
            raise
        finally:
            spool.close()

    def _exchange(self, connection: Any, url: str, target: str, netloc: str,
                  extra_headers: dict[str, str], spool: _HashingSpool, max_bytes: int,
                  keep_body: bool, expect_json: bool) -> Exchange:
        connection.sent = []
        fetched_at = self.now()
        headers = {"Host": netloc, "User-Agent": self.user_agent, "Accept-Encoding": "gzip",
                   "Accept": "application/json, */*;q=0.8", **extra_headers}
        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.response_class = partial(_TeeResponse, sink=spool)
        response = connection.getresponse()
        self.requests_made += 1
        head_length = spool.size
        ip_address = _peer(connection)
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise TooLarge(f"{self.scrubber.url(url)}: {declared} bytes is over the "
                           f"{max_bytes}-byte limit", url=self.scrubber.url(url))
        payload = hashlib.sha256()
        body_parts: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                response.close()
                raise TooLarge(f"{self.scrubber.url(url)}: body is over the {max_bytes}-byte "
                               "limit", url=self.scrubber.url(url))
            payload.update(chunk)
            if keep_body:
                body_parts.append(chunk)
        if declared and declared.isdigit() and not response.chunked and size != int(declared):
            raise http.client.IncompleteRead(b"", int(declared) - size)
        if response.will_close:
            self._drop_connection(connection)
        header_map = {k.lower(): v for k, v in response.getheaders()}
        body = b"".join(body_parts) if keep_body else None
        if expect_json and body is not None and 200 <= response.status < 300:
            _check_json(body, header_map.get("content-encoding", ""))
        request_bytes = b"".join(connection.sent)
        block, payload_sha, scrubbed, body, head = self._response_block(
            spool, head_length, header_map, body, payload.hexdigest())
        original = None
        if not keep_body and response.status == 200 and size >= DEDUPE_MIN_BYTES:
            original = self.warcs.payloads.get(payload_sha)
        request_ref, response_ref = self._record(
            url, fetched_at, ip_address, request_bytes, block, scrubbed,
            revisit_of=original, head=head, payload_sha=payload_sha)
        if not keep_body and response.status == 200 and original is None:
            self.warcs.payloads[payload_sha] = (response_ref, self.scrubber.url(url), fetched_at)
        return Exchange(url=self.scrubber.url(url), status=response.status,
                        reason=response.reason or "", headers=header_map,
                        fetched_at=fetched_at, ip_address=ip_address,
                        payload_sha256=payload_sha, size=size, request=request_ref,
                        response=response_ref, body=body,
                        payload_record=original[0] if original else None)

    def _drop_connection(self, connection: Any) -> None:
        for key, value in list(self._connections.items()):
            if value is connection:
                self._drop(*key)

    def _response_block(self, spool: _HashingSpool, head_length: int,
                        headers: dict[str, str], body: bytes | None, payload_sha: str
                        ) -> tuple[Block, str, list[str], bytes | None, bytes]:
        """The response record's block (scrubbed of secrets when needed), its payload digest,
        what was scrubbed, the body as received (for the caller to parse, e.g. to follow
        a paging URL that carries the token; it is never written), and the (scrubbed) head."""
        spool.file.seek(0)
        head = spool.file.read(head_length)
        clean_head, scrubbed = self.scrubber.headers(head)
        if body is not None and is_textual(headers.get("content-type")):
            encoding = headers.get("content-encoding", "")
            decoded = decode_body(body, encoding)
            clean_body, changed = self.scrubber.data(decoded)
            if changed:
                scrubbed.append("body")
                rebuilt = _reframe(clean_head, len(clean_body))
                data = rebuilt + clean_body
                return (Block.from_bytes(data, payload=clean_body),
                        hashlib.sha256(clean_body).hexdigest(), scrubbed, body, rebuilt)
        if clean_head == head:
            spool.file.seek(0)
            return (Block(stream=spool.file, length=spool.size, sha256=spool.sha.hexdigest(),
                          payload_sha256=payload_sha), payload_sha, scrubbed, body, head)
        rebuilt = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - closed in _record
        sha = hashlib.sha256(clean_head)
        rebuilt.write(clean_head)
        spool.file.seek(head_length)
        for chunk in iter(lambda: spool.file.read(CHUNK), b""):
            sha.update(chunk)
            rebuilt.write(chunk)
        length = rebuilt.tell()
        rebuilt.seek(0)
        return (Block(stream=rebuilt, length=length, sha256=sha.hexdigest(),  # type: ignore[arg-type]
                      payload_sha256=payload_sha), payload_sha, scrubbed, body, clean_head)

    def _record(self, url: str, fetched_at: datetime, ip_address: str, request_bytes: bytes,
                block: Block, scrubbed: list[str], *, head: bytes, payload_sha: str,
                revisit_of: tuple[RecordRef, str, datetime] | None = None
                ) -> tuple[RecordRef, RecordRef]:
        """Write the request and the response — or, when the same payload was already
        written to this file set, a ``revisit`` record holding only the response head."""
        clean_request, request_scrubbed = self.scrubber.headers(request_bytes)
        target = self.scrubber.url(url)
        response_id = new_record_id()
        extra: list[tuple[str, str]] = [("WARC-IP-Address", ip_address)] if ip_address else []
        notes = sorted(set(request_scrubbed))
        request_headers = [*extra, ("WARC-Concurrent-To", response_id)]
        if notes:
            request_headers.append(("Civicrecords-Scrubbed", ", ".join(notes)))
        request_ref = self.warcs.write(
            "request", Block.from_bytes(clean_request), target_uri=target, date=fetched_at,
            content_type="application/http; msgtype=request", headers=request_headers)
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
            "revisit" if revisit_of is not None else "response", block, target_uri=target,
            date=fetched_at, content_type="application/http; msgtype=response",
            headers=response_headers, record_id=response_id)
        block.stream.close()
        return request_ref, response_ref


class BrokenBody(ValueError):
    """A body that does not decode: a transfer cut short without framing to show it."""


def _check_json(body: bytes, encoding: str) -> None:
    try:
        json.loads(decode_body(body, encoding))
    except (ValueError, EOFError, OSError, zlib.error) as exc:
        raise BrokenBody(f"body is not complete JSON ({type(exc).__name__})") from None


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


def _peer(connection: Any) -> str:
    try:
        return str(connection.sock.getpeername()[0])
    except (AttributeError, OSError):
        return ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead | BrokenBody):
        return "truncated response"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected | BrokenPipeError):
        return "connection reset"
    return f"{type(exc).__name__}: {exc}".strip()
