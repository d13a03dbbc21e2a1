"""The sample world: determinism, structure, planted data and the two states."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

import phonenumbers
import pytest

from civicrecords.archiver.sample import SamplePlatform, World
from civicrecords.archiver.sample.pii import HOSTILE_TEXTS, luhn_ok


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=1, posts=300)


def test_same_seed_same_world_and_other_seed_other_ids() -> None:
    a, b, c = World(7, 120), World(7, 120), World(8, 120)
    ids = a.timeline(a.city, "initial")
    assert ids == b.timeline(b.city, "initial")
    assert [a.item(i).text for i in ids[:30]] == [b.item(i).text for i in ids[:30]]
    assert a.seeded_pii() == b.seeded_pii()
    assert a.changes() == b.changes()
    assert not set(ids) & set(c.timeline(c.city, "initial"))


def test_official_accounts_and_lookup(world: World) -> None:
    assert world.city.username == "lakeside" and world.city.display_name.startswith("City of")
    assert world.mayor.username == "mayor"
    accts = [a.acct.lower() for a in world.accounts()]
    assert len(accts) == len(set(accts))
    for account in world.accounts()[:50]:
        assert world.account(account.acct) == account
        assert world.account_by_id(account.id) == account
    assert world.account("nobody-here") is None
    assert world.account_by_id("12345") is None
    assert any(a.domain for a in world.accounts()), "some residents live on other servers"


def test_ids_are_snowflakes_increasing_with_time(world: World) -> None:
    ids = world.timeline(world.city, "initial", viewer=world.city)
    items = [world.item(i) for i in ids]
    assert all(re.fullmatch(r"\d{17,19}", i) for i in ids)
    assert [int(i) for i in ids] == sorted((int(i) for i in ids), reverse=True)
    stamps = [i.created_at for i in items]
    assert stamps == sorted(stamps, reverse=True)
    for item in items:  # the id's top bits are the creation time in milliseconds
        assert int(item.id) >> 16 == int(item.created_at.timestamp() * 1000 + 0.5)


def test_initial_posts_fall_in_2026_and_replies_follow_parents(world: World) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    depth_two = 0
    for post in world.posts(world.city, "initial"):
        assert start <= post.created_at < end
        replies = world.comments_of(post, "initial")
        by_id = {post.id: post, **{r.id: r for r in replies}}
        for reply in replies:
            parent = by_id[reply.in_reply_to_id]
            assert reply.created_at > parent.created_at and int(reply.id) > int(parent.id)
            assert reply.created_at < end
            depth_two += parent.id != post.id
    assert depth_two > 20, "residents reply to replies, not only to posts"


def test_world_has_every_kind_of_content(world: World) -> None:
    items = [world.item(i) for i in world.timeline(world.city, "initial", viewer=world.city)]
    items += [world.item(i) for i in world.timeline(world.mayor, "initial", viewer=world.mayor)]
    comments = [c for p in items if p.kind == "post" for c in world.comments_of(p, "initial")]
    everything = items + comments
    kinds = Counter(i.kind for i in everything)
    assert kinds["post"] > 250 and kinds["comment"] > 300 and kinds["reblog"] >= 3
    assert kinds["message"] >= 20
    assert {i.visibility for i in everything} == {"public", "unlisted", "private", "direct"}
    media = Counter(m.kind for i in everything for m in i.media)
    assert set(media) == {"image", "video", "gifv", "audio"}
    assert sum(1 for i in everything if i.poll) >= 3
    assert sum(1 for i in everything if i.spoiler_text) >= 3
    assert sum(1 for i in everything if i.hashtags) > 100
    assert sum(1 for i in everything if i.mentions) > 100
    assert sum(1 for i in everything if i.card) > 10
    assert {i.language for i in items if i.kind == "post"} >= {"en", "es"} or \
        {i.language for i in items if i.kind == "post"} >= {"en", "so"}
    assert len([i for i in items if len(i.versions) >= 2]) >= 3


def test_direct_messages_link_residents_with_the_city_and_mayor(world: World) -> None:
    messages = world.messages("initial")
    assert len(messages) >= 20
    assert {m.visibility for m in messages} == {"direct"}
    city_side = {m.account.username for m in messages if m.account.role != "resident"}
    assert city_side == {"lakeside", "mayor"}
    for message in messages:
        assert message.mentions, "a direct message names its recipients"
        assert message.account not in message.mentions
    assert world.messages("initial", world.mayor)
    assert all(world.mayor in (m.account, *m.mentions) for m in world.messages("initial",
                                                                                 world.mayor))


def test_seeded_pii_is_fictional_valid_and_where_it_says(world: World) -> None:
    found = world.seeded_pii()
    assert Counter(p.category for p in found).keys() == {"ssn", "phone", "email", "card"}
    assert {p.item_kind for p in found} == {"comment", "message"}
    for p in found:
        item = world.item(p.item_ref, "initial")
        assert item is not None and p.value in item.text
        if p.item_kind == "comment":
            assert item.visibility == "public"
        if p.category == "ssn":
            area, group, serial = re.split(r"[- ]", p.value)
            assert 400 <= int(area) <= 665 and int(group) > 0 and int(serial) > 0
        elif p.category == "phone":
            number = phonenumbers.parse(p.value, "US")
            assert phonenumbers.is_valid_number(number), p.value
            assert re.search(r"555\D?01\d\d$", p.value)
        elif p.category == "email":
            assert re.fullmatch(r"[a-z0-9.]+@example\.(org|com|net)", p.value)
        else:
            assert luhn_ok(p.value)


def test_hostile_content_is_planted(world: World) -> None:
    planted = world.hostile_items()
    kinds = {h.kind for h in planted}
    assert set(HOSTILE_TEXTS) <= kinds
    assert {"raw_html0", "display_name", "media_description", "odd_file_name", "spoiler"} <= kinds
    for h in planted:
        if h.field == "text":
            assert HOSTILE_TEXTS[h.kind] in world.item(h.item_ref).text
        if h.kind == "long_text":
            assert len(world.item(h.item_ref).text) > 5000
    names = [world.account_by_id(h.item_ref).display_name for h in planted
             if h.kind == "display_name"]
    assert any("<img" in n for n in names) and any("\u202e" in n for n in names)
    raw = [world.item(h.item_ref) for h in planted if h.field == "content"]
    assert raw and all(i.raw_html and ("<script" in i.text or "onerror" in i.text) for i in raw)


def test_changes_between_initial_and_later(world: World) -> None:
    ch = world.changes()
    assert len(ch.removed_comment_ids) >= 5
    pii_items = {p.item_ref for p in world.seeded_pii()}
    assert set(ch.removed_comment_ids) & pii_items, "some removed comments hold personal data"
    for cid in ch.removed_comment_ids:
        comment = world.item(cid, "initial")
        assert comment is not None and comment.kind == "comment"
        assert world.item(cid, "later") is None
        post = world.item(comment.root_id, "later")
        assert cid not in {c.id for c in world.comments_of(post, "later")}
        assert comment.replies_count == 0
    for pid in ch.removed_post_ids:
        assert world.item(pid, "initial") is not None and world.item(pid, "later") is None
    assert len(ch.edited_post_ids) >= 5
    for pid in ch.edited_post_ids:
        before, after = world.item(pid, "initial"), world.item(pid, "later")
        assert len(after.versions) == len(before.versions) + 1
        assert after.edited_at is not None and after.edited_at > before.created_at
    text_edits = [p for p in ch.edited_post_ids
                  if world.item(p, "initial").text != world.item(p, "later").text]
    assert len(text_edits) >= 5
    assert ch.media_description_changes
    for change in ch.media_description_changes:
        before = world.item(change.post_id, "initial").media[0]
        after = world.item(change.post_id, "later").media[0]
        assert (before.id, before.description) == (change.media_id, change.before)
        assert (after.id, after.description) == (change.media_id, change.after)
        assert change.before != change.after
    assert len(ch.initially_edited_post_ids) >= 3
    for pid in ch.initially_edited_post_ids:
        assert len(world.item(pid, "initial").versions) >= 2
    assert set(ch.initially_edited_post_ids) & set(ch.edited_post_ids)
    for new in ch.new_post_ids + ch.new_comment_ids + ch.new_message_ids:
        assert world.item(new, "initial") is None and world.item(new, "later") is not None
    assert ch.new_post_ids[-1] == world.timeline(world.city, "later")[0] or \
        ch.new_post_ids[-1] == world.timeline(world.mayor, "later")[0]


def test_timeline_filters(world: World) -> None:
    city = world.city
    everything = world.timeline(city, "initial", viewer=city)
    public = world.timeline(city, "initial")
    assert set(public) < set(everything)
    no_replies = world.timeline(city, "initial", exclude_replies=True)
    for i in no_replies:
        item = world.item(i)
        assert item.in_reply_to_id is None or item.in_reply_to_account == city
    assert all(world.item(i).kind != "reblog"
               for i in world.timeline(city, "initial", exclude_reblogs=True))
    assert all(world.item(i).media for i in world.timeline(city, "initial", only_media=True))
    pinned = world.timeline(city, "initial", pinned=True)
    assert len(pinned) == 2 and all(world.item(i).pinned for i in pinned)


def test_large_world_serves_its_timeline() -> None:
    """A 100,000-post world is generated lazily: it starts and serves pages without
    materializing itself (startup time and memory are measured in bench/pipeline.py's
    100,000-item run, not asserted here)."""
    import urllib.request

    with SamplePlatform(posts=100_000) as platform:
        lookup = f"{platform.base_url}/api/v1/accounts/lookup?acct=lakeside"
        with urllib.request.urlopen(lookup, timeout=60) as answer:
            account = json.load(answer)
        url = f"{platform.base_url}/api/v1/accounts/{account['id']}/statuses?limit=40"
        with urllib.request.urlopen(url, timeout=60) as answer:
            page = json.load(answer)
    assert len(page) == 40
    assert page[0]["created_at"] > page[-1]["created_at"]


@pytest.mark.parametrize("state", ["initial", "later"])
def test_replies_count_counts_existing_direct_replies(world: World, state: str) -> None:
    for post in world.posts(world.city, state):  # type: ignore[arg-type]
        replies = world.comments_of(post, state)  # type: ignore[arg-type]
        assert post.replies_count == sum(1 for r in replies if r.in_reply_to_id == post.id)
        for reply in replies:
            assert reply.replies_count == sum(1 for r in replies if r.in_reply_to_id == reply.id)
