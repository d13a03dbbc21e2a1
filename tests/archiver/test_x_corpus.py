"""The X mapping reads every real X API v2 response in tests/corpora/x into the right items."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from civicrecords.archiver.sources.x import (
    EXPANSIONS,
    MEDIA_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    XRateLimitPolicy,
    reads_messages,
)
from civicrecords.archiver.sources.x_items import (
    author_of,
    best_media_url,
    dm_item,
    history_items,
    media_item,
    original_id,
    parse_page,
    tweet_item,
    withheld_here,
)

CORPUS = Path(__file__).parents[1] / "corpora" / "x"


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text())


class Answer:
    """A recorded answer as the rate-limit policy sees it."""

    def __init__(self, status: int, headers: dict[str, str], fetched_at: datetime) -> None:
        self.status, self.headers, self.fetched_at = status, headers, fetched_at

    def json_or_none(self) -> None:
        return None


TWEET_FILES = [
    "users_tweets_page1_default_fields.json", "users_tweets_page_n_with_expansions.json",
    "search_recent_default_fields.json", "search_recent_page1_with_expansions.json",
    "search_recent_page2_with_expansions.json", "search_all_last_page.json",
    "tweet_lookup_default_fields.json", "tweets_lookup_multi_default_fields.json",
    "users_mentions_page1_default_fields.json", "quote_tweets_page1_default_fields.json",
    "tweet_with_edit_history.json", "tweet_with_edit_history_refetched.json",
    "tweet_edit_history_original_version.json", "tweet_reply_quoting_edited_tweet.json",
    "tweet_with_video_media_variants.json", "tweet_retweet_with_mentions.json",
    "tweet_with_geo_place.json", "tweet_reply_with_url_card.json",
    "tweet_author_verified_type.json", "tweet_withheld_in_countries.json",
    "tweet_reply_to_deleted_parent.json",
]
OWNER = "783214"  # the account whose timeline tweepy recorded


@pytest.mark.parametrize("name", TWEET_FILES)
def test_every_tweet_maps_to_an_item(name: str) -> None:
    page = parse_page(load(name))
    assert page.data
    for tweet in page.data:
        item = tweet_item(tweet, page, account_name="city", owner_id=OWNER)
        history = tweet.get("edit_history_tweet_ids") or [tweet["id"]]
        assert item.platform_id == history[0]
        assert item.extra["tweet_id"] == tweet["id"]
        assert item.kind == ("post" if tweet.get("author_id") == OWNER else "comment")
        author = page.users.get(str(tweet.get("author_id")))
        assert item.author == (author["username"] if author else "")
        assert item.author_id == str(tweet.get("author_id") or "")
        if "created_at" in tweet and tweet["id"] == history[0]:
            assert item.created_at == tweet["created_at"] and item.edited_at is None
        replied = [r["id"] for r in tweet.get("referenced_tweets", [])
                   if r["type"] == "replied_to"]
        assert item.parent_id == (original_id(page.tweets[replied[0]])
                                  if replied and replied[0] in page.tweets
                                  else replied[0] if replied else None)
        keys = tweet.get("attachments", {}).get("media_keys", [])
        assert [m.platform_id for m in item.media] == [k for k in keys if k in page.media]
        for url in tweet.get("entities", {}).get("urls", []):
            assert url["url"] not in item.text  # t.co links expanded or dropped
        assert "&amp;" not in item.text and "&lt;" not in item.text
        if tweet.get("conversation_id"):
            assert item.thread_id
        if not any(r["type"] == "retweeted" for r in tweet.get("referenced_tweets", [])):
            assert item.text or keys


def test_timeline_page_with_expansions_has_media_retweets_replies_and_a_partial_error() -> None:
    page = parse_page(load("users_tweets_page_n_with_expansions.json"))
    owner = "2351222345"
    items = [tweet_item(t, page, account_name="city", owner_id=owner) for t in page.data]
    assert len(items) == 100 and all(i.kind == "post" for i in items)
    assert page.next_token and page.meta["previous_token"]
    retweets = [i for i in items if "retweet_of" in i.extra]
    assert retweets and all(i.text.startswith("RT @") for i in retweets)
    replies = [i for i in items if i.parent_id]
    assert replies
    kinds = {page.media[m.platform_id]["type"] for i in items for m in i.media}
    assert kinds == {"photo", "video", "animated_gif"}
    for item in items:
        for ref in item.media:
            child = media_item(page.media[ref.platform_id], parent=item)
            assert (child.kind, child.parent_id) == ("media", item.platform_id)
            assert child.url == ref.url and ref.url.startswith("https://")
            if ref.media_type != "photo":  # this request asked for no variants: the preview
                assert ref.url == page.media[ref.platform_id]["preview_image_url"]
    [error] = page.errors
    assert error.reason == "deleted" and error.parameter == "referenced_tweets.id"
    flagged = [i for i in items if i.extra.get("api_errors")]
    assert [e["resource_id"] for i in flagged for e in i.extra["api_errors"]] == \
        [error.resource_id]


def test_edited_post_is_one_item_with_the_original_id_and_a_history_version() -> None:
    latest = parse_page(load("tweet_with_edit_history.json"))
    item = tweet_item(latest.data[0], latest, account_name="city", owner_id="337119125")
    assert item.platform_id == "1576994746135764992"
    assert item.extra["tweet_id"] == "1576994789110992896"
    assert item.created_at == "2022-10-03T17:57:01.000Z"  # the original's, from includes
    assert item.edited_at == "2022-10-03T17:57:11.000Z"
    assert item.text == "hey :) https://twitter.com/i/web/status/1576994789110992896"
    assert item.thread_id == item.platform_id  # conversation_id was the edit's id
    [old] = history_items(item, latest, owner_id="337119125")
    assert old.platform_id == item.platform_id and old.edited_at is None
    assert old.text.startswith("i miss y\u2019all so much haha")
    assert old.content_hash() != item.content_hash()
    assert not old.media  # includes.media covers only data tweets: look the versions up
    again = parse_page(load("tweet_with_edit_history_refetched.json"))
    refetched = tweet_item(again.data[0], again, account_name="city", owner_id="337119125")
    assert refetched.extra["public_metrics"] != item.extra["public_metrics"]
    assert refetched.content_hash() == item.content_hash()  # only counts changed: no version
    before = parse_page(load("tweet_edit_history_original_version.json"))
    original = tweet_item(before.data[0], before, account_name="city", owner_id="337119125")
    assert original.platform_id == item.platform_id and original.edited_at is None
    [looked_up] = history_items(item, before, owner_id="337119125")
    assert looked_up.content_hash() == original.content_hash()
    assert looked_up.text == old.text and looked_up.created_at == item.created_at
    [photo] = original.media
    assert photo.media_type == "photo" and photo.description == "selfie of me with memoji"
    assert photo.url == "https://pbs.twimg.com/media/FeKcHsVaUAEYpU_.jpg"


def test_reply_to_an_edit_hangs_under_the_original_post() -> None:
    page = parse_page(load("tweet_reply_quoting_edited_tweet.json"))
    item = tweet_item(page.data[0], page, account_name="city", owner_id="337119125")
    assert item.kind == "comment" and item.author == "dappdavid99"
    assert item.parent_id == "1576994746135764992"  # replied_to was the edit's id
    assert item.thread_id == "1576994746135764992"
    assert item.extra["quote_of"]["id"] == "1576994746135764992"
    assert item.mentions == ["wongmjane"]


def test_video_keeps_the_highest_bitrate_mp4_and_its_metadata() -> None:
    page = parse_page(load("tweet_with_video_media_variants.json"))
    item = tweet_item(page.data[0], page, account_name="city", owner_id="495430242")
    [ref] = item.media
    media = page.media[ref.platform_id]
    best = max((v for v in media["variants"] if v["content_type"] == "video/mp4"),
               key=lambda v: v["bit_rate"])
    assert best["bit_rate"] == 2176000 and ref.url == best["url"] == best_media_url(media)
    child = media_item(media, parent=item)
    assert child.extra["duration_ms"] == media["duration_ms"]
    assert child.extra["preview_image_url"] == media["preview_image_url"]
    assert item.text == "She's GOING with it! \U0001f40d"  # the video link is dropped


def test_retweet_place_card_verified_and_withheld_details_are_kept() -> None:
    rt = parse_page(load("tweet_retweet_with_mentions.json"))
    item = tweet_item(rt.data[0], rt, account_name="city", owner_id="68401342")
    assert item.kind == "post" and item.extra["retweet_of"] == {
        "id": "1589671906718134272", "author": "S3NT1N3L17", "author_id": "1221317221714157569"}
    assert item.text.startswith("RT @S3NT1N3L17: Looking for gaming mutuals")
    assert "\u2026" not in item.text  # the full original text, not X's truncated RT text
    geo = parse_page(load("tweet_with_geo_place.json"))
    placed = tweet_item(geo.data[0], geo, account_name="city", owner_id="x")
    assert placed.extra["place"]["full_name"] and placed.parent_id == "1501958949863661574"
    assert "https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/" in placed.text
    card = parse_page(load("tweet_reply_with_url_card.json"))
    reply = tweet_item(card.data[0], card, account_name="city", owner_id="1328271312628936705")
    assert reply.kind == "post" and reply.parent_id == "1610623087061471232"
    verified = parse_page(load("tweet_author_verified_type.json"))
    author = verified.users[verified.data[0]["author_id"]]
    assert author_of(author)[0] == tweet_item(verified.data[0], verified, account_name="c",
                                              owner_id="x").author
    assert author["verified_type"]
    held = parse_page(load("tweet_withheld_in_countries.json"))
    withheld = tweet_item(held.data[0], held, account_name="city", owner_id="x")
    assert withheld.extra["withheld"]["country_codes"] == ["IN"]
    assert not withheld_here(withheld.extra["withheld"])  # withheld in India only
    assert withheld_here({"copyright": False, "country_codes": ["US"]})
    assert withheld_here({"copyright": True, "country_codes": []})


def test_partial_errors_name_the_removal_reason() -> None:
    deleted = parse_page(load("tweet_reply_to_deleted_parent.json"))
    item = tweet_item(deleted.data[0], deleted, account_name="city", owner_id="x")
    [error] = deleted.errors
    assert error.reason == "deleted" and item.parent_id == error.resource_id
    assert item.extra["api_errors"][0]["kind"] == "resource-not-found"
    users = parse_page(load("users_lookup_with_partial_errors.json"))
    assert len(users.data) == 96 and len(users.tweets) == 52
    reasons = {(e.resource_type, e.title): e.reason for e in users.errors}
    assert reasons[("user", "Not Found Error")] == "deleted"
    assert reasons[("tweet", "Authorization Error")] == "unavailable"
    for user in users.data:
        name, uid, _ = author_of(user)
        assert name == user["username"] and uid == user["id"]
    search = parse_page(load("search_recent_page2_with_expansions.json"))
    assert {e.reason for e in search.errors} == {"suspended"}
    assert all(e.resource_type == "user" for e in search.errors)


def test_pagination_tokens_are_read_from_meta() -> None:
    assert parse_page(load("search_recent_page1_with_expansions.json")).next_token == \
        "b26v89c19zqg8o3fpdgaajptkvm9yxkrhbo72r95wnaf1"
    assert parse_page(load("search_all_last_page.json")).next_token is None
    assert parse_page(load("users_tweets_page1_default_fields.json")).next_token
    followers = parse_page(load("users_followers_page1_default_fields.json"))
    assert followers.next_token == "5CS0O0C6II61EZZZ" and len(followers.data) == 100
    assert all(author_of(u)[1] == u["id"] for u in followers.data)


def test_users_resolve_to_usernames_and_ids() -> None:
    me = parse_page(load("users_me.json"))
    assert author_of(me.data[0]) == ("TweepyDev", "1072250532645998596", "Tweepy Testing")
    by_name = parse_page(load("user_by_username.json"))
    assert author_of(by_name.data[0])[0] == "Twitter"


def test_direct_message_events_become_messages() -> None:
    page = parse_page(load("dm_events_by_conversation.json"))
    events = [dm_item(e, page, account_name="city", owner_id="1072250532645998596")
              for e in page.data]
    assert [e.text for e in events if e] == ["Testing 2", "Testing 1"]
    assert all(e is not None and e.kind == "message" and e.visibility == "direct"
               for e in events)
    with_conversation = dict(page.data[0], dm_conversation_id="750362064426721281-"
                             "1072250532645998596", sender_id="1072250532645998596")
    item = dm_item(with_conversation, page, account_name="city", owner_id="1072250532645998596")
    assert item is not None and item.recipients == ["750362064426721281"]
    assert item.thread_id == "750362064426721281-1072250532645998596"
    assert page.next_token == "18LAA5G1SL0NR5OG0G00ZZZZ"
    assert dm_item({"event_type": "ParticipantsJoin", "id": "1"}, page, account_name="c",
                   owner_id="x") is None
    empty = parse_page(load("dm_events_empty.json"))
    assert empty.data == [] and empty.meta == {"result_count": 0} and empty.next_token is None


def _headers_files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.headers.json"))


@pytest.mark.parametrize("name", _headers_files())
def test_rate_limit_headers_pace_the_capture(name: str) -> None:
    recorded = load(name)
    headers = recorded["headers"]
    assert recorded["status"] == 200 and "/2/" in recorded["request"]["url"]
    moment = parsedate_to_datetime(headers["date"].replace("UTC", "GMT"))
    policy = XRateLimitPolicy(1.0, 120.0)
    assert int(headers["x-rate-limit-remaining"]) > 0
    assert policy.pause_after(Answer(200, headers, moment)) == 0.0
    until_reset = int(headers["x-rate-limit-reset"]) - moment.timestamp()
    assert 0 < until_reset <= 900  # X's windows are 15 minutes
    exhausted = Answer(200, {**headers, "x-rate-limit-remaining": "0"}, moment)
    assert policy.pause_after(exhausted) == pytest.approx(until_reset + 1)
    assert policy.retry_after(Answer(429, headers, moment), 1) == \
        pytest.approx(until_reset + 1)
    assert policy.retry_after(Answer(503, {}, moment), 1) == 1.0  # no reset: back off
    assert reads_messages(headers["x-access-level"]) == \
        ("directmessages" in headers["x-access-level"])


def test_the_source_asks_for_every_field_the_recorded_requests_used() -> None:
    dropped = {"context_annotations", "source", "id", "text"}  # not needed for the record
    for sidecar in sorted(CORPUS.glob("*.twarc.json")):
        url = load(sidecar.name)["url"]
        load(sidecar.name.replace(".twarc.json", ".json"))
        query = parse_qs(urlsplit(url).query)
        asked = set(query.get("tweet.fields", [""])[0].split(",")) - {""}
        assert asked - dropped <= set(TWEET_FIELDS), sidecar.name
        wanted = set(query.get("expansions", [""])[0].split(",")) - {"", "pinned_tweet_id"}
        assert wanted <= set(EXPANSIONS), sidecar.name  # pinned_tweet_id: user lookups
        media = set(query.get("media.fields", [""])[0].split(",")) - {"", "media_key"}
        assert media <= set(MEDIA_FIELDS), sidecar.name
        users = set(query.get("user.fields", [""])[0].split(",")) - {"", "id",
                                                                      "pinned_tweet_id",
                                                                      "entities"}
        assert users <= set(USER_FIELDS), sidecar.name


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.json")
                                        if not p.name.endswith((".headers.json",
                                                                ".twarc.json"))))
def test_every_response_body_is_read_by_its_mapper(name: str) -> None:
    """Each body goes through what the source does with it: tweets, users, DM events."""
    page = parse_page(load(name))
    assert page.data or page.meta.get("result_count") == 0
    for entry in page.data:
        if "event_type" in entry:
            assert dm_item(entry, page, account_name="city", owner_id="x") is not None
        elif "username" in entry:
            assert author_of(entry)[:2] == (entry["username"], entry["id"])
        else:
            item = tweet_item(entry, page, account_name="city", owner_id="x")
            assert item.platform_id and item.kind in ("post", "comment")
    for name_of_sidecar in (name.replace(".json", ".headers.json"),
                            name.replace(".json", ".twarc.json")):
        if (CORPUS / name_of_sidecar).exists():
            recorded = load(name_of_sidecar)
            assert recorded.get("url") or recorded.get("request")
