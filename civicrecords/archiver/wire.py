"""One HTTP/1.1 GET over a kept-alive connection, with the exact bytes the server sent.

``ConnectionPool.fetch`` sends a GET through ``http.client`` and tees every byte the response
parser consumes (status line, headers, and the body as framed on the wire, chunk sizes
included) into a hashing spool, while digesting the de-chunked, still content-encoded body as
the payload. Nothing is recorded here: ``archiver.http.RecordingClient`` decides what becomes
a WARC record. A pool belongs to one thread.
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

from civicrecords.errors import PlatformError
from civicrecords.integrity.hashing import CHUNK

SPOOL_MEMORY = 4 * 1024 * 1024
TRANSIENT = (OSError, http.client.HTTPException, ValueError, ssl.SSLError)


class TooLarge(PlatformError):
    """A body bigger than the configured cap (not retried)."""


class StaleConnection(Exception):
    """A kept-alive connection the server had already closed before answering."""


class BrokenBody(ValueError):
    """A body that does not decode: a transfer cut short without framing to show it."""


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


def describe(exc: BaseException) -> str:
    """A short, token-free description of a transport failure."""
    if isinstance(exc, http.client.IncompleteRead | BrokenBody):
        return "truncated response"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected | BrokenPipeError
                  | StaleConnection):
        return "connection reset"
    return f"{type(exc).__name__}: {exc}".strip()


class HashingSpool:
    """A spooled temporary file that digests everything written to it."""

    def __init__(self) -> None:
        self.file: BinaryIO = tempfile.SpooledTemporaryFile(  # type: ignore[assignment] # noqa: SIM115 - closed by close()
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

    def __init__(self, raw: Any, sink: HashingSpool) -> None:
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
    def __init__(self, sock: socket.socket, *args: Any, sink: HashingSpool, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        self.fp = _TeeReader(self.fp, sink)


class _SendRecorder:
    sent: list[bytes]

    def send(self, data: Any) -> None:
        if isinstance(data, bytes | bytearray):
            self.sent.append(bytes(data))
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_SendRecorder, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_SendRecorder, http.client.HTTPSConnection):
    pass


@dataclass
class Fetched:
    """A complete answer as received: raw bytes in ``spool`` (``head_length`` of them the
    status line and headers), the body as sent and decoded (when kept) and its JSON (when
    asked for)."""

    url: str
    status: int
    reason: str
    headers: dict[str, str]
    fetched_at: datetime
    ip_address: str
    spool: HashingSpool
    head_length: int
    payload_sha256: str
    size: int
    sent: bytes
    will_close: bool = False
    body: bytes | None = field(default=None, repr=False)
    parsed: Any = field(default=None, repr=False)
    decoded: bytes | None = field(default=None, repr=False)

    def close(self) -> None:
        """Release the spool."""
        self.spool.close()


class ConnectionPool:
    """Kept-alive connections, one per origin, for one thread."""

    def __init__(self, *, timeout: float, user_agent: str) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self.requests = 0
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def close(self) -> None:
        """Close every connection."""
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def _get(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        connection = self._connections.get(key)
        if connection is None:
            scheme, host, port = key
            if scheme == "https":
                connection = _HTTPSConnection(host, port, timeout=self.timeout,
                                              context=ssl.create_default_context())
            else:
                connection = _HTTPConnection(host, port, timeout=self.timeout)
            self._connections[key] = connection
        return connection

    def _drop(self, key: tuple[str, str, int]) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def fetch(self, url: str, headers: dict[str, str], *, max_bytes: int, keep_body: bool,
              expect_json: bool, now: datetime, label: str) -> Fetched:
        """GET ``url`` once. Raises ``TooLarge`` (over ``max_bytes``), ``StaleConnection``
        (a reused connection closed before any byte came back), or a ``TRANSIENT`` error
        (reset, timeout, truncated or undecodable body). ``label`` names the URL in
        messages (already scrubbed of secrets)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PlatformError(f"not an http(s) URL: {label}", url=label)
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https"
                                                            else 80))
        reused = key in self._connections
        connection = self._get(key)
        spool = HashingSpool()
        try:
            fetched = self._exchange(connection, url, parts.netloc, headers, spool,
                                     max_bytes=max_bytes, keep_body=keep_body,
                                     expect_json=expect_json, now=now, label=label)
            if fetched.will_close:
                self._drop(key)
            return fetched
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            spool.close()
            self._drop(key)
            if reused and spool.size == 0:
                raise StaleConnection() from exc
            raise
        except BaseException:
            spool.close()
            self._drop(key)
            raise

    def _exchange(self, connection: Any, url: str, netloc: str, extra: dict[str, str],
                  spool: HashingSpool, *, max_bytes: int, keep_body: bool, expect_json: bool,
                  now: datetime, label: str) -> Fetched:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.sent = []
        headers = {"Host": netloc, "User-Agent": self.user_agent, "Accept-Encoding": "gzip",
                   "Accept": "application/json, */*;q=0.8", **extra}
        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.response_class = partial(_TeeResponse, sink=spool)
        response = connection.getresponse()
        self.requests += 1
        head_length = spool.size
        ip_address = _peer(connection)
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise TooLarge(f"{label}: {declared} bytes is over the {max_bytes}-byte limit",
                           url=label)
        payload = hashlib.sha256()
        body_parts: list[bytes] = []
        size = 0
        while chunk := response.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                response.close()
                raise TooLarge(f"{label}: body is over the {max_bytes}-byte limit", url=label)
            payload.update(chunk)
            if keep_body:
                body_parts.append(chunk)
        if declared and declared.isdigit() and not response.chunked and size != int(declared):
            raise http.client.IncompleteRead(b"", int(declared) - size)
        header_map = {k.lower(): v for k, v in response.getheaders()}
        body = b"".join(body_parts) if keep_body else None
        decoded = _decoded(body, header_map.get("content-encoding", ""))
        parsed = None
        if expect_json and decoded is not None and 200 <= response.status < 300:
            parsed = _parse_json(decoded)
        return Fetched(url=url, status=response.status, reason=response.reason or "",
                       headers=header_map, fetched_at=now, ip_address=ip_address,
                       spool=spool, head_length=head_length, payload_sha256=payload.hexdigest(),
                       size=size, sent=b"".join(connection.sent), body=body, parsed=parsed,
                       decoded=decoded, will_close=bool(response.will_close))


def _decoded(body: bytes | None, encoding: str) -> bytes | None:
    """A kept body with its Content-Encoding undone; a body that does not decode was cut
    short (``BrokenBody``, retried like any truncated transfer)."""
    if body is None:
        return None
    try:
        return decode_body(body, encoding)
    except (EOFError, OSError, zlib.error) as exc:
        raise BrokenBody(f"body does not decode as {encoding} ({type(exc).__name__})") from None


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BrokenBody(f"body is not complete JSON ({type(exc).__name__})") from None


def _peer(connection: Any) -> str:
    try:
        return str(connection.sock.getpeername()[0])
    except (AttributeError, OSError):
        return ""
