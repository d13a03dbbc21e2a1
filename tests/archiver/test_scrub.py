"""Scrubbing HTTP heads: secret headers blanked, secret values and query tokens replaced,
and a head with nothing secret left byte for byte as it was."""

from __future__ import annotations

import pytest

from civicrecords.archiver.scrub import Scrubber

TOKEN = "tok-8f3a9c2e71"


@pytest.fixture
def scrubber() -> Scrubber:
    return Scrubber([TOKEN])


def test_request_head_loses_authorization_and_query_tokens(scrubber: Scrubber) -> None:
    head = (b"GET /api/v1/x?limit=2&access_token=abc HTTP/1.1\r\nHost: h\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\nAccept: */*")
    clean, names = scrubber.headers(head)
    assert TOKEN.encode() not in clean and b"abc" not in clean
    assert clean.startswith(b"GET /api/v1/x?limit=2&access_token=SCRUBBED HTTP/1.1\r\n")
    assert b"Authorization: SCRUBBED" in clean and b"Host: h" in clean
    assert names == ["query", "authorization"]


@pytest.mark.parametrize("line", [b"Set-Cookie: session=s3cr3t; HttpOnly",
                                  b"SET-COOKIE : session=s3cr3t", b"x-api-key: s3cr3t"])
def test_response_head_loses_secret_headers_however_spelled(scrubber: Scrubber,
                                                            line: bytes) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + line
    clean, names = scrubber.headers(head)
    assert b"s3cr3t" not in clean and clean.endswith(b": SCRUBBED")
    assert names == [line.partition(b":")[0].strip().lower().decode()]


def test_a_token_echoed_in_a_response_header_is_replaced(scrubber: Scrubber) -> None:
    head = b"HTTP/1.1 302 Found\r\nLocation: https://x/cb?t=" + TOKEN.encode()
    clean, names = scrubber.headers(head)
    assert clean == b"HTTP/1.1 302 Found\r\nLocation: https://x/cb?t=SCRUBBED"
    assert names == ["value"]


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLink: <https://x/?max_id=1>; "
    b'rel="next"\r\nX-RateLimit-Remaining: 299',
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0",
    b"HTTP/1.1 200 access_token=whatever\r\nX-Cookie-Policy: none",
])
def test_a_response_head_with_nothing_secret_is_kept_as_it_is(scrubber: Scrubber,
                                                              head: bytes) -> None:
    assert scrubber.headers(head) == (head, [])
