"""Object Lock, legal holds, remote verify and restore against a real S3 server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend, search
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.upload import open_bucket, upload_archive
from tests.storage.conftest import storage_env, with_storage
from tests.support.seaweed import SeaweedServer


def cli(env: Environment, archive: Path, *args: str) -> tuple[int, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive), *args], env)
    return status, env.stdout.getvalue() + env.stderr.getvalue()


def legal_hold(client: object, bucket: str, key: str, version: str) -> str:
    """The S3 legal hold status of one version ('OFF' when it never had one)."""
    try:
        reply = client.get_object_legal_hold(Bucket=bucket, Key=key,  # type: ignore[attr-defined]
                                             VersionId=version)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchObjectLegalHold":
            return "OFF"
        raise
    return reply["LegalHold"]["Status"]


def warcs(archive: Archive) -> list[str]:
    state = Ledger(archive.root, archive.env).state()
    return sorted(p for p in state.stored if p.startswith("warcs/"))


def test_check_refuses_a_bucket_without_object_lock(tmp_path: Path, captured: dict,
                                                     seaweed: SeaweedServer) -> None:
    env = storage_env(seaweed, captured["config_dir"])
    plain = with_storage(captured["archive"], tmp_path / "a", env,
                         seaweed.new_bucket(locked=False))
    status, out = cli(env, plain.root, "storage", "check")
    assert status == 8 and "Object Lock is not enabled" in out
    status, out = cli(env, plain.root, "storage", "upload")
    assert status == 8 and "refusing" in out
    assert Ledger(plain.root, env).state().stored == {}
    assert cli(env, plain.root, "storage", "check", "--allow-unlocked")[0] == 0


def test_create_bucket_makes_a_locked_versioned_bucket_once(tmp_path: Path, captured: dict,
                                                            seaweed: SeaweedServer) -> None:
    env = storage_env(seaweed, captured["config_dir"])
    name = f"new-{tmp_path.name[-20:].lower().replace('_', '-')}"
    archive = with_storage(captured["archive"], tmp_path / "a", env, name)
    status, out = cli(env, archive.root, "storage", "create-bucket")
    assert status == 0 and f"s3://{name}: created" in out and "ready" in out, out
    client = seaweed.client()
    lock = client.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert client.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert cli(env, archive.root, "storage", "check")[0] == 0
    status, out = cli(env, archive.root, "storage", "create-bucket", "--format", "json")
    assert status == 0 and json.loads(out)["created"] is False and json.loads(out)["ok"]
    assert cli(env, archive.root, "storage", "upload")[0] == 0  # a usable bucket
    assert [e for e in archive.audit.entries() if e["action"] == "storage.create_bucket"]


def test_create_bucket_refuses_an_existing_bucket_without_object_lock(
        tmp_path: Path, captured: dict, seaweed: SeaweedServer) -> None:
    env = storage_env(seaweed, captured["config_dir"])
    plain = with_storage(captured["archive"], tmp_path / "a", env,
                         seaweed.new_bucket(locked=False))
    status, out = cli(env, plain.root, "storage", "create-bucket")
    assert status == 8 and "already exists" in out and "Object Lock is not enabled" in out


def test_locked_versions_cannot_be_deleted_and_legal_hold_follows_holds(
        stored_archive: Archive, seaweed: SeaweedServer) -> None:
    env = stored_archive.env
    assert cli(env, stored_archive.root, "storage", "check")[0] == 0
    status, out = cli(env, stored_archive.root, "storage", "upload")
    assert status == 0, out
    bucket = open_bucket(stored_archive)
    client = seaweed.client()
    state = Ledger(stored_archive.root, env).state()
    first = warcs(stored_archive)[0]
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket.name, Key=bucket.key(first),
                             VersionId=state.stored[first]["version_id"])
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "ObjectLocked")

    status, out = cli(env, stored_archive.root, "hold", "add", "smith-v-lakeside",
                      "--accounts", "lakeside-mayor", "--note", "suit")
    assert status == 0 and "S3 legal hold on" in out, out  # the bucket follows at once
    state = Ledger(stored_archive.root, env).state()
    held = sorted(p for p, e in state.holds.items() if e["status"] == "ON")
    assert held and all("lakeside-mayor" in p for p in held)
    for path in warcs(stored_archive):
        status_on = legal_hold(client, bucket.name, bucket.key(path),
                               state.stored[path]["version_id"])
        assert status_on == ("ON" if path in held else "OFF")
    with pytest.raises(ClientError):
        client.delete_object(Bucket=bucket.name, Key=bucket.key(held[0]),
                             VersionId=state.stored[held[0]]["version_id"])
    assert cli(env, stored_archive.root, "hold", "release", "smith-v-lakeside",
               "--reason", "settled")[0] == 0
    for path in held:
        assert legal_hold(client, bucket.name, bucket.key(path),
                          state.stored[path]["version_id"]) == "OFF"


def test_remote_verify_finds_missing_altered_and_extra_objects(
        stored_archive: Archive, seaweed: SeaweedServer) -> None:
    env = stored_archive.env
    upload_archive(stored_archive)
    status, out = cli(env, stored_archive.root, "verify", "--remote")
    assert status == 0, out
    bucket = open_bucket(stored_archive)
    client = seaweed.client()
    gone, changed = warcs(stored_archive)[:2]
    client.delete_object(Bucket=bucket.name, Key=bucket.key(gone))
    client.put_object(Bucket=bucket.name, Key=bucket.key(changed), Body=b"not the record")
    client.put_object(Bucket=bucket.name, Key=bucket.key("warcs/planted.warc.gz"), Body=b"x")
    status, out = cli(env, stored_archive.root, "verify", "--remote", "--format", "json")
    assert status == 3
    import json

    problems = {(p["kind"], p["path"]) for p in json.loads(out[:out.rindex("}") + 1])["problems"]}
    assert ("missing", bucket.url(gone)) in problems
    assert ("size", bucket.url(changed)) in problems
    assert ("extra", bucket.url("warcs/planted.warc.gz")) in problems
    # same size, different bytes: only the SHA-256 tells
    original = (stored_archive.root / changed).read_bytes()
    client.put_object(Bucket=bucket.name, Key=bucket.key(changed),
                      Body=bytes([original[0] ^ 1]) + original[1:])
    status, out = cli(env, stored_archive.root, "verify", "--remote", "--format", "json")
    assert status == 3 and '"altered"' in out and bucket.url(changed) in out
    assert cli(env, stored_archive.root, "verify")[0] == 0  # the local archive is intact


def _results(archive: Archive, text: str) -> list[tuple[str, str]]:
    backend = open_backend(archive.root, archive.config)
    try:
        with Catalog(archive.catalog_path) as catalog:
            found = search(catalog, backend, SearchQuery(text=text, limit=500,
                                                         sort="newest"), archive.audit)
    finally:
        backend.close()
    return [(row.item.ref, row.version.content_hash) for row in found.rows]


def test_restore_into_an_empty_directory_gives_identical_search_results(
        stored_archive: Archive, seaweed: SeaweedServer, tmp_path: Path) -> None:
    upload_archive(stored_archive)
    bucket = open_bucket(stored_archive)
    client = seaweed.client()
    overwritten = warcs(stored_archive)[0]
    client.put_object(Bucket=bucket.name, Key=bucket.key(overwritten), Body=b"vandalised")
    fresh = storage_env(seaweed, tmp_path / "other-machine")
    target = tmp_path / "restored"
    fresh.stdout, fresh.stderr = io.StringIO(), io.StringIO()
    status = run(["restore", f"s3://{bucket.name}/lakeside", str(target),
                  "--addressing-style", "path"], fresh)
    assert status == 0, fresh.stdout.getvalue() + fresh.stderr.getvalue()
    assert "restored the original version" in fresh.stderr.getvalue()
    restored = Archive.open(target, fresh)
    assert (target / overwritten).read_bytes() == (stored_archive.root / overwritten).read_bytes()
    for query in ("*", "snow", "park OR library"):
        assert _results(restored, query) == _results(stored_archive, query)
    assert cli(fresh, target, "verify")[0] == 0
    again = upload_archive(restored)
    assert again.stored == [] and again.adopted == []


def test_restore_refuses_a_non_empty_directory(stored_archive: Archive,
                                               seaweed: SeaweedServer, tmp_path: Path) -> None:
    upload_archive(stored_archive)
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    env = storage_env(seaweed, tmp_path / "cfg")
    status = run(["restore", f"s3://{open_bucket(stored_archive).name}/lakeside", str(target)],
                 env)
    assert status == 6 and (target / "keep.txt").read_text() == "mine"
