"""Capturing the sample city's X account over loopback: completeness, search, edits,
removals, throttling and faults, tokens, access tiers."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.model import Item, State
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.archiver.sample.world import World
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.integrity.verify import verify_archive
from civicrecords.search.backend import SearchQuery
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend, search
from tests.conftest import make_env
from tests.support import warc_reader
from tests.support.sample_archive import every_byte

TOKEN_ENV = "LAKESIDE_X_TOKEN"
DM_DAYS = 30


def x_archive(tmp: Path, platform: SamplePlatform, *, tier: str = "pro",
              token: str | None = None, name: str = "archive") -> Archive:
    env = make_env(tmp / f"{name}-env", **{TOKEN_ENV: token or platform.token})
    config = (f'[[accounts]]\nname = "lakeside-x"\nplatform = "x"\n'
              f'api_base = "{platform.base_url}"\nhandle = "lakeside"\n'
              f'token_env = "{TOKEN_ENV}"\naccess_tier = "{tier}"\n')
    return Archive.create(tmp / name, env, name="City of Lakeside", extra_config=config)


def on_x(item: Item | None) -> bool:
    return item is not None and item.visibility in ("public", "unlisted") and \
        item.kind != "message"


def expected(world: World, state: State) -> dict[str, set[str]]:
    """What the city's X account shows in ``state``: its tweets, others' replies under its
    posts, the media of both, and its direct messages of the last 30 days."""
    city = world.city
    tweets = {i for i in world.timeline(city, state, viewer=city)
              if on_x(world.item(i, state))}
    replies: set[str] = set()
    for post in world.posts(city, state):
        if post.kind == "post" and on_x(post):
            replies |= {c.id for c in world.comments_of(post, state)
                        if on_x(c) and c.account.index != city.index}
    media = set()
    for item_id in tweets | replies:
        item = world.item(item_id, state)
        assert item is not None
        media |= {m.id for m in item.media if m.kind in ("image", "video", "gifv")}
    since = world.now(state) - DM_DAYS * 86400
    messages = {m.id for m in world.messages(state, city) if m.created_at.timestamp() >= since}
    return {"post": tweets, "comment": replies, "media": media, "message": messages}


def catalog_state(archive: Archive) -> dict[str, dict[str, Any]]:
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute("SELECT platform_id, kind, status, version_count, removed_reason,"
                               " author, parent_id, thread_id, created_at FROM items").fetchall()
    return {r["platform_id"]: dict(r) for r in rows}


def media_id(platform_id: str) -> str:
    return platform_id.split("_", 1)[1]


@pytest.fixture(scope="module")
def x_captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The X account captured in the initial, then the later state (full), and indexed."""
    tmp = tmp_path_factory.mktemp("x")
    with SamplePlatform(posts=60) as platform:
        archive = x_archive(tmp, platform)
        first = run_capture(archive)
        initial = catalog_state(archive)
        platform.set_state("later")
        second = run_capture(archive, full=True)
        with Catalog(archive.catalog_path) as catalog:
            backend = open_backend(archive.root, archive.config)
            index_pending(catalog, backend)
            backend.close()
        yield {"archive": archive, "world": platform.world, "first": first, "second": second,
               "initial": initial, "names": platform.x.names(platform.world)}


def test_capture_holds_every_post_reply_message_and_media(x_captured: dict[str, Any]) -> None:
    world, first = x_captured["world"], x_captured["first"]
    assert not first.gaps and not x_captured["second"].gaps
    initial = x_captured["initial"]
    want = expected(world, "initial")
    for kind in ("post", "comment", "message"):
        got = {pid for pid, row in initial.items() if row["kind"] == kind}
        assert got == want[kind], kind
    got_media = {media_id(pid) for pid, row in initial.items() if row["kind"] == "media"}
    assert got_media == want["media"] and want["media"]
    later = expected(world, "later")
    assert later["message"], "the later state has messages within X's 30 days"
    final = catalog_state(x_captured["archive"])
    for kind in ("post", "comment", "message"):
        assert later[kind] <= {p for p, r in final.items() if r["kind"] == kind}, kind
    token = first.accounts[0].token
    assert token and token["valid"] and "user-context" in token["detail"]


