"""Manifests: signed, chained, committed crash-safely; the audit chain detects edits."""

from __future__ import annotations

import json
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.integrity import signing
from civicrecords.integrity.jsonlines import append_chained, verify_chain
from civicrecords.integrity.manifest import (
    chain_entries,
    commit,
    describe_file,
    load_manifest,
    pending_manifests,
    stage,
)
from civicrecords.integrity.verify import verify_archive


def _job(archive: Archive, job_id: str, payload: bytes) -> None:
    path = archive.warcs_dir / f"{job_id}.warc.gz"
    path.write_bytes(payload)
    entry = describe_file(archive.root, path)
    staged = stage(archive.root, {"job_id": job_id, "files": [entry.to_dict()]},
                   archive.private_key())
    commit(archive.root, staged)


def test_manifests_chain_and_signatures_verify(archive: Archive) -> None:
    _job(archive, "job-1", b"first")
    _job(archive, "job-2", b"second")
    entries = chain_entries(archive.root)
    assert [e["job_id"] for e in entries] == ["job-1", "job-2"]
    second = load_manifest(archive.root / entries[1]["manifest"])
    assert second["previous"] == {"job_id": "job-1", "sha256": entries[0]["sha256"], "seq": 1}
    assert second["files"][0]["md5"] == "a9f0e61a137d86aa9db53465e0801612"  # md5("second")
    data = (archive.root / entries[1]["manifest"]).read_bytes()
    signature = (archive.root / (entries[1]["manifest"] + ".sig")).read_bytes()
    assert signing.verify_signature(archive.public_key(), data, signature)
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_staged_but_uncommitted_manifest_is_pending_not_chained(archive: Archive) -> None:
    path = archive.warcs_dir / "j.warc.gz"
    path.write_bytes(b"x")
    stage(archive.root, {"job_id": "j", "files": [describe_file(archive.root, path).to_dict()]},
          archive.private_key())
    assert [s.job_id for s in pending_manifests(archive.root)] == ["j"]
    assert chain_entries(archive.root) == []
    report = verify_archive(archive.root, archive.public_key_pem())
    assert any(p.kind == "unlisted" and p.path == "warcs/j.warc.gz" for p in report.problems)


def test_verify_names_each_damaged_file(archive: Archive) -> None:
    _job(archive, "job-1", b"first")
    _job(archive, "job-2", b"second")
    (archive.warcs_dir / "job-1.warc.gz").write_bytes(b"firsT")
    manifest = archive.manifests_dir / "job-2.json"
    data = json.loads(manifest.read_text())
    data["operator"] = "mallory"
    manifest.write_text(json.dumps(data))
    (archive.warcs_dir / "stray.warc.gz").write_bytes(b"?")
    report = verify_archive(archive.root, archive.public_key_pem())
    found = {(p.kind, p.path) for p in report.problems}
    assert ("altered", "warcs/job-1.warc.gz") in found
    assert ("altered", "manifests/job-2.json") in found
    assert ("bad-signature", "manifests/job-2.json.sig") in found
    assert ("unlisted", "warcs/stray.warc.gz") in found


def test_verify_detects_a_removed_manifest_and_a_foreign_key(archive: Archive, tmp_path: Path
                                                             ) -> None:
    _job(archive, "job-1", b"first")
    other = signing.generate_private_key(tmp_path / "other.pem")
    report = verify_archive(archive.root, signing.public_key_pem(other))
    assert [p.kind for p in report.problems] == ["bad-signature"]
    (archive.manifests_dir / "job-1.json").unlink()
    report = verify_archive(archive.root, archive.public_key_pem())
    assert ("missing", "manifests/job-1.json") in {(p.kind, p.path) for p in report.problems}


def test_hash_chained_lines_detect_edit_and_deletion(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    for n in range(4):
        append_chained(log, {"n": n})
    assert verify_chain(log, "log") == []
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[1].replace(b'"n":1', b'"n":9') + lines[2] + lines[3])
    assert [p.kind for p in verify_chain(log, "log")] == ["chain-broken"]
    log.write_bytes(lines[0] + lines[2] + lines[3])
    kinds = [p.kind for p in verify_chain(log, "log")]
    assert "chain-broken" in kinds and "chain-sequence" in kinds
