"""Every real Instagram Graph API response in the corpus, read by the Instagram source's code.

A corpus file without a check here fails ``test_every_corpus_file_is_checked``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archiver.sources.facebook_items import conversation_info, message_item
from civicrecords.archiver.sources.graph import (
    GraphRateLimits,
    edge_items,
    graph_error,
    next_page,
    usage_of,
)
from civicrecords.archiver.sources.instagram_items import (
    comment_item,
    comment_items,
    inline_comments,
    media_item,
    media_refs,
    profile,
)

CORPUS = Path(__file__).parents[1] / "corpora" / "instagram"
URL = "https://graph.example/instagram/v21.0/1/media?access_token=T&limit=5"
OWNER = "17841406338772941"
CHECKS: dict[str, Callable[[Any], None]] = {}


def check(*names: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(function: Callable[[Any], None]) -> Callable[[Any], None]:
        for name in names:
            CHECKS[name] = function
        return function
    return register


def media(data: Any) -> list:
    return [media_item(m, account_name="city", owner_id=OWNER, owner_username="ikroskun")
            for m in edge_items(data)]


# ----- accounts ------------------------------------------------------------------------------

@check("user/ig_user_fields.json", "user/ig_user_default_fields_2019.json",
       "user/ig_user_full_fields.json")
def _user(data: Any) -> None:
    found = profile(data)
    assert (found["id"], found["username"], found["media_count"]) == (
        data["id"], data["username"], data["media_count"])


# ----- media ---------------------------------------------------------------------------------

@check("media/user_media_p1.json", "media/user_media_p2.json", "media/user_tagged_media.json")
def _user_media(data: Any) -> None:
    items = media(data)
    assert [i.platform_id for i in items] == [m["id"] for m in data["data"]]
    for item, raw in zip(items, data["data"], strict=True):
        assert item.kind == "post" and item.created_at == raw["timestamp"]
        assert item.url == raw["permalink"] and item.text == (raw.get("caption") or "")
        children = (raw.get("children") or {}).get("data") or []
        if children:
            assert [m.platform_id for m in item.media] == [c["id"] for c in children]
        else:
            assert [m.platform_id for m in item.media] == [f"{raw['id']}-media"]
            assert item.media[0].url == raw["media_url"]
    assert (next_page(URL, data) is not None) == ("next" in data.get("paging", {}))


@check("media/media_by_ids.json")
def _by_ids(data: Any) -> None:
    items = media(data)
    assert [i.platform_id for i in items] == list(data)
    album = next(i for i in items if i.extra["media_type"] == "CAROUSEL_ALBUM")
    assert [m.platform_id for m in album.media] == \
        [c["id"] for c in data[album.platform_id]["children"]["data"]]


@check("media/media_carousel_default_fields.json", "media/media_carousel_full_fields.json")
def _carousel(data: Any) -> None:
    item = media_item(data, account_name="city", owner_id=OWNER, owner_username="ikroskun")
    children = data["children"]["data"]
    assert [(m.platform_id, m.url) for m in item.media] == \
        [(c["id"], c["media_url"]) for c in children]
    assert item.author_id == OWNER and item.text == "ALBUM"


@check("media/media_children.json")
def _children(data: Any) -> None:
    refs = media_refs({"children": data})
    assert [r.platform_id for r in refs] == [c["id"] for c in data["data"]]
    assert all(r.media_type == "image" and r.url for r in refs)


@check("media/media_video_with_comments.json")
def _video(data: Any) -> None:
    item = media_item(data, account_name="city", owner_id=OWNER)
    assert [(m.platform_id, m.media_type) for m in item.media] == [
        (f"{data['id']}-media", "video"), (f"{data['id']}-thumbnail", "image")]
    comments = inline_comments(data, account_name="city")
    assert [c.parent_id for c in comments] == [data["id"]] * len(data["comments"]["data"])


@check("media/user_live_media.json")
def _live(data: Any) -> None:
    item = media(data)[0]
    assert item.media == [] and item.extra["product"] == "LIVE"
    assert item.author == "jayposiris" and item.author_id == "17841405822304914"


@check("media/user_media_carousel_children_ids.json")
def _children_ids(data: Any) -> None:
    item = media(data)[0]
    assert [m.platform_id for m in item.media] == \
        [c["id"] for c in data["data"][0]["children"]["data"]]
    assert all(m.url == "" for m in item.media)  # ids only: nothing to fetch


@check("media/user_media_reels_video_carousel_image.json")
def _reels(data: Any) -> None:
    items = media(data)
    products = [i.extra.get("product") for i in items]
    assert products == [m.get("media_product_type") for m in data["data"]]
    reel = items[products.index("REELS")]
    assert [m.media_type for m in reel.media] == ["video", "image"]
    assert next_page(URL, data) is None  # only cursors.before: the last page


@check("media/user_media_video_carousel_with_comments_p1.json",
       "media/user_media_video_carousel_with_comments_p2.json")
def _with_comments(data: Any) -> None:
    for item, raw in zip(media(data), data["data"], strict=True):
        comments = inline_comments(raw, account_name="city")
        assert [c.platform_id for c in comments] == \
            [c["id"] for c in (raw.get("comments") or {}).get("data", [])]
        assert all(c.thread_id == item.platform_id for c in comments)


@check("media/user_mentioned_comment.json")
def _mentioned_comment(data: Any) -> None:
    item = comment_item(data["mentioned_comment"], account_name="city")
    assert item.mentions == ["ikroskun"] and item.author == "ikroskun"


@check("media/user_mentioned_media.json")
def _mentioned_media(data: Any) -> None:
    item = media_item(data["mentioned_media"], account_name="city")  # someone else's media
    assert item.mentions == ["ikroskun"] and (item.author, item.author_id) == ("", "")


@check("media/user_stories.json")
def _stories(data: Any) -> None:
    items = media(data)
    assert {i.extra["product"] for i in items} == {"STORY"}
    assert all(i.media and i.media[0].url for i in items)


# ----- comments ------------------------------------------------------------------------------

@check("comments/media_comments_with_replies_p1.json",
       "comments/media_comments_with_replies_p2.json")
def _comments_with_replies(data: Any) -> None:
    for raw in edge_items(data):
        items = comment_items(raw, account_name="city", media_id="17955956875141196")
        top, replies = items[0], items[1:]
        assert top.parent_id == "17955956875141196" and not top.hidden
        assert top.author_id == (raw.get("user") or {}).get("id", "")
        assert [r.parent_id for r in replies] == [top.platform_id] * len(replies)
        assert [r.platform_id for r in replies] == \
            [r["id"] for r in (raw.get("replies") or {}).get("data", [])]
    assert (next_page(URL, data) is not None) == ("paging" in data)


@check("comments/comment_with_replies.json", "comments/comment_with_replies_2018.json",
       "comments/comment_full_fields.json")
def _comment_with_replies(data: Any) -> None:
    items = comment_items(data, account_name="city")
    assert items[0].thread_id == data["media"]["id"] and items[0].parent_id == data["media"]["id"]
    assert len(items) == 1 + len(data["replies"]["data"])
    assert all(r.parent_id == data["id"] for r in items[1:])


@check("comments/comment_replies_p1.json", "comments/comment_replies_p2.json")
def _replies_edge(data: Any) -> None:
    items = [comment_item(r, account_name="city", parent_id="17984127178281340")
             for r in edge_items(data)]
    assert {i.parent_id for i in items} == {"17984127178281340"}
    assert [i.author for i in items] == [r["username"] for r in data["data"]]
    assert (next_page(URL, data) is not None) == ("paging" in data)


@check("comments/comment_replies_default.json", "comments/media_comments_default_p1.json",
       "comments/media_comments_default_p2.json")
def _default_fields(data: Any) -> None:
    items = [comment_item(c, account_name="city", media_id="17846368219941692")
             for c in edge_items(data)]
    assert [(i.platform_id, i.created_at, i.text) for i in items] == \
        [(c["id"], c["timestamp"], c["text"]) for c in data["data"]]
    assert all(i.author == "" and i.parent_id == "17846368219941692" for i in items)


@check("comments/comments_by_ids_hidden_replies.json")
def _by_ids(data: Any) -> None:
    for raw in edge_items(data):
        items = comment_items(raw, account_name="city")
        assert items[0].platform_id == raw["id"] and all(not i.hidden for i in items)


@check("comments/comment_fields.json", "comments/reply_fields.json",
       "comments/comment_without_user_field.json")
def _single(data: Any) -> None:
    item = comment_item(data, account_name="city", media_id="m1")
    assert item.author == data["username"] and item.hidden is bool(data.get("hidden"))
    assert item.author_id == (data.get("user") or {}).get("id", "")
    assert item.mentions == [w[1:] for w in data["text"].split() if w.startswith("@")]


# ----- messaging, errors, headers ------------------------------------------------------------

@check("messaging/ig_message_story_reply.json", "messaging/ig_message_all_fields.json")
def _message(data: Any) -> None:
    item = message_item(data, account_name="city", platform="instagram")
    assert (item.platform, item.kind, item.author) == ("instagram", "message",
                                                       data["from"]["username"])
    if "story" in data:
        assert item.extra["story"] == data["story"]
    if "attachments" in data:
        assert [m.platform_id for m in item.media] == ["<ID>"]
        assert item.recipients == ["<IG_USERNAME>"]


@check("messaging/ig_conversation_participants.json")
def _participants(data: Any) -> None:
    info = conversation_info(data)
    assert info.id == "<THREAD_ID>" and [n for _, n in info.participants] == \
        ["<IG_USER_NAME>", "<IG_USER_NAME>"]


@check("errors/error_100_2108006_media_before_business_conversion.json")
def _before_conversion(data: Any) -> None:
    error = graph_error(data)
    assert error is not None and (error.kind, error.code, error.subcode) == ("invalid", 100,
                                                                             2108006)
    assert "posted before the most recent time" in error.describe()


@check("errors/error_2500_igapiexception.json")
def _igapi(data: Any) -> None:
    error = graph_error(data)
    assert error is not None and error.kind == "invalid" and error.type == "IGApiException"


class _Answer:
    status = 200
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers

    def json_or_none(self) -> Any:
        return None


@check("rate_limit_headers/response_headers_2019.json")
def _headers(data: Any) -> None:
    headers = {k.lower(): v for k, v in data.items()}
    usage = usage_of(headers)
    assert (usage.percent, usage.regain_seconds) == (72, 1200)
    policy = GraphRateLimits(backoff_seconds=1, max_backoff_seconds=600)
    assert policy.pause_after(_Answer(headers)) == 600  # capped


FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.json"))


def test_every_corpus_file_is_checked() -> None:
    assert FILES and set(FILES) == set(CHECKS)


@pytest.mark.parametrize("name", FILES)
def test_corpus_file(name: str) -> None:
    CHECKS[name](json.loads((CORPUS / name).read_text(encoding="utf-8")))
