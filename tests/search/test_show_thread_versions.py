"""``show --thread`` and ``show --versions`` against the sample world's own threads and edits."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from civicrecords.archiver.sample.world import World
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.integrity.audit import AuditLog
from civicrecords.search.conversation import conversation
from civicrecords.search.versions import render_diff, version_history, word_diff
from tests.search.world_truth import archive_truth, displayed

CITY = "lakeside-mastodon"


@pytest.fixture
def catalog(captured: dict) -> Iterator[Catalog]:
    with Catalog(captured["archive"].catalog_path) as opened:
        yield opened


def _expected_thread(world: World, post_id: str, truth: dict) -> list[tuple[str, int]]:
    """(id, depth) in reading order from the world: the post, each reply under what it
    answers (oldest first), each item's attachments right after it."""
    t, slot = world.decode(post_id)
    out: list[tuple[str, int]] = []

    def add(item_slot: int, depth: int) -> None:
        item = world.item_at(t, item_slot, "later")
        out.append((item.id, depth))
        out.extend((media.id, depth + 1) for media in item.media)

    add(slot, 0)
    for child, depth in world.descendants(t, slot, "later"):
        if (CITY, world.status_id(t, child)) in truth:
            add(child, depth)
    return out


def _thread_with_city_reply(world: World, truth: dict) -> str:
    """The busiest public city thread that has none of its replies removed or private and
    holds at least one reply by the city itself."""
    best, size = "", 0
    for record in truth.values():
        if record.account != CITY or record.kind != "post" or record.parent:
            continue
        members = [r for r in truth.values() if r.account == CITY and r.thread ==
                   record.platform_id and r.platform_id != record.platform_id]
        if any(r.status == "removed" or r.classification != "public" for r in members):
            continue
        if not any(r.kind == "post" and r.parent for r in members):
            continue
        if len(members) > size:
            best, size = record.platform_id, len(members)
    assert best, "the sample world should have a thread with a city reply"
    return best


def test_thread_reads_in_order_with_depths(captured: dict, catalog: Catalog,
                                           tmp_path: Path) -> None:
    world = captured["world"]
    truth = archive_truth(world)
    post_id = _thread_with_city_reply(world, truth)
    expected = _expected_thread(world, post_id, truth)
    audit = AuditLog(tmp_path / "audit.jsonl", captured["env"])
    # asking from a deep reply gives the same whole conversation
    deepest = max(expected, key=lambda pair: pair[1])[0]
    assert len(expected) >= 5 and max(depth for _, depth in expected) >= 2
    for start in (post_id, deepest):
        talk = conversation(catalog, catalog.find(f"{CITY}:{start}"), audit)
        assert [(e.item.platform_id, e.depth) for e in talk.entries] == expected
        assert talk.withheld == 0
    texts = [e.version.item().text for e in talk.entries if e.version is not None]
    assert texts[0] == displayed(world.item(post_id, "later"), world.item(post_id, "later").text)
    assert list(audit.entries()) == []


def test_thread_keeps_removed_replies_and_withholds_private_ones(
        captured: dict, catalog: Catalog, tmp_path: Path) -> None:
    world = captured["world"]
    audit = AuditLog(tmp_path / "audit.jsonl", captured["env"])
    removed = world.changes().removed_comment_ids
    item = next(catalog.find(f"{account}:{pid}") for pid in removed
                for account in ("lakeside-mastodon", "lakeside-mayor")
                if catalog.execute("SELECT 1 FROM items WHERE account=? AND platform_id=?",
                                   (account, pid)).fetchone())
    talk = conversation(catalog, item, audit)
    statuses = {e.item.platform_id: e.item.status for e in talk.entries}
    assert statuses[item.platform_id] == "removed"
    message = next(catalog.iter_items("kind='message' AND parent_id IS NOT NULL"))
    hidden = conversation(catalog, message, audit)
    assert hidden.entries and hidden.withheld == len(hidden.entries)
    assert all(e.to_dict() == {"depth": e.depth, "withheld": True,
                               "classification": "private"} for e in hidden.entries)
    assert list(audit.entries()) == []
    shown = conversation(catalog, message, audit, include_not_public=True)
    assert shown.withheld == 0 and all(e.version is not None for e in shown.entries)
    entries = list(audit.entries())
    assert len(entries) == 1 and entries[0]["action"] == "show.thread_not_public"
    assert message.ref in entries[0]["details"]["items"]


