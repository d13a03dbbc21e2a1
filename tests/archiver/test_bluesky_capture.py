"""Capturing the sample city's Bluesky account: posts, threads, blobs, chat, removals, faults."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.bluesky_entities import bluesky_media
from civicrecords.archiver.sample.bluesky_views import GroundTruth
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.server import SamplePlatform
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

ACCOUNT = "lakeside-bsky"
TOKEN_ENV = "LAKESIDE_BSKY_TOKEN"


def jwt(expires_in: float, subject: str = "did:plc:sample") -> str:
    """A JWT-shaped access token (the sample PDS checks only its expiry)."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    claims = {"scope": "com.atproto.access", "sub": subject, "exp": int(time.time() + expires_in)}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


TOKEN = jwt(7200)


@pytest.fixture
def platform() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=60, token=TOKEN) as server:
        yield server


def bluesky_archive(tmp: Path, platform: SamplePlatform, *, token: str | None = TOKEN,
                    token_env: str | None = TOKEN_ENV, name: str = "archive"
                    ) -> tuple[Archive, Environment]:
    env = make_env(tmp / f"{name}-env", **({TOKEN_ENV: token} if token else {}))
    config = (f'[[accounts]]\nname = "{ACCOUNT}"\nplatform = "bluesky"\n'
              f'api_base = "{platform.base_url}"\nplc_directory = "{platform.base_url}"\n'
              'handle = "lakesidemn.example"\ndepartment = "Communications"\n')
    if token_env:
        config += f'token_env = "{token_env}"\n'
    return Archive.create(tmp / name, env, name="City of Lakeside", extra_config=config), env


def items(archive: Archive) -> dict[str, dict[str, Any]]:
    """platform id -> catalog row (plus the latest version's item data)."""
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute(
            "SELECT i.*, v.data FROM items i JOIN versions v ON v.id = i.latest_version "
            "WHERE i.account = ?", (ACCOUNT,)).fetchall()
    return {r["platform_id"]: {**dict(r), "item": json.loads(r["data"])} for r in rows}


def test_capture_holds_every_post_reply_blob_and_message(tmp_path: Path,
                                                         platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform)
    result = run_capture(archive)
    assert not result.gaps, result.gaps
    (outcome,) = result.accounts
    assert outcome.token and outcome.token["valid"] and outcome.token["expires_at"]
    truth = GroundTruth(platform.bluesky.bsky(platform.world), "initial")
    world = platform.world
    city = world.city
    got = items(archive)
    timeline = truth.timeline(city)
    assert timeline and all(got[uri]["kind"] == "post" for uri in timeline)
    reposts = [uri for uri in timeline if "/app.bsky.feed.repost/" in uri]
    assert reposts and all(got[r]["item"]["extra"]["repost_of"]["uri"] for r in reposts)
    replies = truth.replies(city)
    assert len(replies) > 50
    for reply in replies:
        row = got[truth.uri(reply)]
        assert row["kind"] == "comment" and row["author"].endswith(
            (".bsky.example", *(f".{d}" for d in ("northstar.example", "twincities.social"
                                                   ".example", "mn.town.example",
                                                   "unsanitized.example",
                                                   "longform.example"))))
        parent = world.item_at(reply.thread, world.parent(reply.thread, reply.slot) or 0,
                               "initial")
        assert row["parent_id"] == truth.uri(parent)
        assert row["created_at"].startswith(reply.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
        for media in bluesky_media(reply.media):
            assert any(pid.startswith(row["platform_id"] + "#") for pid in got)
            assert media.description is None or any(
                r["item"]["text"] == media.description for r in got.values()
                if r["kind"] == "media" and r["parent_id"] == row["platform_id"])
    blocked = truth.blocked_replies(city)
    assert blocked and all(got[uri]["item"]["extra"]["blocked_in_thread"] for uri in blocked)
    media = [r for r in got.values() if r["kind"] == "media"]
    assert media and all(r["item"]["extra"]["file"]["cid_matches"] is True for r in media)
    assert {r["item"]["extra"]["media_type"] for r in media} == {"image", "video"}
    messages = truth.messages(city)
    assert messages and all(got[m]["kind"] == "message" for m in messages)
    assert {got[m]["classification"] for m in messages} == {"private"}
    for path in sorted(archive.warcs_dir.rglob("*.warc.gz")):
        for record in warc_reader.parse(path):
            warc_reader.check_digests(record)
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_captured_items_are_searchable_with_kind_author_dates_and_parent(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform)
    run_capture(archive)
    truth = GroundTruth(platform.bluesky.bsky(platform.world), "initial")
    reply = truth.replies(platform.world.city)[3]
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        index_pending(catalog, backend)
        comments = search(catalog, backend, SearchQuery(platforms=("bluesky",),
                                                        kinds=("comment",), limit=1000),
                          archive.audit)
        posts = search(catalog, backend, SearchQuery(platforms=("bluesky",), kinds=("post",),
                                                     limit=1000), archive.audit)
        day = reply.created_at.date()
        dated = search(catalog, backend, SearchQuery(platforms=("bluesky",), since=day,
                                                     until=day, limit=1000), archive.audit)
        backend.close()
    assert comments.total == len(truth.replies(platform.world.city))
    assert posts.total == len(truth.timeline(platform.world.city))
    found = next(r.to_dict() for r in dated.rows if r.item.platform_id == truth.uri(reply))
    assert found["kind"] == "comment"
    assert found["author"] == platform.bluesky.bsky(platform.world).ids.handle(reply.account)
    parent = platform.world.item_at(reply.thread, platform.world.parent(
        reply.thread, reply.slot) or 0, "initial")
    assert found["parent_id"] == truth.uri(parent)
    assert found["created_at"].startswith(reply.created_at.strftime("%Y-%m-%dT%H:%M"))


def _show(env: Environment, archive: Archive, ref: str) -> dict[str, Any]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), "show", ref, "--versions", "--format",
                  "json"], env)
    assert status == 0, env.stderr.getvalue()
    return json.loads(env.stdout.getvalue())


