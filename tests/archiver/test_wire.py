"""The HTTP/1.1 wire layer against a scripted server that sends exact bytes: every byte
received is kept, framing is honoured, and malformed answers are errors, never records."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from civicrecords.archiver.wire import (
    ConnectionPool,
    Fetched,
    StaleConnection,
    TooLarge,
    Unanswered,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)
Script = Callable[[bytes, int], bytes | None]  # (request, its number on the connection) -> answer


class ScriptedServer:
    """Loopback server: each request is answered with the bytes ``script`` returns (None:
    close the connection without answering). Keeps what it received."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.connections = 0
        self.close_after = False  # hang up after each answer
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(sock,), daemon=True).start()

    def _connection(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(OSError):  # the client may hang up first
            buffer, number = b"", 0
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                request, _, buffer = buffer.partition(b"\r\n\r\n")
                self.requests.append(request)
                number += 1
                answer = self.script(request, number)
                if answer is None:
                    return
                sock.sendall(answer)
                if self.close_after:
                    return

    def url(self, path: str = "/x") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Script], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fetch(pool: ConnectionPool, url: str, *, max_bytes: int = 1 << 20, keep_body: bool = True,
          expect_json: bool = False) -> Fetched:
    return pool.send(url, {}, now=NOW, label=url).receive(
        max_bytes=max_bytes, keep_body=keep_body, expect_json=expect_json)


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def spooled(fetched: Fetched) -> bytes:
    fetched.spool.file.seek(0)
    return fetched.spool.file.read()


def test_every_byte_is_kept_and_the_connection_reused(serve: Callable) -> None:
    sent = answer(b'{"a": 1}', "Content-Type: application/json")
    server = serve(lambda request, n: sent)
    pool = ConnectionPool(timeout=5, user_agent="test")
    first = fetch(pool, server.url("/one"), expect_json=True)
    second = fetch(pool, server.url("/two?q=1"))
    pool.close()
    assert spooled(first) == sent and first.parsed == {"a": 1}
    assert first.head_length == sent.index(b"\r\n\r\n") + 4
    assert first.payload_sha256 == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert second.headers["content-type"] == "application/json"
    assert server.connections == 1  # kept alive
    assert server.requests[1].startswith(b"GET /two?q=1 HTTP/1.1\r\n")
    assert first.sent.startswith(b"GET /one HTTP/1.1\r\nHost: 127.0.0.1:")


def test_chunked_gzip_body_keeps_its_framing_and_digests_the_payload(serve: Callable) -> None:
    payload = gzip.compress(b'{"chunked": true}')
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 7]), payload[i:i + 7])
                      for i in range(0, len(payload), 7)) + b"0\r\n\r\n"
    sent = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
            + chunks)
    server = serve(lambda request, n: sent)
    pool = ConnectionPool(timeout=5, user_agent="test")
    fetched = fetch(pool, server.url(), expect_json=True)
    pool.close()
    assert spooled(fetched) == sent  # chunk sizes included, as on the wire
    assert fetched.payload_sha256 == hashlib.sha256(payload).hexdigest()
    assert fetched.parsed == {"chunked": True}


def test_informational_answers_are_kept_before_the_final_head(serve: Callable) -> None:
    final = answer(b"{}")
    sent = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + final
    server = serve(lambda request, n: sent)
    pool = ConnectionPool(timeout=5, user_agent="test")
    fetched = fetch(pool, server.url())
    pool.close()
    assert fetched.status == 200 and spooled(fetched) == sent
    assert fetched.head_length == len(sent) - 2


def test_body_ending_at_close_is_complete_and_the_connection_dropped(serve: Callable) -> None:
    server = serve(lambda request, n: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
    server.close_after = True
    pool = ConnectionPool(timeout=5, user_agent="test")
    fetched = fetch(pool, server.url())
    assert fetched.body == b"all of it" and fetched.will_close
    fetch(pool, server.url())
    pool.close()
    assert server.connections == 2


def test_truncated_body_raises_incomplete_read(serve: Callable) -> None:
    server = serve(lambda request, n: answer(b"0123456789")[:-4])
    server.close_after = True
    pool = ConnectionPool(timeout=5, user_agent="test")
    with pytest.raises(http.client.IncompleteRead):
        fetch(pool, server.url())
    pool.close()


def test_bytes_after_the_answer_and_malformed_answers_are_errors(serve: Callable) -> None:
    pool = ConnectionPool(timeout=5, user_agent="test")
    extra = serve(lambda request, n: answer(b"{}") + b"HTTP/1.1 200 OK\r\n\r\n")
    with pytest.raises(Unanswered):
        fetch(pool, extra.url())
    garbage = serve(lambda request, n: b"NOT HTTP AT ALL\r\n\r\n")
    with pytest.raises(Unanswered):
        fetch(pool, garbage.url())
    endless = serve(lambda request, n: b"HTTP/1.1 200 OK\r\nX: " + b"a" * (2 << 20))
    with pytest.raises((Unanswered, http.client.HTTPException)):
        fetch(pool, endless.url())
    pool.close()


def test_size_cap_by_declared_length_and_by_streamed_bytes(serve: Callable) -> None:
    pool = ConnectionPool(timeout=5, user_agent="test")
    declared = serve(lambda request, n: answer(b"x" * 5000))
    with pytest.raises(TooLarge):
        fetch(pool, declared.url(), max_bytes=1000)
    streamed = serve(lambda request, n: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                     + b"y" * 5000)
    streamed.close_after = True
    with pytest.raises(TooLarge):
        fetch(pool, streamed.url(), max_bytes=1000, keep_body=False)
    pool.close()


def test_a_kept_connection_the_server_closed_is_stale(serve: Callable) -> None:
    server = serve(lambda request, n: answer(b"{}") if n == 1 else None)
    pool = ConnectionPool(timeout=5, user_agent="test")
    fetch(pool, server.url())
    with pytest.raises(StaleConnection):
        fetch(pool, server.url())
    fetch(pool, server.url())  # a fresh connection works
    pool.close()


def test_requests_sent_ahead_are_answered_in_any_order_of_reading(serve: Callable) -> None:
    server = serve(lambda request, n: answer(request.split(b" ")[1]))
    pool = ConnectionPool(timeout=5, user_agent="test")
    pending = [pool.send(server.url(f"/p{i}"), {}, now=NOW, label="p") for i in range(3)]
    bodies = [p.receive(max_bytes=100, keep_body=True, expect_json=False).body
              for p in reversed(pending)]
    pool.close()
    assert bodies == [b"/p2", b"/p1", b"/p0"]
    assert server.connections == 3  # one connection each


def test_request_line_and_headers_cannot_be_forged(serve: Callable) -> None:
    server = serve(lambda request, n: answer(b"{}"))
    pool = ConnectionPool(timeout=5, user_agent="test")
    with pytest.raises(ValueError):
        pool.send(server.url(), {"X-Evil": "a\r\nInjected: 1"}, now=NOW, label="x")
    fetch(pool, server.url("/caf\u00e9 menu"))
    pool.close()
    assert server.requests[-1].startswith(b"GET /caf%C3%A9%20menu HTTP/1.1\r\n")


def test_unreachable_port_raises_an_os_error() -> None:
    pool = ConnectionPool(timeout=2, user_agent="test")
    with pytest.raises(OSError):
        fetch(pool, "http://127.0.0.1:9/nothing")
