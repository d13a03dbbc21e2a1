"""Capturing the sample city's Facebook Page end to end: completeness, search, edits,
removals, hidden comments, messages and permissions, tokens, throttling and faults."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.meta import APP_SECRET, PAGE_PERMISSIONS, hidden_comment_ids
from civicrecords.archiver.sample.model import Item
from civicrecords.archiver.sample.server import RateLimit, SamplePlatform
from civicrecords.archiver.sample.world import World
from civicrecords.archiver.sources.graph import appsecret_proof
from civicrecords.archiver.status import account_status
from civicrecords.catalog import Catalog
from civicrecords.demo import DEMO_TOKEN
from civicrecords.integrity.verify import verify_archive
from civicrecords.search.backend import SearchQuery
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend, search
from tests.archiver.meta_support import catalog_state, meta_archive, meta_env
from tests.support import warc_reader
from tests.support.sample_archive import every_byte

ACCOUNT = "lakeside-facebook"


class FakeClock:
    """``sleep`` and ``monotonic`` that agree: sleeping advances the clock, instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds


@pytest.fixture
def platform() -> SamplePlatform:
    with SamplePlatform(posts=60, token=DEMO_TOKEN) as server:
        yield server


def page_posts(world: World, state: str = "initial") -> list[Item]:
    """Ground truth: what the city's Page shows (public posts and shares)."""
    return [p for p in world.posts(world.city, state)  # type: ignore[arg-type]
            if p.visibility in ("public", "unlisted")]


def top_level(world: World, comment: Item) -> Item | None:
    """Facebook has two levels: a reply to a reply answers the top-level comment."""
    slot = comment.slot
    while (up := world.parent(comment.thread, slot)) not in (None, 0):
        slot = up
    return None if slot == comment.slot else world.item_at(comment.thread, slot, "initial")


def ref(world: World, item: Item) -> str:
    if item.slot == 0:
        return f"facebook:{ACCOUNT}:{world.city.id}_{item.id}"
    return f"facebook:{ACCOUNT}:{item.root_id}_{item.id}"


