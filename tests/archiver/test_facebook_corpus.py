"""Every real Facebook Graph API response in the corpus, read by the Facebook source's code.

Item-bearing files are mapped to items whose ids, kinds, parents, authors and media are
checked against the file; error bodies, usage headers and paging shapes are checked for what
they mean (how an error is classified, how long the policy waits, where paging goes next).
A corpus file without a check here fails ``test_every_corpus_file_is_checked``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archiver.sources.facebook_items import (
    HIDDEN_AUDIENCE,
    attachment_links,
    attachment_ref,
    comment_item,
    comments_in,
    conversation_info,
    media_object_item,
    message_item,
    page_profile,
    post_item,
    reaction_counts,
    thumbnail_urls,
)
from civicrecords.archiver.sources.graph import (
    GraphRateLimits,
    edge_items,
    graph_error,
    next_page,
    usage_of,
)

CORPUS = Path(__file__).parents[1] / "corpora" / "facebook"
URL = "https://graph.example/v21.0/1/edge?access_token=T&fields=id&limit=5"
CHECKS: dict[str, Callable[[Any], None]] = {}


def check(*names: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(function: Callable[[Any], None]) -> Callable[[Any], None]:
        for name in names:
            CHECKS[name] = function
        return function
    return register


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def posts(data: Any, page_id: str = "19292868552") -> list:
    return [post_item(p, account_name="city", page_id=page_id) for p in edge_items(data)]


class FakeAnswer:
    def __init__(self, status: int, headers: dict[str, str], body: Any = None) -> None:
        self.status, self.headers, self.body = status, headers, body
        from datetime import UTC, datetime
        self.fetched_at = datetime(2026, 1, 1, tzinfo=UTC)

    def json_or_none(self) -> Any:
        return self.body


POLICY = GraphRateLimits(backoff_seconds=2.0, max_backoff_seconds=3600.0)


# ----- the Page ------------------------------------------------------------------------------

@check("page/page_default_fields.json")
def _page_default(data: Any) -> None:
    profile = page_profile(data)
    assert profile["id"] == data["id"] and profile["name"] == data["name"]
    assert profile["followers"] == data["fan_count"] and profile["username"] == data["username"]


@check("page/pages_by_ids_default_fields.json")
def _pages_by_ids(data: Any) -> None:
    pages = edge_items(data)
    assert [p["id"] for p in pages] == list(data)
    assert [page_profile(p)["name"] for p in pages] == [v["name"] for v in data.values()]


@check("page/page_instagram_business_account.json")
def _page_instagram(data: Any) -> None:
    assert page_profile(data)["instagram_account_id"] == "987654321"


@check("page/me_accounts_p1.json", "page/me_accounts_p2.json")
def _me_accounts(data: Any) -> None:
    listed = edge_items(data)
    assert listed and all({"id", "name", "tasks"} <= set(p) for p in listed)
    following = next_page(URL, data)
    if "next" in data["paging"]:
        assert following is not None and "after=after" in following
    else:
        assert following is None  # only "previous": the last page


# ----- posts ---------------------------------------------------------------------------------

@check("feed/page_feed_p1.json", "feed/page_feed_p2.json")
def _page_feed(data: Any) -> None:
    items = posts(data)
    assert [i.platform_id for i in items] == [p["id"] for p in data["data"]]
    for item, raw in zip(items, data["data"], strict=True):
        assert item.kind == "post" and item.author_id == "19292868552"
        assert item.created_at == raw["created_time"] and item.text == raw["message"]
        assert item.url == raw["permalink_url"] and item.thread_id == item.platform_id
        assert item.extra["updated_time"] == raw["updated_time"]
        assert item.extra["comments_count"] == raw["comments"]["summary"]["total_count"]
        assert item.extra["reactions"]["reactions"] == raw["reactions"]["summary"]["total_count"]
        assert item.extra["reactions"]["love"] == raw["love"]["summary"]["total_count"]
        attachment = raw["attachments"]["data"][0]
        if attachment["type"] == "share":
            assert not item.media and item.extra["links"][0]["url"] == attachment["unshimmed_url"]
            assert item.versioned["links"] == [attachment["unshimmed_url"]]
        else:
            assert [m.platform_id for m in item.media] == [attachment["target"]["id"]]
            kind = "video" if "video" in attachment["type"] else "image"
            assert item.media[0].media_type == kind
            assert item.media[0].url == attachment["media"]["image"]["src"]
        assert "updated_time" not in item.content()["versioned"]  # comments move it
    assert (next_page(URL, data) is not None) == ("next" in data["paging"])


@check("feed/posts_time_paging_p1.json", "feed/posts_time_paging_p2.json")
def _time_paging(data: Any) -> None:
    items = posts(data, page_id="4")
    assert [i.text for i in items] == [p["message"] for p in data["data"]]
    assert all(i.author_id == "4" for i in items)
    following = next_page(URL, data)
    if "next" in data["paging"]:
        assert following is not None and following.startswith("https://graph.example/")
        assert "until=1624385168" in following and "__paging_token=" in following
        assert "access_token=T" in following and "access_token=access_token" not in following
    else:
        assert following is None


@check("feed/posts_by_ids_default_fields.json")
def _posts_by_ids(data: Any) -> None:
    items = posts(data)
    assert [i.platform_id for i in items] == list(data)
    assert any(i.extra.get("links") for i in items) and any(i.media for i in items)


@check("feed/post_default_fields.json")
def _post_default(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="175154750010052")
    assert item.author_id == "175154750010052" and item.text == data["message"]
    assert item.extra["reactions"] == {"reactions": 1, "like": 0, "love": 0, "wow": 0,
                                       "haha": 1, "sad": 0, "angry": 0}
    assert item.extra["status_type"] == "mobile_status_update" and not item.media


@check("feed/post_album_subattachments.json", "feed/post_attachments_album_2015.json")
def _album(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="0")
    subs = data["attachments"]["data"][0]["subattachments"]["data"]
    assert [m.platform_id for m in item.media] == [s["target"]["id"] for s in subs]
    assert all(m.media_type == "image" and m.url.startswith("https://") for m in item.media)


@check("feed/post_multishare_child_attachments.json")
def _multishare(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="0")
    assert not item.media
    assert [link["url"] for link in item.extra["links"]] == \
        [c["link"] for c in data["child_attachments"]]


@check("feed/post_shared_parent_id.json")
def _shared(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="299150370269")
    assert item.extra["shared_from"] == data["parent_id"]
    assert (item.author, item.author_id) == ("Rosa Maria Pollaci", "1396877040630102")
    assert item.parent_id is None  # the shared post belongs to another Page


@check("feed/post_is_hidden_true.json")
def _hidden_post(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="12345678")
    assert item.hidden and item.visibility == "public" and item.author == "Test"


@check("feed/post_scheduled.json")
def _scheduled(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="123456789")
    assert item.visibility == "unpublished"
    assert item.extra["scheduled_publish_time"] == data["scheduled_publish_time"]


@check("feed/post_story_and_message_tags.json")
def _tags(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="349489628480201")
    assert item.mentions == ["Mentioned Page"]
    assert "Test Page" in item.extra["tagged"]


@check("feed/post_full_picture.json")
def _full_picture(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="141404215871553")
    assert item.extra["full_picture"] == data["full_picture"] and item.text == ""


@check("feed/post_admin_creator.json")
def _admin_creator(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="937352753")
    assert item.author == "Tester Fanpage" and item.author_id == "937352753"
    assert item.extra["admin_creator"] == data["admin_creator"]
    assert item.url == data["link"] and item.visibility == "public"


@check("feed/post_sharedposts.json")
def _sharedposts(data: Any) -> None:
    items = posts(data, page_id="0")
    for item, raw in zip(items, data["data"], strict=True):
        assert item.author == raw["from"]["name"]
        assert item.text == (raw.get("message") or raw["story"])


@check("feed/page_tagged_post.json")
def _tagged(data: Any) -> None:
    item = post_item(data, account_name="city", page_id="9")
    assert item.created_at == data["tagged_time"] and item.author_id == ""
    assert item.text == data["message"]


@check("feed/attachment_link.json")
def _attachment_link(data: Any) -> None:
    assert attachment_ref(data) is None
    assert attachment_links({"data": [data]})[0]["url"] == data["unshimmed_url"]


@check("feed/feed_empty.json", "paging/cursor_only_p2_empty.json")
def _empty(data: Any) -> None:
    assert edge_items(data) == [] and next_page(URL, data) is None


# ----- comments ------------------------------------------------------------------------------

@check("comments/comment_attachment_share_link.json")
def _comment_share(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="773931769335777")
    assert not item.media and item.extra["links"][0]["type"] == "share"


@check("comments/comment_can_hide.json", "comments/comment_more_fields_is_hidden.json")
def _comment_flags(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="1_2")
    assert not item.hidden and item.extra["can_hide"] == data["can_hide"]
    assert item.author == data["from"]["name"] and item.parent_id == "1_2"
    if data.get("comment_count"):
        assert item.extra["comment_count"] == data["comment_count"]
        assert item.mentions == ["Ryuji Yamashita"]


@check("comments/comment_full_fields.json")
def _comment_full(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="2121008874780932_2954961744718970")
    assert item.platform_id == data["id"] and item.author == "Kun Liu"
    assert [m.platform_id for m in item.media] == ["909150133277173"]
    assert item.parent_id == "2121008874780932_2954961744718970"
    assert item.extra["can_reply_privately"] is True and item.visibility == "public"


@check("comments/comment_is_hidden_true.json")
def _comment_hidden(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="123456789")
    assert item.hidden and item.extra["visible_to"] == HIDDEN_AUDIENCE
    assert item.text == "yes, really great"


@check("comments/comment_message_tags.json")
def _comment_mentions(data: Any) -> None:
    assert comment_item(data, account_name="city", post_id="1").mentions == ["Pedro Padilha"]


@check("comments/comment_object_likes_is_private.json")
def _comment_private_flag(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="520586098107541")
    assert item.visibility == "public" and item.extra["like_count"] == 1
    assert item.author == "Tester Page"


@check("comments/comment_reactions_summary.json")
def _comment_reactions(data: Any) -> None:
    assert reaction_counts(data) == {"reactions": 1214}
    assert comment_item(data, account_name="c", post_id="1").extra["reactions"]["reactions"] \
        == 1214


@check("comments/comment_replies.json")
def _replies_edge(data: Any) -> None:
    items = [comment_item(c, account_name="city", post_id="7_8", parent_id="7_9")
             for c in edge_items(data)]
    assert [i.parent_id for i in items] == ["7_9"] and items[0].author == "Ryuji Yamashita"
    assert next_page(URL, data) is None  # cursors but no next: the end


@check("comments/comment_with_inline_replies.json")
def _inline_replies(data: Any) -> None:
    top = comment_item(data, account_name="city", post_id="100000000000001")
    replies = comments_in(data, account_name="city", post_id="100000000000001",
                          parent_id=top.platform_id)
    assert [r.platform_id for r in replies] == ["100000000000001_50000002"]
    assert replies[0].parent_id == top.platform_id and replies[0].author == "Name Name2"


@check("comments/comment_with_parent.json")
def _with_parent(data: Any) -> None:
    item = comment_item(data, account_name="city", post_id="773931769335777")
    assert item.parent_id == data["parent"]["id"] and item.thread_id == "773931769335777"


@check("comments/comments_by_ids.json")
def _comments_by_ids(data: Any) -> None:
    items = [comment_item(c, account_name="city", post_id="19292868552_10158371815748553")
             for c in edge_items(data)]
    assert [i.platform_id for i in items] == list(data)


@check("comments/object_comments_from_attachment_p1.json",
       "comments/object_comments_from_attachment_p2.json")
def _object_comments(data: Any) -> None:
    items = [comment_item(c, account_name="city", post_id="2121008874780932_2498598377021978")
             for c in edge_items(data)]
    assert [i.platform_id for i in items] == [c["id"] for c in data["data"]]
    assert [i.author for i in items] == [c["from"]["name"] for c in data["data"]]
    photos = [c for c in data["data"] if "attachment" in c]
    assert [m.platform_id for i in items for m in i.media] == \
        [c["attachment"]["target"]["id"] for c in photos]
    assert (next_page(URL, data) is not None) == ("next" in data["paging"])


@check("comments/photo_with_comments_and_likes.json", "comments/post_inline_comments_ranked.json")
def _inline_comments(data: Any) -> None:
    items = comments_in(data, account_name="city", post_id=data["id"])
    assert [i.platform_id for i in items] == [c["id"] for c in data["comments"]["data"]]
    assert all(i.parent_id == data["id"] for i in items)
    if "likes" in data:
        assert reaction_counts(data) == {"likes": 0}


@check("comments/post_comments_filter_stream_2014.json",
       "comments/post_comments_with_summary_2014.json")
def _stream_2014(data: Any) -> None:
    items = [comment_item(c, account_name="city", post_id="1_2") for c in edge_items(data)]
    assert [i.platform_id for i in items] == [c["id"] for c in data["data"]]
    assert [i.author for i in items] == [c["from"]["name"] for c in data["data"]]
    tagged = [i for i in items if "#gospursgo" in i.text]
    assert all("gospursgo" in i.tags for i in tagged)
    assert (next_page(URL, data) is not None) == ("next" in data["paging"])


@check("comments/post_comments_stream_p1.json", "comments/post_comments_stream_p2.json")
def _stream_without_ids(data: Any) -> None:
    post_id = "19292868552_10158407654328553"
    items = [comment_item(c, account_name="city", post_id=post_id) for c in edge_items(data)]
    for item, raw in zip(items, data["data"], strict=True):
        top = raw["permalink_url"].split("comment_id=")[1].split("&")[0]
        if "reply_comment_id=" in raw["permalink_url"]:
            reply = raw["permalink_url"].split("reply_comment_id=")[1]
            assert item.platform_id == f"10158407654328553_{reply}"
            assert item.parent_id == f"10158407654328553_{top}"
        else:
            assert item.platform_id == f"10158407654328553_{top}" and item.parent_id == post_id
    assert any(i.parent_id != post_id for i in items)  # stream order interleaves replies


@check("comments/post_comments_toplevel_p1.json", "comments/post_comments_toplevel_p2.json")
def _toplevel(data: Any) -> None:
    items = [comment_item(c, account_name="city", post_id="20531316728_10158658755326729")
             for c in edge_items(data)]
    assert [i.platform_id for i in items] == [c["id"] for c in data["data"]]
    assert {i.parent_id for i in items} == {"20531316728_10158658755326729"}
    assert next_page(URL, data) is not None


# ----- messages ------------------------------------------------------------------------------

@check("conversations/conversation_default_fields.json",
       "conversations/conversation_full_fields.json")
def _conversation(data: Any) -> None:
    info = conversation_info(data)
    assert info.id == "t_587956915396498" and info.message_count == data["message_count"]
    if "participants" in data:
        assert [name for _, name in info.participants] == ["Kun Liu", "MyLife"]


@check("conversations/conversations_by_ids.json")
def _conversations_by_ids(data: Any) -> None:
    assert [conversation_info(c).id for c in edge_items(data)] == list(data)


@check("conversations/conversation_messages_time_paging.json")
def _messages_edge(data: Any) -> None:
    item = message_item(edge_items(data)[0], account_name="city")
    assert (item.kind, item.author, item.recipients) == ("message", "Bryan Brunetti",
                                                         ["Desk Three"])
    assert item.extra["tags"] == ["inbox", "source:web"] and item.visibility == "direct"
    following = next_page(URL, data)
    assert following is not None and "until=1426199405" in following


@check("conversations/conversation_with_messages_2013.json")
def _conversation_inline(data: Any) -> None:
    info = conversation_info(data)
    items = [message_item(m, account_name="city", conversation=info)
             for m in edge_items(data["messages"])]
    assert [i.thread_id for i in items] == [info.id]
    assert items[0].recipients == ["Name Name"]  # the other sender


@check("conversations/page_conversations_with_messages.json")
def _page_conversations(data: Any) -> None:
    for raw in edge_items(data):
        info = conversation_info(raw)
        items = [message_item(m, account_name="city", conversation=info)
                 for m in edge_items(raw["messages"])]
        assert len(items) == len(raw["messages"]["data"])
        assert all(i.thread_id == info.id and i.author for i in items)


@check("conversations/message_attachment_eu_privacy.json")
def _eu(data: Any) -> None:
    item = message_item(data, account_name="city")
    assert not item.media and item.extra["withheld_attachments"][0].startswith("Media not")


@check("conversations/message_basic.json")
def _message_basic(data: Any) -> None:
    item = message_item(data, account_name="city")
    assert (item.author, item.recipients, item.text) == ("Tester Page", ["Test User"], "Test")
    assert "read" in item.extra["tags"]


@check("conversations/message_full_fields.json", "conversations/message_image_attachment.json")
def _message_image(data: Any) -> None:
    item = message_item(data, account_name="city")
    assert [(m.platform_id, m.media_type) for m in item.media] == [("651143212510248", "image")]
    assert item.author == "Kun Liu" and item.recipients == ["MyLife"]


@check("conversations/message_generic_template_attachment.json")
def _template(data: Any) -> None:
    media = message_item(data, account_name="city").media
    assert [(m.url, m.description) for m in media] == [("https://example.org/item.png",
                                                        "Featured product")]


@check("conversations/message_with_share.json")
def _message_share(data: Any) -> None:
    item = message_item(data, account_name="city")
    assert item.versioned["shares"] == ["https://example.org/sample.png"] and not item.media


@check("conversations/message_with_sticker.json")
def _sticker(data: Any) -> None:
    item = message_item(data, account_name="city")
    assert [(m.url, m.media_type) for m in item.media] == [(data["sticker"], "sticker")]


@check("conversations/messages_attachment_variants.json")
def _variants(data: Any) -> None:
    kinds = [[m.media_type for m in message_item(raw, account_name="c").media] for raw in data]
    assert kinds[:4] == [["gifv"], ["image"], ["file"], ["file"]]
    assert ["video"] in kinds


@check("conversations/messages_by_ids_image_video.json")
def _by_ids_image_video(data: Any) -> None:
    items = [message_item(m, account_name="city") for m in edge_items(data)]
    assert [i.platform_id for i in items] == list(data)
    assert {m.media_type for i in items for m in i.media} == {"image", "video"}


# ----- media nodes ---------------------------------------------------------------------------

@check("media/album_full_fields.json")
def _album_node(data: Any) -> None:
    item = media_object_item(data, account_name="city")
    assert (item.kind, item.extra["media_type"], item.url) == ("media", "album", None)
    assert item.title == data["name"] and item.extra["count"] == 36


@check("media/page_albums_p1.json", "media/page_albums_p2.json")
def _albums(data: Any) -> None:
    items = [media_object_item(a, account_name="c", node_type="album") for a in edge_items(data)]
    assert [i.title for i in items] == [a["name"] for a in data["data"]]
    assert all(i.url is None for i in items)


@check("media/page_live_videos_p1.json", "media/page_live_videos_p2.json")
def _live(data: Any) -> None:
    items = [media_object_item(v, account_name="c", node_type="live_video")
             for v in edge_items(data)]
    assert [i.created_at for i in items] == [v["creation_time"] for v in data["data"]]
    assert all(i.url is None and i.extra["status"] == "VOD" for i in items)
    assert all("embed_html" not in json.dumps(i.to_dict()) for i in items)


@check("media/page_photos_p1.json", "media/page_photos_p2.json")
def _photos(data: Any) -> None:
    items = [media_object_item(p, account_name="c", node_type="photo") for p in edge_items(data)]
    assert [i.extra["link"] for i in items] == [p["link"] for p in data["data"]]


@check("media/page_videos_p1.json", "media/page_videos_p2.json")
def _videos(data: Any) -> None:
    items = [media_object_item(v, account_name="c", node_type="video") for v in edge_items(data)]
    assert [i.title for i in items] == [v["title"] for v in data["data"]]
    assert [i.extra["length"] for i in items] == [v["length"] for v in data["data"]]


@check("media/photo_full_fields.json")
def _photo_node(data: Any) -> None:
    item = media_object_item(data, account_name="c", node_type="photo")
    biggest = max(data["images"], key=lambda i: i["width"] * i["height"])
    assert item.url == biggest["source"] and item.text == data["alt_text"]
    assert item.author == "Facebook for Developers"


@check("media/video_full_fields.json")
def _video_node(data: Any) -> None:
    item = media_object_item(data, account_name="c", node_type="video")
    assert item.url is None  # no "source" was asked for
    assert item.title == data["title"] and item.extra["length"] == data["length"]


@check("media/video_thumbnails.json")
def _thumbnails(data: Any) -> None:
    urls = thumbnail_urls({"thumbnails": data})
    preferred = next(t["uri"] for t in data["data"] if t["is_preferred"])
    assert urls[0] == preferred and len(urls) == len(data["data"])


# ----- paging, reactions, batch --------------------------------------------------------------

@check("paging/cursor_only_p1.json")
def _cursor_only(data: Any) -> None:
    assert len(edge_items(data)) == 1 and next_page(URL, data) is None


@check("paging/cursor_with_next_and_summary.json")
def _cursor_next(data: Any) -> None:
    following = next_page(URL, data)
    assert following == ("https://graph.example/v21.0/1/edge?access_token=T&fields=id&limit=5"
                         "&after=NzU1MjI1MjU0")


@check("paging/empty_data_with_next.json")
def _empty_next(data: Any) -> None:
    following = next_page(URL, data)
    assert edge_items(data) == [] and following is not None and "after=aftercursos" in following


@check("paging/likes_p1.json", "paging/likes_p2.json")
def _likes(data: Any) -> None:
    following = next_page(URL, data)
    assert following is not None and f"after={data['paging']['cursors']['after']}" in \
        following.replace("%3D", "=")
    assert following.startswith("https://graph.example/v21.0/1/edge?")


@check("reactions/post_likes_summary.json")
def _likes_summary(data: Any) -> None:
    assert post_item(data, account_name="c", page_id="1").extra["reactions"] == {"likes": 7}


@check("reactions/post_reactions_edge.json")
def _reactions_edge(data: Any) -> None:
    assert reaction_counts(data) == {"reactions": 1}


@check("batch/batch_simple.json", "batch/batch_first_item_error.json")
def _batch(data: Any) -> None:
    for part in data:
        body = json.loads(part["body"])
        headers = {h["name"].lower(): h["value"] for h in part["headers"]}
        assert usage_of(headers).percent == 2
        error = graph_error(body)
        if part["code"] == 200:
            assert error is None and body["id"]
        else:
            assert error is not None and error.kind == "missing"


# ----- usage headers and errors --------------------------------------------------------------

@check("rate_limit_headers/x_app_usage_1.json", "rate_limit_headers/x_app_usage_2.json")
def _app_usage(data: Any) -> None:
    answer = FakeAnswer(200, {"x-app-usage": json.dumps(data)})
    assert usage_of(answer.headers).percent == data["call_count"]
    assert POLICY.pause_after(answer) == (2.0 if data["call_count"] >= 90 else 0.0)


@check("rate_limit_headers/x_ad_account_usage_1.json")
def _ad_usage(data: Any) -> None:
    usage = usage_of({"x-ad-account-usage": json.dumps(data)})
    assert (usage.percent, usage.regain_seconds) == (9.67, 0.0)


@check("rate_limit_headers/x_business_use_case_usage_1.json",
       "rate_limit_headers/x_business_use_case_usage_placeholder.json")
def _buc_usage(data: Any) -> None:
    answer = FakeAnswer(200, {"x-business-use-case-usage": json.dumps(data)})
    entry = next(iter(data.values()))[0]
    minutes = entry["estimated_time_to_regain_access"]
    assert usage_of(answer.headers).regain_seconds == minutes * 60
    assert POLICY.pause_after(answer) == minutes * 60


ERRORS = {
    "errors/error_100_nonexisting_field.json": ("invalid", 100, None),
    "errors/error_100_object_missing_permission.json": ("invalid", 100, None),
    "errors/error_100_pages_public_content_access.json": ("invalid", 100, None),
    "errors/error_100_unsupported_get_request.json": ("invalid", 100, None),
    "errors/error_10_permission_denied.json": ("permission", 10, None),
    "errors/error_190_460_user_title_msg.json": ("token", 190, 460),
    "errors/error_190_463_token_expired.json": ("token", 190, 463),
    "errors/error_190_466_token_revoked.json": ("token", 190, 466),
    "errors/error_190_467_user_logged_out.json": ("token", 190, 467),
    "errors/error_190_bogus_token.json": ("token", 190, None),
    "errors/error_1_1446036_duplicate_mark_spam.json": ("invalid", 1, 1446036),
    "errors/error_200_not_authorized.json": ("permission", 200, None),
    "errors/error_2500_active_token_required.json": ("token", 2500, None),
    "errors/error_2_service_unavailable_transient.json": ("transient", 2, None),
    "errors/error_341_feed_action_request_limit.json": ("throttled", 341, None),
    "errors/error_368_blocked_going_too_fast.json": ("invalid", 368, None),
    "errors/error_legacy_oauth_shape.json": ("invalid", 400, None),
}


def _error(name: str) -> Callable[[Any], None]:
    def verify(data: Any) -> None:
        kind, code, subcode = ERRORS[name]
        error = graph_error(data)
        assert error is not None and (error.kind, error.code, error.subcode) == (kind, code,
                                                                                 subcode)
        assert error.describe().startswith(f"(#{code}")
        status = 500 if kind == "transient" else 400
        wait = POLICY.retry_after(FakeAnswer(status, {}, data), 1)
        assert (wait is not None) == (kind in ("throttled", "transient"))
    return verify


for _name in ERRORS:
    CHECKS[_name] = _error(_name)


def test_error_descriptions_prefer_the_message_meant_for_people() -> None:
    error = graph_error(load("errors/error_190_460_user_title_msg.json"))
    assert error is not None and error.describe() == "(#190/460) OAuthException: A message"


# ----- the runner ----------------------------------------------------------------------------

FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.json"))


def test_every_corpus_file_is_checked() -> None:
    assert FILES and set(FILES) == set(CHECKS)


@pytest.mark.parametrize("name", FILES)
def test_corpus_file(name: str) -> None:
    CHECKS[name](load(name))
