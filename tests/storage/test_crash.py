"""A storage upload killed mid-way, then rerun: every file stored once, verified."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from warcio.warcwriter import WARCWriter

from civicrecords.archive import Archive
from civicrecords.integrity.manifest import (
    chain_entries,
    commit,
    describe_file,
    load_manifest,
    stage,
)
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.upload import open_bucket, upload_archive
from tests.storage.conftest import storage_env, with_storage
from tests.support.seaweed import SeaweedServer


def add_big_warc(archive: Archive, megabytes: int) -> str:
    """Commit a job whose one WARC holds a ``megabytes`` random resource record."""
    relative = "warcs/2026/01/20260101T000000Z-bigbig-lakeside-mastodon-00001.warc.gz"
    path = archive.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        record = writer.create_warc_record("urn:test:big", "resource",
                                           payload=_random(megabytes * 1024 * 1024),
                                           warc_content_type="application/octet-stream")
        writer.write_record(record)
    staged = stage(archive.root, {
        "job_id": "20260101T000000Z-bigbig", "kind": "capture",
        "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:01Z",
        "operator": "test", "accounts": [], "gaps": [],
        "files": [describe_file(archive.root, path).to_dict()]}, archive.private_key())
    commit(archive.root, staged)
    return relative


def _random(size: int) -> io.BytesIO:
    return io.BytesIO(os.urandom(size))


def test_killed_upload_resumes_and_stores_every_file_once(
        tmp_path: Path, captured: dict, seaweed: SeaweedServer) -> None:
    env = storage_env(seaweed, captured["config_dir"])
    archive = with_storage(captured["archive"], tmp_path / "a", env, seaweed.new_bucket(),
                           part_size_mb=5, multipart_threshold_mb=5, upload_threads=1,
                           max_upload_mb_per_second=10)
    big = add_big_warc(archive, 24)
    child_env = {**os.environ, **env.variables, "CIVICRECORDS_CONFIG_DIR": str(env.config_dir),
                 "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-m", "civicrecords", "--archive",
                              str(archive.root), "storage", "upload"], env=child_env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ledger = Ledger(archive.root, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        journals = ledger.journals()
        if journals and len(journals[0]["parts"]) >= 2:
            break
        assert child.poll() is None, child.stdout.read()  # type: ignore[union-attr]
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    interrupted = ledger.journals()
    assert interrupted and interrupted[0]["path"] == big
    assert big not in ledger.state().stored

    report = upload_archive(archive)  # the rerun, without the bandwidth cap's sleeps
    assert not report.problems
    state = ledger.state()
    bucket = open_bucket(archive)
    client = seaweed.client()
    assert ledger.journals() == []
    assert not client.list_multipart_uploads(Bucket=bucket.name).get("Uploads")
    for entry in chain_entries(archive.root):
        listed = load_manifest(archive.root / entry["manifest"])["files"]
        for path in [entry["manifest"], *(f["path"] for f in listed)]:
            versions = client.list_object_versions(Bucket=bucket.name, Prefix=bucket.key(path))
            mine = [v for v in versions.get("Versions", []) if v["Key"] == bucket.key(path)]
            assert len(mine) == 1, path
            assert state.stored[path]["version_id"] == mine[0]["VersionId"]
    body = client.get_object(Bucket=bucket.name, Key=bucket.key(big))["Body"].read()
    assert body == (archive.root / big).read_bytes()
    size = (archive.root / big).stat().st_size
    assert state.stored[big]["parts"] == -(-size // (5 * 1024 * 1024))
