"""Storage benchmark: upload and remote-verify throughput against plain boto3 uploads.

Starts SeaweedFS on 127.0.0.1, builds an archive holding ``--mb`` megabytes of WARCs
(random payloads, so gzip cannot shrink them) in one signed job, then measures:
civicrecords ``upload_archive`` (SHA-256 checksums, Object Lock, verification, ledger),
``verify_remote`` (download and SHA-256 of every object), and ``upload_file`` from plain
boto3 (its default transfer settings, no checksum checks) of the same files. Prints MB/s and
writes bench/results/storage.json.

    .venv/bin/python bench/storage.py [--mb 1024] [--files 8]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warcio.warcwriter import WARCWriter

from civicrecords.archive import Archive
from civicrecords.environment import Environment
from civicrecords.integrity.manifest import commit, describe_file, stage
from civicrecords.storage.remote_verify import verify_remote
from civicrecords.storage.upload import open_bucket, upload_archive
from tests.support.seaweed import start_seaweed

MB = 1024 * 1024


def build(root: Path, env: Environment, bucket: str, total_mb: int, files: int) -> list[Path]:
    archive = Archive.create(root, env, extra_config=(
        f'[storage]\nkind = "s3"\nbucket = "{bucket}"\nprefix = "bench"\n'
        'addressing_style = "path"\n'))
    paths = []
    for number in range(files):
        name = f"20260101T000000Z-bench01-city-{number:05d}.warc.gz"
        path = root / "warcs" / "2026" / "01" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            writer = WARCWriter(handle, gzip=True, warc_version="1.1")
            for chunk in range(total_mb // files // 4):
                writer.write_record(writer.create_warc_record(
                    f"urn:bench:{number}:{chunk}", "resource",
                    payload=io.BytesIO(os.urandom(4 * MB)),
                    warc_content_type="application/octet-stream"))
        paths.append(path)
    staged = stage(root, {"job_id": "20260101T000000Z-bench01", "kind": "capture",
                          "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:01Z",
                          "operator": "bench", "accounts": [], "gaps": [],
                          "files": [describe_file(root, p).to_dict() for p in paths]},
                   archive.private_key())
    commit(root, staged)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicrecords-bench-") as temp:
        base = Path(temp)
        server = start_seaweed(base / "seaweed")
        try:
            env = Environment(variables={**os.environ, **server.variables},
                              config_dir=base / "config", operator="bench")
            locked = server.new_bucket()
            plain = server.new_bucket(locked=False)
            paths = build(base / "archive", env, locked, args.mb, args.files)
            archive = Archive.open(base / "archive", env)
            size = sum(p.stat().st_size for p in paths) / MB
            start = time.perf_counter()
            report = upload_archive(archive)
            upload_s = time.perf_counter() - start
            assert not report.problems, report.problems
            start = time.perf_counter()
            verified = verify_remote(archive, open_bucket(archive),
                                     threads=archive.config.storage.upload_threads)
            verify_s = time.perf_counter() - start
            assert verified.ok, verified.problems
            client = server.client()
            start = time.perf_counter()
            for path in paths:
                client.upload_file(str(path), plain, path.name)
            plain_s = time.perf_counter() - start
        finally:
            server.stop()
    results = {"megabytes": round(size, 1), "files": len(paths),
               "upload_mb_s": round(size / upload_s, 1),
               "remote_verify_mb_s": round(size / verify_s, 1),
               "plain_boto3_upload_mb_s": round(size / plain_s, 1),
               "upload_seconds": round(upload_s, 2), "remote_verify_seconds": round(verify_s, 2),
               "plain_boto3_seconds": round(plain_s, 2)}
    for key, value in results.items():
        print(f"{key:28} {value}")
    out = Path(__file__).resolve().parent / "results" / "storage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
