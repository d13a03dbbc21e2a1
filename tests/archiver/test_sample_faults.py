"""The sample platform's transport: gzip, chunked framing, faults, rate limits, admin, CLI."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from civicrecords.archiver.sample import Encoding, FaultPlan, RateLimit, SamplePlatform


def raw(port: int, path: str, headers: str = "") -> tuple[bytes, bytes, bool]:
    """Send one request on a raw socket; return (head, body as received, closed cleanly)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"
                     .encode())
        data, clean = b"", True
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            clean = False
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, clean


def dechunk(body: bytes) -> tuple[bytes, int]:
    """Decode a complete chunked body; return (payload, number of chunks)."""
    out, count = b"", 0
    while True:
        line, _, rest = body.partition(b"\r\n")
        size = int(line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return out, count
        out, count, body = out + rest[:size], count + 1, rest[size + 2:]


def get(port: int, path: str, headers: dict[str, str] | None = None,
        method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture()
def server(request: pytest.FixtureRequest) -> Iterator[SamplePlatform]:
    kwargs: dict[str, Any] = getattr(request, "param", {})
    platform = SamplePlatform(seed=3, posts=80, **kwargs).start()
    try:
        yield platform
    finally:
        platform.stop()


def _status_paths(p: SamplePlatform, n: int) -> list[str]:
    return [f"/api/v1/statuses/{i}" for i in p.world.timeline(p.world.city, "initial")[:n]]


@pytest.mark.parametrize("server", [{"encoding": Encoding(gzip="always", chunked="always",
                                                          chunk_size=100)}], indirect=True)
def test_gzip_and_chunked_responses_decode(server: SamplePlatform) -> None:
    path = _status_paths(server, 1)[0]
    head, body, _ = raw(server.port, path, "Accept-Encoding: gzip\r\n")
    assert b"Content-Encoding: gzip" in head and b"Transfer-Encoding: chunked" in head
    payload, chunks = dechunk(body)
    assert chunks > 2
    data = json.loads(gzip.decompress(payload))
    head, body, _ = raw(server.port, path)
    assert b"Content-Encoding" not in head
    assert json.loads(dechunk(body)[0]) == data
    status, _, plain = get(server.port, path)  # http.client de-chunks on its own
    assert status == 200 and json.loads(plain) == data


def test_default_encoding_mixes_framings(server: SamplePlatform) -> None:
    gz = Counter()
    for path in _status_paths(server, 30):
        head, _, _ = raw(server.port, path, "Accept-Encoding: gzip, deflate\r\n")
        gz[b"Content-Encoding: gzip" in head] += 1
    assert gz[True] and gz[False], "a deterministic subset of paths is gzipped"
    account = server.world.city.id
    head, body, _ = raw(server.port, f"/api/v1/accounts/{account}/statuses?limit=40")
    assert b"Transfer-Encoding: chunked" in head and dechunk(body)[1] > 1
    head, _, _ = raw(server.port, f"/api/v1/accounts/{account}")
    assert b"Content-Length:" in head and b"chunked" not in head


@pytest.mark.parametrize("kind", ["429", "500", "502", "503"])
def test_error_faults_then_success(server: SamplePlatform, kind: str) -> None:
    server.set_faults(FaultPlan(rate=1.0, kinds=(kind,), max_per_url=1, retry_after=3))
    path = _status_paths(server, 1)[0]
    status, headers, body = get(server.port, path)
    assert status == int(kind) and body
    if kind == "429":
        assert json.loads(body) == {"error": "Too many requests"}
        assert headers["retry-after"] == "3" and headers["x-ratelimit-remaining"] == "0"
    if kind == "503":
        assert "temporary problem" in json.loads(body)["error"]
    if kind in ("500", "502"):
        assert headers["content-type"].startswith("text/html")
    assert get(server.port, path)[0] == 200
    assert server.stats()["faults"]["injected"] == {kind: 1}


@pytest.mark.parametrize("kind", ["reset", "reset_headers"])
def test_reset_faults(server: SamplePlatform, kind: str) -> None:
    server.set_faults(FaultPlan(rate=1.0, kinds=(kind,), max_per_url=1))
    path = _status_paths(server, 1)[0]
    head, body, clean = raw(server.port, path)
    assert not clean and body == b""
    assert head == b"" if kind == "reset" else head.startswith(b"HTTP/1.1 200")
    server.set_faults(FaultPlan(rate=1.0, kinds=(kind,), max_per_url=1))
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        get(server.port, path)
    assert get(server.port, path)[0] == 200


@pytest.mark.parametrize("server", [{"encoding": Encoding(chunked="never")},
                                    {"encoding": Encoding(chunked="always", chunk_size=64)}],
                         indirect=True)
def test_truncate_fault(server: SamplePlatform) -> None:
    server.set_faults(FaultPlan(rate=1.0, kinds=("truncate",), max_per_url=1))
    path = _status_paths(server, 1)[0]
    head, body, _ = raw(server.port, path)
    if server.encoding.chunked == "never":
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        assert 0 < len(body) < length
    else:
        size_line, _, rest = body.partition(b"\r\n")
        assert 0 < len(rest) < int(size_line, 16), "cut in the middle of the first chunk"
    server.set_faults(FaultPlan(rate=1.0, kinds=("truncate",), max_per_url=1))
    with pytest.raises(http.client.IncompleteRead):
        get(server.port, path)
    assert get(server.port, path)[0] == 200


def test_slow_fault(server: SamplePlatform) -> None:
    server.set_faults(FaultPlan(rate=1.0, kinds=("slow",), max_per_url=1, slow_seconds=0.3))
    path = _status_paths(server, 1)[0]
    started = time.perf_counter()
    assert get(server.port, path)[0] == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    get(server.port, path)
    assert time.perf_counter() - started < 0.3


def _retrying_fetch(port: int, path: str, attempts: int) -> tuple[int, list[str]]:
    seen = []
    for _ in range(attempts):
        try:
            status, _, body = get(port, path)
            if status == 200:
                json.loads(body)
                return status, seen
            seen.append(str(status))
        except (ConnectionError, http.client.HTTPException, json.JSONDecodeError) as exc:
            seen.append(type(exc).__name__)
    return 0, seen


def test_max_per_url_bounds_failures_and_choices_are_deterministic() -> None:
    plan = FaultPlan(rate=0.6, kinds=("429", "500", "503", "reset", "reset_headers",
                                      "truncate"), max_per_url=2, seed=11)
    logs = []
    for _ in range(2):
        with SamplePlatform(seed=3, posts=80, faults=plan) as p:
            paths = _status_paths(p, 40)
            for path in paths:
                status, failures = _retrying_fetch(p.port, path, 3)
                assert status == 200 and len(failures) <= 2
            logs.append(p.stats()["faults"]["log"])
            kinds = set(p.stats()["faults"]["injected"])
    assert logs[0] == logs[1] and len(logs[0]) > 10
    assert kinds == set(plan.kinds)
    assert all(attempt < 2 for _target, attempt, _kind in logs[0])


def test_permanent_failure_for_one_url(server: SamplePlatform) -> None:
    broken, fine = _status_paths(server, 2)
    server.set_faults(FaultPlan(permanent={f"{broken}/context": "503", fine: "reset"}))
    for _ in range(5):
        assert get(server.port, f"{broken}/context")[0] == 503
    assert get(server.port, broken)[0] == 200
    status, failures = _retrying_fetch(server.port, fine, 4)
    assert status == 0 and len(failures) == 4
    assert server.stats()["faults"]["injected"] == {"503": 5, "reset": 4}


def test_admin_endpoints_steer_a_running_server(server: SamplePlatform) -> None:
    plan = {"rate": 1.0, "kinds": ["502"], "max_per_url": 1, "seed": 5}
    status, _, body = get(server.port, "/_sample/faults", method="POST",
                          body=json.dumps(plan).encode())
    assert status == 200 and json.loads(body)["plan"]["kinds"] == ["502"]
    path = _status_paths(server, 1)[0]
    assert get(server.port, path)[0] == 502
    assert get(server.port, "/_sample/faults", method="POST", body=b'{"rate": 2}')[0] == 400
    assert get(server.port, "/_sample/faults", method="POST", body=b'{"kinds": ["x"]}')[0] == 400
    assert get(server.port, "/_sample/faults", method="POST", body=b"null")[0] == 200
    assert get(server.port, path)[0] == 200
    stats = json.loads(get(server.port, "/_sample/stats")[2])
    assert stats["by_path"][path] == {"502": 1, "200": 1}
    assert stats["by_route"]["statuses.show"]["200"] >= 1
    changes = json.loads(get(server.port, "/_sample/changes")[2])
    assert changes["removed_comment_ids"] == list(server.world.changes().removed_comment_ids)
    assert get(server.port, "/_sample/stats/reset", method="POST")[0] == 200
    assert get(server.port, "/_sample/state", method="DELETE")[0] == 405


@pytest.mark.parametrize("server", [{"rate_limit": RateLimit(limit=3, period=300)}],
                         indirect=True)
def test_enforced_rate_limit(server: SamplePlatform) -> None:
    path = _status_paths(server, 1)[0]
    remaining = [get(server.port, path)[1]["x-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    status, headers, body = get(server.port, path)
    assert status == 429 and json.loads(body) == {"error": "Too many requests"}
    assert headers["x-ratelimit-remaining"] == "0"
    other = get(server.port, path, {"Authorization": f"Bearer {server.token}"})
    assert other[0] == 200, "budgets are per token"


def test_keep_alive_and_connection_close(server: SamplePlatform) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for path in _status_paths(server, 5):
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200 and resp.getheader("Connection") is None
            resp.read()
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        assert resp.getheader("Connection") == "close"
        resp.read()
    finally:
        conn.close()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")


def test_binds_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SamplePlatform(host="0.0.0.0")


def test_command_line_runs_in_the_foreground() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "civicrecords.archiver.sample", "--port", "0",
                             "--posts", "40", "--seed", "2", "--token", "T"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        port = int(base.rsplit(":", 1)[1])
        status, _, body = get(port, "/api/v1/accounts/verify_credentials",
                              {"Authorization": "Bearer T"})
        assert status == 200 and json.loads(body)["username"] == "lakeside"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_sequential_throughput() -> None:
    with SamplePlatform(seed=1, posts=300) as p:
        conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
        path = _status_paths(p, 1)[0]
        conn.request("GET", path)
        conn.getresponse().read()
        n, started = 1500, time.perf_counter()
        for _ in range(n):
            conn.request("GET", path)
            conn.getresponse().read()
        rate = n / (time.perf_counter() - started)
        conn.close()
    print(f"sample platform: {rate:.0f} requests/s from one sequential client")
    assert rate > 300  # generous: the target on 2 cores is > 1,500
