"""The recording client against a hostile little server: tokens echoed in query strings,
bodies and cookies; chunked and gzipped bodies; a body cut short without framing."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from civicrecords.archiver.http import FetchFailed, IdleWorkFailed, RecordingClient
from civicrecords.archiver.ratelimit import RateLimitPolicy
from civicrecords.archiver.scrub import Scrubber
from civicrecords.archiver.warc import WarcFileSet
from tests.support import warc_reader

TOKEN = "EAAB-secret-token-0123456789"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        page = {"data": [{"id": "1", "message": "hello"}],
                "paging": {"next": f"http://{self.headers['Host']}/feed?access_token={TOKEN}&after=X"}}
        body = json.dumps(page).encode()
        if self.path.startswith("/gzip"):
            body = gzip.compress(body)
        if self.path.startswith("/cut") and Handler.hits[self.path] == 1:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", f"session={TOKEN}; HttpOnly")
        if self.path.startswith("/gzip"):
            self.send_header("Content-Encoding", "gzip")
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 40):
                piece = body[start:start + 40]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _client(tmp_path: Path, *, ahead: int = 4) -> tuple[RecordingClient, WarcFileSet]:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    warcs = WarcFileSet(tmp_path, job_id="job", account="acct", started=now, max_bytes=10**9,
                        info={}, now=lambda: now)
    client = RecordingClient(warcs, scrubber=Scrubber([TOKEN]), policy=RateLimitPolicy(0, 0),
                             env_now=lambda: now, env_sleep=lambda s: None,
                             monotonic=lambda: 0.0, max_retries=2, ahead=ahead)
    return client, warcs


@pytest.mark.parametrize("path", ["/plain", "/chunked", "/gzip"])
def test_token_in_query_body_and_cookie_is_scrubbed_but_paging_still_works(
        tmp_path: Path, server: str, path: str) -> None:
    client, warcs = _client(tmp_path)
    exchange = client.get(f"{server}{path}?access_token={TOKEN}&fields=id", expect_json=True)
    assert TOKEN in exchange.json()["paging"]["next"]  # the caller can follow the cursor
    assert TOKEN not in exchange.url
    client.close()
    (final,) = warcs.finish()
    raw = final.read_bytes()
    records = warc_reader.parse(final)
    everything = b"".join(r.block for r in records) + b"".join(
        json.dumps(r.headers).encode() for r in records)
    assert TOKEN.encode() not in everything and TOKEN.encode() not in raw
    response = next(r for r in records if r.headers["WARC-Type"] == "response")
    request = next(r for r in records if r.headers["WARC-Type"] == "request")
    assert "access_token=SCRUBBED" in response.headers["WARC-Target-URI"]
    assert "query" in request.headers["Civicrecords-Scrubbed"]
    assert "body" in response.headers["Civicrecords-Scrubbed"]
    assert "set-cookie" in response.headers["Civicrecords-Scrubbed"]
    for record in records:
        warc_reader.check_digests(record)
    assert json.loads(warc_reader.payload_of(response))["data"][0]["message"] == "hello"


def test_body_cut_short_without_framing_is_retried(tmp_path: Path, server: str) -> None:
    client, warcs = _client(tmp_path)
    exchange = client.get(f"{server}/cut-once", expect_json=True)
    assert exchange.json()["data"][0]["id"] == "1"
    assert client.retries == 1
    client.close()
    (final,) = warcs.finish()
    responses = [r for r in warc_reader.parse(final) if r.headers["WARC-Type"] == "response"]
    assert len(responses) == 1  # the broken attempt was not recorded as if complete


def test_unreachable_host_raises_fetch_failed_after_retries(tmp_path: Path) -> None:
    client, _ = _client(tmp_path)
    with pytest.raises(FetchFailed) as caught:
        client.get("http://127.0.0.1:9/nothing")
    assert caught.value.attempts == 3


def test_prefetched_pages_never_asked_for_are_dropped_on_close(tmp_path: Path,
                                                               server: str) -> None:
    client, warcs = _client(tmp_path)
    client.prefetch([f"{server}/plain?n={n}" for n in range(12)])
    client.get(f"{server}/plain?n=0", expect_json=True)
    client.close()  # the other eleven: done, running or cancelled — none is recorded
    (final,) = warcs.finish()
    assert [r.headers["WARC-Type"] for r in warc_reader.parse(final)] == [
        "warcinfo", "request", "response"]


@pytest.mark.parametrize("ahead", [0, 2])
def test_at_most_requests_ahead_are_sent_before_they_are_asked_for(
        tmp_path: Path, server: str, ahead: int) -> None:
    client, warcs = _client(tmp_path, ahead=ahead)
    paths = [f"/plain?ahead={ahead}&n={n}" for n in range(6)]

    def served() -> int:
        return sum(Handler.hits.get(path, 0) for path in paths)

    client.prefetch([server + path for path in paths])
    deadline = time.monotonic() + 5
    while served() < ahead and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # anything more would have arrived by now
    assert served() == ahead
    for path in paths:
        assert client.get(server + path, expect_json=True).status == 200
    client.close()
    assert [Handler.hits[path] for path in paths] == [1] * 6  # each fetched once
    warcs.finish()


def test_waiting_for_an_answer_is_offered_to_the_idle_hook(tmp_path: Path) -> None:
    """An answer not there yet: the hook is called (once per wait) with a test that turns
    true when it has come; an answer already there is read without calling it."""
    gate = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/slow":
                gate.wait(5)
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    client, _ = _client(tmp_path)
    seen: list[bool] = []

    def idle(ready: Callable[[], bool]) -> None:
        seen.append(ready())
        gate.set()  # the platform answers while the hook works
        deadline = time.monotonic() + 5
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.001)
        seen.append(ready())

    client.idle = idle
    try:
        assert client.get(f"{base}/slow", expect_json=True).status == 200
        assert seen == [False, True]
        client.prefetch([f"{base}/fast"])
        time.sleep(0.2)  # the answer is in the socket before it is asked for
        assert client.get(f"{base}/fast", expect_json=True).status == 200
        assert seen == [False, True]
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()


def test_idle_work_that_fails_is_not_mistaken_for_a_network_error(tmp_path: Path) -> None:
    """A full disk while writing held observations must stop the job with that error, not
    be retried as if the platform had reset the connection (the held work would be lost)."""

    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        hits = 0

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            Slow.hits += 1
            time.sleep(0.2)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    client, _ = _client(tmp_path)
    full = OSError(28, "No space left on device")

    def idle(ready: Callable[[], bool]) -> None:
        raise full

    client.idle = idle
    try:
        with pytest.raises(IdleWorkFailed) as failure:
            client.get(f"http://127.0.0.1:{httpd.server_address[1]}/x", expect_json=True)
        assert failure.value.error is full
        deadline = time.monotonic() + 5
        while Slow.hits == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # a retry would have arrived by now
        assert Slow.hits == 1
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()
