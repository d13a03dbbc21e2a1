"""``civicrecords listen``: Meta's webhook handshake, signature checks, and notifications
archived at once through the normal signed capture path — over loopback, for real."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.listen import NOTIFICATION_SCHEMA, Listener, change_targets
from civicrecords.archiver.sample.instagram import ig_user_id
from civicrecords.archiver.sample.meta import APP_SECRET
from civicrecords.archiver.sample.meta_webhooks import (
    deliver_webhook,
    instagram_comment_change,
    page_comment_change,
    page_message_event,
    page_post_change,
)
from civicrecords.archiver.sample.model import Item
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.demo import DEMO_TOKEN
from civicrecords.errors import ConfigError, NotFoundError
from civicrecords.integrity.verify import verify_archive
from tests.archiver.meta_support import meta_env
from tests.support import warc_reader
from tests.support.sample_archive import every_byte

VERIFY_TOKEN = "verify-me-7f3e"


@pytest.fixture
def platform() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=60, token=DEMO_TOKEN) as server:
        yield server


def listen_archive(tmp: Path, platform: SamplePlatform, *, accounts: str = "[]") -> Archive:
    world = platform.world
    config = (
        f'[[accounts]]\nname = "lakeside-facebook"\nplatform = "facebook"\n'
        f'api_base = "{platform.base_url}/v21.0"\naccount_id = "{world.city.id}"\n'
        f'token_env = "LAKESIDE_FB_TOKEN"\n\n'
        f'[[accounts]]\nname = "lakeside-instagram"\nplatform = "instagram"\n'
        f'api_base = "{platform.base_url}/instagram/v21.0"\n'
        f'account_id = "{ig_user_id(world.city)}"\ntoken_env = "LAKESIDE_FB_TOKEN"\n\n')
    env = meta_env(tmp, META_VERIFY_TOKEN=VERIFY_TOKEN)
    archive = Archive.create(tmp / "archive", env, name="City of Lakeside", extra_config=config)
    text = archive.config_path.read_text(encoding="utf-8")
    text = text.replace("\nretry_seconds = 5.0", "\nretry_seconds = 0.2", 1)
    text = text.replace("\naccounts = []", f"\naccounts = {accounts}", 1)
    archive.config_path.write_text(text, encoding="utf-8")
    return Archive.open(archive.root, env)


@pytest.fixture
def setup(tmp_path: Path, platform: SamplePlatform) -> Iterator[tuple[Archive, Listener,
                                                                     list[str]]]:
    archive = listen_archive(tmp_path, platform)
    log: list[str] = []
    listener = Listener.from_archive(archive, log=log.append)
    with listener.start(port=0):
        yield archive, listener, log


def wait_for(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except NotFoundError:
            found = None
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def find(archive: Archive, ref: str) -> ItemRow | None:
    with Catalog(archive.catalog_path) as catalog:
        return catalog.find(ref)


def commented_post(world: Any, predicate: Callable[[Item], bool]) -> tuple[Item, Item]:
    for post in world.posts(world.city):
        if post.visibility != "public":
            continue
        for comment in world.comments_of(post):
            if predicate(comment):
                return post, comment
    raise AssertionError("the sample world has no such comment")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_subscription_handshake_echoes_the_challenge_only_for_the_right_token(
        setup: tuple[Archive, Listener, list[str]]) -> None:
    _archive, listener, log = setup
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444"}
    assert get(f"{listener.url}?{urlencode(good)}") == (200, b"1158201444")
    for wrong in ({**good, "hub.verify_token": "guess"}, {**good, "hub.mode": "unsubscribe"},
                  {k: v for k, v in good.items() if k != "hub.verify_token"}):
        assert get(f"{listener.url}?{urlencode(wrong)}")[0] == 403
    assert get(listener.url.replace("/webhooks/meta", "/other"))[0] == 404
    assert sum("subscription verified" in line for line in log) == 1
    assert not any(VERIFY_TOKEN in line or "guess" in line for line in log)


def test_forged_notifications_are_rejected_logged_and_never_captured(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    archive, listener, log = setup
    _post, comment = commented_post(platform.world, lambda c: True)
    payload = page_comment_change(platform.world, comment)
    body = json.dumps(payload, separators=(",", ":")).encode()
    forged = {
        "no signature": "",
        "wrong secret": deliver_signature("not-the-secret", body),
        "sha1 instead": "sha1=" + "0" * 40,
        "garbage": "sha256=zz",
    }
    for signature in forged.values():
        status, _ = deliver_webhook(listener.url, payload, APP_SECRET, signature=signature)
        assert status == 403
    tampered = dict(payload, object="page ")  # signed body differs from what is sent
    status, _ = deliver_webhook(listener.url, tampered, APP_SECRET,
                                signature=deliver_signature(APP_SECRET, body))
    assert status == 403
    rejected = [line for line in log if "rejected" in line]
    assert len(rejected) == 5 and all("X-Hub-Signature-256" in line for line in rejected)
    assert not any(APP_SECRET in line for line in log)
    time.sleep(0.3)
    assert not listener.jobs and not list(listener.inbox.directory.glob("*.json"))
    with Catalog(archive.catalog_path) as catalog:
        assert catalog.count_items() == 0


def deliver_signature(secret: str, body: bytes) -> str:
    import hashlib
    import hmac
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_signed_comment_notification_is_archived_at_once(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    archive, listener, _log = setup
    world = platform.world
    post, comment = commented_post(world, lambda c: world.item(c.root_id).media != ())
    started = time.monotonic()
    status, body = deliver_webhook(listener.url, page_comment_change(world, comment),
                                   APP_SECRET)
    assert (status, body) == (200, b"EVENT_RECEIVED")
    row = wait_for(lambda: find(archive, f"{post.id}_{comment.id}"))
    elapsed = time.monotonic() - started
    assert wait_for(lambda: listener.jobs)
    print(f"notification to archived comment: {elapsed * 1000:.0f} ms")
    assert row is not None and row.kind == "comment" and row.author == \
        comment.account.display_name
    post_row = find(archive, f"{world.city.id}_{post.id}")
    assert post_row is not None and post_row.kind == "post"  # its post came along
    job = listener.jobs[-1]
    assert [a.mode for a in job.accounts] == ["targeted"] and not job.gaps
    records = [r for path in sorted(archive.warcs_dir.rglob("*.warc.gz"))
               for r in warc_reader.parse(path)]
    notes = [json.loads(r.block) for r in records if r.headers["WARC-Type"] == "metadata"
             and r.headers["WARC-Target-URI"].startswith("urn:civicrecords:webhook:")]
    assert [n["schema"] for n in notes] == [NOTIFICATION_SCHEMA]
    assert notes[0]["payload"]["entry"][0]["changes"][0]["value"]["message"] == comment.text
    assert notes[0]["signature"].startswith("sha256=") and notes[0]["signature_checked"]
    assert verify_archive(archive.root, archive.public_key_pem()).ok
    everything = every_byte(archive.root)
    for secret in (DEMO_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret.encode() not in everything


def test_a_comment_removed_between_two_notifications_stays_archived(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    archive, listener, _log = setup
    world = platform.world
    removed = set(world.changes().removed_comment_ids)
    post, comment = commented_post(world, lambda c: c.id in removed)
    deliver_webhook(listener.url, page_comment_change(world, comment), APP_SECRET)
    ref = f"{post.id}_{comment.id}"
    assert wait_for(lambda: find(archive, ref)) and wait_for(lambda: len(listener.jobs) == 1)
    platform.set_state("later")  # the commenter deletes it minutes later
    deliver_webhook(listener.url, page_comment_change(world, comment, "remove"), APP_SECRET)
    assert wait_for(lambda: len(listener.jobs) == 2)
    with Catalog(archive.catalog_path) as catalog:
        row = catalog.find(ref)
        assert (row.status, row.removed_reason) == ("removed", "deleted")
        assert catalog.versions(row.id)[0].item().text == comment.text  # still archived


def test_a_comment_deleted_before_it_was_fetched_leaves_the_notification_and_a_gap(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    archive, listener, _log = setup
    world = platform.world
    removed = set(world.changes().removed_comment_ids)
    _post, comment = commented_post(world, lambda c: c.id in removed)
    platform.set_state("later")
    deliver_webhook(listener.url, page_comment_change(world, comment), APP_SECRET)
    assert wait_for(lambda: listener.jobs)
    gaps = listener.jobs[-1].gaps
    assert len(gaps) == 1 and "deleted before it could be fetched" in gaps[0].reason
    assert comment.text.encode() in every_byte(archive.root)  # what Meta said it was


def test_instagram_comments_and_page_messages_are_archived(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    archive, listener, _log = setup
    world = platform.world
    media = next(p for p in world.posts(world.city) if p.visibility == "public" and any(
        m.kind == "image" for m in p.media) and world.comments_of(p))
    comment = world.comments_of(media)[0]
    message = next(m for m in world.messages(account=world.city)
                   if world.conversation(m.conversation).city == 0 and m.account.index > 1)
    deliver_webhook(listener.url, instagram_comment_change(world, comment), APP_SECRET)
    deliver_webhook(listener.url, page_message_event(world, message), APP_SECRET)
    ig = wait_for(lambda: find(archive, f"instagram:lakeside-instagram:{comment.id}"))
    assert ig is not None and ig.author == comment.account.username
    assert ig.parent_id == media.id or ig.thread_id == media.id
    mid = platform.facebook.inbox.message_id(message)
    dm = wait_for(lambda: find(archive, f"facebook:lakeside-facebook:{mid}"))
    assert dm is not None and dm.kind == "message" and dm.thread_id
    assert dm.thread_id == platform.facebook.inbox.thread_id(world, message.conversation)


def test_notifications_wait_for_a_busy_archive_and_survive_a_restart(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive = listen_archive(tmp_path, platform)
    world = platform.world
    post = next(p for p in world.posts(world.city) if p.visibility == "public")
    log: list[str] = []
    with archive.lock("a scheduled capture"):
        with Listener.from_archive(archive, log=log.append).start(port=0) as listener:
            status, _ = deliver_webhook(listener.url, page_post_change(world, post),
                                        APP_SECRET)
            assert status == 200
            assert wait_for(lambda: any("archive busy" in line for line in log))
        kept = list(listener.inbox.directory.glob("*.json"))
        assert len(kept) == 1  # nothing lost while the listener was down
    with Listener.from_archive(archive, log=log.append).start(port=0) as again:
        assert wait_for(lambda: again.jobs)  # leftovers are captured at start
    assert find(archive, f"{world.city.id}_{post.id}") is not None
    assert not list(again.inbox.directory.glob("*.json"))


def test_notifications_for_other_accounts_or_objects_are_ignored(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    _archive, listener, log = setup
    import threading

    assert sum(t.name == "listen-worker" for t in threading.enumerate()) == 1
    world = platform.world
    other = world.posts(world.mayor)
    payload = page_post_change(world, next(other))
    assert deliver_webhook(listener.url, payload, APP_SECRET)[0] == 200
    reaction = {"object": "page", "entry": [{"id": world.city.id, "time": 1, "changes": [
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1_2"}}]}]}
    assert change_targets(reaction) == []
    assert deliver_webhook(listener.url, reaction, APP_SECRET)[0] == 200
    assert wait_for(lambda: sum("ignored notification" in line for line in log) == 2), \
        "\n".join(log)
    assert not listener.jobs


def test_listen_refuses_to_start_without_what_it_needs(tmp_path: Path,
                                                       platform: SamplePlatform) -> None:
    archive = listen_archive(tmp_path, platform, accounts='["nobody"]')
    with pytest.raises(ConfigError, match="no account named nobody"):
        Listener.from_archive(archive, log=print)
    archive = listen_archive(tmp_path / "b", platform)
    archive.env.variables = {k: v for k, v in archive.env.variables.items()
                             if k != "META_APP_SECRET"}
    with pytest.raises(ConfigError, match=r"\$META_APP_SECRET"):
        Listener.from_archive(archive, log=print)


def test_the_listen_command_serves_until_sigterm_and_exits_zero(
        tmp_path: Path, platform: SamplePlatform) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys

    archive = listen_archive(tmp_path, platform)
    world = platform.world
    post = next(p for p in world.posts(world.city) if p.visibility == "public")
    env = {**os.environ, **archive.env.variables,
           "CIVICRECORDS_CONFIG_DIR": str(archive.env.user_config_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "civicrecords", "--archive", str(archive.root), "listen",
         "--port", "0"], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = re.search(r"on (http://\S+)", line)
        assert url, line
        assert deliver_webhook(url.group(1), page_post_change(world, post), APP_SECRET)[0] == 200
        found = wait_for(lambda: find(archive, f"{world.city.id}_{post.id}"), 60)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert found, err
    assert process.returncode == 0, err
    assert "stopped after 1 capture job(s)" in err
    assert not any(s in err for s in (APP_SECRET, VERIFY_TOKEN, DEMO_TOKEN))


def test_the_listen_command_without_the_app_secret_is_a_one_line_config_error(
        tmp_path: Path, platform: SamplePlatform) -> None:
    from civicrecords.cli.main import run
    from civicrecords.errors import ExitStatus

    archive = listen_archive(tmp_path, platform)
    env = archive.env
    env.variables = {k: v for k, v in env.variables.items() if k != "META_APP_SECRET"}
    status = run(["--archive", str(archive.root), "listen"], env)
    assert status == ExitStatus.CONFIG
    assert env.stderr.getvalue() == "error: listen needs the Meta app secret in " \
        "$META_APP_SECRET\n"  # type: ignore[attr-defined]


def test_an_instagram_comment_deleted_after_its_notification_stays_archived(
        setup: tuple[Archive, Listener, list[str]], platform: SamplePlatform) -> None:
    from civicrecords.archiver.job import run_capture
    from civicrecords.archiver.sample.meta import media_post

    archive, listener, _log = setup
    world = platform.world
    comment = next(world.item(c) for c in world.changes().removed_comment_ids
                   if world.item(world.item(c).root_id).account.index == 0
                   and world.item(world.item(c).root_id).visibility == "public"
                   and media_post(world, world.item(c).thread))
    deliver_webhook(listener.url, instagram_comment_change(world, comment), APP_SECRET)
    ref = f"instagram:lakeside-instagram:{comment.id}"
    assert wait_for(lambda: find(archive, ref)) and wait_for(lambda: listener.jobs)
    platform.set_state("later")  # deleted; Instagram sends no notification for that
    listener.stop()
    run_capture(archive, ["lakeside-instagram"], full=True)
    with Catalog(archive.catalog_path) as catalog:
        row = catalog.find(ref)
        assert (row.status, row.removed_reason) == ("removed", "deleted")
        assert catalog.versions(row.id)[0].item().text == comment.text
