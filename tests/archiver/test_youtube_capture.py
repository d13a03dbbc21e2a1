"""Capturing the sample city's YouTube channel over loopback: completeness, search, edits,
removals, comments turned off, quota and throttling, the API key in the query string."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample import youtube_entities as yt
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.model import State
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.integrity.verify import verify_archive
from civicrecords.search.backend import SearchQuery
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend, search
from tests.conftest import make_env
from tests.support import warc_reader
from tests.support.sample_archive import every_byte

KEY_ENV = "LAKESIDE_YOUTUBE_KEY"


def yt_archive(tmp: Path, platform: SamplePlatform, *, key: str | None = None,
               name: str = "archive") -> Archive:
    env = make_env(tmp / f"{name}-env", **{KEY_ENV: key or platform.token})
    config = (f'[[accounts]]\nname = "lakeside-youtube"\nplatform = "youtube"\n'
              f'api_base = "{platform.base_url}"\nhandle = "@lakeside"\n'
              f'token_env = "{KEY_ENV}"\n')
    return Archive.create(tmp / name, env, name="City of Lakeside", extra_config=config)


def expected(platform: SamplePlatform, state: State) -> dict[str, dict[str, Any]]:
    """YouTube id -> (world item, parent YouTube id) for every video and visible comment."""
    world, renderer = platform.world, platform.youtube
    out: dict[str, dict[str, Any]] = {}
    for video in renderer.uploads(world, world.city, state):
        vid = yt.video_id(video)
        out[vid] = {"item": video, "kind": "post", "parent": None, "thread": vid}
        if renderer.comments_disabled(world, video):
            continue
        for top, replies in renderer.threads(world, video, state):
            tid = yt.thread_id(world, top)
            kind = "post" if top.account.index == 0 else "comment"
            out[tid] = {"item": top, "kind": kind, "parent": vid, "thread": vid}
            for reply in replies:
                out[yt.reply_id(world, top, reply)] = {
                    "item": reply, "kind": "post" if reply.account.index == 0 else "comment",
                    "parent": tid, "thread": vid}
    return out


def catalog_state(archive: Archive) -> dict[str, dict[str, Any]]:
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute("SELECT platform_id, kind, status, version_count, removed_reason,"
                               " author, parent_id, thread_id, created_at FROM items").fetchall()
    return {r["platform_id"]: dict(r) for r in rows}


@pytest.fixture(scope="module")
def yt_captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The channel captured in the initial, then the later state (full), and indexed."""
    tmp = tmp_path_factory.mktemp("youtube")
    with SamplePlatform(posts=60) as platform:
        archive = yt_archive(tmp, platform)
        first = run_capture(archive)
        initial = catalog_state(archive)
        want_initial = expected(platform, "initial")
        platform.set_state("later")
        second = run_capture(archive, full=True)
        want_later = expected(platform, "later")
        with Catalog(archive.catalog_path) as catalog:
            backend = open_backend(archive.root, archive.config)
            index_pending(catalog, backend)
            backend.close()
        yield {"archive": archive, "world": platform.world, "first": first, "second": second,
               "initial": initial, "want_initial": want_initial, "want_later": want_later,
               "key": platform.token}


def test_capture_holds_every_video_comment_reply_and_thumbnail(
        yt_captured: dict[str, Any]) -> None:
    initial, want = yt_captured["initial"], yt_captured["want_initial"]
    non_media = {pid for pid, row in initial.items() if row["kind"] != "media"}
    assert non_media == set(want)
    assert {pid: initial[pid]["kind"] for pid in want} == {p: w["kind"] for p, w in
                                                           want.items()}
    assert any(w["parent"] and w["parent"] in want and want[w["parent"]]["parent"]
               for w in want.values()), "some threads have replies"
    videos = [p for p, w in want.items() if w["kind"] == "post" and w["parent"] is None]
    for vid in videos:
        assert f"{vid}-thumbnail" in initial
    captions = [p for p, row in initial.items() if row["kind"] == "media"
                and not p.endswith("-thumbnail")]
    assert captions, "videos with captions list their tracks"
    first = yt_captured["first"]
    assert first.gaps and {g.scope.split(":")[0] for g in first.gaps} == {"captions"}
    assert all("OAuth" in g.reason for g in first.gaps)
    assert len(first.gaps) == len(captions)
    assert not yt_captured["second"].gaps  # each track is reported once, when first seen
    later = yt_captured["want_later"]
    final = catalog_state(yt_captured["archive"])
    assert set(later) <= set(final)
    token = first.accounts[0].token
    assert token and token["valid"] and "API key accepted" in token["detail"]