def test_the_page_is_captured_completely(tmp_path: Path, platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    result = run_capture(archive)
    assert not result.gaps
    world = platform.world
    state = catalog_state(archive)
    hidden = hidden_comment_ids(world, "initial")
    with Catalog(archive.catalog_path) as catalog:
        for post in page_posts(world):
            row = catalog.find(ref(world, post))
            assert (row.kind, row.author, row.author_id) == ("post", world.city.display_name,
                                                             world.city.id)
            assert row.created_at and row.created_at.startswith(post.created_at.strftime(
                "%Y-%m-%dT%H:%M:%S"))
            for comment in world.comments_of(post):
                row = catalog.find(ref(world, comment))
                parent = top_level(world, comment)
                assert row.kind == "comment" and row.author == comment.account.display_name
                assert row.parent_id == (ref(world, parent) if parent else ref(world, post)) \
                    .split(":", 2)[2]
                assert row.thread_id == f"{world.city.id}_{post.id}"
                assert bool(row.hidden) == (comment.id in hidden)
        messages = [m for m in world.messages(account=world.city)
                    if world.conversation(m.conversation).city == 0]
        assert messages
        for message in messages:
            row = catalog.find(platform.facebook.inbox.message_id(message))
            assert row.kind == "message" and row.author == message.account.display_name
            assert row.classification != "public"  # direct messages are flagged
        media = list(catalog.iter_items("kind='media' AND account=?", (ACCOUNT,)))
        assert media and all(catalog.latest(m).item().extra.get("file") for m in media)
    assert any(s[3] for s in state.values()), "planted abusive comments are hidden"
    originals = 0
    for path in sorted(archive.warcs_dir.rglob("*.warc.gz")):
        for record in warc_reader.parse(path):
            warc_reader.check_digests(record)
            uri = record.headers.get("WARC-Target-URI", "")
            if record.headers["WARC-Type"] == "response" and "/fbcdn/v/" in uri:
                originals += "/o/" in uri  # the full-size file, not the feed's preview
    assert originals >= len(media) // 2
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_items_appear_in_search_with_kind_author_dates_and_parent(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    run_capture(archive)
    world = platform.world
    post = next(p for p in page_posts(world) if world.comments_of(p) and p.text)
    comment = world.comments_of(post)[0]
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        try:
            index_pending(catalog, backend)
            word = max(re.findall(r"[A-Za-z]{6,}", comment.text), key=len)
            found = search(catalog, backend, SearchQuery(text=word, platforms=("facebook",),
                                                         kinds=("comment",), limit=50),
                           archive.audit)
            rows = {r.item.platform_id: r.to_dict() for r in found.rows}
            hit = rows[f"{post.id}_{comment.id}"]
            assert (hit["kind"], hit["author"], hit["platform"]) == (
                "comment", comment.account.display_name, "facebook")
            assert hit["parent_id"] == f"{world.city.id}_{post.id}"
            assert hit["created_at"].startswith(comment.created_at.strftime("%Y-%m-%d"))
            posts = search(catalog, backend, SearchQuery(kinds=("post",),
                                                         accounts=(ACCOUNT,), limit=500),
                           archive.audit)
            assert {r.item.platform_id for r in posts.rows} >= {
                f"{world.city.id}_{p.id}" for p in page_posts(world)}
        finally:
            backend.close()


def test_edits_removals_and_hiding_between_two_captures(tmp_path: Path,
                                                        platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    run_capture(archive)
    before = catalog_state(archive)
    platform.set_state("later")
    second = run_capture(archive, full=True)
    assert not second.gaps
    world, changes = platform.world, platform.world.changes()
    shown = {p.id for p in page_posts(world)}
    with Catalog(archive.catalog_path) as catalog:
        edited = [pid for pid in changes.edited_post_ids if pid in shown]
        assert edited
        for pid in edited:
            row = catalog.find(f"{world.city.id}_{pid}")
            if pid not in changes.removed_post_ids:
                assert row.status == "edited" and len(catalog.versions(row.id)) >= 2
        removed = [c for c in changes.removed_comment_ids
                   if world.item(c).root_id in shown]
        assert removed
        for cid in removed:
            row = catalog.find(f"{world.item(cid).root_id}_{cid}")
            assert (row.status, row.removed_reason, row.removed_job) == ("removed", "deleted",
                                                                         second.job_id)
            assert catalog.versions(row.id)[0].item().text  # the text stays archived
        for pid in changes.removed_post_ids:
            if pid in shown:
                row = catalog.find(f"{world.city.id}_{pid}")
                assert (row.status, row.removed_reason) == ("removed", "deleted")
        newly_hidden = hidden_comment_ids(world, "later") - hidden_comment_ids(world, "initial")
        hidden_here = [c for c in newly_hidden if world.item(c, "later").root_id in shown]
        assert hidden_here
        for cid in hidden_here:
            row = catalog.find(f"{world.item(cid, 'later').root_id}_{cid}")
            assert row.hidden and row.status == "live"  # hidden is not removed
            assert [e["event"] for e in catalog.events(row.id)] == ["new", "hidden"]
    after = catalog_state(archive)
    commented_only = [r for r, v in before.items() if r in after and after[r][1] == v[1]
                      and ":" in r and r.split(":")[2].split("_")[-1] in shown]
    assert commented_only  # posts whose updated_time moved with new comments stay "live"


def test_token_app_secret_and_proof_never_reach_the_archive(tmp_path: Path,
                                                            platform: SamplePlatform) -> None:
    platform.facebook.access.require_proof = True
    env = meta_env(tmp_path)
    archive = meta_archive(tmp_path, platform, env, accounts=("facebook", "instagram"),
                           app_secret=True)
    result = run_capture(archive)
    assert not result.gaps
    everything = every_byte(archive.root)
    proof = appsecret_proof(DEMO_TOKEN, APP_SECRET)
    assert proof
    for secret in (DEMO_TOKEN, APP_SECRET, proof):
        assert secret.encode() not in everything
    assert b"access_token=SCRUBBED" in everything
    assert b"Civicrecords-Scrubbed: query" in everything
    assert b"Civicrecords-Scrubbed: body" in everything  # paging.next echoed the token


def test_a_required_proof_without_an_app_secret_is_a_clear_gap(tmp_path: Path,
                                                                platform: SamplePlatform) -> None:
    platform.facebook.access.require_proof = True
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    result = run_capture(archive)
    assert result.gaps and "appsecret_proof" in result.gaps[0].reason
    assert all(DEMO_TOKEN not in g.url for g in result.gaps)


def test_messages_without_pages_messaging_are_a_gap_that_says_so(
        tmp_path: Path, platform: SamplePlatform) -> None:
    platform.facebook.access.grant(DEMO_TOKEN, [p for p in PAGE_PERMISSIONS
                                                if p != "pages_messaging"])
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    result = run_capture(archive)
    assert [g.scope for g in result.gaps] == ["messages"]
    assert "pages_messaging" in result.gaps[0].reason
    with Catalog(archive.catalog_path) as catalog:
        assert not list(catalog.iter_items("kind='message'"))
        assert list(catalog.iter_items("kind='comment'"))


def test_an_expired_token_is_reported_and_nothing_is_removed(tmp_path: Path,
                                                             platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    run_capture(archive)
    before = catalog_state(archive)
    platform.facebook.access.expire(DEMO_TOKEN)
    platform.set_state("later")
    result = run_capture(archive, full=True)
    outcome = result.accounts[0]
    assert outcome.token and outcome.token["valid"] is False
    assert "expired" in outcome.token["detail"].lower()
    assert result.gaps and "token rejected" in result.gaps[0].reason
    assert catalog_state(archive) == before
    with Catalog(archive.catalog_path) as catalog:
        status = account_status(catalog, archive.config.account(ACCOUNT), archive.env.now())
    assert status.needs_attention and any("token rejected" in p for p in status.problems)


def test_a_token_that_expires_soon_is_reported_with_its_expiry(
        tmp_path: Path, platform: SamplePlatform) -> None:
    expiry = datetime.now(UTC) + timedelta(days=3)
    platform.facebook.access.set_expiry(DEMO_TOKEN, int(expiry.timestamp()))
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    token = run_capture(archive).accounts[0].token
    assert token and token["valid"] and token["expires_at"] == expiry.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    with Catalog(archive.catalog_path) as catalog:
        status = account_status(catalog, archive.config.account(ACCOUNT), archive.env.now())
    assert any("token expires" in w for w in status.warnings)


def test_an_object_the_app_may_no_longer_read_is_removed_as_unavailable(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    run_capture(archive)
    world = platform.world
    post = next(p for p in page_posts(world) if world.comments_of(p))
    comment = world.comments_of(post)[-1]
    platform.facebook.access.restrict(f"{post.id}_{comment.id}")
    run_capture(archive, full=True)
    with Catalog(archive.catalog_path) as catalog:
        row = catalog.find(f"{post.id}_{comment.id}")
    assert (row.status, row.removed_reason) == ("removed", "unavailable")


def test_server_faults_end_in_the_same_complete_capture(tmp_path: Path) -> None:
    with SamplePlatform(posts=30, token=DEMO_TOKEN) as clean_server:
        clean = meta_archive(tmp_path, clean_server, meta_env(tmp_path / "c"), "clean",
                             accounts=("facebook",))
        run_capture(clean)
    plan = FaultPlan(rate=0.35, kinds=("429", "500", "502", "503", "reset", "reset_headers",
                                       "truncate"),
                     max_per_url=2, seed=5, retry_after=1, paths=("/v21.0/", "/fbcdn/"))
    with SamplePlatform(posts=30, token=DEMO_TOKEN, faults=plan) as faulty_server:
        faulty = meta_archive(tmp_path, faulty_server, meta_env(tmp_path / "f"), "faulty",
                              accounts=("facebook",))
        result = run_capture(faulty)
        injected = faulty_server.injector.stats()["injected"]
    assert not result.gaps and len(injected) >= 5
    assert result.accounts[0].counts["retries"] >= sum(injected.values()) // 2
    clean_state = {r: v[:3] for r, v in catalog_state(clean).items()}
    assert {r: v[:3] for r, v in catalog_state(faulty).items()} == clean_state
    assert verify_archive(faulty.root, faulty.public_key_pem()).ok


@pytest.mark.parametrize("code", [80001, 32, 4, 17, 613])
def test_throttling_waits_as_graph_says_then_completes(tmp_path: Path, code: int) -> None:
    plan = FaultPlan(rate=0.5, kinds=("429",), max_per_url=1, seed=code, retry_after=90,
                     paths=("/v21.0/",))
    env = meta_env(tmp_path)
    clock = FakeClock()
    env.sleep, env.monotonic = clock.sleep, clock.monotonic
    with SamplePlatform(posts=20, token=DEMO_TOKEN, faults=plan) as server:
        server.facebook.throttle_code = code
        archive = meta_archive(tmp_path, server, env, accounts=("facebook",))
        result = run_capture(archive)
        throttled = server.injector.stats()["injected"]["429"]
    assert not result.gaps and throttled >= 3
    waits = [round(c) for c in clock.calls]
    if code in (80001, 32):  # estimated_time_to_regain_access: 2 minutes (capped at 120 s)
        assert waits.count(120) == throttled
    else:  # app- and user-level limits give no time: exponential back-off
        assert 120 not in waits and waits.count(2) == throttled


def test_usage_headers_near_the_limit_slow_the_capture_down(tmp_path: Path) -> None:
    env = meta_env(tmp_path)
    clock = FakeClock()
    env.sleep, env.monotonic = clock.sleep, clock.monotonic
    with SamplePlatform(posts=20, token=DEMO_TOKEN,
                        rate_limit=RateLimit(limit=20, period=3600, enforce=False)) as server:
        archive = meta_archive(tmp_path, server, env, accounts=("facebook",))
        result = run_capture(archive)
        api = sum(sum(counts.values()) for route, counts in server.stats()["by_route"].items()
                  if route.startswith("facebook."))
    assert not result.gaps and api > 25
    # answers at 90% and 95% of the budget pause one back-off step; from 100% on, each
    # answer pauses the longest back-off (prefetched answers count when they are used)
    assert clock.calls.count(1.0) >= 1 and clock.calls.count(120.0) >= api - 20 - 16
    assert set(clock.calls) <= {1.0, 120.0}


def test_a_failing_comment_walk_is_a_gap_and_removes_nothing(tmp_path: Path,
                                                             platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    run_capture(archive)
    world = platform.world
    post = next(p for p in page_posts(world) if any(
        c.id in world.changes().removed_comment_ids for c in world.comments_of(p)))
    path = f"/v21.0/{world.city.id}_{post.id}/comments"
    platform.set_faults(FaultPlan(permanent={path: "503"}))
    platform.set_state("later")
    result = run_capture(archive, full=True)
    assert [g.scope for g in result.gaps] == [f"thread:{world.city.id}_{post.id}"]
    assert "503" in result.gaps[0].reason and DEMO_TOKEN not in result.gaps[0].url
    with Catalog(archive.catalog_path) as catalog:
        for comment in world.comments_of(post, "initial"):
            assert catalog.find(f"{post.id}_{comment.id}").status != "removed"


def test_incremental_capture_reads_only_what_is_new(tmp_path: Path,
                                                    platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("facebook",))
    first = run_capture(archive)
    platform.set_state("later")
    second = run_capture(archive, full=False)
    assert second.accounts[0].mode == "incremental" and not second.gaps
    world = platform.world
    state = catalog_state(archive)
    for pid in world.changes().new_post_ids:
        post = world.item(pid, "later")
        if post is not None and post.account.index == 0 and post.visibility == "public":
            assert f"facebook:{ACCOUNT}:{world.city.id}_{pid}" in state
    assert second.accounts[0].counts["requests"] < first.accounts[0].counts["requests"] / 2
    assert second.accounts[0].counts["removed"] == 0  # no sweep from a partial walk
