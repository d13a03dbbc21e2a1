"""A killed job leaves an archive that verifies, and the next job repairs and completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.recovery import recover
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.archiver.warc import Block, WarcFileSet
from civicrecords.catalog import Catalog
from civicrecords.integrity.manifest import chain_entries, describe_file, stage
from civicrecords.integrity.verify import verify_archive
from civicrecords.model import ITEM_SCHEMA
from tests.support.sample_archive import TOKENS, sample_archive, sample_env


def test_kill_during_capture_then_next_job_completes(tmp_path: Path) -> None:
    slow = FaultPlan(rate=1.0, kinds=("slow",), max_per_url=1, slow_seconds=0.03,
                     paths=("/api/",))
    with SamplePlatform(posts=80, token=TOKENS["LAKESIDE_MASTODON_TOKEN"],
                        faults=slow) as platform:
        env = sample_env(tmp_path)
        archive = sample_archive(tmp_path, platform, env)
        child_env = {**os.environ, **TOKENS, "CIVICRECORDS_CONFIG_DIR": str(env.config_dir),
                     "CIVICRECORDS_ARCHIVE": str(archive.root)}
        process = subprocess.Popen([sys.executable, "-m", "civicrecords", "capture"],
                                   env=child_env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = list(archive.warcs_dir.rglob(".*.part"))
            if parts and parts[0].stat().st_size > 20_000:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert list(archive.warcs_dir.rglob(".*.part")), "the job was killed mid-capture"
        report = verify_archive(archive.root, archive.public_key_pem())
        assert report.ok and any("interrupted" in note for note in report.notes)
        platform.set_faults(None)
        result = run_capture(archive)
    assert result.recovery.deleted_parts
    assert not list(archive.warcs_dir.rglob(".*.part"))
    assert verify_archive(archive.root, archive.public_key_pem()).ok
    assert [e["job_id"] for e in chain_entries(archive.root)] == [result.job_id]


def _staged_job(archive: Archive, job_id: str) -> Path:
    started = datetime(2026, 11, 1, tzinfo=UTC)
    warcs = WarcFileSet(archive.root, job_id=job_id, account="acct", started=started,
                        max_bytes=10**9, info={}, now=lambda: started)
    body = (b'{"schema": "%s", "observed": "current", "job_id": "%s", "scope": "timeline",'
            b' "captured_at": "2026-11-01T00:00:00Z", "item": {"platform": "mastodon",'
            b' "account": "acct", "platform_id": "42", "kind": "post", "text": "hello"}}'
            % (ITEM_SCHEMA.encode(), job_id.encode()))
    warcs.write("metadata", Block.from_bytes(body), date=started,
                content_type="application/json", target_uri="https://example.org/42")
    warcs.close_current()
    part = warcs.part_files()[0]
    entry = describe_file(archive.root, part)
    final = warcs.files[0].relative_to(archive.root).as_posix()
    stage(archive.root, {"job_id": job_id, "kind": "capture",
                         "files": [{**entry.to_dict(), "path": final}]},
          archive.private_key())
    return part


def test_staged_job_is_rolled_forward(archive: Archive) -> None:
    _staged_job(archive, "20261101T000000Z-aaaaaa")
    with Catalog(archive.catalog_path) as catalog:
        report = recover(archive, catalog)
        assert report.completed == ["20261101T000000Z-aaaaaa"]
        assert report.replayed == ["20261101T000000Z-aaaaaa"]
        assert catalog.find("42").status == "live"
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_staged_job_with_a_missing_file_is_discarded(archive: Archive) -> None:
    part = _staged_job(archive, "20261101T000000Z-bbbbbb")
    part.unlink()
    with Catalog(archive.catalog_path) as catalog:
        report = recover(archive, catalog)
    assert report.discarded == ["20261101T000000Z-bbbbbb"]
    assert chain_entries(archive.root) == []
    assert verify_archive(archive.root, archive.public_key_pem()).ok
