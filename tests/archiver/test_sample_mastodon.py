"""The sample platform's Mastodon API over real loopback HTTP, checked against real responses."""

from __future__ import annotations

import gzip
import http.client
import io
import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from civicrecords.archiver.sample import SamplePlatform

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "mastodon" / "statuses.json"
if not CORPUS.exists():  # not vendored: the shared copy beside the repository
    CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "mastodon" / \
        "statuses.json"
AUTH_ONLY = {"favourited", "reblogged", "muted", "bookmarked", "filtered", "pinned"}
NEXT = re.compile(r'<([^>]+)>; rel="next"')


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(base: str, path: str, token: str | None = None, method: str = "GET",
          body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One request on a fresh connection; gzip bodies are decoded, chunked ones de-chunked."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        conn.request(method, path.replace(base, ""), body=body, headers=sent)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if hdrs.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return Reply(resp.status, hdrs, data)
    finally:
        conn.close()


def walk(base: str, path: str, token: str | None = None) -> Iterator[Reply]:
    """Follow rel="next" links from ``path`` until there is none."""
    url: str | None = path
    for _ in range(10_000):
        if url is None:
            return
        reply = fetch(base, url, token)
        assert reply.status == 200, reply.body
        yield reply
        found = NEXT.search(reply.headers.get("link", ""))
        url = found.group(1) if found else None
    raise AssertionError("pagination did not terminate")


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return json.loads(CORPUS.read_text())


@pytest.fixture(scope="module")
def platform() -> Iterator[SamplePlatform]:
    p = SamplePlatform(seed=1, posts=300)
    p.start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def city_id(platform: SamplePlatform) -> str:
    return fetch(platform.base_url, "/api/v1/accounts/lookup?acct=lakeside").json()["id"]


def test_lookup_accepts_every_acct_form(platform: SamplePlatform) -> None:
    base, host = platform.base_url, urlsplit(platform.base_url).netloc
    ids = {fetch(base, f"/api/v1/accounts/lookup?acct={acct}").json()["id"]
           for acct in ("lakeside", "@lakeside", f"lakeside@{host}", "LAKESIDE",
                        "lakeside@127.0.0.1")}
    assert ids == {platform.world.city.id}
    missing = fetch(base, "/api/v1/accounts/lookup?acct=nobody")
    assert (missing.status, missing.json()) == (404, {"error": "Record not found"})
    reply = fetch(base, f"/api/v1/accounts/{platform.world.mayor.id}")
    assert reply.json()["username"] == "mayor"
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert int(reply.headers["x-ratelimit-limit"]) >= int(reply.headers["x-ratelimit-remaining"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                        reply.headers["x-ratelimit-reset"])


def test_token_is_required_where_mastodon_requires_one(platform: SamplePlatform) -> None:
    base = platform.base_url
    for path in ("/api/v1/accounts/verify_credentials", "/api/v1/conversations"):
        for token in (None, "wrong-token"):
            reply = fetch(base, path, token)
            assert (reply.status, reply.json()) == (401, {"error": "The access token is invalid"})
            assert "invalid_token" in reply.headers["www-authenticate"]
    me = fetch(base, "/api/v1/accounts/verify_credentials", platform.token).json()
    assert me["username"] == "lakeside" and {"source", "role"} <= me.keys()
    mayor_token = next(t for t, u in platform.tokens.items() if u == "mayor")
    assert fetch(base, "/api/v1/accounts/verify_credentials", mayor_token).json()["acct"] == \
        "mayor"
    query = fetch(base, f"/api/v1/accounts/verify_credentials?access_token={platform.token}")
    assert query.status == 200
    assert fetch(base, "/api/v1/accounts/lookup?acct=lakeside", "wrong").status == 401


@pytest.mark.parametrize("token", [False, True])
def test_link_pagination_walks_every_status_once(platform: SamplePlatform, city_id: str,
                                                 token: bool) -> None:
    base, world = platform.base_url, platform.world
    pages = list(walk(base, f"/api/v1/accounts/{city_id}/statuses?limit=40",
                      platform.token if token else None))
    ids = [s["id"] for page in pages for s in page.json()]
    assert len(ids) == len(set(ids))
    viewer = world.city if token else None
    assert ids == world.timeline(world.city, "initial", viewer=viewer)
    first = pages[0]
    link = first.headers["link"]
    path = f"{base}/api/v1/accounts/{city_id}/statuses"
    assert re.fullmatch(rf'<{re.escape(path)}\?limit=40&max_id=\d+>; rel="next", '
                        rf'<{re.escape(path)}\?limit=40&min_id=\d+>; rel="prev"', link)
    assert f"max_id={ids[39]}>" in link and f"min_id={ids[0]}>" in link
    assert 'rel="next"' not in pages[-1].headers.get("link", "")
    if token:
        assert any(s["visibility"] == "direct" for p in pages for s in p.json())


def test_limits_filters_and_min_id(platform: SamplePlatform, city_id: str) -> None:
    base, world = platform.base_url, platform.world
    url = f"/api/v1/accounts/{city_id}/statuses"
    assert len(fetch(base, url).json()) == 20
    assert len(fetch(base, f"{url}?limit=100").json()) == 40
    everything = world.timeline(world.city, "initial")
    oldest = everything[-1]
    empty = fetch(base, f"{url}?max_id={oldest}")
    assert empty.json() == [] and "link" not in empty.headers
    page = fetch(base, f"{url}?min_id={everything[30]}&limit=10").json()
    assert [s["id"] for s in page] == everything[20:30]
    page = fetch(base, f"{url}?since_id={everything[30]}&limit=10").json()
    assert [s["id"] for s in page] == everything[:10]
    for flag in ("exclude_replies", "exclude_reblogs", "only_media"):
        got = [s["id"] for p in walk(base, f"{url}?{flag}=true&limit=40") for s in p.json()]
        assert got == world.timeline(world.city, "initial", **{flag: True})
        assert f"{flag}=true" in fetch(base, f"{url}?{flag}=true").headers["link"]
    replies = fetch(base, f"{url}?exclude_replies=1&limit=40").json()
    assert all(s["in_reply_to_id"] is None or s["in_reply_to_account_id"] == city_id
               for s in replies)
    pinned = fetch(base, f"{url}?pinned=true", platform.token).json()
    assert len(pinned) == 2 and all(s["pinned"] for s in pinned)


def test_entities_have_the_real_field_names(platform: SamplePlatform, city_id: str,
                                            corpus: list[dict[str, Any]]) -> None:
    status_keys = {frozenset(s) for s in corpus}
    account_keys = {frozenset(s["account"]) for s in corpus}
    media_keys = {frozenset(m) for s in corpus for m in s["media_attachments"]}
    poll_keys = {frozenset(s["poll"]) for s in corpus if s["poll"]}
    card_keys = {frozenset(s["card"]) for s in corpus if s["card"]}
    mention_keys = {frozenset(m) for s in corpus for m in s["mentions"]}
    base, seen = platform.base_url, set()
    for token in (platform.token, None):
        for page in walk(base, f"/api/v1/accounts/{city_id}/statuses?limit=40", token):
            for s in page.json():
                for status in (s, s["reblog"]) if s["reblog"] else (s,):
                    keys = frozenset(status)
                    if token:
                        assert keys in status_keys or keys | {"pinned"} in status_keys, keys
                    else:
                        assert keys in {k - AUTH_ONLY for k in status_keys}, keys
                    assert frozenset(status["account"]) in account_keys
                    for m in status["media_attachments"]:
                        assert frozenset(m) in media_keys
                        seen.add(m["type"])
                    for m in status["mentions"]:
                        assert frozenset(m) in mention_keys
                    if status["poll"] and token:
                        assert frozenset(status["poll"]) in poll_keys
                    if status["card"]:
                        assert frozenset(status["card"]) in card_keys
                    seen.update(k for k in ("poll", "card", "reblog") if status.get(k))
    assert seen >= {"image", "video", "gifv", "audio", "poll", "card", "reblog"}


def test_context_is_in_thread_order_and_limited_when_logged_out(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    posts = [p for p in world.posts(world.city) if p.kind == "post"]
    big = max(posts, key=lambda p: len(world.comments_of(p)))
    anon = fetch(base, f"/api/v1/statuses/{big.id}/context").json()
    authed = fetch(base, f"/api/v1/statuses/{big.id}/context", platform.token).json()
    assert set(anon) == {"ancestors", "descendants"} and anon["ancestors"] == []
    # Mastodon cuts logged-out contexts at 60 descendants (depth 20) before hiding private ones
    assert len(anon["descendants"]) <= 60 < len(authed["descendants"])
    assert {s["id"] for s in anon["descendants"]} < {s["id"] for s in authed["descendants"]}
    visible = [c.id for c in world.comments_of(big) if world.visible_to(c, world.city)]
    assert sorted(s["id"] for s in authed["descendants"]) == sorted(visible)
    seen = {big.id}
    shown = {s["id"] for s in authed["descendants"]}
    for s in authed["descendants"]:  # each reply comes after its parent (or its parent is hidden)
        assert s["in_reply_to_id"] in seen or s["in_reply_to_id"] not in shown
        seen.add(s["id"])
    deepest = next(s for s in reversed(authed["descendants"]) if s["in_reply_to_id"] != big.id)
    ctx = fetch(base, f"/api/v1/statuses/{deepest['id']}/context", platform.token).json()
    assert ctx["ancestors"][0]["id"] == big.id
    assert ctx["ancestors"][-1]["id"] == deepest["in_reply_to_id"]
    chain = [big.id] + [a["id"] for a in ctx["ancestors"][1:]]
    assert chain == [a["id"] for a in ctx["ancestors"]]


def test_history_lists_versions_oldest_first(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    edited = world.changes().initially_edited_post_ids[0]
    history = fetch(base, f"/api/v1/statuses/{edited}/history").json()
    status = fetch(base, f"/api/v1/statuses/{edited}").json()
    assert len(history) >= 2 and status["edited_at"] is not None
    assert history[-1]["content"] == status["content"] != history[0]["content"]
    assert [h["created_at"] for h in history] == sorted(h["created_at"] for h in history)
    assert history[0]["created_at"] == status["created_at"]
    for entry in history:
        assert set(entry) - {"poll"} == {"content", "spoiler_text", "sensitive", "created_at",
                                         "account", "media_attachments", "emojis"}
    plain = world.timeline(world.city, "initial")[0]
    assert len(fetch(base, f"/api/v1/statuses/{plain}/history").json()) == 1
    for bad in ("1", "abc", "99999999999999999999"):
        reply = fetch(base, f"/api/v1/statuses/{bad}")
        assert (reply.status, reply.json()) == (404, {"error": "Record not found"})


def test_direct_messages_need_the_token(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    message = next(m for m in world.messages("initial", world.city) if m.in_reply_to_id)
    for path in (f"/api/v1/statuses/{message.id}", f"/api/v1/statuses/{message.id}/context"):
        assert fetch(base, path).status == 404
        assert fetch(base, path, platform.token).status == 200
    ctx = fetch(base, f"/api/v1/statuses/{message.id}/context", platform.token).json()
    assert ctx["ancestors"][-1]["id"] == message.in_reply_to_id
    assert all(s["visibility"] == "direct" for s in ctx["ancestors"] + ctx["descendants"])
    private = next(c for p in world.posts(world.city) for c in world.comments_of(p)
                   if c.visibility == "private" and world.city in c.mentions)
    assert fetch(base, f"/api/v1/statuses/{private.id}").status == 404
    assert fetch(base, f"/api/v1/statuses/{private.id}", platform.token).status == 200


def test_conversations_paginate_by_last_status(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    pages = list(walk(base, "/api/v1/conversations?limit=5", platform.token))
    conversations = [c for p in pages for c in p.json()]
    assert len(pages) > 2
    expected = {m.conversation for m in world.messages("initial", world.city)}
    assert len(conversations) == len(expected)
    assert len({c["id"] for c in conversations}) == len(conversations)
    for c in conversations:
        assert set(c) == {"id", "unread", "accounts", "last_status"}
        assert c["last_status"]["visibility"] == "direct"
        assert world.city.id not in {a["id"] for a in c["accounts"]}
    last_ids = [int(c["last_status"]["id"]) for c in conversations]
    assert last_ids == sorted(last_ids, reverse=True)
    assert f"max_id={conversations[4]['last_status']['id']}>" in pages[0].headers["link"]


def test_state_switch_applies_the_changes(platform: SamplePlatform, city_id: str) -> None:
    base, world = platform.base_url, platform.world
    ch = world.changes()
    before = {p: fetch(base, f"/api/v1/statuses/{p}/history").json() for p in ch.edited_post_ids}
    switched = fetch(base, "/_sample/state", method="POST", body=b'{"state": "later"}')
    assert switched.json() == {"state": "later"}
    try:
        for cid in ch.removed_comment_ids + ch.removed_post_ids:
            assert fetch(base, f"/api/v1/statuses/{cid}", platform.token).status == 404
        for pid in ch.edited_post_ids:
            history = fetch(base, f"/api/v1/statuses/{pid}/history").json()
            assert len(history) == len(before[pid]) + 1
            assert fetch(base, f"/api/v1/statuses/{pid}").json()["edited_at"] is not None
        for change in ch.media_description_changes:
            media = fetch(base, f"/api/v1/statuses/{change.post_id}").json()["media_attachments"]
            assert (media[0]["id"], media[0]["description"]) == (change.media_id, change.after)
        newest = fetch(base, f"/api/v1/accounts/{city_id}/statuses?limit=40").json()
        assert {s["id"] for s in newest} & set(ch.new_post_ids)
    finally:
        platform.set_state("initial")
    assert fetch(base, "/_sample/state").json() == {"state": "initial"}
    assert fetch(base, f"/api/v1/statuses/{ch.removed_comment_ids[0]}").status == 200
    bad = fetch(base, "/_sample/state", method="POST", body=b'{"state": "tomorrow"}')
    assert bad.status == 400


def _media_urls(platform: SamplePlatform, city_id: str) -> list[dict[str, Any]]:
    return [m for p in walk(platform.base_url, f"/api/v1/accounts/{city_id}/statuses?limit=40")
            for s in p.json() for m in (s["reblog"] or s)["media_attachments"]]


def test_media_files_are_real_and_typed(platform: SamplePlatform, city_id: str) -> None:
    base = platform.base_url
    by_type: dict[str, dict[str, Any]] = {}
    for m in _media_urls(platform, city_id):
        by_type.setdefault(m["type"], m)
    image = fetch(base, by_type["image"]["url"])
    assert image.headers["content-type"] in ("image/jpeg", "image/png")
    picture = Image.open(io.BytesIO(image.body))
    original = by_type["image"]["meta"]["original"]
    assert picture.size == (original["width"], original["height"])
    small = Image.open(io.BytesIO(fetch(base, by_type["image"]["preview_url"]).body))
    assert small.size == (by_type["image"]["meta"]["small"]["width"],
                          by_type["image"]["meta"]["small"]["height"])
    video = fetch(base, by_type["video"]["url"])
    assert video.headers["content-type"] == "video/mp4"
    boxes = []
    offset = 0
    while offset < len(video.body):
        size, kind = struct.unpack(">I4s", video.body[offset:offset + 8])
        boxes.append(kind)
        offset += size
    assert boxes == [b"ftyp", b"moov", b"mdat"] and offset == len(video.body)
    assert b"\xff\xd8" in video.body and b"mp4v" in video.body
    thumb = fetch(base, by_type["video"]["preview_url"])
    assert thumb.headers["content-type"] == "image/jpeg"
    assert fetch(base, by_type["gifv"]["url"]).headers["content-type"] == "video/mp4"
    audio = fetch(base, by_type["audio"]["url"])
    assert audio.headers["content-type"] == "audio/mpeg" and audio.body[:2] == b"\xff\xfb"
    assert by_type["audio"]["preview_url"] is None
    broken = by_type["image"]["url"].rsplit("/", 1)[0] + "/0123456789abcdef.jpg"
    assert fetch(base, broken).status == 404
    head = fetch(base, by_type["image"]["url"], method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) == len(image.body)


def test_some_photos_carry_gps_exif(platform: SamplePlatform, city_id: str) -> None:
    base, located = platform.base_url, []
    for m in _media_urls(platform, city_id):
        if m["type"] != "image" or not m["url"].endswith(".jpg"):
            continue
        exif = Image.open(io.BytesIO(fetch(base, m["url"]).body)).getexif()
        gps = exif.get_ifd(0x8825)
        if gps:
            lat = gps[2][0] + gps[2][1] / 60 + gps[2][2] / 3600
            lon = gps[4][0] + gps[4][1] / 60 + gps[4][2] / 3600
            located.append((gps[1], lat, gps[3], lon))
    assert located, "some city photos are geotagged"
    for north, lat, west, lon in located:  # Minnesota: 43.5-49.4 N, 89.5-97.2 W
        assert north == "N" and west == "W" and 43.5 < lat < 49.4 and 89.5 < lon < 97.2


def test_account_pictures_and_defaults(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    for account in (world.city, world.mayor):
        data = fetch(base, f"/api/v1/accounts/{account.id}").json()
        for key in ("avatar", "header"):
            reply = fetch(base, data[key])
            assert reply.status == 200 and reply.headers["content-type"].startswith("image/")
            Image.open(io.BytesIO(reply.body)).verify()
    missing = fetch(base, "/avatars/original/missing.png")
    assert missing.headers["content-type"] == "image/png"


def test_hostile_content_reaches_clients_as_mastodon_sends_it(platform: SamplePlatform) -> None:
    base, world = platform.base_url, platform.world
    planted = {h.kind: h for h in world.hostile_items()}
    script = fetch(base, f"/api/v1/statuses/{planted['script'].item_ref}")
    assert b"<" not in script.body and b"\\u003c" in script.body, "Rails escapes < > & in JSON"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in script.json()["content"]
    relayed = fetch(base, f"/api/v1/statuses/{planted['raw_html0'].item_ref}").json()
    assert "<script>" in relayed["content"] and "javascript:" in relayed["content"]
    assert "application" not in relayed, "remote statuses carry no application"
    assert relayed["account"]["acct"].endswith("@unsanitized.example")
    odd = fetch(base, f"/api/v1/statuses/{planted['odd_file_name'].item_ref}").json()
    media = odd["media_attachments"][0]
    assert media["remote_url"].startswith("https://") and "/cache/" in media["url"]
    assert fetch(base, media["url"]).status == 200
    names = {fetch(base, f"/api/v1/accounts/{h.item_ref}").json()["display_name"]
             for h in world.hostile_items() if h.kind == "display_name"}
    assert "<img src=x onerror=alert(1)>" in names
