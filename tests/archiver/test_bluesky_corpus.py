"""The Bluesky mapping reads every real AT Protocol response in the corpus into the right items.

Each file of tests/corpora/bluesky is read here (README.md describes them); the items, kinds,
parents, authors and media they hold are checked against the raw JSON, and the error and
header files by what they mean.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archiver.sources.bluesky import BlueskySource
from civicrecords.archiver.sources.bluesky_identity import (
    did_document_handles,
    did_document_pds,
    did_document_url,
    jwt_expiry,
    profile_summary,
)
from civicrecords.archiver.sources.bluesky_records import (
    actor,
    feed_item,
    message_item,
    next_cursor,
    post_view_item,
    raw_cid,
    record_item,
    thread_walk,
    web_url,
    xrpc_error,
)
from civicrecords.config import AccountConfig

CORPUS = Path(__file__).parents[1] / "corpora" / "bluesky"
ACCOUNT = "city-bsky"


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text())


def headers(name: str) -> dict[str, Any]:
    return load(name.replace(".json", ".headers.json"))


def _media_in_view(view: dict[str, Any]) -> tuple[int, str | None]:
    """(number of images or videos, kind) an embed view shows, read independently."""
    embed = view.get("embed") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        embed = embed["media"]
    if embed.get("$type") == "app.bsky.embed.images#view":
        return len(embed["images"]), "image"
    if embed.get("$type") == "app.bsky.embed.video#view":
        return 1, "video"
    return 0, None


# ----- author feeds ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["get_author_feed.json", "get_author_feed_limit25.json"])
def test_author_feed_entries_map_to_the_accounts_posts_and_reposts(name: str) -> None:
    data = load(name)
    owner = headers(name)["request"]["url"].split("actor=")[1].split("&")[0]
    owner_did = next(e["post"]["author"]["did"] for e in data["feed"]
                     if e["post"]["author"]["handle"] == owner)
    reposts = replies = quotes = 0
    for entry in data["feed"]:
        post, reason = entry["post"], entry.get("reason")
        item = feed_item(entry, account_name=ACCOUNT, owner_did=owner_did)
        assert item is not None and item.kind == "post" and item.platform == "bluesky"
        quotes += bool(item.extra.get("quote_of"))
        count, kind = _media_in_view(post)
        assert len(item.media) == count
        assert all(m.media_type == kind for m in item.media)
        assert item.text == post["record"].get("text", "")
        if reason:
            reposts += 1
            assert reason["$type"] == "app.bsky.feed.defs#reasonRepost"
            assert item.platform_id == reason.get("uri", post["uri"] + "#repost")
            assert (item.author, item.author_id) == (owner, owner_did)
            assert item.created_at == reason["indexedAt"]
            original = item.extra["repost_of"]
            assert (original["uri"], original["author"], original["author_id"]) == (
                post["uri"], post["author"]["handle"], post["author"]["did"])
            assert item.parent_id is None and item.thread_id == item.platform_id
            continue
        assert item.platform_id == post["uri"]
        assert (item.author, item.author_id) == (owner, owner_did)
        assert item.author_name == post["author"].get("displayName", "")
        assert item.created_at == post["record"]["createdAt"]
        assert item.url == web_url(post["uri"])
        assert item.extra["like_count"] == post["likeCount"]
        reply = post["record"].get("reply")
        if reply:
            replies += 1
            assert item.parent_id == reply["parent"]["uri"]
            assert item.thread_id == reply["root"]["uri"]
        else:
            assert item.parent_id is None and item.thread_id == post["uri"]
        for ref in item.media:
            cid = ref.platform_id.rpartition("#")[2]
            assert ref.platform_id == f"{post['uri']}#{cid}" and cid.startswith("baf")
            assert item.extra["media"][cid]["cid"] == cid
        facet_tags = [f["tag"] for facet in post["record"].get("facets", [])
                      for f in facet["features"] if f["$type"].endswith("#tag")]
        assert set(item.tags) == set(facet_tags)
    assert reposts == sum(1 for e in data["feed"] if e.get("reason"))
    if name == "get_author_feed_limit25.json":  # as the corpus README describes it
        assert (reposts, len(data["feed"])) == (10, 25)
        assert replies == 8  # the ninth reply in the feed is a reposted one
        assert quotes == 9  # 7 record#view + 2 recordWithMedia#view
    else:
        assert (reposts, len(data["feed"])) == (7, 50) and replies == 24 and quotes == 7
    assert next_cursor(data) == data["cursor"]


def test_reply_parents_the_appview_no_longer_has_are_kept() -> None:
    data = load("get_author_feed.json")
    owner_did = data["feed"][0]["post"]["author"]["did"]
    orphans = [e for e in data["feed"] if e.get("reply", {}).get("parent", {}).get("$type")
               == "app.bsky.feed.defs#notFoundPost"]
    assert len(orphans) == 3
    for entry in orphans:
        item = feed_item(entry, account_name=ACCOUNT, owner_did=owner_did)
        assert item is not None
        assert item.parent_id == entry["post"]["record"]["reply"]["parent"]["uri"]
        assert item.parent_id == entry["reply"]["parent"]["uri"]


def test_video_quotes_and_link_cards_are_kept() -> None:
    data = load("get_author_feed_limit25.json")
    owner_did = next(e["post"]["author"]["did"] for e in data["feed"]
                     if e["post"]["author"]["handle"] == "andrew.heiss.phd")
    items = [feed_item(e, account_name=ACCOUNT, owner_did=owner_did) for e in data["feed"]]
    video = next(i for i in items if i and any(m.media_type == "video" for m in i.media))
    ref = video.media[0]
    cid = ref.platform_id.rpartition("#")[2]
    assert ref.url.endswith("/playlist.m3u8") and cid in ref.url.replace("%3A", ":")
    assert video.extra["media"][cid]["mime_type"] == "video/mp4"
    assert video.extra["media"][cid]["thumb"].endswith("thumbnail.jpg")
    quoted = [i for i in items if i and i.extra.get("quote_of")]
    assert quoted and all(q.extra["quote_of"]["uri"].startswith("at://") for q in quoted)
    carded = [i for i in items if i and i.extra.get("card")]
    assert carded and all(c.extra["card"]["uri"].startswith("http") for c in carded)
    assert not [i for i in items if i and i.extra.get("author_labels")]  # not the city's
    shown = [e for e in data["feed"] if e["post"]["author"].get("labels")]
    assert len(shown) == 2 and all(
        feed_item(e, account_name=ACCOUNT, owner_did=owner_did).extra["repost_of"][
            "author_labels"] == ["!no-unauthenticated"] for e in shown)


# ----- threads -----------------------------------------------------------------------------
def test_nested_thread_walks_every_level_in_order() -> None:
    walk = thread_walk(load("get_post_thread_nested_replies.json")["thread"],
                       account_name=ACCOUNT, owner_did="did:plc:other")
    assert [depth for _item, depth in walk.items] == [0, 1, 2, 3]
    items = [item for item, _depth in walk.items]
    assert items[0].parent_id is None
    for parent, child in itertools.pairwise(items):
        assert child.parent_id == parent.platform_id
        assert child.thread_id == items[0].platform_id
    assert {i.author for i in items} == {"jbgruber.bsky.social"}
    assert all(i.kind == "comment" for i in items)  # written by someone else
    assert walk.truncated == [] and walk.blocked == [] and walk.not_found == []


def test_thread_from_a_middle_post_reports_its_parents() -> None:
    data = load("get_post_thread_with_parents.json")
    walk = thread_walk(data["thread"], account_name=ACCOUNT,
                       owner_did="did:plc:ntd53albt5ffa4rgervvgibd")
    assert [i.platform_id.rpartition("/")[2] for i, _d in walk.items] == \
        ["3kbi57u4sys2l", "3kbi5dzaujr2n"]
    assert [p.platform_id.rpartition("/")[2] for p in walk.parents] == \
        ["3kbi56mwx5j2q", "3kbi55xm6u62v"]
    assert all(i.kind == "post" for i, _d in walk.items)  # the owner's own self-thread


def test_single_post_thread_with_image_and_links() -> None:
    data = load("get_post_thread_single_post.json")
    walk = thread_walk(data["thread"], account_name=ACCOUNT, owner_did="x")
    (item, depth), = walk.items
    assert depth == 0 and item.author == "soubhikbarari.bsky.social"
    assert [m.platform_id.rpartition("#")[2] for m in item.media] == \
        ["bafkreictkyws7qbruuupes52t6k5o5o5qfggf7pm6urzz7dyty53gzu3h4"]
    assert item.extra["links"] == ["http://localview.net", "https://rstats.ai/gov.html"]
    assert item.extra["media"][item.media[0].platform_id.rpartition("#")[2]]["size"] == 851799


def test_record_with_media_thread_keeps_the_quote_and_the_image() -> None:
    walk = thread_walk(load("get_post_thread_record_with_media.json")["thread"],
                       account_name=ACCOUNT, owner_did="did:plc:kvwvcn5iqfooopmyzvb4qzba")
    (item, _depth), = walk.items
    assert item.kind == "post" and item.text == ""
    assert item.extra["quote_of"]["uri"].endswith("/3kahesw26il2z")
    assert item.extra["quote_of"]["text"] == "test"
    assert [m.media_type for m in item.media] == ["image"]


def test_blocked_missing_hidden_and_cut_off_replies_are_reported() -> None:
    data = load("get_post_thread_nested_replies.json")
    root = data["thread"]
    first = root["replies"][0]
    blocked = {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://did:plc:b/app.bsky"
               ".feed.post/3aaaaaaaaaaaa", "blocked": True, "author": {"did": "did:plc:b"}}
    gone = {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://did:plc:c/app.bsky.feed"
            ".post/3bbbbbbbbbbbb", "notFound": True}
    first["replies"][0].pop("replies")  # cut off by the depth limit: replyCount says 1
    root["replies"] += [blocked, gone]
    root["post"]["threadgate"] = {"record": {"hiddenReplies": [first["post"]["uri"]]}}
    walk = thread_walk(root, account_name=ACCOUNT, owner_did="x")
    assert walk.blocked == [(blocked["uri"], "did:plc:b", root["post"]["uri"])]
    assert walk.not_found == [gone["uri"]]
    assert walk.truncated == [first["replies"][0]["post"]["uri"]]
    hidden = [i for i, _d in walk.items if i.hidden]
    assert [h.platform_id for h in hidden] == [first["post"]["uri"]]


# ----- other post views and raw records ----------------------------------------------------
@pytest.mark.parametrize("name", ["get_posts.json", "search_posts.json", "get_quotes.json"])
def test_post_views_map_to_items(name: str) -> None:
    data = load(name)
    assert data["posts"]
    for view in data["posts"]:
        item = post_view_item(view, account_name=ACCOUNT, owner_did="did:plc:nobody")
        assert item.kind == "comment" and item.platform_id == view["uri"]
        assert (item.author, item.author_id) == (view["author"]["handle"],
                                                 view["author"]["did"])
        assert item.created_at == view["record"]["createdAt"]
        assert item.parent_id == (view["record"].get("reply") or {}).get("parent", {}).get("uri")
        assert len(item.media) == _media_in_view(view)[0]
    if name == "get_quotes.json":
        for view in data["posts"]:
            quoted = post_view_item(view, account_name=ACCOUNT, owner_did="x").extra["quote_of"]
            assert quoted["uri"] == data["uri"]
    if name == "search_posts.json":
        assert len(data["posts"]) == 25 and next_cursor(data) == "25"


def test_raw_record_from_the_repository() -> None:
    data = load("get_record_post.json")
    author = actor({"did": "did:plc:ic6zqvuw5ulmfpjiwnhsr2ns"})
    item = record_item(data["uri"], data["cid"], data["value"], author=author,
                       account_name=ACCOUNT, owner_did="x")
    assert item.kind == "comment" and item.author == "did:plc:ic6zqvuw5ulmfpjiwnhsr2ns"
    assert item.versioned["cid"] == data["cid"]
    assert item.tags == [] and item.extra["links"][0] == "http://localview.net"
    assert len(item.media) == 1 and item.media[0].url == ""  # no CDN URL in a raw record
    assert item.extra["media"][item.media[0].platform_id.rpartition("#")[2]]["mime_type"] \
        == "image/jpeg"


def test_list_records_maps_all_fifty_posts_of_the_repository() -> None:
    data = load("list_records_feed_post.json")
    owner = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
    items = [record_item(r["uri"], r["cid"], r["value"], author=actor({"did": owner}),
                         account_name=ACCOUNT, owner_did=owner) for r in data["records"]]
    assert len(items) == 50 and {i.kind for i in items} == {"post"}
    assert sum(1 for i in items if i.parent_id) == 27
    with_media = sum(1 for r in data["records"]
                     if (r["value"].get("embed") or {}).get("$type") in (
                         "app.bsky.embed.images", "app.bsky.embed.recordWithMedia")
                     and "images" in json.dumps(r["value"]["embed"]))
    assert sum(1 for i in items if i.media) == with_media
    assert next_cursor(data) == "3kj252isg7w22"


def test_a_replaced_record_is_a_new_version_not_a_new_item() -> None:
    data = load("get_record_post.json")
    author = actor({"did": "did:plc:ic6zqvuw5ulmfpjiwnhsr2ns"})
    first = record_item(data["uri"], data["cid"], data["value"], author=author,
                        account_name=ACCOUNT, owner_did="x")
    replaced = record_item(data["uri"], "bafyreisomethingelse", data["value"], author=author,
                           account_name=ACCOUNT, owner_did="x")
    assert first.key == replaced.key and first.content_hash() != replaced.content_hash()


def test_moderation_labels_that_hide_a_post_set_hidden() -> None:
    view = load("get_posts.json")["posts"][0]
    view["labels"] = [{"src": "did:plc:labeler", "val": "!hide", "cts": "2025-01-01T00:00:00Z"}]
    item = post_view_item(view, account_name=ACCOUNT, owner_did="x")
    assert item.hidden and item.extra["labels"][0]["val"] == "!hide"


# ----- chat --------------------------------------------------------------------------------
def test_chat_messages_map_to_message_items() -> None:
    convo = load("chat_convo_list_convos.json")["convos"][0]
    page = load("chat_convo_get_messages.json")
    owner = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
    handles = {m["did"]: m["handle"] for m in convo["members"]}
    items = [message_item(m, convo=convo, account_name=ACCOUNT, owner_did=owner)
             for m in page["messages"]]
    assert len(items) == 4
    for item, message in zip(items, page["messages"], strict=True):
        assert item is not None and item.kind == "message"
        assert item.platform_id == message["id"] and item.thread_id == convo["id"]
        assert item.author == handles[message["sender"]["did"]]
        assert item.recipients == [h for d, h in handles.items() if d != message["sender"]["did"]]
        assert item.created_at == message["sentAt"] and item.text == message["text"]
        assert item.extra["from_account"] == (message["sender"]["did"] == owner)
    assert items[2] is not None and items[2].extra["reactions"][0]["value"] == "\U0001f44d"
    last = message_item(convo["lastMessage"], convo=convo, account_name=ACCOUNT,
                        owner_did=owner)
    assert last is not None and last.platform_id == items[0].platform_id
    assert next_cursor(page) == "222222226r2sq"
    assert next_cursor(load("chat_convo_list_convos.json")) is None
    deleted = {"$type": "chat.bsky.convo.defs#deletedMessageView", "id": "3lxxxxxxxxxxx",
               "rev": "2", "sender": {"did": owner}, "sentAt": "2025-05-19T01:56:19.330Z"}
    assert message_item(deleted, convo=convo, account_name=ACCOUNT, owner_did=owner) is None


# ----- identity, profiles, engagement lists ------------------------------------------------
def test_identity_documents() -> None:
    assert load("resolve_handle.json")["did"] == "did:plc:wpe35pganb6d4pg4ekmfy6u5"
    repo = load("describe_repo.json")
    assert did_document_pds(repo["didDoc"]) == "https://inkcap.us-east.host.bsky.network"
    assert did_document_handles(repo["didDoc"]) == [repo["handle"]]
    assert did_document_url(repo["did"], "https://plc.directory") == \
        "https://plc.directory/did:plc:wpe35pganb6d4pg4ekmfy6u5"
    assert did_document_url("did:web:city.example", "x") == \
        "https://city.example/.well-known/did.json"
    assert did_document_url("did:key:z6Mk", "x") is None


def test_profiles_likes_and_reposters_name_their_actors() -> None:
    (profile,) = load("get_profiles.json")["profiles"]
    summary = profile_summary(profile)
    assert summary == {"did": profile["did"], "handle": "chriskenny.bsky.social",
                       "display_name": "Chris Kenny", "posts_count": 65,
                       "followers_count": 554, "follows_count": 296, "labels": [],
                       "created_at": "2023-09-19T15:47:01.417Z"}
    likes = load("get_likes.json")
    handles = [actor(like["actor"]).handle for like in likes["likes"]]
    assert len(handles) == 4 and handles[0] == "fkjoeller.bsky.social"
    assert all(actor(like["actor"]).did.startswith("did:plc:") for like in likes["likes"])
    assert next_cursor(likes) is None  # the last page
    reposters = load("get_reposted_by.json")
    assert [actor(a).handle for a in reposters["repostedBy"]] == ["jaeyeonkim.bsky.social"]


def test_error_envelope() -> None:
    error, message = xrpc_error(load("error_400_invalid_request_create_record.json"))
    assert error == "InvalidRequest" and "300 graphemes" in message
    assert headers("error_400_invalid_request_create_record.json")["status"] == 400
    assert xrpc_error(["not", "an", "envelope"]) == ("", "")


# ----- rate limits from the recorded headers -----------------------------------------------
class _Answer:
    def __init__(self, status: int, head: dict[str, str], at: datetime) -> None:
        self.status, self.headers, self.fetched_at = status, head, at

    def json_or_none(self) -> Any:
        return None


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.headers.json")))
def test_recorded_rate_limit_headers_drive_the_policy(name: str) -> None:
    recorded = json.loads((CORPUS / name).read_text())
    head = {k.lower(): v for k, v in recorded["headers"].items()}
    at = parsedate_to_datetime(head["date"])
    policy = BlueskySource(AccountConfig(name="b", platform="bluesky", api_base="https://x",
                                         handle="h")).rate_limits(1.0, 3600.0)
    assert int(head["ratelimit-remaining"]) > 0
    assert policy.pause_after(_Answer(recorded["status"], head, at)) == 0.0
    assert policy.retry_after(_Answer(recorded["status"], head, at), 1) is None
    reset_in = int(head["ratelimit-reset"]) - at.timestamp()
    exhausted = {**head, "ratelimit-remaining": "0"}
    assert policy.pause_after(_Answer(200, exhausted, at)) == pytest.approx(reset_in)
    assert policy.retry_after(_Answer(429, exhausted, at), 1) == pytest.approx(reset_in)
    assert head["ratelimit-policy"] == f"{head['ratelimit-limit']};w=300"


# ----- content addressing and tokens -------------------------------------------------------
def test_blob_cids_are_computed_from_the_bytes() -> None:
    empty = hashlib.sha256(b"").hexdigest()
    assert raw_cid(empty) == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_token_expiry_is_read_from_a_jwt_without_trusting_it() -> None:
    exp = int((datetime(2026, 1, 2, 3, 4, 5) - datetime(1970, 1, 1)) / timedelta(seconds=1))

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    token = f"{part({'alg': 'ES256K'})}.{part({'exp': exp, 'sub': 'did:plc:x'})}.sig"
    assert jwt_expiry(token) == "2026-01-02T03:04:05Z"
    assert jwt_expiry("opaque-token") is None
    assert jwt_expiry("a.!!!.c") is None


def test_answers_of_the_wrong_shape_are_data_not_crashes() -> None:
    junk: list[Any] = [None, 7, "text", [], ["a", 1], {"$type": 3}]
    view = load("get_posts.json")["posts"][0]
    for value in junk:
        broken = json.loads(json.dumps(view))
        broken["record"]["facets"] = [{"features": [value], "index": value}]
        broken["record"]["reply"] = {"parent": value, "root": value}
        broken["record"]["labels"] = value
        broken["embed"] = {"$type": "app.bsky.embed.images#view", "images": [value]}
        broken["labels"] = [value]
        item = post_view_item(broken, account_name=ACCOUNT, owner_did="x")
        assert item.platform_id == view["uri"] and item.parent_id is None
        assert feed_item({"post": value, "reason": value}, account_name=ACCOUNT,
                         owner_did="x") is None
        walk = thread_walk({"post": broken, "replies": [value], "parent": value},
                           account_name=ACCOUNT, owner_did="x")
        assert [i.platform_id for i, _d in walk.items] == [view["uri"]]
        convo = {"id": "c", "members": value}
        message = message_item({"id": "m", "text": "hi", "sender": value, "reactions": value},
                               convo=convo, account_name=ACCOUNT, owner_did="x")
        assert message is not None and message.text == "hi"
        assert did_document_pds(value) is None and did_document_handles(value) == []
        assert profile_summary(value)["did"] == ""
