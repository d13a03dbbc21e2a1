"""One HTTP/1.1 GET over a kept-alive connection, with the exact bytes the server sent.

``ConnectionPool.send`` writes a GET on an idle (or new) connection of the URL's origin and
returns it ``Pending``; ``Pending.receive`` reads the answer, spooling every byte received
(status line, headers, and the body as framed on the wire, chunk sizes included) into a
hashing spool while the ``httptools`` (llhttp) parser digests the de-chunked, still
content-encoded body as the payload. Sending several requests before reading their answers
(each on its own connection) lets the server work while the caller does; ``fetch`` is send
then receive. Nothing is recorded here: ``archiver.http.RecordingClient`` decides what
becomes a WARC record. A pool belongs to one thread.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import re
import select
import socket
import ssl
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import httptools

from civicrecords import jsonio
from civicrecords.errors import PlatformError
from civicrecords.integrity.hashing import CHUNK

SPOOL_MEMORY = 4 * 1024 * 1024
MAX_HEAD = 1024 * 1024  # a status line and headers longer than this are refused
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


class Unanswered(http.client.HTTPException):
    """A response the parser rejected, or bytes after the end of one (not retried on the same
    connection, which is closed)."""


class _Connection:
    """One kept-alive socket (TLS for https) to one origin."""

    def __init__(self, key: tuple[str, str, int], *, timeout: float,
                 tls: ssl.SSLContext | None) -> None:
        _, host, port = key
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
            self.peer = str(sock.getpeername()[0])
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.reused = False

    def close(self) -> None:
        self.sock.close()


class _Answer:
    """httptools callbacks collecting one response: head, payload digest, kept body."""

    def __init__(self, *, max_bytes: int, keep_body: bool) -> None:
        self.max_bytes = max_bytes
        self.keep_body = keep_body
        self.status = 0
        self.reason = b""
        self.header_list: list[tuple[bytes, bytes]] = []
        self.heads = 0  # header blocks completed (informational 1xx answers included)
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.extra = False  # bytes after the end of the answer
        self.too_large = False
        self.payload = hashlib.sha256()
        self.size = 0
        self.parts: list[bytes] = []
        self.parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        if self.complete:
            self.extra = True
        self.reason = b""
        self.header_list = []

    def on_status(self, data: bytes) -> None:
        self.reason += data

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_list.append((name, value))

    def on_headers_complete(self) -> None:
        self.heads += 1
        self.status = self.parser.get_status_code()
        if self.status >= 200:
            self.head_done = True
            length = self.header("content-length")
            if length.isdigit() and int(length) > self.max_bytes:
                self.too_large = True

    def on_body(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            self.too_large = True
        elif not self.too_large:
            self.payload.update(data)
            if self.keep_body:
                self.parts.append(data)

    def on_message_complete(self) -> None:
        if self.status >= 200:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()  # reset for the next message

    def header(self, name: str) -> str:
        """The last value of header ``name`` ('' when absent)."""
        wanted = name.encode()
        for key, value in reversed(self.header_list):
            if key.lower() == wanted:
                return value.decode("latin-1").strip()
        return ""

    def ends_at_close(self) -> bool:
        """True when the body has no framing and runs until the server closes."""
        return (self.head_done and not self.header("content-length")
                and "chunked" not in self.header("transfer-encoding").lower()
                and self.status not in (204, 304))


class Pending:
    """A GET already sent on its own connection; ``receive`` reads the answer. Closing a
    pending request closes its connection (the answer is never read)."""

    def __init__(self, pool: ConnectionPool, key: tuple[str, str, int],
                 connection: _Connection, *, url: str, label: str, sent: bytes,
                 now: datetime) -> None:
        self._pool = pool
        self._key = key
        self._connection: _Connection | None = connection
        self.url = url
        self.label = label
        self.sent = sent
        self.now = now

    def receive(self, *, max_bytes: int, keep_body: bool, expect_json: bool) -> Fetched:
        """Read the whole answer. Raises ``TooLarge`` (over ``max_bytes``),
        ``StaleConnection`` (a reused connection closed before any byte came back), or a
        ``TRANSIENT`` error (reset, timeout, truncated, unparsable or undecodable body)."""
        connection, self._connection = self._connection, None
        if connection is None:
            raise RuntimeError("answer already received")
        spool = HashingSpool()
        try:
            fetched = self._read(connection, spool, max_bytes=max_bytes, keep_body=keep_body,
                                 expect_json=expect_json)
        except (ConnectionResetError, BrokenPipeError) as exc:
            spool.close()
            connection.close()
            if connection.reused and spool.size == 0:
                raise StaleConnection() from exc
            raise
        except BaseException:
            spool.close()
            connection.close()
            raise
        if fetched.will_close:
            connection.close()
        else:
            self._pool.give_back(self._key, connection)
        return fetched

    def ready(self) -> bool:
        """True when ``receive`` has bytes to read at once (or nothing left to wait for)."""
        if self._connection is None:
            return True
        sock = self._connection.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True  # decrypted bytes already buffered
        try:
            poll = select.poll()
            poll.register(sock, select.POLLIN)
            return bool(poll.poll(0))
        except (OSError, ValueError):  # closed under us: receive will say how
            return True

    def close(self) -> None:
        """Abandon the request (its connection is closed)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _read(self, connection: _Connection, spool: HashingSpool, *, max_bytes: int,
              keep_body: bool, expect_json: bool) -> Fetched:
        answer = _Answer(max_bytes=max_bytes, keep_body=keep_body)
        head = bytearray()  # raw bytes up to the end of the final head
        head_length = 0
        closed = False
        while not answer.complete:
            data = connection.sock.recv(CHUNK)
            if not data:
                closed = True
                if answer.ends_at_close():
                    break
                if spool.size == 0:
                    raise http.client.RemoteDisconnected(
                        "Remote end closed connection without response")
                raise http.client.IncompleteRead(b"")
            spool.write(data)
            if not head_length:
                head += data
                if len(head) > MAX_HEAD:
                    raise Unanswered(f"header block over {MAX_HEAD} bytes")
            try:
                answer.parser.feed_data(data)
            except httptools.HttpParserError as exc:
                raise Unanswered(f"malformed response ({type(exc).__name__})") from None
            if answer.too_large:
                raise TooLarge(f"{self.label}: body is over the {max_bytes}-byte limit",
                               url=self.label)
            if answer.extra:
                raise Unanswered("data after the end of the response")
            if answer.head_done and not head_length:
                head_length = _head_end(bytes(head), answer.heads)
                head = bytearray()
        body = b"".join(answer.parts) if keep_body else None
        header_map = {k.decode("latin-1").lower(): v.decode("latin-1").strip()
                      for k, v in answer.header_list}
        decoded = _decoded(body, header_map.get("content-encoding", ""))
        parsed = None
        if expect_json and decoded is not None and 200 <= answer.status < 300:
            parsed = _parse_json(decoded)
        return Fetched(url=self.url, status=answer.status,
                       reason=answer.reason.decode("latin-1").strip(), headers=header_map,
                       fetched_at=self.now, ip_address=connection.peer, spool=spool,
                       head_length=head_length, payload_sha256=answer.payload.hexdigest(),
                       size=answer.size, sent=self.sent, body=body, parsed=parsed,
                       decoded=decoded, will_close=closed or not answer.keep_alive)


