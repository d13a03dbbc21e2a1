"""The Graph API pieces both Meta sources share, and the sample platform's Graph dialect."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from civicrecords.archiver.sample.graph import Field, FieldsError, parse_fields
from civicrecords.archiver.sample.meta import APP_SECRET
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.archiver.sources.graph import (
    GraphAuth,
    GraphRateLimits,
    appsecret_proof,
    graph_error,
    is_recent,
    next_page,
    public_url,
)
from civicrecords.archiver.sources.graph_fetch import token_info
from civicrecords.demo import DEMO_TOKEN


class Answer:
    def __init__(self, status: int, body: Any = None, **headers: str) -> None:
        self.status = status
        self.body = body
        self.headers = {k.replace("_", "-"): v for k, v in headers.items()}
        self.fetched_at = datetime(2026, 1, 1, tzinfo=UTC)

    def json_or_none(self) -> Any:
        return self.body


def throttled(code: int) -> dict[str, Any]:
    return {"error": {"message": f"(#{code}) limit reached", "type": "OAuthException",
                      "code": code, "is_transient": True}}


POLICY = GraphRateLimits(backoff_seconds=1.0, max_backoff_seconds=900.0)


def test_throttling_codes_wait_for_the_announced_time_or_back_off() -> None:
    buc = json.dumps({"1": [{"type": "pages", "call_count": 100, "total_cputime": 3,
                             "total_time": 4, "estimated_time_to_regain_access": 7}]})
    assert POLICY.retry_after(Answer(400, throttled(80001),
                                     x_business_use_case_usage=buc), 1) == 420
    for code in (4, 17, 32, 613, 80002):
        assert POLICY.retry_after(Answer(400, throttled(code)), 1) == 2.0
        assert POLICY.retry_after(Answer(403, throttled(code)), 3) == 8.0
    capped = GraphRateLimits(backoff_seconds=1.0, max_backoff_seconds=60.0)
    assert capped.retry_after(Answer(400, throttled(80001), x_business_use_case_usage=buc),
                              1) == 60


def test_other_errors_are_not_retried_but_transient_ones_are() -> None:
    token = {"error": {"message": "expired", "type": "OAuthException", "code": 190,
                       "error_subcode": 463}}
    missing = {"error": {"message": "gone", "type": "GraphMethodException", "code": 100,
                         "error_subcode": 33}}
    assert POLICY.retry_after(Answer(400, token), 1) is None
    assert POLICY.retry_after(Answer(400, missing), 1) is None
    assert POLICY.retry_after(Answer(500, {"error": {"message": "x", "code": 2,
                                                     "is_transient": True}}), 2) == 2.0
    assert POLICY.retry_after(Answer(502, "<html>"), 1) == 1.0  # plain 5xx: standard rules
    assert POLICY.retry_after(Answer(429, None, retry_after="30"), 1) == 30


def test_usage_above_ninety_percent_slows_down_and_exhausted_quota_waits() -> None:
    assert POLICY.pause_after(Answer(200, x_app_usage='{"call_count":89}')) == 0.0
    assert POLICY.pause_after(Answer(200, x_app_usage='{"total_time":93}')) == 1.0
    assert POLICY.pause_after(Answer(200, x_page_usage='{"total_cputime":100}')) == 900.0
    assert POLICY.pause_after(Answer(200, x_app_usage="not json")) == 0.0


def test_next_page_stays_on_our_host_and_carries_only_cursors() -> None:
    ours = "https://proxy.city.example/graph/v21.0/42/feed?fields=id&access_token=MINE&limit=5"
    echoed = {"paging": {"cursors": {"after": "QUZ"}, "next": (
        "https://graph.facebook.com/v21.0/42/feed?fields=id&access_token=THEIRS&limit=5"
        "&after=QUZ&pretty=0")}}
    following = next_page(ours, echoed)
    assert following is not None
    parts = urlsplit(following)
    assert (parts.netloc, parts.path) == ("proxy.city.example", "/graph/v21.0/42/feed")
    assert parse_qs(parts.query) == {"fields": ["id"], "access_token": ["MINE"],
                                     "limit": ["5"], "after": ["QUZ"]}
    assert next_page(following, {"paging": {"cursors": {"after": "X"}}}) is None
    assert next_page(ours, {"data": []}) is None


def test_credentials_travel_as_parameters_with_a_proof_and_never_in_gaps() -> None:
    auth = GraphAuth("TOKEN-123", "SECRET")
    expected = hmac.new(b"SECRET", b"TOKEN-123", hashlib.sha256).hexdigest()
    assert auth.params() == {"access_token": "TOKEN-123", "appsecret_proof": expected}
    assert appsecret_proof("TOKEN-123", None) is None and GraphAuth(None).params() == {}
    url = auth.url("https://graph.example/v21.0/", "/42/feed", fields="id,attachments{url}")
    assert url.startswith("https://graph.example/v21.0/42/feed?fields=id,attachments{url}&")
    assert "TOKEN" not in public_url(url) and expected not in public_url(url)


def test_debug_token_answers_are_read_as_validity_expiry_and_permissions() -> None:
    info = token_info({"data": {"is_valid": True, "type": "PAGE", "expires_at": 0,
                                "data_access_expires_at": 1893456000,
                                "scopes": ["pages_messaging"]}})
    assert info is not None and info.valid and info.expires_at is None
    assert info.data_access_expires_at == "2030-01-01T00:00:00Z"
    assert info.scopes == ("pages_messaging",)
    dead = token_info({"data": {"is_valid": False, "expires_at": 1700000000,
                                "error": {"code": 190, "message": "Session has expired"}}})
    assert dead is not None and not dead.valid and dead.detail == "Session has expired"
    assert token_info({"error": {"code": 190}}) is None


def test_recent_compares_graph_and_iso_times() -> None:
    assert is_recent("2026-03-04T05:06:07+0000", "2026-03-04T05:06:07Z")
    assert not is_recent("2026-03-04T05:06:06+0000", "2026-03-04T05:06:07.000001Z")
    assert not is_recent(None, "2026-01-01T00:00:00Z") and not is_recent("garbage", "x")


def test_a_code_only_in_the_message_is_read() -> None:
    error = graph_error({"error": {"type": "OAuthException",
                                   "message": "(#613) Calls to this api have exceeded"}})
    assert error is not None and (error.code, error.kind) == (613, "throttled")


# ----- the sample platform's dialect ---------------------------------------------------------

def test_field_expansion_parses_nesting_modifiers_and_aliases() -> None:
    fields = parse_fields("id,attachments{media,target{id}},"
                          "reactions.type(LOVE).limit(0).summary(total_count).as(love)")
    assert [f.key for f in fields] == ["id", "attachments", "love"]
    assert fields[1].children is not None and fields[1].children[1].children == [Field("id")]
    assert fields[2].params == {"type": "LOVE", "limit": "0", "summary": "total_count"}
    for broken in ("id,", "a{b", "a.limit(0", "{a}", "a..b"):
        with pytest.raises(FieldsError):
            parse_fields(broken)


def _get(base: str, path: str, **params: str) -> tuple[int, dict[str, str], Any]:
    return _fetch(f"{base}{path}?{urlencode(params)}")


def _fetch(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            status, headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        body, status, headers = error.read(), error.code, dict(error.headers)
    try:
        return status, headers, json.loads(body)
    except ValueError:
        return status, headers, body


def test_the_sample_speaks_graphs_errors_paging_and_signed_cdn_urls() -> None:
    with SamplePlatform(posts=40, token=DEMO_TOKEN) as server:
        base, city = server.base_url, server.world.city
        status, _, body = _get(base, "/v21.0/lakeside")
        assert (status, body["error"]["code"]) == (400, 104)
        status, headers, body = _get(base, "/v21.0/lakeside", access_token="nope")
        assert (status, body["error"]["code"]) == (400, 190)
        assert headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform"')
        status, _, body = _get(base, "/v21.0/lakeside", access_token=DEMO_TOKEN,
                               appsecret_proof="0" * 64)
        assert "appsecret_proof" in body["error"]["message"]
        proof = hmac.new(APP_SECRET.encode(), DEMO_TOKEN.encode(), hashlib.sha256).hexdigest()
        status, headers, body = _get(base, "/v21.0/lakeside", access_token=DEMO_TOKEN,
                                     appsecret_proof=proof, fields="id,name")
        assert status == 200 and body == {"id": city.id, "name": city.display_name}
        assert json.loads(headers["x-app-usage"])["call_count"] == 0
        status, _, body = _get(base, f"/v21.0/{city.id}/feed", access_token=DEMO_TOKEN,
                               fields="id,full_picture", limit="2")
        assert len(body["data"]) == 2
        echoed = urlsplit(body["paging"]["next"])
        assert echoed.netloc == "graph.facebook.com"  # as Graph sends it, token included
        assert parse_qs(echoed.query)["access_token"] == [DEMO_TOKEN]
        status, _, body = _get(base, f"/v21.0/{city.id}/feed", access_token=DEMO_TOKEN,
                               fields="id,nope")
        assert body["error"]["message"].startswith("(#100) Tried accessing nonexisting field")
        status, _, body = _get(base, "/v21.0/123_456", access_token=DEMO_TOKEN)
        assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 33)
        picture = next(p["full_picture"] for p in body_feed(base, city.id)
                       if p.get("full_picture"))
        status, headers, data = _fetch(picture)
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and data[:2] == b"\xff\xd8"
        query = parse_qs(urlsplit(picture).query)
        stale = urlencode({"oh": query["oh"][0], "oe": format(int(time.time()) - 10, "x")})
        assert _fetch(f"{picture.partition('?')[0]}?{stale}")[:3:2] == (403, b"Bad URL hash")
        server.facebook.access.cdn_lifetime = -10
        expired = next(p["full_picture"] for p in body_feed(base, city.id)
                       if p.get("full_picture"))
        assert _fetch(expired)[:3:2] == (403, b"URL signature expired")


def body_feed(base: str, page_id: str) -> list[dict[str, Any]]:
    return _get(base, f"/v21.0/{page_id}/feed", access_token=DEMO_TOKEN,
                fields="id,full_picture", limit="25")[2]["data"]