def test_items_are_searchable_with_kind_author_dates_and_parent(
        x_captured: dict[str, Any]) -> None:
    archive, world, names = x_captured["archive"], x_captured["world"], x_captured["names"]
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            rows = search(catalog, backend, SearchQuery(text="*", platforms=("x",),
                                                        limit=100_000), archive.audit).rows
            messages = search(catalog, backend, SearchQuery(
                text="*", kinds=("message",), public_only=False, limit=1000),
                archive.audit).rows
    finally:
        backend.close()
    assert {r.item.kind for r in rows} == {"post", "comment", "media"}
    assert messages and all(r.item.platform == "x" for r in messages)
    checked = 0
    for row in rows + messages:
        item = row.item
        if item.kind == "media":
            continue
        source = world.item(item.platform_id, "initial") or world.item(item.platform_id,
                                                                       "later")
        assert source is not None
        assert item.author == names[source.account.index]
        assert item.created_at.startswith(source.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
        if item.kind == "comment":
            assert item.parent_id == source.in_reply_to_id
            assert item.thread_id == world.status_id(source.thread, 0)
        if item.kind == "message":
            assert "-" in item.thread_id or item.thread_id.isdigit()
        checked += 1
    assert checked > 50
    comment = next(r for r in rows if r.item.kind == "comment")
    words = " ".join(w for w in comment.version.item().text.split() if w.isalpha())[:40]
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            found = search(catalog, backend, SearchQuery(text=f'"{words.strip()}"',
                                                         limit=50), archive.audit).rows
    finally:
        backend.close()
    assert comment.item.platform_id in {r.item.platform_id for r in found}


def test_edits_and_removals_between_captures_are_detected(x_captured: dict[str, Any],
                                                          tmp_path: Path) -> None:
    archive, world = x_captured["archive"], x_captured["world"]
    changes = world.changes()
    final = catalog_state(archive)
    city_edits = [p for p in changes.edited_post_ids
                  if (item := world.item(p, "later")) is not None and on_x(item)
                  and item.account.index == 0 and p not in changes.removed_post_ids]
    assert city_edits
    for pid in city_edits:
        item = world.item(pid, "later")
        assert item is not None
        row = final[pid]
        assert row["status"] == "edited"
        text_changed = item.versions[-1].text != item.versions[-2].text
        if text_changed:
            assert row["version_count"] == len(item.versions), pid
    removed_comments = [c for c in changes.removed_comment_ids
                        if c in x_captured["initial"]]
    assert removed_comments
    for pid in removed_comments:
        assert final[pid]["status"] == "removed"
        assert final[pid]["removed_reason"] == "deleted"  # X's resource-not-found
    for pid in changes.removed_post_ids:
        if pid in x_captured["initial"]:
            assert (final[pid]["status"], final[pid]["removed_reason"]) == ("removed", "deleted")
    assert x_captured["second"].accounts[0].counts["removed"] >= len(removed_comments)
    edited = next(p for p in city_edits if world.item(p, "later").versions[-1].text !=
                  world.item(p, "later").versions[-2].text)
    env = make_env(tmp_path)
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), "show", f"x:lakeside-x:{edited}",
                  "--versions", "--format", "json"], env)
    assert status == 0, env.stderr.getvalue()
    shown = json.loads(env.stdout.getvalue())
    texts = [v["text"] for v in shown["versions"]]
    source = world.item(edited, "later")
    assert source is not None
    assert texts[-1].startswith(source.versions[-1].text.split(" http")[0][:30])
    assert len(texts) == len(source.versions) and texts[0] != texts[-1]
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_token_never_reaches_the_archive(x_captured: dict[str, Any]) -> None:
    everything = every_byte(x_captured["archive"].root)
    assert b"sample-token-lakeside" not in everything
    assert b"Authorization: SCRUBBED" in everything


def test_throttling_resets_and_truncation_end_complete(tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.35, kinds=("429", "500", "503", "reset", "truncate"),
                     max_per_url=2, seed=5, paths=("/2/", "/pbs.twimg.com/",
                                                   "/video.twimg.com/"))
    with SamplePlatform(posts=40) as clean_server:
        clean = x_archive(tmp_path, clean_server, name="clean")
        run_capture(clean)
    with SamplePlatform(posts=40, faults=plan) as faulty_server:
        faulty = x_archive(tmp_path, faulty_server, name="faulty")
        result = run_capture(faulty)
        injected = faulty_server.stats()["faults"]["injected"]
    assert not result.gaps
    assert injected.get("429") and injected.get("reset") and injected.get("truncate")
    assert result.accounts[0].counts["retries"] >= injected["429"]
    waits = faulty.env.sleep.calls
    assert waits and max(waits) > 1.5  # a 429 waited for x-rate-limit-reset, not 1 s
    pick = {p: (r["kind"], r["status"], r["version_count"]) for p, r in
            catalog_state(clean).items()}
    assert {p: (r["kind"], r["status"], r["version_count"]) for p, r in
            catalog_state(faulty).items()} == pick
    records = [r for path in sorted(faulty.warcs_dir.rglob("*.warc.gz"))
               for r in warc_reader.parse(path)]
    throttled = [r for r in records if r.headers["WARC-Type"] == "response"
                 and r.block.startswith(b"HTTP/1.1 429") and "/2/" in
                 r.headers["WARC-Target-URI"]]
    assert throttled and all(b"x-rate-limit-reset:" in r.block.lower() for r in throttled)
    assert verify_archive(faulty.root, faulty.public_key_pem()).ok


