"""The sample platform's X API v2 over real loopback HTTP, checked against real X responses."""

from __future__ import annotations

import gzip
import http.client
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from PIL import Image

from civicrecords.archiver.sample.server import RateLimit, SamplePlatform
from civicrecords.archiver.sources.x import dm_params, tweet_params
from civicrecords.archiver.sources.x_items import parse_page, tweet_item

CORPUS = Path(__file__).parents[1] / "corpora" / "x"


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(base: str, path: str, token: str | None = None) -> Reply:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path.replace(base, ""),
                     headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        data = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        if headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return Reply(resp.status, headers, data)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=300) as platform:
        yield platform


def city_id(server: SamplePlatform) -> str:
    return server.world.city.id


def test_default_fields_are_exactly_what_x_sends_without_parameters(
        server: SamplePlatform) -> None:
    reply = fetch(server.base_url, f"/2/users/{city_id(server)}/tweets", server.token)
    assert reply.status == 200
    body = reply.json()
    recorded = json.loads((CORPUS / "users_tweets_page1_default_fields.json").read_text())
    assert set(body) == set(recorded) == {"data", "meta"}
    assert all(set(t) == set(recorded["data"][0]) for t in body["data"])
    assert len(body["data"]) == 10 and set(body["meta"]) == set(recorded["meta"])
    me = fetch(server.base_url, "/2/users/me", server.token).json()
    assert set(me["data"]) == set(json.loads((CORPUS / "users_me.json").read_text())["data"])


def test_timeline_pages_follow_next_token_to_the_end(server: SamplePlatform) -> None:
    base = f"/2/users/{city_id(server)}/tweets?" + urlencode({"max_results": 100,
                                                              **tweet_params()})
    seen: list[str] = []
    url, pages = base, 0
    while True:
        body = fetch(server.base_url, url, server.token).json()
        pages += 1
        seen += [t["id"] for t in body.get("data", [])]
        assert body["meta"]["result_count"] == len(body.get("data", []))
        token = body["meta"].get("next_token")
        if not token:
            break
        url = base + "&" + urlencode({"pagination_token": token})
    world = server.world
    expected = [world.item(i) for i in world.timeline(world.city, viewer=world.city)]
    on_x = [i for i in expected if i is not None and i.visibility in ("public", "unlisted")
            and i.kind != "message"]
    assert pages > 1 and len(seen) == len(set(seen)) == len(on_x)
    bad = fetch(server.base_url, base + "&pagination_token=nonsense", server.token)
    assert bad.status == 400
    problem = bad.json()
    assert problem["type"].endswith("/invalid-request") and problem["errors"][0]["parameters"]


def test_expansions_fill_includes_with_the_shapes_x_uses(server: SamplePlatform) -> None:
    url = f"/2/users/{city_id(server)}/tweets?" + urlencode({"max_results": 100,
                                                             **tweet_params()})
    body = fetch(server.base_url, url, server.token).json()
    recorded = json.loads((CORPUS / "users_tweets_page_n_with_expansions.json").read_text())
    assert {"users", "media"} <= set(body["includes"])
    assert set(body["includes"]["users"][0]) >= {"id", "name", "username", "created_at",
                                                  "description", "public_metrics"}
    recorded_kinds = {m["type"] for m in recorded["includes"]["media"]}
    assert {m["type"] for m in body["includes"]["media"]} <= recorded_kinds
    for media in body["includes"]["media"]:
        assert media["media_key"].split("_")[0] in ("3", "7", "16")
        if media["type"] != "photo":
            assert any(v["content_type"] == "video/mp4" for v in media["variants"])
    tweet = body["data"][0]
    assert {"author_id", "conversation_id", "created_at", "edit_controls", "public_metrics",
            "edit_history_tweet_ids"} <= set(tweet)
    page = parse_page(body)
    mapped = [tweet_item(t, page, account_name="city", owner_id=city_id(server))
              for t in body["data"]]
    assert all(m.author == "lakeside" and m.kind == "post" for m in mapped)