def test_later_capture_records_deletions_reposts_and_hidden_replies(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, env = bluesky_archive(tmp_path, platform)
    first = run_capture(archive)
    bsky = platform.bluesky.bsky(platform.world)
    before, after = GroundTruth(bsky, "initial"), GroundTruth(bsky, "later")
    platform.set_state("later")
    second = run_capture(archive, full=True)
    assert not second.gaps, second.gaps
    got = items(archive)
    changes = platform.world.changes()
    world = platform.world
    def city_public(pid: str, state: str) -> bool:
        item = world.item(pid, state)  # type: ignore[arg-type]
        return item is not None and item.account.index == 0 and \
            item.visibility in ("public", "unlisted")

    gone_posts = [before.uri(world.item(pid, "initial")) for pid in
                  (*changes.removed_post_ids, *changes.edited_post_ids)
                  if city_public(pid, "initial")]
    assert gone_posts
    for uri in gone_posts:
        assert (got[uri]["status"], got[uri]["removed_reason"]) == ("removed", "deleted")
        assert got[uri]["removed_job"] == second.job_id
    reposted = [after.uri(world.item(pid, "later")) for pid in changes.edited_post_ids
                if city_public(pid, "later")]
    assert reposted and all(got[uri]["status"] == "live" and got[uri]["first_job"] ==
                            second.job_id for uri in reposted)
    removed_replies = [before.uri(world.item(pid, "initial")) for pid in
                       changes.removed_comment_ids
                       if before.uri(world.item(pid, "initial")) in got]
    assert removed_replies
    for uri in removed_replies:
        assert got[uri]["status"] == "removed"
        assert got[uri]["removed_reason"] in ("deleted", "parent-removed")
    assert any(got[uri]["removed_reason"] == "deleted" for uri in removed_replies)
    hidden = after.hidden_replies(world.city)
    assert hidden and all(got[uri]["hidden"] == 1 and got[uri]["status"] == "live"
                          for uri in hidden)
    listed = [uri for uri in after.timeline(world.city)
              if got[uri]["item"]["extra"].get("reply_root") not in gone_posts]
    assert listed and all(got[uri]["status"] == "live" for uri in listed)
    # (the city's own replies below a deleted post are still listed by Bluesky, but the
    # catalog marks every descendant of a removed item "parent-removed")
    assert sum(a.counts["removed"] for a in first.accounts) == 0
    shown = _show(env, archive, f"bluesky:{ACCOUNT}:{gone_posts[0]}")
    assert shown["status"] == "removed" and len(shown["versions"]) == 1
    assert shown["versions"][0]["record_id"].startswith("<urn:uuid:")
    with Catalog(archive.catalog_path) as catalog:
        events = [e["event"] for e in catalog.events(catalog.find(
            f"bluesky:{ACCOUNT}:{hidden[0]}").id)]
    assert events == ["new", "hidden"]


def test_replies_cut_off_by_a_shallow_appview_are_fetched_from_where_they_stop(
        tmp_path: Path, platform: SamplePlatform) -> None:
    clean, _env = bluesky_archive(tmp_path, platform, name="clean")
    run_capture(clean)
    platform.bluesky.depth_cap = 1
    platform.reset_stats()
    shallow, _env = bluesky_archive(tmp_path, platform, name="shallow")
    result = run_capture(shallow)
    assert not result.gaps
    assert {k: (v["status"], v["kind"]) for k, v in items(shallow).items()} == \
        {k: (v["status"], v["kind"]) for k, v in items(clean).items()}
    threads = platform.stats()["by_route"]["bluesky.app.bsky.feed.getPostThread"]["200"]
    assert threads > len(GroundTruth(platform.bluesky.bsky(platform.world), "initial")
                         .timeline(platform.world.city))


def test_throttling_errors_resets_and_truncation_end_in_the_same_archive(
        tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.35, kinds=("429", "500", "502", "503", "reset", "reset_headers",
                                       "truncate"), max_per_url=2, seed=5, retry_after=3,
                     paths=("/xrpc/", "/did:plc:"))
    with SamplePlatform(posts=40, token=TOKEN) as server:
        clean, _env = bluesky_archive(tmp_path, server, name="clean")
        run_capture(clean)
        server.set_faults(plan)
        faulty, env = bluesky_archive(tmp_path, server, name="faulty")
        result = run_capture(faulty)
        injected = server.stats()["faults"]["injected"]
    assert not result.gaps, result.gaps
    assert {"429", "503", "reset", "truncate"} <= set(injected)
    resets = injected.get("reset", 0) + injected.get("reset_headers", 0)  # some look stale
    assert result.accounts[0].counts["retries"] >= sum(injected.values()) - resets
    assert 3 in [round(c) for c in env.sleep.calls]  # Retry-After of the 503s honoured
    throttled = [r for path in faulty.warcs_dir.rglob("*.warc.gz")
                 for r in warc_reader.parse(path) if r.headers["WARC-Type"] == "response"
                 and r.block.startswith(b"HTTP/1.1 429")]
    assert len(throttled) == injected["429"]
    for record in throttled:  # Bluesky's own answer, and the client waited for its reset
        head = record.block.partition(b"\r\n\r\n")[0].decode().lower()
        assert "ratelimit-remaining: 0" in head and b"RateLimitExceeded" in record.block
        reset = int(head.split("ratelimit-reset: ")[1].split("\r\n")[0])
        sent = datetime.fromisoformat(record.headers["WARC-Date"].replace("Z", "+00:00"))
        wait = min(120.0, reset - sent.timestamp())
        if wait > 2:  # (a 429 at the very end of a rate-limit window needs no wait)
            assert any(abs(c - wait) < 1.5 for c in env.sleep.calls), (wait, env.sleep.calls)

    def state(archive: Archive) -> dict[str, tuple[str, str]]:
        with Catalog(archive.catalog_path) as catalog:
            rows = catalog.execute("SELECT i.platform_id, i.status, v.content_hash FROM items i "
                                   "JOIN versions v ON v.id = i.latest_version").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    assert state(faulty) == state(clean)


def test_a_thread_that_keeps_failing_is_a_gap_and_removes_nothing(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform)
    run_capture(archive)
    truth = GroundTruth(platform.bluesky.bsky(platform.world), "initial")
    reply = next(r for r in truth.replies(platform.world.city)
                 if r.id in platform.world.changes().removed_comment_ids)
    root = truth.uri(platform.world.item_at(reply.thread, 0, "initial"))
    target = "/xrpc/app.bsky.feed.getPostThread?" + urlencode(
        {"uri": root, "depth": 1000, "parentHeight": 0})
    platform.set_faults(FaultPlan(permanent={target: "503"}))
    platform.set_state("later")
    result = run_capture(archive, full=True)
    assert [g.scope for g in result.gaps] == [f"thread:{root}"]
    assert "503" in result.gaps[0].reason and result.gaps[0].attempts > 1
    assert items(archive)[truth.uri(reply)]["status"] == "live"  # a failed walk proves nothing


def test_incremental_capture_fetches_only_what_is_new(tmp_path: Path,
                                                      platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform)
    first = run_capture(archive)
    platform.set_state("later")
    second = run_capture(archive)
    assert second.accounts[0].mode == "incremental"
    assert second.accounts[0].counts["requests"] < first.accounts[0].counts["requests"] / 2
    after = GroundTruth(platform.bluesky.bsky(platform.world), "later")
    got = items(archive)
    assert all(uri in got for uri in after.timeline(platform.world.city)[:5])
    assert set(after.messages(platform.world.city)) <= set(got)


def test_tokens_never_reach_the_archive(tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform)
    run_capture(archive)
    everything = every_byte(archive.root)
    assert TOKEN.encode() not in everything
    assert TOKEN.split(".")[1].encode() not in everything
    assert b"Authorization: SCRUBBED" in everything
    assert b"atproto-proxy: did:web:api.bsky.chat#bsky_chat" in everything


def test_expired_or_foreign_tokens_are_reported_and_chat_is_a_gap(tmp_path: Path) -> None:
    expired = jwt(-60)
    with SamplePlatform(posts=30, token=expired) as server:
        archive, _env = bluesky_archive(tmp_path, server, token=expired, name="expired")
        result = run_capture(archive)
    token = result.accounts[0].token
    assert token is not None and not token["valid"] and "ExpiredToken" in token["detail"]
    assert token["expires_at"] and token["expires_at"] < time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                        time.gmtime())
    assert [g.scope for g in result.gaps] == ["messages"]
    with SamplePlatform(posts=30, token=TOKEN) as server:
        archive, _env = bluesky_archive(tmp_path, server, token=f"{TOKEN}-mayor", name="mayor")
        result = run_capture(archive)
    token = result.accounts[0].token
    assert token is not None and not token["valid"] and "belongs to mayor." in token["detail"]
    assert [g.scope for g in result.gaps] == ["messages"]


