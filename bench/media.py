"""Large media benchmark: capture a 2 GB video attachment through the normal capture path.

A small loopback server speaks just enough of the Mastodon API (account lookup, one status
whose video attachment is SIZE bytes, an empty context) and streams the video from a
deterministic generator, never holding it in memory. ``run_capture`` runs in a child process
whose peak RSS is reported (target: under 300 MB); the video's WARC record is then read back
and its payload digest checked against the bytes the server sent.

Usage: ``python bench/media.py [--size-mb 2048]``; writes ``bench/results/media.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCK = 1024 * 1024


def _video_blocks(size: int) -> Any:
    """Deterministic pseudo-random bytes (incompressible, like real video)."""
    seed = hashlib.sha256(b"civicrecords-bench-video").digest()
    sent = 0
    counter = 0
    while sent < size:
        block = b"".join(hashlib.sha256(seed + (counter * 256 + i).to_bytes(8, "big")).digest()
                         for i in range(BLOCK // 32))
        counter += 1
        piece = block[: min(BLOCK, size - sent)]
        sent += len(piece)
        yield piece


def _server(size: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _json(self, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            host = f"http://{self.headers['Host']}"
            account = {"id": "1", "acct": "city", "username": "city", "display_name": "City"}
            if self.path.startswith("/api/v1/accounts/lookup"):
                self._json(account)
            elif self.path.startswith("/api/v1/accounts/1/statuses"):
                self._json([{
                    "id": "100", "created_at": "2026-11-01T12:00:00.000Z", "account": account,
                    "visibility": "public", "content": "<p>Council meeting video</p>",
                    "url": f"{host}/@city/100", "in_reply_to_id": None, "edited_at": None,
                    "media_attachments": [{"id": "200", "type": "video",
                                           "url": f"{host}/media/meeting.mp4",
                                           "description": "Full council meeting"}],
                    "tags": [], "mentions": []}])
            elif self.path.startswith("/api/v1/statuses/100/context"):
                self._json({"ancestors": [], "descendants": []})
            elif self.path == "/media/meeting.mp4":
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                for piece in _video_blocks(size):
                    self.wfile.write(piece)
            else:
                self.send_error(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _capture(directory: Path, base_url: str, size: int, queue: Any) -> None:
    from civicrecords.archive import Archive
    from civicrecords.archiver.job import run_capture
    from civicrecords.environment import Environment

    env = Environment(variables={}, config_dir=directory / "keys", operator="bench")
    config = (f'[[accounts]]\nname = "city"\nplatform = "mastodon"\napi_base = "{base_url}"\n'
              f'handle = "@city"\nmedia_max_bytes = {size * 2}\n')
    archive = Archive.create(directory / "archive", env, extra_config=config)
    started = time.perf_counter()
    result = run_capture(archive, full=True)
    elapsed = time.perf_counter() - started
    queue.put({"seconds": elapsed, "gaps": [g.to_dict() for g in result.gaps],
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _check_record(directory: Path, size: int) -> dict[str, Any]:
    from warcio.archiveiterator import ArchiveIterator

    expected = hashlib.sha256()
    for piece in _video_blocks(size):
        expected.update(piece)
    for path in (directory / "archive" / "warcs").rglob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response" and record.rec_headers.get_header(
                        "WARC-Target-URI").endswith("meeting.mp4"):
                    digest = hashlib.sha256()
                    stream = record.content_stream()
                    while chunk := stream.read(BLOCK):
                        digest.update(chunk)
                    declared = record.rec_headers.get_header("WARC-Payload-Digest")
                    return {"payload_matches": digest.hexdigest() == expected.hexdigest(),
                            "header_matches": declared == f"sha256:{expected.hexdigest()}",
                            "warc_bytes": path.stat().st_size}
    return {"payload_matches": False, "header_matches": False, "warc_bytes": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048, help="video size in MiB")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    server = _server(size)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="cr-media-") as temp:
        directory = Path(temp)
        queue: Any = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(
            target=_capture, args=(directory, base_url, size, queue))
        child.start()
        result = queue.get()
        child.join()
        result.update(_check_record(directory, size))
    server.shutdown()
    result.update(size_mb=args.size_mb, mb_per_s=args.size_mb / result["seconds"])
    print(f"captured a {args.size_mb} MiB video in {result['seconds']:.1f} s "
          f"({result['mb_per_s']:.0f} MiB/s); capture peak memory {result['peak_mb']:.0f} MB "
          f"(target < 300 MB); payload digest verified: {result['payload_matches']} "
          f"(header {result['header_matches']}); gaps: {len(result['gaps'])}")
    out = ROOT / "bench" / "results" / "media.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