def test_items_are_searchable_with_kind_author_dates_and_parent(
        yt_captured: dict[str, Any]) -> None:
    archive = yt_captured["archive"]
    want = {**yt_captured["want_initial"], **yt_captured["want_later"]}
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            rows = search(catalog, backend, SearchQuery(text="*", platforms=("youtube",),
                                                        limit=100_000), archive.audit).rows
            titled = search(catalog, backend, SearchQuery(text="leaf", kinds=("post",),
                                                          limit=50), archive.audit).rows
    finally:
        backend.close()
    assert {r.item.kind for r in rows} == {"post", "comment", "media"}
    checked = 0
    for row in rows:
        if row.item.kind == "media":
            continue
        truth = want[row.item.platform_id]
        source = truth["item"]
        assert row.item.kind == truth["kind"]
        assert row.item.author == yt.handle(source.account)
        assert row.item.created_at.startswith(source.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert row.item.parent_id == truth["parent"]
        assert row.item.thread_id == truth["thread"]
        checked += 1
    assert checked == len({r.item.platform_id for r in rows if r.item.kind != "media"})
    assert titled and all("leaf" in (r.version.item().text + r.version.item().title).lower()
                          for r in titled)


def test_edits_and_removals_between_captures_are_detected(yt_captured: dict[str, Any],
                                                          tmp_path: Path) -> None:
    archive, world = yt_captured["archive"], yt_captured["world"]
    changes = world.changes()
    final = catalog_state(archive)
    edited = [yt.video_id(item) for pid in changes.edited_post_ids
              if (item := world.item(pid, "later")) is not None
              and yt.video_id(item) in yt_captured["initial"]
              and item.versions[-1].text != item.versions[-2].text]
    assert edited
    for vid in edited:
        assert (final[vid]["status"], final[vid]["version_count"]) == ("edited", 2)
    gone = set(yt_captured["want_initial"]) - set(yt_captured["want_later"])
    assert gone
    for pid in gone:
        assert final[pid]["status"] == "removed"
        if final[pid]["kind"] != "media":
            assert final[pid]["removed_reason"] in ("unavailable", "parent-removed")
    assert any(final[p]["removed_reason"] == "unavailable" and final[p]["kind"] == "comment"
               for p in gone)
    env = make_env(tmp_path)
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), "show", f"youtube:lakeside-youtube:"
                  f"{edited[0]}", "--versions", "--format", "json"], env)
    assert status == 0, env.stderr.getvalue()
    versions = json.loads(env.stdout.getvalue())["versions"]
    assert len(versions) == 2 and versions[0]["text"] != versions[1]["text"]
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_the_api_key_in_the_query_string_never_reaches_the_archive(
        yt_captured: dict[str, Any]) -> None:
    archive = yt_captured["archive"]
    everything = every_byte(archive.root)
    assert yt_captured["key"].encode() not in everything
    assert b"key=SCRUBBED" in everything
    requests = [r for path in sorted(archive.warcs_dir.rglob("*.warc.gz"))
                for r in warc_reader.parse(path) if r.headers["WARC-Type"] == "request"]
    api = [r for r in requests if "/youtube/v3/" in r.headers["WARC-Target-URI"]]
    assert api and all("key=SCRUBBED" in r.headers["WARC-Target-URI"] for r in api)
    assert all(r.headers.get("Civicrecords-Scrubbed") == "query" for r in api)