def test_versions_match_the_world_edit_history(captured: dict, catalog: Catalog) -> None:
    world = captured["world"]
    changes = world.changes()
    first, second = (job["job_id"] for job in catalog.jobs())
    checked = 0
    for post_id in changes.edited_post_ids:
        current = world.item(post_id, "later")
        if current is None or current.kind != "post":
            continue
        rows = catalog.execute("SELECT account FROM items WHERE platform_id=?",
                               (post_id,)).fetchall()
        item = catalog.find(f"{rows[0][0]}:{post_id}")
        history = version_history(catalog, item)
        texts = list(dict.fromkeys(displayed(current, v.text) for v in current.versions))
        assert list(dict.fromkeys(v.item.text for v in history)) == texts
        assert history[-1].latest and not any(v.latest for v in history[:-1])
        for older, newer in pairwise(history):
            ops = newer.diffs.get("text", [])
            if older.item.text != newer.item.text:
                assert "text" in newer.changed
                assert "".join(o.text for o in ops if o.op != "delete") == newer.item.text
                assert "".join(o.text for o in ops if o.op != "insert") == older.item.text
        # edited between the two captures: the new version was first seen by the second job,
        # the one before it was last seen as current by the first
        assert history[-1].row.first_job == second
        assert history[-2].row.last_job == first
        checked += 1
    assert checked >= 3


def test_media_description_change_shows_in_both_items(captured: dict, catalog: Catalog
                                                      ) -> None:
    change = captured["world"].changes().media_description_changes[0]
    rows = catalog.execute("SELECT account FROM items WHERE platform_id=?",
                           (change.post_id,)).fetchall()
    account = rows[0][0]
    post = version_history(catalog, catalog.find(f"{account}:{change.post_id}"))
    assert f"media {change.media_id} description" in post[-1].changed
    media = version_history(catalog, catalog.find(f"{account}:{change.media_id}"))
    assert [v.item.text for v in media] == [change.before, change.after]
    assert media[1].changed == ["text"]
    # each version was first seen by the job that captured it and the old one not after
    assert media[0].row.last_job == media[0].row.first_job != media[1].row.first_job


def test_word_diff_marks_only_changed_words() -> None:
    ops = word_diff("Hours 10 a.m. to 8 p.m. daily.", "Hours 10 a.m. to 8 PM daily. (corrected)")
    assert render_diff(ops) == "Hours 10 a.m. to 8 [-p.m.-]{+PM+} daily.{+ (corrected)+}"
    assert word_diff("", "new") == [type(ops[0])("insert", "new")]
    assert word_diff("same", "same") == [type(ops[0])("equal", "same")]


def _cli(env: object, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()  # type: ignore[attr-defined]
    status = run(list(args), env)  # type: ignore[arg-type]
    return status, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


def test_show_thread_and_versions_from_the_command_line(captured: dict, copy_tree,
                                                        catalog: Catalog) -> None:
    root = copy_tree(captured["archive"].root, "shown")
    env = captured["env"]
    world = captured["world"]
    truth = archive_truth(world)
    post_id = _thread_with_city_reply(world, truth)
    status, out, err = _cli(env, "--archive", str(root), "show", f"{CITY}:{post_id}",
                            "--thread")
    assert status == 0, err
    assert "=== conversation" in out and f"{CITY}:{post_id}  <= this item" in out
    reply = next(r for r in truth.values() if r.thread == post_id and r.kind == "comment"
                 and r.account == CITY)
    assert f"\n  - comment by {reply.author}" in out or f"    - comment by {reply.author}" in out
    status, out, _ = _cli(env, "--archive", str(root), "show", f"{CITY}:{post_id}",
                          "--thread", "--format", "json")
    data = json.loads(out)
    assert status == 0 and data["thread"][0]["depth"] == 0
    assert data["thread"][0]["item_id"] == post_id
    edited = next(r for r in truth.values() if r.status == "edited" and r.kind == "post"
                  and len(r.texts) > 1)
    status, out, _ = _cli(env, "--archive", str(root), "show",
                          f"{edited.account}:{edited.platform_id}", "--versions")
    assert status == 0 and "(latest)" in out and "changed: " in out
    assert "{+" in out or "[-" in out
    status, out, _ = _cli(env, "--archive", str(root), "show",
                          f"{edited.account}:{edited.platform_id}", "--versions",
                          "--format", "json")
    versions = json.loads(out)["versions"]
    assert versions[-1]["diff"]["text"] and versions[0]["record_offset"] >= 0
    message = next(catalog.iter_items("kind='message'"))
    status, _, err = _cli(env, "--archive", str(root), "show", message.ref, "--thread")
    assert status == 8 and err.startswith("error: ") and err.count("\n") == 1