def test_every_edit_has_its_own_id_and_the_original_id_reads_the_old_text(
        server: SamplePlatform) -> None:
    world = server.world
    post = next(p for p in world.posts(world.city) if len(p.versions) > 1
                and p.visibility == "public")
    ids = [world.revision_id(post, v) for v in post.versions]
    fields = urlencode({"tweet.fields": "edit_history_tweet_ids,created_at,edit_controls",
                        "expansions": "edit_history_tweet_ids"})
    latest = fetch(server.base_url, f"/2/tweets/{ids[-1]}?{fields}", server.token).json()
    assert latest["data"]["edit_history_tweet_ids"] == ids
    assert latest["data"]["edit_controls"]["edits_remaining"] == 5 - (len(ids) - 1)
    assert [t["id"] for t in latest["includes"]["tweets"]] == ids
    first = fetch(server.base_url, f"/2/tweets/{ids[0]}?{fields}", server.token).json()
    assert first["data"]["id"] == ids[0]
    assert first["data"]["text"].split(" https://t.co/")[0] == \
        post.versions[0].text.split(" https://")[0].replace("&", "&amp;")
    assert first["data"]["created_at"] < latest["data"]["created_at"]


def test_missing_and_hidden_tweets_are_errors_in_a_200(server: SamplePlatform) -> None:
    world = server.world
    removed = world.changes().removed_comment_ids[0]
    server.set_state("later")
    try:
        reply = fetch(server.base_url, f"/2/tweets/{removed}", server.token)
    finally:
        server.set_state("initial")
    assert reply.status == 200
    body = reply.json()
    assert "data" not in body
    [error] = body["errors"]
    recorded = json.loads((CORPUS / "tweet_reply_to_deleted_parent.json").read_text())
    assert set(error) == set(recorded["errors"][0])
    assert error["type"].endswith("/resource-not-found") and error["resource_id"] == removed
    hidden = next(c for p in world.posts(world.city) for c in world.comments_of(p)
                  if c.visibility == "private")
    body = fetch(server.base_url, f"/2/tweets?ids={hidden.id}", server.token).json()
    assert body["errors"][0]["type"].endswith("/not-authorized-for-resource")


def test_long_posts_carry_the_full_text_in_note_tweet(server: SamplePlatform) -> None:
    world = server.world
    long = next(c for p in world.posts(world.city) for c in world.comments_of(p)
                if len(c.text) > 280 and c.visibility == "public")
    query = urlencode({"tweet.fields": "note_tweet,entities,author_id",
                       "expansions": "author_id"})
    body = fetch(server.base_url, f"/2/tweets/{long.id}?{query}", server.token).json()
    tweet = body["data"]
    assert len(tweet["text"]) <= 280 and tweet["text"].endswith("\u2026")
    item = tweet_item(tweet, parse_page(body), account_name="city", owner_id="x")
    assert item.extra["long_post"] and len(item.text) > 280
    def words(text: str) -> list[str]:  # X shortens usernames to 15 characters
        return [w for w in text.split() if not w.startswith("@")]

    assert words(item.text) == words(long.text)


def test_hostile_text_arrives_escaped_and_maps_back_to_plain_data(
        server: SamplePlatform) -> None:
    world = server.world
    hostile = [h.item_ref for h in world.hostile_items() if h.field in ("text", "content")]
    found = 0
    for item_id in hostile:
        item = world.item(item_id)
        if item is None or item.visibility not in ("public", "unlisted") or "<" not in item.text:
            continue
        reply = fetch(server.base_url, f"/2/tweets/{item_id}", server.token)
        assert b"<" not in reply.body  # escaped as X does
        tweet = reply.json()["data"]
        assert "&lt;" in tweet["text"]
        mapped = tweet_item(tweet, parse_page(reply.json()), account_name="c", owner_id="x")
        assert "<" in mapped.text and "&lt;" not in mapped.text
        found += 1
    assert found


