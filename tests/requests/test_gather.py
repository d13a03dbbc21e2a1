"""Gathering a request's items: by author (checked against the sample world's ground truth)
and re-running saved criteria after a new capture."""

from __future__ import annotations

import json
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.demo import DEMO_TOKEN
from civicrecords.requests.gather import author_refs
from civicrecords.requests.store import RequestStore
from tests.requests.conftest import cli_runner
from tests.support.sample_archive import sample_archive, sample_env


def test_author_gathers_their_items_replies_to_them_and_their_conversations(
        captured: dict) -> None:
    world = captured["world"]
    subject = world.account("kia_her")
    with Catalog(captured["archive"].catalog_path) as catalog:
        found = {catalog.find(ref).platform_id: catalog.find(ref)
                 for ref in author_refs(catalog, ["@KIA_HER"])}
        everything = list(catalog.iter_items())
    expected: set[str] = set()
    for row in everything:
        item = world.item(row.platform_id, "initial") or world.item(row.platform_id, "later")
        if item is None:  # a media attachment: it belongs with its parent
            continue
        replied_to = item.in_reply_to_account
        if subject.index in (item.account.index, replied_to.index if replied_to else None):
            expected.add(row.platform_id)
    conversations = {m.id for state in ("initial", "later")
                     for m in world.messages(state, subject)}
    cataloged = conversations & {row.platform_id for row in everything}
    assert cataloged, "the subject must have messages with the city in the sample"
    expected |= cataloged
    assert {pid for pid, row in found.items() if row.kind != "media"} == expected
    media = [row for row in found.values() if row.kind == "media"]
    assert all(row.parent_id in found for row in media)
    assert any(row.kind == "message" and row.author == "lakeside" for row in found.values())


def test_rerun_after_a_new_capture_adds_new_items_and_keeps_old_ones(tmp_path: Path) -> None:
    env = sample_env(tmp_path)
    with SamplePlatform(posts=30, token=DEMO_TOKEN) as platform:
        archive = sample_archive(tmp_path, platform, env)
        cli = cli_runner(env, archive.root)
        assert cli("capture", "--format", "json")[0] == 0
        request_id = json.loads(cli("request", "open", "--kind", "public", "--format",
                                    "json")[1])["id"]
        status, out, _ = cli("request", "add", request_id, "--query", "*", "--kind", "comment")
        assert status == 0, out
        before = RequestStore(archive).get(request_id)
        platform.set_state("later")
        assert cli("capture", "--full", "--format", "json")[0] == 0
        new_comments = set(platform.world.changes().new_comment_ids)
    status, out, _ = cli("request", "rerun", request_id)
    assert status == 0, out
    after = RequestStore(Archive.open(archive.root, env)).get(request_id)
    with Catalog(archive.catalog_path) as catalog:
        captured_new = {row.ref for row in catalog.iter_items("kind = 'comment'")
                        if row.platform_id in new_comments}
    assert captured_new, "the later state must bring new comments"
    assert set(after.items) == set(before.items) | captured_new
    assert after.items[:len(before.items)] == before.items
    criterion = after.criteria[0]
    assert criterion["type"] == "query" and criterion["last_added"] == len(captured_new)
    assert f"added {len(captured_new)} item(s)" in out
    rerun_entries = [e for e in archive.audit.entries() if e["action"] == "request.rerun"]
    assert rerun_entries[-1]["details"]["added"] == len(captured_new)
    status, out, _ = cli("request", "rerun", request_id)
    assert status == 0 and "added 0 item(s)" in out
