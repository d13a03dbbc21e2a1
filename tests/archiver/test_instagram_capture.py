"""Capturing the sample city's Instagram professional account end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.meta import hidden_comment_ids, media_post
from civicrecords.archiver.sample.model import Item
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.archiver.sample.world import World
from civicrecords.catalog import Catalog
from civicrecords.demo import DEMO_TOKEN
from civicrecords.integrity.verify import verify_archive
from civicrecords.search.backend import SearchQuery
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend, search
from tests.archiver.meta_support import catalog_state, meta_archive, meta_env
from tests.support.sample_archive import every_byte

ACCOUNT = "lakeside-instagram"


@pytest.fixture
def platform() -> SamplePlatform:
    with SamplePlatform(posts=60, token=DEMO_TOKEN) as server:
        yield server


def feed(world: World, state: str = "initial") -> list[Item]:
    """Ground truth: the city's posts Instagram shows (pictures or video, public)."""
    return [p for p in world.posts(world.city, state)  # type: ignore[arg-type]
            if p.kind == "post" and p.visibility in ("public", "unlisted")
            and media_post(world, p.thread)]


def top_comment(world: World, comment: Item) -> str | None:
    slot = comment.slot
    while (up := world.parent(comment.thread, slot)) not in (None, 0):
        slot = up
    return None if slot == comment.slot else world.status_id(comment.thread, slot)


def test_the_account_is_captured_completely_and_is_searchable(tmp_path: Path,
                                                                platform: SamplePlatform) -> None:
    platform.instagram.inline_replies = 1  # more replies than listed inline: /replies pages
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("instagram",))
    result = run_capture(archive)
    assert not result.gaps
    assert [p for p in platform.stats()["by_path"] if p.endswith("/replies")]
    world = platform.world
    posts = feed(world)
    assert posts
    hidden = hidden_comment_ids(world, "initial")
    with Catalog(archive.catalog_path) as catalog:
        for post in posts:
            row = catalog.find(f"instagram:{ACCOUNT}:{post.id}")
            assert (row.kind, row.author) == ("post", "lakeside")
            pictures = [m for m in post.media if m.kind != "audio"]
            children = catalog.children(row)
            media = [c for c in children if c.kind == "media"]
            expected = [m.id for m in pictures] if len(pictures) > 1 else \
                [f"{post.id}-media"] + ([f"{post.id}-thumbnail"]
                                        if pictures[0].kind in ("video", "gifv") else [])
            assert sorted(m.platform_id for m in media) == sorted(expected)
            assert all(catalog.latest(m).item().extra.get("file") for m in media)
            for comment in world.comments_of(post):
                found = catalog.find(f"instagram:{ACCOUNT}:{comment.id}")
                assert found.kind == "comment" and found.author == comment.account.username
                assert found.parent_id == (top_comment(world, comment) or post.id)
                assert bool(found.hidden) == (comment.id in hidden)
        messages = list(catalog.iter_items("kind='message' AND account=?", (ACCOUNT,)))
        assert len(messages) == sum(1 for m in world.messages(account=world.city)
                                    if world.conversation(m.conversation).city == 0)
        backend = open_backend(archive.root, archive.config)
        try:
            index_pending(catalog, backend)
            post = next(p for p in posts if p.text)
            word = max(post.text.split(), key=len).strip(".,!#")
            rows = search(catalog, backend, SearchQuery(text=word, platforms=("instagram",),
                                                        kinds=("post",)), archive.audit).rows
            hit = next(r.to_dict() for r in rows if r.item.platform_id == post.id)
            assert (hit["kind"], hit["author"]) == ("post", "lakeside")
            assert hit["created_at"].startswith(post.created_at.strftime("%Y-%m-%dT%H:%M"))
            reply = next(c for p in posts for c in world.comments_of(p)
                         if top_comment(world, c) and len(c.text.split()) > 3)
            word = max(reply.text.split(), key=len).strip(".,!?#@")
            rows = search(catalog, backend, SearchQuery(text=word, platforms=("instagram",),
                                                        kinds=("comment",), limit=100),
                          archive.audit).rows
            hit = next(r.to_dict() for r in rows if r.item.platform_id == reply.id)
            assert (hit["author"], hit["parent_id"]) == (reply.account.username,
                                                         top_comment(world, reply))
            assert hit["thread_id"] == reply.root_id
        finally:
            backend.close()
    assert DEMO_TOKEN.encode() not in every_byte(archive.root)
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_captions_edited_comments_deleted_and_hidden_between_captures(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("instagram",),
                           instagram_by_id=True)
    run_capture(archive)
    platform.set_state("later")
    second = run_capture(archive, full=True)
    assert not second.gaps
    world, changes = platform.world, platform.world.changes()
    shown = {p.id for p in feed(world)}
    with Catalog(archive.catalog_path) as catalog:
        edited = [p for p in changes.edited_post_ids if p in shown]
        assert edited
        for pid in edited:
            row = catalog.find(f"instagram:{ACCOUNT}:{pid}")
            assert row.status == "edited" and len(catalog.versions(row.id)) == 2
        removed = [c for c in changes.removed_comment_ids if world.item(c).root_id in shown]
        for cid in removed:
            row = catalog.find(f"instagram:{ACCOUNT}:{cid}")
            assert (row.status, row.removed_reason) == ("removed", "deleted")
        hidden = [c for c in hidden_comment_ids(world, "later") - hidden_comment_ids(
            world, "initial") if world.item(c, "later").root_id in shown]
        assert hidden
        for cid in hidden:
            row = catalog.find(f"instagram:{ACCOUNT}:{cid}")
            assert row.hidden and "hidden" in [e["event"] for e in catalog.events(row.id)]
    assert removed or hidden


