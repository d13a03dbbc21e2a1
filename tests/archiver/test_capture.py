"""Capturing the sample Mastodon city end to end: WARCs, manifests, edits, removals, faults."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.errors import ArchiveLockedError
from civicrecords.integrity.manifest import chain_entries, load_manifest
from civicrecords.integrity.verify import verify_archive
from tests.support import warc_reader
from tests.support.sample_archive import TOKENS, every_byte, sample_archive, sample_env


def _warcs(archive: Archive) -> list[Path]:
    return sorted(archive.warcs_dir.rglob("*.warc.gz"))


def _state(archive: Archive) -> dict[str, tuple[str, int, str]]:
    """ref -> (status, version count, latest content hash)."""
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute(
            "SELECT i.platform || ':' || i.account || ':' || i.platform_id AS ref, i.status, "
            "i.version_count, v.content_hash FROM items i JOIN versions v "
            "ON v.id = i.latest_version").fetchall()
    return {r["ref"]: (r["status"], r["version_count"], r["content_hash"]) for r in rows}


def test_capture_writes_warc_records_that_independent_readers_verify(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    result = run_capture(archive)
    assert not result.gaps
    files = _warcs(archive)
    assert files and len(files) == 2  # one file set per account
    for path in files:
        records = warc_reader.parse(path)
        assert records[0].headers["WARC-Type"] == "warcinfo"
        ids = {r.headers["WARC-Record-ID"] for r in records}
        chunked = 0
        for record in records:
            warc_reader.check_digests(record)
            if record is not records[0]:
                assert record.headers["WARC-Warcinfo-ID"] == records[0].headers["WARC-Record-ID"]
            kind = record.headers["WARC-Type"]
            if kind == "request":
                assert record.headers["WARC-Concurrent-To"] in ids
                assert record.headers["WARC-IP-Address"] == "127.0.0.1"
            if kind == "response":
                assert record.headers["WARC-IP-Address"] == "127.0.0.1"
                chunked += b"transfer-encoding: chunked" in record.block[:2000].lower()
            if kind == "metadata" and "WARC-Refers-To" in record.headers:
                assert record.headers["WARC-Refers-To"] in ids
        assert chunked, "the sample platform sends chunked responses; none were recorded"
        with open(path, "rb") as handle:  # warcio reads it back with its digest checks
            for record in ArchiveIterator(handle, check_digests=True):
                record.content_stream().read()
    manifest = load_manifest(archive.root / chain_entries(archive.root)[0]["manifest"])
    for entry in manifest["files"]:
        data = (archive.root / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["md5"] == hashlib.md5(data).hexdigest()
        assert entry["size"] == len(data)
    assert manifest["operator"] == "test-clerk" and manifest["tool"]["name"] == "civicrecords"
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_every_item_of_the_sample_city_is_captured(tmp_path: Path,
                                                   platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    world = platform.world
    state = _state(archive)
    for account_name, account in (("lakeside-mastodon", world.city),
                                  ("lakeside-mayor", world.mayor)):
        for post in world.posts(account):
            assert f"mastodon:{account_name}:{post.id}" in state
            for comment in world.comments_of(post):
                if comment.account.id == account.id or not world.visible_to(comment, account):
                    continue  # own replies come from the timeline; others' followers-only
                    # replies are invisible to the city's token, as on a real server
                assert f"mastodon:{account_name}:{comment.id}" in state
    messages = world.messages()
    assert messages and all(any(ref.endswith(":" + m.id) for ref in state) for m in messages)
    with Catalog(archive.catalog_path) as catalog:
        kinds = dict(catalog.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
        classified = catalog.execute(
            "SELECT DISTINCT classification FROM items WHERE kind='message'").fetchall()
    assert set(kinds) == {"post", "comment", "message", "media"}
    assert {r[0] for r in classified} == {"private"}


def test_second_capture_marks_removed_and_edited_items(tmp_path: Path,
                                                       platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    first = run_capture(archive)
    platform.set_state("later")
    second = run_capture(archive, full=True)
    changes = platform.world.changes()
    state = _state(archive)

    def find(pid: str) -> tuple[str, int, str]:
        matches = [v for ref, v in state.items() if ref.endswith(":" + pid)]
        assert len(matches) == 1, pid
        return matches[0]

    assert changes.removed_comment_ids and changes.edited_post_ids
    for pid in changes.removed_comment_ids:
        assert find(pid)[0] == "removed"
    for pid in changes.removed_post_ids:
        assert find(pid)[0] == "removed"
    for pid in changes.edited_post_ids:
        status, versions, _ = find(pid)
        assert status in ("edited", "removed") and versions >= 2
        if pid not in changes.initially_edited_post_ids:
            assert versions == 2
    removed_total = sum(a.counts["removed"] for a in second.accounts)
    assert removed_total >= len(changes.removed_comment_ids)
    assert sum(a.counts["removed"] for a in first.accounts) == 0
    with Catalog(archive.catalog_path) as catalog:
        removed = catalog.find(changes.removed_comment_ids[0])
        assert removed.removed_job == second.job_id
        assert [e["event"] for e in catalog.events(removed.id)] == ["new", "removed"]
        assert catalog.versions(removed.id)  # its content stays in the archive


def test_token_never_reaches_warcs_manifests_or_catalog(tmp_path: Path,
                                                        platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    everything = every_byte(archive.root)
    for token in TOKENS.values():
        assert token.encode() not in everything
    assert b"Authorization: SCRUBBED" in everything
    assert b"Civicrecords-Scrubbed: authorization" in everything


def test_faults_are_retried_to_the_same_items(tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.35, kinds=("429", "500", "503", "reset", "truncate", "slow"),
                     max_per_url=2, seed=11, retry_after=3, slow_seconds=0.05,
                     paths=("/api/", "/system/"))
    with SamplePlatform(posts=40, token=TOKENS["LAKESIDE_MASTODON_TOKEN"]) as clean_server:
        clean = sample_archive(tmp_path, clean_server, sample_env(tmp_path / "c"), "clean")
        run_capture(clean)
    env = sample_env(tmp_path / "f")
    with SamplePlatform(posts=40, token=TOKENS["LAKESIDE_MASTODON_TOKEN"],
                        faults=plan) as faulty_server:
        faulty = sample_archive(tmp_path, faulty_server, env, "faulty")
        result = run_capture(faulty)
        stats = faulty_server.stats()
    assert not result.gaps
    assert sum(a.counts["retries"] for a in result.accounts) > 10
    assert stats  # the server saw faulted requests
    assert env.sleep.calls and 3 in [round(c) for c in env.sleep.calls]  # Retry-After honoured
    clean_state = {ref: (v[0], v[2]) for ref, v in _state(clean).items()}
    faulty_state = {ref: (v[0], v[2]) for ref, v in _state(faulty).items()}
    assert faulty_state == clean_state
    assert verify_archive(faulty.root, faulty.public_key_pem()).ok


def test_permanent_failure_is_a_gap_and_blocks_false_removals(tmp_path: Path,
                                                              platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    post = next(platform.world.posts(platform.world.city))
    platform.set_faults(FaultPlan(permanent={f"/api/v1/statuses/{post.id}/context": "503"}))
    platform.set_state("later")
    result = run_capture(archive, ["lakeside-mastodon"], full=True)
    assert [g.url.endswith(f"/statuses/{post.id}/context") for g in result.gaps] == [True]
    assert "503" in result.gaps[0].reason and result.gaps[0].attempts > 1
    manifest = load_manifest(archive.root / result.manifest)
    assert manifest["gaps"][0]["scope"] == f"thread:{post.id}"
    state = _state(archive)
    for comment in platform.world.comments_of(post, "initial"):
        ref = f"mastodon:lakeside-mastodon:{comment.id}"
        if ref in state:
            assert state[ref][0] != "removed"  # an incomplete walk proves nothing


def test_second_job_cannot_run_while_one_holds_the_archive(tmp_path: Path,
                                                           platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    with archive.lock("another job"), pytest.raises(ArchiveLockedError, match="another job"):
        run_capture(archive)
    run_capture(archive)  # and once it is released the job runs


def test_flipping_one_byte_anywhere_fails_verify_naming_the_file(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    targets = [*_warcs(archive), *sorted(archive.manifests_dir.glob("*.json")),
               *sorted(archive.manifests_dir.glob("*.sig")), archive.manifests_dir / "chain.jsonl",
               archive.root / "audit.jsonl"]
    for target in targets:
        original = target.read_bytes()
        position = len(original) // 2
        flipped = original[:position] + bytes([original[position] ^ 0x01]) + original[position + 1:]
        target.write_bytes(flipped)
        try:
            report = verify_archive(archive.root, archive.public_key_pem())
            relative = target.relative_to(archive.root).as_posix()
            assert not report.ok, relative
            assert any(relative in (p.path or "") or (p.path or "") in relative
                       for p in report.problems), (relative, report.problems)
        finally:
            target.write_bytes(original)
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_incremental_capture_fetches_only_what_is_new(tmp_path: Path,
                                                      platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    first = run_capture(archive)
    assert {a.mode for a in first.accounts} == {"full"}  # never swept before: full
    platform.set_state("later")
    second = run_capture(archive)
    assert {a.mode for a in second.accounts} == {"incremental"}
    changes = platform.world.changes()
    state = _state(archive)
    for pid in changes.new_post_ids:
        assert any(ref.endswith(":" + pid) for ref in state)
    assert sum(a.counts["requests"] for a in second.accounts) < \
        sum(a.counts["requests"] for a in first.accounts) / 3
    third = run_capture(archive, full=True)
    assert sum(a.counts["removed"] for a in third.accounts) >= len(changes.removed_comment_ids)
    with Catalog(archive.catalog_path) as catalog:
        reasons = {catalog.find(pid).removed_reason for pid in changes.removed_comment_ids}
    assert reasons == {"deleted"}  # the server answered 404 when asked


def test_repeated_media_bytes_are_stored_once_per_file_set(tmp_path: Path,
                                                           platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    revisits = 0
    for path in _warcs(archive):
        records = warc_reader.parse(path)
        responses = {r.headers["WARC-Record-ID"]: r for r in records
                     if r.headers["WARC-Type"] == "response"}
        for record in records:
            if record.headers["WARC-Type"] != "revisit":
                continue
            revisits += 1
            original = responses[record.headers["WARC-Refers-To"]]  # same file set
            assert record.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
            assert record.headers["WARC-Profile"].endswith("identical-payload-digest")
            assert b"\r\n\r\n" in record.block and len(record.block) < 2000  # head only
    assert revisits, "the sample world reuses images; the second copies must be revisits"
    with Catalog(archive.catalog_path) as catalog:
        for row in catalog.iter_items("kind='media'"):
            file = catalog.latest(row).item().extra.get("file")
            if file:
                assert catalog.record(file["record_id"]).type == "response"


def test_items_are_found_by_bare_id_even_with_colons(tmp_path: Path) -> None:
    archive = Archive.create(tmp_path / "a", sample_env(tmp_path))
    with Catalog(archive.catalog_path) as catalog:
        catalog.execute("INSERT INTO items (platform, account, platform_id, kind) VALUES "
                        "('bluesky', 'city', 'at://did:plc:abc/app.bsky.feed.post/1', 'post')")
        assert catalog.find("at://did:plc:abc/app.bsky.feed.post/1").account == "city"
        assert catalog.find("bluesky:city:at://did:plc:abc/app.bsky.feed.post/1").kind == "post"
        assert catalog.find("city:at://did:plc:abc/app.bsky.feed.post/1").kind == "post"


def test_the_citys_own_replies_belong_to_the_conversation(tmp_path: Path,
                                                          platform: SamplePlatform) -> None:
    archive = sample_archive(tmp_path, platform, sample_env(tmp_path))
    run_capture(archive)
    world = platform.world
    own_replies = [(post, reply) for post in world.posts(world.city)
                   for reply in world.comments_of(post) if reply.account.id == world.city.id]
    assert own_replies
    with Catalog(archive.catalog_path) as catalog:
        for post, reply in own_replies:
            row = catalog.find(f"mastodon:lakeside-mastodon:{reply.id}")
            assert (row.kind, row.thread_id, row.parent_id) == ("post", post.id,
                                                                reply.in_reply_to_id)
            conversation = catalog.thread(catalog.find(f"mastodon:lakeside-mastodon:{post.id}"))
            assert reply.id in {r.platform_id for r in conversation}
    run_capture(archive, full=False)  # an incremental pass keeps what it knew
    with Catalog(archive.catalog_path) as catalog:
        for post, reply in own_replies:
            assert catalog.find(f"mastodon:lakeside-mastodon:{reply.id}").thread_id == post.id
