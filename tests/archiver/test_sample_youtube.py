"""The sample platform's YouTube Data API v3 over loopback HTTP, checked against real
YouTube responses."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image

from civicrecords.archiver.sample import youtube_entities as yt
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.archiver.sources.youtube_items import (
    comment_item,
    error_reasons,
    items_of,
    next_page,
    thread_items,
    video_item,
)
from tests.archiver.test_sample_x import Reply, fetch

CORPUS = Path(__file__).parents[1] / "corpora" / "youtube"


def recorded(name: str) -> dict:
    return json.loads((CORPUS / name).read_text())


@pytest.fixture(scope="module")
def server() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=120) as platform:
        yield platform


def api(server: SamplePlatform, resource: str, **params: str) -> Reply:
    query = urlencode({**params, "key": params.get("key", server.token)})
    return fetch(server.base_url, f"/youtube/v3/{resource}?{query}")


def test_channel_and_uploads_have_youtubes_shapes(server: SamplePlatform) -> None:
    reply = api(server, "channels", part="snippet,contentDetails,statistics",
                forHandle="@lakeside")
    [channel] = items_of(reply.json())
    real = recorded("channels_list_with_uploads_playlist.json")["items"][0]
    assert set(channel) <= set(real) | {"status"} and channel["id"].startswith("UC")
    assert set(channel["snippet"]) >= {"title", "description", "customUrl", "publishedAt",
                                       "thumbnails"}
    uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
    assert uploads == "UU" + channel["id"][2:]
    again = api(server, "channels", part="id", id=channel["id"]).json()
    assert [c["id"] for c in again["items"]] == [channel["id"]] and "snippet" not in \
        again["items"][0]


def test_uploads_page_with_youtubes_tokens_to_every_public_video(server: SamplePlatform) -> None:
    world = server.world
    channel = yt.channel_id(world, world.city)
    playlist = "UU" + channel[2:]
    ids: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"part": "snippet,contentDetails,status", "playlistId": playlist,
                  "maxResults": "50"}
        if token:
            params["pageToken"] = token
        body = api(server, "playlistItems", **params).json()
        pages += 1
        ids += [i["contentDetails"]["videoId"] for i in body["items"]]
        token = next_page(body)
        if token is None:
            break
        assert token.startswith("C") and len(token) == 6  # like CDIQAA
    want = [yt.video_id(v) for v in server.youtube.uploads(world, world.city, "initial")]
    assert ids == want and pages == -(-len(want) // 50)
    real = recorded("playlist_items_with_content_details.json")["items"][0]
    first = body["items"][0]
    assert set(first) == set(real) and set(first["snippet"]) >= set(real["snippet"])
    bad = api(server, "playlistItems", part="id", playlistId=playlist, pageToken="CAoQAQ==x")
    assert bad.status == 400 and error_reasons(bad.json()) == ["invalidPageToken"]
    missing = api(server, "playlistItems", part="id", playlistId="UU" + "A" * 22)
    assert missing.status == 404 and error_reasons(missing.json()) == ["playlistNotFound"]


def test_videos_comments_and_replies_map_like_real_ones(server: SamplePlatform) -> None:
    world = server.world
    uploads = server.youtube.uploads(world, world.city, "initial")
    ids = [yt.video_id(v) for v in uploads[:50]]
    body = api(server, "videos", part="snippet,contentDetails,statistics,status",
               id=",".join(ids)).json()
    real = recorded("videos_list_full_parts.json")["items"][0]
    assert [v["id"] for v in body["items"]] == ids
    for video in body["items"]:
        assert set(video) == set(real) and set(video["snippet"]) >= set(real["snippet"]) - {
            "tags"}
        assert set(video["contentDetails"]) >= set(real["contentDetails"])
        item = video_item(video, account_name="city", owner_channel=yt.channel_id(
            world, world.city))
        assert item.kind == "post" and item.title and item.media
    threaded = next(v for v in uploads if any(replies for _top, replies in
                                              server.youtube.threads(world, v, "initial")))
    threads = api(server, "commentThreads", part="snippet,replies",
                  videoId=yt.video_id(threaded), textFormat="plainText").json()
    real_thread = recorded("comment_threads_by_video_with_replies.json")["items"][0]
    for thread in threads["items"]:
        assert set(thread) <= set(real_thread)
        assert set(thread["snippet"]) == set(real_thread["snippet"]) | {"channelId"}
        items = thread_items(thread, account_name="city",
                             owner_channel=yt.channel_id(world, world.city))
        assert items[0].parent_id == yt.video_id(threaded)
        assert all(r.parent_id == thread["id"] for r in items[1:])
    with_replies = next(t for t in threads["items"] if t["snippet"]["totalReplyCount"])
    replies = api(server, "comments", part="snippet", parentId=with_replies["id"],
                  maxResults="100").json()
    assert len(replies["items"]) == with_replies["snippet"]["totalReplyCount"]
    real_reply = recorded("comments_list_by_parent_page1.json")["items"][0]
    assert set(replies["items"][0]["snippet"]) >= set(real_reply["snippet"])
    assert "videoId" not in replies["items"][0]["snippet"]  # as comments.list sends it
    mapped = comment_item(replies["items"][0], account_name="city", owner_channel="UCx",
                          video_id=yt.video_id(threaded))
    assert mapped.parent_id == with_replies["id"]


def test_html_text_display_escapes_and_plain_text_is_the_original(
        server: SamplePlatform) -> None:
    world = server.world
    for video in server.youtube.uploads(world, world.city, "initial"):
        for top, _replies in server.youtube.threads(world, video, "initial"):
            if "<" in top.text or "http" in top.text:
                html_body = api(server, "commentThreads", part="snippet",
                                id=yt.thread_id(world, top)).json()
                shown = html_body["items"][0]["snippet"]["topLevelComment"]["snippet"]
                assert shown["textOriginal"] == top.text
                assert "<script" not in shown["textDisplay"]
                mapped = comment_item(shown and html_body["items"][0]["snippet"]
                                      ["topLevelComment"], account_name="c", owner_channel="x")
                assert mapped.text == top.text
                return
    pytest.fail("the sample has comments with links or markup")


def test_keys_quota_and_the_errors_youtube_sends(tmp_path: Path) -> None:
    with SamplePlatform(posts=120) as platform:
        missing = fetch(platform.base_url, "/youtube/v3/videos?part=id&id=x")
        assert missing.status == 403 and error_reasons(missing.json()) == ["forbidden"]
        invalid = api(platform, "videos", part="id", id="x", key="AIza-wrong")
        assert invalid.status == 400 and "API key not valid" in invalid.json()["error"]["message"]
        no_part = api(platform, "videos", id="x")
        assert no_part.status == 400
        assert error_reasons(no_part.json()) == ["missingRequiredParameter"]
        platform.youtube.quota = 60
        video = next(v for v in platform.youtube.uploads(platform.world, platform.world.city,
                                                         "initial")
                     if any(m.kind == "video" for m in v.media))
        tracks = api(platform, "captions", part="snippet", videoId=yt.video_id(video)).json()
        assert {t["snippet"]["trackKind"] for t in tracks["items"]} == {"standard", "asr"}
        spent = [api(platform, "videos", part="id", id="x") for _ in range(12)]
        # 1 unit (the request without part) + 50 (captions) + 9 = 60, then refused
        assert [r.status for r in spent].count(200) == 9
        refused = spent[-1].json()
        assert refused["error"]["code"] == 403 and error_reasons(refused) == ["quotaExceeded"]
        assert refused["error"]["errors"][0]["domain"] == "youtube.quota"
        assert b"\\u003ca href" in spent[-1].body  # Google escapes markup in JSON
        platform.youtube.reset_quota()
        assert api(platform, "videos", part="id", id="x").status == 200
        off = next(v for v in platform.youtube.uploads(platform.world, platform.world.city,
                                                       "initial")
                   if platform.youtube.comments_disabled(platform.world, v))
        closed = api(platform, "commentThreads", part="snippet", videoId=yt.video_id(off))
        assert closed.status == 403 and error_reasons(closed.json()) == ["commentsDisabled"]
        gone = api(platform, "commentThreads", part="snippet", videoId="AAAAAAAAAAA")
        assert gone.status == 404 and error_reasons(gone.json()) == ["videoNotFound"]


def test_throttling_is_a_403_for_the_api_and_a_429_for_thumbnails(tmp_path: Path) -> None:
    plan = FaultPlan(permanent={"/youtube/v3/videos": "429",
                                "/i.ytimg.com/vi/AAAAAAAAAAA/default.jpg": "429"})
    with SamplePlatform(posts=20, faults=plan) as platform:
        throttled = api(platform, "videos", part="id", id="x")
        cdn = fetch(platform.base_url, "/i.ytimg.com/vi/AAAAAAAAAAA/default.jpg")
        plain = api(platform, "channels", part="id", forHandle="@lakeside")
    assert throttled.status == 403 and error_reasons(throttled.json()) == ["rateLimitExceeded"]
    assert not any(h.startswith("x-ratelimit") for h in throttled.headers)
    assert cdn.status == 429 and "retry-after" in cdn.headers
    assert plain.status == 200 and not any("ratelimit" in h for h in plain.headers)


def test_thumbnails_are_jpeg_pictures(server: SamplePlatform) -> None:
    world = server.world
    video = server.youtube.uploads(world, world.city, "initial")[0]
    thumbs = yt.thumbnails(server.base_url, yt.video_id(video))
    for size in ("default", "maxres"):
        data = fetch(server.base_url, thumbs[size]["url"]).body
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "JPEG"