class ConnectionPool:
    """Kept-alive connections per origin (several when requests are sent ahead), for one
    thread."""

    def __init__(self, *, timeout: float, user_agent: str) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self.requests = 0
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        """Close every idle connection (pending requests close their own)."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def give_back(self, key: tuple[str, str, int], connection: _Connection) -> None:
        """Keep a connection whose answer was read completely for the next request."""
        connection.reused = True
        self._idle.setdefault(key, []).append(connection)

    def send(self, url: str, headers: dict[str, str], *, now: datetime, label: str) -> Pending:
        """Send a GET for ``url`` on an idle connection of its origin (or a new one) and
        return it pending. Raises ``PlatformError`` for a URL that is not http(s),
        ``StaleConnection`` when a reused connection turns out closed, or a ``TRANSIENT``
        error (connection refused, timeout, a header value with a line break)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PlatformError(f"not an http(s) URL: {label}", url=label)
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https"
                                                            else 80))
        target = _target(parts.path, parts.query)
        fields = {"Host": parts.netloc, "User-Agent": self.user_agent,
                  "Accept-Encoding": "gzip", "Accept": "application/json, */*;q=0.8",
                  **headers}
        lines = [f"GET {target} HTTP/1.1"]
        for name, value in fields.items():
            if _LINE_BREAK.search(name) or _LINE_BREAK.search(value):
                raise ValueError(f"header {name!r} has a line break")
            lines.append(f"{name}: {value}")
        sent = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        idle = self._idle.get(key)
        connection = idle.pop() if idle else self._connect(key)
        try:
            connection.sock.sendall(sent)
        except (ConnectionResetError, BrokenPipeError) as exc:
            connection.close()
            if connection.reused:
                raise StaleConnection() from exc
            raise
        except BaseException:
            connection.close()
            raise
        self.requests += 1
        return Pending(self, key, connection, url=url, label=label, sent=sent, now=now)

    def _connect(self, key: tuple[str, str, int]) -> _Connection:
        if key[0] == "https" and self._tls is None:
            self._tls = ssl.create_default_context()
        return _Connection(key, timeout=self.timeout,
                           tls=self._tls if key[0] == "https" else None)


_LINE_BREAK = re.compile(r"[\r\n]")
_NOT_IN_TARGET = re.compile(r"[^\x21-\x7e]")  # controls, space and non-ASCII get %-encoded


def _target(path: str, query: str) -> str:
    """The request target, with what may not appear on the request line percent-encoded
    (UTF-8), as browsers do."""
    target = (path or "/") + (f"?{query}" if query else "")
    if _NOT_IN_TARGET.search(target):
        target = _NOT_IN_TARGET.sub(lambda m: quote(m.group(0), safe=""), target)
    return target


def _head_end(raw: bytes, heads: int) -> int:
    """Where the ``heads``-th header block of ``raw`` ends (informational answers before the
    final one have no body, so their heads follow one another)."""
    end = 0
    for _ in range(heads):
        crlf, lf = raw.find(b"\r\n\r\n", end), raw.find(b"\n\n", end)
        if crlf != -1 and (lf == -1 or crlf + 2 <= lf):
            end = crlf + 4
        elif lf != -1:
            end = lf + 2
        else:
            raise Unanswered("header block without an end")
    return end


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
        return jsonio.loads(body)
    except ValueError as exc:
        raise BrokenBody(f"body is not complete JSON ({type(exc).__name__})") from None