def test_messages_need_instagram_manage_messages(tmp_path: Path,
                                                 platform: SamplePlatform) -> None:
    platform.facebook.access.grant(DEMO_TOKEN, ["instagram_basic",
                                                "instagram_manage_comments"])
    archive = meta_archive(tmp_path, platform, meta_env(tmp_path), accounts=("instagram",))
    result = run_capture(archive)
    assert [g.scope for g in result.gaps] == ["messages"]
    assert "instagram_manage_messages" in result.gaps[0].reason
    assert result.accounts[0].token and result.accounts[0].token["valid"]


def test_a_handle_that_is_not_the_tokens_account_is_a_gap(tmp_path: Path,
                                                         platform: SamplePlatform) -> None:
    env = meta_env(tmp_path)
    env.variables = {**env.variables, "LAKESIDE_FB_TOKEN": f"{DEMO_TOKEN}-mayor"}
    archive = meta_archive(tmp_path, platform, env, accounts=("instagram",))
    result = run_capture(archive)
    assert "@mayor, not @lakeside" in result.gaps[0].reason
    with Catalog(archive.catalog_path) as catalog:
        assert catalog.count_items() == 0


def test_throttling_and_faults_end_complete(tmp_path: Path) -> None:
    with SamplePlatform(posts=40, token=DEMO_TOKEN) as clean_server:
        clean = meta_archive(tmp_path, clean_server, meta_env(tmp_path / "c"), "clean",
                             accounts=("instagram",))
        run_capture(clean)
    plan = FaultPlan(rate=0.4, kinds=("429", "500", "503", "reset", "truncate"), max_per_url=2,
                     seed=3, retry_after=30, paths=("/instagram/", "/igcdn/"))
    env = meta_env(tmp_path / "f")
    with SamplePlatform(posts=40, token=DEMO_TOKEN, faults=plan) as faulty_server:
        faulty = meta_archive(tmp_path, faulty_server, env, "faulty", accounts=("instagram",))
        result = run_capture(faulty)
        injected = faulty_server.injector.stats()["injected"]
    assert not result.gaps and injected.get("429") and injected.get("truncate")
    assert 60 in [round(c) for c in env.sleep.calls]  # 80002: one minute to regain access
    assert {r: v[:3] for r, v in catalog_state(faulty).items()} == \
        {r: v[:3] for r, v in catalog_state(clean).items()}