def test_without_a_token_public_data_is_captured_and_chat_is_skipped(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = bluesky_archive(tmp_path, platform, token=None, token_env=None)
    result = run_capture(archive)
    assert result.gaps == []  # no token configured: public data only, by choice
    got = items(archive)
    assert not [r for r in got.values() if r["kind"] == "message"]
    truth = GroundTruth(platform.bluesky.bsky(platform.world), "initial")
    assert all(uri in got for uri in truth.timeline(platform.world.city))


def test_a_handle_the_did_document_does_not_claim_is_flagged(tmp_path: Path,
                                                             platform: SamplePlatform) -> None:
    ids = platform.bluesky.bsky(platform.world).ids
    city_did = ids.did(platform.world.city)
    env = make_env(tmp_path / "env")
    config = (f'[[accounts]]\nname = "{ACCOUNT}"\nplatform = "bluesky"\n'
              f'api_base = "{platform.base_url}"\nplc_directory = "{platform.base_url}"\n'
              f'account_id = "{city_did}"\nhandle = "mayor.lakesidemn.example"\n')
    archive = Archive.create(tmp_path / "a", env, name="City", extra_config=config)
    result = run_capture(archive)
    identity = [g for g in result.gaps if g.scope == "identity"]
    assert len(identity) == 1
    assert "mayor.lakesidemn.example is not confirmed" in identity[0].reason
    assert "lakesidemn.example" in identity[0].reason.split("claims")[1]