def test_auth_tiers_and_their_refusals(server: SamplePlatform) -> None:
    anonymous = fetch(server.base_url, f"/2/users/{city_id(server)}/tweets")
    assert anonymous.status == 401 and anonymous.json()["title"] == "Unauthorized"
    app = f"{server.token}-app"
    dms = fetch(server.base_url, "/2/dm_events?" + urlencode(dm_params()), app)
    assert dms.status == 403 and dms.json()["type"].endswith("/unsupported-authentication")
    assert fetch(server.base_url, "/2/users/me", app).status == 403
    query = "/2/tweets/search/all?" + urlencode({"query": f"conversation_id:{city_id(server)}"})
    server.x.tier = "basic"
    try:
        refused = fetch(server.base_url, query, server.token)
    finally:
        server.x.tier = "pro"
    assert refused.status == 403
    assert set(refused.json()) == {"client_id", "detail", "registration_url", "title",
                                   "required_enrollment", "reason", "type"}
    assert refused.json()["reason"] == "client-not-enrolled"
    bad = fetch(server.base_url, "/2/tweets/search/all?query=plow", server.token)
    assert bad.status == 400 and bad.json()["title"] == "Invalid Request"


def test_direct_messages_are_the_last_30_days_newest_first(server: SamplePlatform) -> None:
    server.set_state("later")
    try:
        body = fetch(server.base_url, "/2/dm_events?" + urlencode(dm_params()),
                     server.token).json()
    finally:
        server.set_state("initial")
    events = body["data"]
    assert events and all(e["event_type"] == "MessageCreate" for e in events)
    stamps = [e["created_at"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert all(e["dm_conversation_id"] for e in events)
    assert {u["id"] for u in body["includes"]["users"]} >= {e["sender_id"] for e in events}
    recorded = json.loads((CORPUS / "dm_events_by_conversation.json").read_text())
    assert set(recorded["data"][0]) <= set(events[0])


def test_rate_limit_headers_and_the_429_are_xs(tmp_path: Path) -> None:
    with SamplePlatform(posts=20, rate_limit=RateLimit(3, 900, True)) as platform:
        path = f"/2/users/{platform.world.city.id}/tweets"
        answers = [fetch(platform.base_url, path, platform.token) for _ in range(4)]
    remaining = [int(a.headers["x-rate-limit-remaining"]) for a in answers]
    assert remaining == [2, 1, 0, 0]
    assert all(a.headers["x-rate-limit-limit"] == "3" for a in answers)
    assert all(int(a.headers["x-rate-limit-reset"]) > 1_700_000_000 for a in answers)
    throttled = answers[-1]
    assert throttled.status == 429 and "retry-after" not in throttled.headers
    assert throttled.json() == {"title": "Too Many Requests", "detail": "Too Many Requests",
                                "type": "about:blank", "status": 429}


def test_media_files_are_real_pictures_and_videos(server: SamplePlatform) -> None:
    url = f"/2/users/{city_id(server)}/tweets?" + urlencode({"max_results": 100,
                                                             **tweet_params()})
    media = fetch(server.base_url, url, server.token).json()["includes"]["media"]
    kinds = set()
    for entry in media:
        if entry["type"] == "photo":
            data = fetch(server.base_url, entry["url"]).body
            Image.open(io.BytesIO(data)).verify()
        else:
            best = max((v for v in entry["variants"] if v["content_type"] == "video/mp4"),
                       key=lambda v: v["bit_rate"])
            assert fetch(server.base_url, best["url"]).body[4:8] == b"ftyp"
            preview = fetch(server.base_url, entry["preview_image_url"]).body
            Image.open(io.BytesIO(preview)).verify()
        kinds.add(entry["type"])
    assert "photo" in kinds
    assert fetch(server.base_url, "/pbs.twimg.com/media/AAAAAAAAAAAAAAA.jpg").status == 404
