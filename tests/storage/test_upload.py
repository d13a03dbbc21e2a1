"""Uploading an archive to a real S3 server: checksums, Object Lock, exactly-once."""

from __future__ import annotations

from civicrecords.archive import Archive
from civicrecords.integrity.manifest import chain_entries, load_manifest
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.upload import open_bucket, upload_archive
from tests.support.seaweed import SeaweedServer


def test_upload_stores_every_file_verified_and_locked(stored_archive: Archive,
                                                      seaweed: SeaweedServer) -> None:
    report = upload_archive(stored_archive)
    assert not report.problems
    bucket = open_bucket(stored_archive)
    client = seaweed.client()
    state = Ledger(stored_archive.root, stored_archive.env).state()
    listed = [f for e in chain_entries(stored_archive.root)
              for f in load_manifest(stored_archive.root / e["manifest"])["files"]]
    assert listed and len(report.stored) >= len(listed)
    for item in listed:
        entry = state.stored[item["path"]]
        assert entry["sha256"] == item["sha256"] and entry["size"] == item["size"]
        head = client.head_object(Bucket=bucket.name, Key=bucket.key(item["path"]),
                                  ChecksumMode="ENABLED")
        assert head["ContentLength"] == item["size"]
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["VersionId"] == entry["version_id"]
        body = client.get_object(Bucket=bucket.name, Key=bucket.key(item["path"]))["Body"].read()
        assert body == (stored_archive.root / item["path"]).read_bytes()
    again = upload_archive(stored_archive)
    assert again.stored == [] and again.bytes == 0
