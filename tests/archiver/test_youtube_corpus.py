"""The YouTube mapping reads every real Data API v3 response in tests/corpora/youtube."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archiver.sources.youtube import YouTubeRateLimitPolicy
from civicrecords.archiver.sources.youtube_items import (
    comment_item,
    error_message,
    is_bad_key,
    is_quota_exhausted,
    is_throttled,
    items_of,
    largest_thumbnail,
    media_child,
    next_page,
    reply_count,
    thread_items,
    video_id_of,
    video_item,
)

CORPUS = Path(__file__).parents[1] / "corpora" / "youtube"


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text())


class Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.headers, self.body = status, {}, body
        self.fetched_at = datetime(2026, 1, 1, tzinfo=UTC)

    def json_or_none(self) -> Any:
        return self.body


@pytest.mark.parametrize("name", ["channels_list_with_uploads_playlist.json",
                                  "channels_list_full_parts_2019.json"])
def test_channels_give_the_uploads_playlist(name: str) -> None:
    channels = items_of(load(name))
    assert channels
    for channel in channels:
        uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
        assert uploads.startswith("UU") and uploads[2:] == channel["id"][2:]
    handles = [c["snippet"].get("customUrl") for c in channels]
    if name.endswith("uploads_playlist.json"):
        assert all(h.startswith("@") for h in handles)


@pytest.mark.parametrize("name,next_token,count", [
    ("playlist_items_page1.json", "CAoQAA", 10),
    ("playlist_items_page2_last.json", None, 3),
    ("playlist_items_with_content_details.json", "CAoQAA", 5),
])
def test_playlist_pages_list_video_ids_and_the_next_token(name: str, next_token: str | None,
                                                          count: int) -> None:
    body = load(name)
    entries = items_of(body)
    assert len(entries) == count and next_page(body) == next_token
    for entry in entries:
        assert video_id_of(entry) == entry["snippet"]["resourceId"]["videoId"]
        assert len(video_id_of(entry)) == 11


def test_a_video_becomes_a_post_with_title_description_and_its_largest_thumbnail() -> None:
    [video] = items_of(load("videos_list_full_parts.json"))
    channel = video["snippet"]["channelId"]
    item = video_item(video, account_name="city", owner_channel=channel, handle="@GoogleDevs")
    assert (item.kind, item.platform_id, item.author, item.author_id) == (
        "post", "D-lhorsDlUQ", "GoogleDevs", channel)
    assert item.title == "What are Actions on Google (Assistant on Air)"
    assert item.text.startswith("In the first episode of Assistant on Air")
    assert item.created_at == "2019-03-21T20:37:49.000Z" and item.edited_at is None
    assert item.tags == video["snippet"]["tags"] and item.visibility == "public"
    assert item.extra["duration"] == "PT21M7S" and item.extra["statistics"]["viewCount"]
    [thumb] = item.media
    assert thumb.url == "https://i.ytimg.com/vi/D-lhorsDlUQ/maxresdefault.jpg"
    child = media_child(thumb, item)
    assert (child.kind, child.parent_id, child.thread_id) == ("media", "D-lhorsDlUQ",
                                                              "D-lhorsDlUQ")
    edited = dict(video, snippet=dict(video["snippet"], description="Corrected description"))
    changed = video_item(edited, account_name="city", owner_channel=channel)
    assert changed.content_hash() != item.content_hash()  # a new version, found by content
    recounted = dict(video, statistics=dict(video["statistics"], viewCount="1"))
    assert video_item(recounted, account_name="city", owner_channel=channel,
                      handle="@GoogleDevs").content_hash() == item.content_hash()


def test_videos_of_another_channel_and_search_results_map_too() -> None:
    chart = items_of(load("videos_list_chart_with_statistics_page1.json"))
    assert len(chart) == 5
    for video in chart:
        mine = video_item(video, account_name="city", owner_channel=video["snippet"]["channelId"])
        other = video_item(video, account_name="city", owner_channel="UCsomeoneelse")
        assert mine.kind == "post" and other.kind == "comment"
        assert mine.title == video["snippet"]["title"]
        assert largest_thumbnail(video["snippet"]["thumbnails"])["url"] == mine.media[0].url
    found = load("search_videos_by_channel.json")
    assert next_page(found) == "CAUQAA"
    for result in items_of(found):
        item = video_item(result, account_name="city", owner_channel=result["snippet"]
                          ["channelId"])
        assert item.platform_id == result["id"]["videoId"] and item.kind == "post"


@pytest.mark.parametrize("name", ["comment_threads_by_video_page1.json",
                                  "comment_threads_by_video_with_replies.json",
                                  "comment_threads_all_to_channel_page1.json"])
def test_comment_threads_become_comments_under_their_video(name: str) -> None:
    body = load(name)
    threads = items_of(body)
    assert threads
    owner = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
    replies_seen = 0
    for thread in threads:
        items = thread_items(thread, account_name="city", owner_channel=owner)
        top = thread["snippet"]["topLevelComment"]
        video = thread["snippet"]["videoId"]
        assert items[0].platform_id == top["id"] == thread["id"]
        assert items[0].parent_id == video and items[0].thread_id == video
        assert items[0].kind == "comment"
        assert items[0].text == top["snippet"]["textOriginal"]
        assert "<a " not in items[0].text and "<br" not in items[0].text
        assert items[0].author_id == top["snippet"]["authorChannelId"]["value"]
        assert items[0].author_name == top["snippet"]["authorDisplayName"]
        assert items[0].extra["total_reply_count"] == thread["snippet"]["totalReplyCount"]
        total, inline = reply_count(thread)
        assert inline == len(items) - 1 and total >= inline
        for reply in items[1:]:
            replies_seen += 1
            assert reply.parent_id == thread["id"] and reply.thread_id == video
            assert reply.platform_id.startswith(thread["id"] + ".")
    if name.endswith("with_replies.json") or name.startswith("comment_threads_all"):
        assert replies_seen
    if name == "comment_threads_by_video_page1.json":
        assert next_page(body) and len(next_page(body) or "") > 100


@pytest.mark.parametrize("name,next_token", [
    ("comments_list_by_parent_page1.json", True), ("comments_list_by_parent_page2_last.json",
                                                   False), ("comments_list_by_ids.json", False)])
def test_comments_lists_map_with_the_video_given(name: str, next_token: bool) -> None:
    body = load(name)
    assert bool(next_page(body)) is next_token
    for comment in items_of(body):
        item = comment_item(comment, account_name="city", owner_channel="UCowner",
                            video_id="VIDEO000001")
        snippet = comment["snippet"]
        assert item.platform_id == comment["id"] and item.thread_id == "VIDEO000001"
        assert item.parent_id == snippet.get("parentId", "VIDEO000001")
        assert item.author_id == snippet["authorChannelId"]["value"]
        assert item.text == snippet["textOriginal"]
        assert item.created_at == snippet["publishedAt"]
        assert item.edited_at == (snippet["updatedAt"] if snippet["updatedAt"] !=
                                  snippet["publishedAt"] else None)
    if name == "comments_list_by_ids.json":
        assert "pageInfo" not in body and items_of(body)


def test_error_envelopes_say_what_went_wrong() -> None:
    bad_key = load("error_400_bad_request_key_invalid.json")
    assert is_bad_key(bad_key) and not is_quota_exhausted(bad_key)
    assert error_message(bad_key, 400) == "Bad Request (keyInvalid)"
    denied = load("error_403_permission_denied.json")
    assert not is_bad_key(denied) and not is_quota_exhausted(denied)
    assert not is_throttled(denied)
    assert error_message(denied, 403) == "The caller does not have permission " \
                                         "(SERVICE_UNAVAILABLE)"
    policy = YouTubeRateLimitPolicy(1.0, 120.0)
    assert policy.retry_after(Answer(403, denied), 1) is None  # not worth retrying
    assert policy.retry_after(Answer(400, bad_key), 1) is None
    quota = {"error": {"code": 403, "errors": [{"domain": "youtube.quota",
                                                "reason": "quotaExceeded"}]}}
    throttled = {"error": {"code": 403, "errors": [{"domain": "usageLimits",
                                                    "reason": "rateLimitExceeded"}]}}
    assert policy.retry_after(Answer(403, quota), 1) is None
    assert policy.retry_after(Answer(403, throttled), 3) == 4.0
    assert policy.retry_after(Answer(503, {}), 1) == 1.0