def test_a_search_that_keeps_failing_is_a_gap_and_removes_nothing(tmp_path: Path) -> None:
    with SamplePlatform(posts=40) as platform:
        archive = x_archive(tmp_path, platform)
        run_capture(archive)
        post = next(p for p in platform.world.posts(platform.world.city) if p.kind == "post"
                    and p.replies_count and on_x(p)
                    and any(c.id in platform.world.changes().removed_comment_ids
                            for c in platform.world.comments_of(p)))
        platform.set_faults(FaultPlan(permanent={"/2/tweets/search/all": "503"}))
        platform.set_state("later")
        result = run_capture(archive, full=True)
    assert result.gaps and all("503" in g.reason and g.attempts > 1 for g in result.gaps)
    assert any(g.scope == f"thread:{post.id}" for g in result.gaps)
    state = catalog_state(archive)
    assert not [p for p, r in state.items() if r["kind"] == "comment"
                and r["status"] == "removed"]  # no walk of a thread completed


def test_app_only_token_captures_public_data_and_says_why_no_messages(tmp_path: Path) -> None:
    with SamplePlatform(posts=30) as platform:
        archive = x_archive(tmp_path, platform, token=f"{platform.token}-app")
        result = run_capture(archive)
    assert not result.gaps
    kinds = {r["kind"] for r in catalog_state(archive).values()}
    assert "post" in kinds and "comment" in kinds and "message" not in kinds
    token = result.accounts[0].token
    assert token["valid"] and "application-only" in token["detail"]


def test_rejected_token_is_reported_and_nothing_else_is_tried(tmp_path: Path) -> None:
    with SamplePlatform(posts=30) as platform:
        archive = x_archive(tmp_path, platform, token="not-a-real-token")
        result = run_capture(archive)
        requests = platform.stats()["requests"]
    token = result.accounts[0].token
    assert token and not token["valid"] and "Unauthorized" in token["detail"]
    assert [g.scope for g in result.gaps] == ["token"] and requests == 1
    assert b"not-a-real-token" not in every_byte(archive.root)


def test_basic_tier_uses_recent_search_and_names_what_it_cannot_reach(tmp_path: Path) -> None:
    with SamplePlatform(posts=40) as platform:
        platform.x.tier = "basic"
        archive = x_archive(tmp_path, platform, tier="basic")
        result = run_capture(archive)
        routes = platform.stats()["by_path"]
    assert "/2/tweets/search/recent" in routes and "/2/tweets/search/all" not in routes
    [gap] = result.gaps
    assert gap.scope == "search:history" and "last 7 days" in gap.reason
    assert re.search(r"before \d{4}-\d\d-\d\d to \d+ earlier posts", gap.reason)


def test_tier_without_search_records_xs_explanation(tmp_path: Path) -> None:
    with SamplePlatform(posts=30) as platform:
        platform.x.tier = "basic"  # the app is Basic, but the config claims Pro
        archive = x_archive(tmp_path, platform, tier="pro")
        result = run_capture(archive)
        searches = platform.stats()["by_path"]["/2/tweets/search/all"]
    [gap] = result.gaps
    assert gap.scope == "search" and "client-not-enrolled" in gap.reason
    assert "Appropriate Level of API Access" in gap.reason and "'pro'" in gap.reason
    assert searches == {"403": 1}  # asked once, then no more
    assert "client-not-enrolled" in result.accounts[0].token["detail"]
    kinds = {r["kind"] for r in catalog_state(archive).values()}
    assert "post" in kinds and "comment" not in kinds


def test_environment_without_the_token_variable_is_a_gap(tmp_path: Path) -> None:
    with SamplePlatform(posts=20) as platform:
        archive = x_archive(tmp_path, platform)
        bare = Environment(variables={"PATH": "/usr/bin"}, stdout=io.StringIO(),
                           stderr=io.StringIO(), sleep=archive.env.sleep,
                           config_dir=archive.env.config_dir, operator="test-clerk")
        result = run_capture(Archive.open(archive.root, bare))
    assert [g.scope for g in result.gaps] == ["token"] and TOKEN_ENV in result.gaps[0].reason


def test_incremental_capture_reads_only_what_is_new(tmp_path: Path) -> None:
    with SamplePlatform(posts=60) as platform:
        archive = x_archive(tmp_path, platform)
        first = run_capture(archive)
        platform.set_state("later")
        second = run_capture(archive)
        want = expected(platform.world, "later")
    assert (first.accounts[0].mode, second.accounts[0].mode) == ("full", "incremental")
    assert second.accounts[0].counts["requests"] < first.accounts[0].counts["requests"] / 2
    state = catalog_state(archive)
    new_posts = {p for p in platform.world.changes().new_post_ids if p in want["post"]}
    assert new_posts and new_posts <= set(state)
    assert want["message"] <= set(state)
    assert not [p for p, r in state.items() if r["status"] == "removed"]  # no sweeps
