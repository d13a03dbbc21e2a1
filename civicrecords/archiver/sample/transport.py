"""HTTP/1.1 on loopback for the sample platform: parsing, framing, compression, faults.

A small threaded server (one thread per connection, keep-alive, ``TCP_NODELAY``, each response
written with a single ``sendall``) rather than ``http.server``: the sample must fetch 100,000+
pages quickly, and fault injection needs control over exactly which bytes reach the socket.

``Encoding`` decides the wire form of each response: gzip (when the client sends
``Accept-Encoding: gzip``) for every response, none, or a deterministic subset of paths; and
``Transfer-Encoding: chunked`` (in chunks of ``chunk_size``) for bodies over
``chunk_threshold`` bytes, for all bodies, or never. Both apply to dynamic responses
(``Response.compressible``, the API); static files (media) always go out whole, with a
``Content-Length``, as a web server or object store sends them. Chunk sizes and gzip output
are deterministic (gzip mtime 0).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import BinaryIO, Literal

from civicrecords.archiver.sample.routing import Response

MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Encoding:
    """How responses are compressed and framed."""

    gzip: Literal["never", "subset", "always"] = "subset"
    gzip_min_bytes: int = 256
    chunked: Literal["never", "over", "always"] = "over"
    chunk_threshold: int = 4096
    chunk_size: int = 4096

    def wants_gzip(self, path: str, accept_encoding: str, size: int) -> bool:
        """Whether a body of ``size`` bytes for ``path`` is sent gzip-compressed."""
        if self.gzip == "never" or size < self.gzip_min_bytes or "gzip" not in accept_encoding:
            return False
        return self.gzip == "always" or zlib.crc32(path.encode()) % 2 == 0

    def wants_chunked(self, size: int) -> bool:
        """Whether a (possibly compressed) body of ``size`` bytes is sent chunked."""
        if self.chunked == "always":
            return True
        return self.chunked == "over" and size > self.chunk_threshold


@dataclass
class Exchange:
    """One request as the transport read it, and what the application decided."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes
    client: str
    response: Response | None = None
    fault: str | None = None  # transport-level fault: reset, reset_headers, truncate
    delay: float = 0.0


App = Callable[[Exchange], None]

_date_cache: list[object] = [0, ""]


def http_date() -> str:
    """The current time as an HTTP date (cached per second)."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class HttpServer(socketserver.ThreadingTCPServer):
    """Threaded TCP server bound to loopback; ``app`` fills in each ``Exchange``."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, encoding: Encoding,
                 idle_timeout: float = 60.0) -> None:
        self.app = app
        self.encoding = encoding
        self.idle_timeout = idle_timeout
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Connection)

    def track(self, sock: socket.socket, add: bool) -> None:
        """Remember (or forget) an open client connection."""
        with self._conn_lock:
            (self._connections.add if add else self._connections.discard)(sock)

    def close_connections(self) -> None:
        """Shut every open client connection down (used by ``stop``)."""
        with self._conn_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _BadRequest(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Connection(socketserver.BaseRequestHandler):
    server: HttpServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.server.idle_timeout)
        rfile = sock.makefile("rb", 65536)
        self.server.track(sock, True)
        try:
            while self._one(sock, rfile):
                pass
        except (OSError, ValueError):
            pass
        finally:
            self.server.track(sock, False)
            rfile.close()

    def _read_head(self, rfile: BinaryIO) -> tuple[str, str, str, dict[str, str]] | None:
        line = rfile.readline(8193)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(8193)
        if not line:
            return None
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400)
        headers: dict[str, str] = {}
        for _ in range(200):
            raw = rfile.readline(8193)
            if raw in (b"\r\n", b"\n", b""):
                return parts[0], parts[1], parts[2], headers
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                raise _BadRequest(400)
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        raise _BadRequest(431)

    def _read_body(self, sock: socket.socket, rfile: BinaryIO, headers: dict[str, str]) -> bytes:
        if headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline(8193) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest(413)
                parts.append(rfile.read(size))
                rfile.readline(8)
        length = int(headers.get("content-length", "0") or 0)
        if length > MAX_BODY or length < 0:
            raise _BadRequest(413)
        return rfile.read(length) if length else b""

    def _one(self, sock: socket.socket, rfile: BinaryIO) -> bool:
        try:
            head = self._read_head(rfile)
            if head is None:
                return False
            method, target, version, headers = head
            body = self._read_body(sock, rfile, headers)
        except _BadRequest as exc:
            sock.sendall(self._bytes(Response.error(exc.status, _reason(exc.status)), "GET",
                                     "/", {}, False)[0])
            return False
        conn = headers.get("connection", "").lower()
        keep = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
        ex = Exchange(method, target, version, headers, body, self.client_address[0])
        self.server.app(ex)
        if ex.delay:
            time.sleep(ex.delay)
        assert ex.response is not None
        path = target.partition("?")[0]
        head_bytes, body_bytes, chunked = self._bytes(ex.response, method, path, headers, keep)
        if ex.fault == "truncate" and not body_bytes:
            ex.fault = "reset_headers"
        if ex.fault in ("reset", "reset_headers"):
            if ex.fault == "reset_headers":
                sock.sendall(head_bytes[: max(12, len(head_bytes) // 2)])
                time.sleep(0.02)  # let the partial head reach the client before the RST
            self._reset(sock, rfile)
            return False
        if ex.fault == "truncate":
            if chunked:
                first = body_bytes.index(b"\r\n") + 2
                size = int(body_bytes[: first - 2], 16)
                sock.sendall(head_bytes + body_bytes[: first + size // 2])
            else:
                sock.sendall(head_bytes + body_bytes[: len(body_bytes) // 2])
            return False
        sock.sendall(head_bytes + body_bytes)
        return keep

    @staticmethod
    def _reset(sock: socket.socket, rfile: BinaryIO) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rfile.close()
        sock.close()

    def _bytes(self, response: Response, method: str, path: str, headers: dict[str, str],
               keep: bool) -> tuple[bytes, bytes, bool]:
        enc = self.server.encoding
        body = response.body
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}",
                 f"Date: {http_date()}", "Server: Mastodon"]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.extend(f"{k}: {v}" for k, v in response.headers)
        if response.compressible and enc.wants_gzip(path, headers.get("accept-encoding", ""),
                                                    len(body)):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            lines.append("Content-Encoding: gzip")
            lines.append("Vary: Accept-Encoding")
        chunked = (response.compressible and enc.wants_chunked(len(body))
                   and response.status not in (204, 304))
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            step = max(1, enc.chunk_size)
            pieces = [b"%x\r\n%b\r\n" % (len(body[i:i + step]), body[i:i + step])
                      for i in range(0, len(body), step)]
            body = b"".join(pieces) + b"0\r\n\r\n"
        else:
            lines.append(f"Content-Length: {len(body)}")
        if not keep:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head, (b"" if method == "HEAD" else body), chunked