def test_comments_turned_off_hide_what_was_there(tmp_path: Path) -> None:
    with SamplePlatform(posts=40) as platform:
        archive = yt_archive(tmp_path, platform)
        run_capture(archive)
        want = expected(platform, "initial")
        vid = next(w["parent"] for w in want.values() if w["parent"] and
                   w["parent"] == w["thread"])
        platform.youtube.comments_turned_off.add(vid)
        run_capture(archive, full=True)
    state = catalog_state(archive)
    under = [p for p, w in want.items() if w["thread"] == vid and p != vid]
    assert under and all(state[p]["removed_reason"] in ("comments-disabled", "parent-removed")
                         for p in under)
    assert state[vid]["status"] != "removed"


def test_throttling_resets_and_truncation_end_complete(tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.35, kinds=("429", "500", "503", "reset", "truncate"),
                     max_per_url=2, seed=3, paths=("/youtube/v3/", "/i.ytimg.com/"))
    with SamplePlatform(posts=40) as clean_server:
        clean = yt_archive(tmp_path, clean_server, name="clean")
        clean_result = run_capture(clean)
    with SamplePlatform(posts=40, faults=plan) as faulty_server:
        faulty = yt_archive(tmp_path, faulty_server, name="faulty")
        result = run_capture(faulty)
        injected = faulty_server.stats()["faults"]["injected"]
    assert injected.get("429") and injected.get("reset") and injected.get("truncate")
    assert sorted(urlsplit(g.url).path for g in result.gaps) == \
        sorted(urlsplit(g.url).path for g in clean_result.gaps)
    assert all(g.scope.startswith("captions:") for g in result.gaps)
    assert result.accounts[0].counts["retries"] >= injected["429"]
    pick = {p: (r["kind"], r["status"]) for p, r in catalog_state(clean).items()}
    assert {p: (r["kind"], r["status"]) for p, r in catalog_state(faulty).items()} == pick
    records = [r for path in sorted(faulty.warcs_dir.rglob("*.warc.gz"))
               for r in warc_reader.parse(path)]
    throttled = [r for r in records if r.headers["WARC-Type"] == "response"
                 and b"rateLimitExceeded" in r.block]
    assert throttled and all(r.block.startswith(b"HTTP/1.1 403") for r in throttled)


def test_a_spent_quota_stops_the_capture_with_one_gap_and_no_removals(tmp_path: Path) -> None:
    with SamplePlatform(posts=40) as platform:
        archive = yt_archive(tmp_path, platform)
        run_capture(archive)
        platform.set_state("later")
        gone = set(expected(platform, "initial")) - set(expected(platform, "later"))
        platform.youtube.reset_quota()
        platform.youtube.quota = 12
        result = run_capture(archive, full=True)
        refused = platform.stats()["by_status"].get("403", 0)
    quota = [g for g in result.gaps if "quota" in g.reason]
    assert len(quota) == 1 and quota[0].scope is None and "midnight Pacific" in quota[0].reason
    assert refused == 1  # not retried
    state = catalog_state(archive)
    removed = {p for p, r in state.items() if r["status"] == "removed" and r["kind"] != "media"}
    assert removed <= gone  # only complete walks removed anything
    assert gone - removed, "the walks the quota cut short removed nothing"
    assert "quota exhausted" in result.accounts[0].token["detail"]


def test_rejected_key_is_reported(tmp_path: Path) -> None:
    with SamplePlatform(posts=20) as platform:
        archive = yt_archive(tmp_path, platform, key="AIzaSy-not-a-valid-key")
        result = run_capture(archive)
    token = result.accounts[0].token
    assert token and not token["valid"] and "API key not valid" in token["detail"]
    assert [g.scope for g in result.gaps] == ["token"]
    assert b"AIzaSy-not-a-valid-key" not in every_byte(archive.root)


def test_incremental_capture_reads_only_what_is_new(tmp_path: Path) -> None:
    with SamplePlatform(posts=60) as platform:
        archive = yt_archive(tmp_path, platform)
        first = run_capture(archive)
        platform.set_state("later")
        second = run_capture(archive, full=False)
        new = [yt.video_id(world_item) for pid in platform.world.changes().new_post_ids
               if (world_item := platform.world.item(pid, "later")) is not None
               and world_item.account.index == 0 and world_item.visibility == "public"]
    assert second.accounts[0].mode == "incremental"
    assert second.accounts[0].counts["requests"] < first.accounts[0].counts["requests"] / 2
    state = catalog_state(archive)
    assert new and all(v in state for v in new)
