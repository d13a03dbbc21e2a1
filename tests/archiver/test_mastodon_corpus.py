"""The Mastodon mapping reads every real status in the corpus into the right items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicrecords.archiver.sources.attachments import media_child
from civicrecords.archiver.sources.mastodon import history_items, status_item

CORPUS = Path(__file__).parents[1] / "corpora" / "mastodon" / "statuses.json"
STATUSES = json.loads(CORPUS.read_text())
OWNER = next(s["account"]["id"] for s in STATUSES if s["account"]["acct"] == "mastodonpy_test")


def _map(status: dict) -> object:
    return status_item(status, account_name="city", owner_id=OWNER, thread_id=status["id"])


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: s["id"])
def test_every_status_maps_to_an_item(status: dict) -> None:
    item = _map(status)
    assert item.platform_id == status["id"]
    assert item.created_at == status["created_at"]
    assert "<p>" not in item.text and "</" not in item.text
    if status["visibility"] == "direct":
        assert item.kind == "message"
    elif status["account"]["id"] == OWNER:
        assert item.kind == "post"
    else:
        assert item.kind == "comment"
    assert item.author == status["account"]["acct"]
    assert item.parent_id == status["in_reply_to_id"]
    shown = status["reblog"] or status
    assert [m.platform_id for m in item.media] == [m["id"] for m in shown["media_attachments"]]
    assert item.tags == [t["name"] for t in shown["tags"]]


def test_reblogs_keep_the_original_author_and_text() -> None:
    reblogs = [s for s in STATUSES if s["reblog"]]
    assert reblogs
    for status in reblogs:
        item = _map(status)
        assert item.extra["reblog_of"]["id"] == status["reblog"]["id"]
        assert item.extra["reblog_of"]["author"] == status["reblog"]["account"]["acct"]
        assert item.author == status["account"]["acct"]
        assert item.text  # the boosted text is what the city shared


def test_quotes_polls_and_content_warnings_are_kept() -> None:
    quote = next(s for s in STATUSES if s.get("quote"))
    assert _map(quote).extra["quote_of"]["id"] == quote["quote"]["quoted_status"]["id"]
    poll = next(s for s in STATUSES if s.get("poll"))
    assert _map(poll).versioned["poll"] == [o["title"] for o in poll["poll"]["options"]]
    warned = next(s for s in STATUSES if s["spoiler_text"])
    assert _map(warned).versioned["spoiler_text"] == warned["spoiler_text"]


def test_media_attachments_become_child_items() -> None:
    status = next(s for s in STATUSES if s["media_attachments"])
    post = _map(status)
    attachment = status["media_attachments"][0]
    child = media_child(post.media[0], post)
    assert (child.kind, child.parent_id, child.platform_id) == ("media", post.platform_id,
                                                                attachment["id"])
    assert child.url == attachment["url"]
    assert child.text == (attachment["description"] or "")


def test_edited_status_history_gives_one_item_per_version() -> None:
    edited = next(s for s in STATUSES if s["edited_at"])
    current = _map(edited)
    edits = [{"content": "<p>first draft</p>", "spoiler_text": "", "sensitive": False,
              "created_at": edited["created_at"], "account": edited["account"],
              "media_attachments": [], "emojis": []},
             {"content": edited["content"], "spoiler_text": edited["spoiler_text"],
              "sensitive": edited["sensitive"], "created_at": edited["edited_at"],
              "account": edited["account"], "media_attachments": edited["media_attachments"],
              "emojis": []}]
    versions = history_items(edits, current)
    assert [v.text for v in versions] == ["first draft", current.text]
    assert versions[0].edited_at is None and versions[1].edited_at == edited["edited_at"]
    assert versions[1].content_hash() == current.content_hash()
    assert versions[0].content_hash() != current.content_hash()
