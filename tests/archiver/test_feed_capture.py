"""Capturing the sample city's news feeds end to end: entries, pages, images, edits, removals."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.faults import FaultPlan
from civicrecords.archiver.sample.feed import atom_id, entry_title, page_url
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.integrity.verify import verify_archive
from civicrecords.search.backend import SearchQuery
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend, search
from tests.conftest import make_env
from tests.support import warc_reader
from tests.support.sample_archive import every_byte

TOKEN = "feed-key-5b1f0c9e7d"


@pytest.fixture
def platform() -> Iterator[SamplePlatform]:
    with SamplePlatform(posts=60) as server:
        yield server


def feed_archive(tmp: Path, url: str, *, name: str = "archive", account: str = "news",
                 token_env: str | None = None) -> tuple[Archive, Environment]:
    env = make_env(tmp / f"{name}-env", FEED_KEY=TOKEN)
    config = (f'[[accounts]]\nname = "{account}"\nplatform = "feed"\napi_base = "{url}"\n'
              'department = "Communications"\n')
    if token_env:
        config += f'token_env = "{token_env}"\n'
    return Archive.create(tmp / name, env, name="City of Lakeside", extra_config=config), env


def items(archive: Archive) -> dict[str, dict[str, Any]]:
    with Catalog(archive.catalog_path) as catalog:
        rows = catalog.execute("SELECT i.*, v.data FROM items i JOIN versions v "
                               "ON v.id = i.latest_version").fetchall()
    return {r["platform_id"]: {**dict(r), "item": json.loads(r["data"])} for r in rows}


def words(text: str) -> str:
    return " ".join(text.split())


def test_atom_feed_found_from_the_news_page_captures_every_post_page_and_image(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news.html")
    result = run_capture(archive)
    assert not result.gaps, result.gaps
    news = platform.feed.news(platform.world, "initial")
    assert len(news) > 25  # more than one Atom document: paging was followed
    got = items(archive)
    for post in news:
        entry = got[atom_id(post)]
        assert entry["kind"] == "post" and entry["author"] == "Communications Office"
        assert entry["item"]["title"] == entry_title(post)
        assert words(entry["item"]["text"]) == words(post.text)
        assert entry["created_at"].startswith(post.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert entry["url"] == page_url(platform.base_url, post)
        page = got[page_url(platform.base_url, post) + "#page"]
        assert page["kind"] == "media" and page["parent_id"] == atom_id(post)
        assert page["item"]["extra"]["media_type"] == "page"
        assert page["item"]["title"].startswith(entry_title(post))
        assert words(post.text) in words(page["item"]["text"])
        assert "window.analytics" not in page["item"]["text"]  # scripts are not text
        assert "Council | Contact" not in page["item"]["text"]  # only the article
        children = [r for r in got.values() if r["parent_id"] == atom_id(post)
                    and r["item"]["extra"]["media_type"] != "page"]
        assert len(children) == len(post.media)
        assert all(c["item"]["extra"]["file"]["size"] > 0 for c in children)
    images = [r for r in got.values() if r["kind"] == "media"
              and r["item"]["extra"]["media_type"] == "image"]
    described = {m.description for p in news for m in p.media if m.kind == "image"} - {None}
    assert described and described <= {r["item"]["text"] for r in images}
    for path in sorted(archive.warcs_dir.rglob("*.warc.gz")):
        for record in warc_reader.parse(path):
            warc_reader.check_digests(record)
    assert verify_archive(archive.root, archive.public_key_pem()).ok


def test_entries_and_pages_are_searchable(tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news/atom.xml")
    run_capture(archive)
    post = platform.feed.news(platform.world, "initial")[5]
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        index_pending(catalog, backend)
        day = post.created_at.date()
        found = search(catalog, backend, SearchQuery(platforms=("feed",), since=day, until=day,
                                                     limit=100), archive.audit)
        posts = search(catalog, backend, SearchQuery(platforms=("feed",), kinds=("post",),
                                                     limit=1000), archive.audit)
        backend.close()
    assert posts.total == len(platform.feed.news(platform.world, "initial"))
    rows = {r.item.platform_id: r.to_dict() for r in found.rows}
    entry = rows[atom_id(post)]
    assert (entry["kind"], entry["author"], entry["title"]) == (
        "post", "Communications Office", entry_title(post))
    page = rows[page_url(platform.base_url, post) + "#page"]
    assert page["kind"] == "media" and page["parent_id"] == atom_id(post)


def _show(env: Environment, archive: Archive, ref: str) -> dict[str, Any]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), "show", ref, "--versions", "--format",
                  "json"], env)
    assert status == 0, env.stderr.getvalue()
    return json.loads(env.stdout.getvalue())


def test_edits_and_taken_down_pages_between_two_captures(tmp_path: Path,
                                                         platform: SamplePlatform) -> None:
    archive, env = feed_archive(tmp_path, f"{platform.base_url}/city/news/atom.xml")
    run_capture(archive)
    platform.set_state("later")
    second = run_capture(archive, full=True)
    assert not second.gaps, second.gaps
    world = platform.world
    changes = world.changes()
    news_ids = {p.id for p in platform.feed.news(world, "initial")}
    got = items(archive)
    edited = [pid for pid in changes.edited_post_ids if pid in news_ids]
    assert edited
    for pid in edited:
        post = world.item(pid, "later")
        assert post is not None
        entry = got[atom_id(post)]
        assert entry["status"] == "edited" and entry["version_count"] == 2
        assert entry["item"]["edited_at"].startswith(
            post.versions[-1].created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    text_edit = next(pid for pid in edited if pid in changes.edited_post_ids
                     and pid not in {m.post_id for m in changes.media_description_changes})
    shown = _show(env, archive, f"feed:news:{atom_id(world.item(text_edit, 'later'))}")
    assert len(shown["versions"]) == 2
    before, after = (v["text"] for v in shown["versions"])
    assert before != after and words(after) == words(world.item(text_edit, "later").text)
    removed = [pid for pid in changes.removed_post_ids if pid in news_ids]
    assert removed
    for pid in removed:
        post = world.item(pid, "initial")
        assert post is not None
        entry, page = got[atom_id(post)], got[page_url(platform.base_url, post) + "#page"]
        assert (entry["status"], entry["removed_reason"]) == ("removed", "deleted")
        assert (page["status"], page["removed_reason"]) == ("removed", "deleted")
        assert entry["removed_job"] == second.job_id
    live = [p for p in platform.feed.news(world, "later")]
    assert all(got[atom_id(p)]["status"] in ("live", "edited") for p in live)


def test_entries_that_leave_an_rss_window_are_not_removals(tmp_path: Path,
                                                           platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news/rss.xml")
    run_capture(archive)
    window = {page_url(platform.base_url, p) for p in
              platform.feed.news(platform.world, "initial")[:20]}
    platform.set_state("later")
    platform.reset_stats()
    run_capture(archive, full=True)
    later = {page_url(platform.base_url, p) for p in
             platform.feed.news(platform.world, "later")[:20]}
    left = window - later
    assert left
    got = items(archive)
    removed_posts = {page_url(platform.base_url, world_item) for pid in
                     platform.world.changes().removed_post_ids
                     if (world_item := platform.world.item(pid, "initial")) is not None}
    for url in left:
        expected = "removed" if url in removed_posts else "live"
        assert got[url]["status"] in ((expected,) if expected == "removed" else
                                      ("live", "edited")), url
    probes = platform.stats()["by_route"]["feed.page"]
    assert sum(probes.values()) >= len(later) + len(left)  # every page was asked about


def test_incremental_capture_reads_only_new_entries_pages(tmp_path: Path,
                                                         platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news/atom.xml")
    first = run_capture(archive)
    platform.set_state("later")
    platform.reset_stats()
    second = run_capture(archive)
    assert second.accounts[0].mode == "incremental" and not second.gaps
    assert second.accounts[0].counts["requests"] < first.accounts[0].counts["requests"] / 3
    got = items(archive)
    initial = {p.id for p in platform.feed.news(platform.world, "initial")}
    new = [p for p in platform.feed.news(platform.world, "later") if p.id not in initial]
    assert new
    for post in new:
        assert got[atom_id(post)]["first_job"] == second.job_id
        assert page_url(platform.base_url, post) + "#page" in got
    assert sum(a.counts["removed"] for a in second.accounts) == 0  # no sweep in this mode


def test_faults_on_the_website_end_in_the_same_archive(tmp_path: Path) -> None:
    plan = FaultPlan(rate=0.4, kinds=("429", "500", "502", "503", "reset", "truncate"),
                     max_per_url=2, seed=3, retry_after=2, paths=("/city/",))
    with SamplePlatform(posts=40) as server:
        clean, _env = feed_archive(tmp_path, f"{server.base_url}/city/news/atom.xml",
                                   name="clean")
        run_capture(clean)
        server.set_faults(plan)
        faulty, env = feed_archive(tmp_path, f"{server.base_url}/city/news/atom.xml",
                                   name="faulty")
        result = run_capture(faulty)
        injected = server.stats()["faults"]["injected"]
    assert not result.gaps, result.gaps
    assert {"429", "503", "truncate"} <= set(injected)
    assert 2 in [round(c) for c in env.sleep.calls]

    def state(archive: Archive) -> dict[str, tuple[str, str]]:
        with Catalog(archive.catalog_path) as catalog:
            rows = catalog.execute("SELECT i.platform_id, i.status, v.content_hash FROM items i "
                                   "JOIN versions v ON v.id = i.latest_version").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    assert state(faulty) == state(clean)


def test_a_page_that_cannot_be_reached_is_a_gap_not_a_removal(
        tmp_path: Path, platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news/atom.xml")
    run_capture(archive)
    world = platform.world
    news_ids = {p.id for p in platform.feed.news(world, "initial")}
    pid = next(p for p in world.changes().removed_post_ids if p in news_ids)
    post = world.item(pid, "initial")
    assert post is not None
    platform.set_faults(FaultPlan(permanent={f"/city/news/{pid}.html": "503"}))
    platform.set_state("later")
    result = run_capture(archive, full=True)
    assert [g.scope for g in result.gaps] == [f"page:{atom_id(post)}"]
    assert items(archive)[atom_id(post)]["status"] == "live"
    platform.set_faults(None)
    run_capture(archive, full=True)
    assert items(archive)[atom_id(post)]["status"] == "removed"


def test_the_feed_key_never_reaches_the_archive(tmp_path: Path,
                                                platform: SamplePlatform) -> None:
    url = f"{platform.base_url}/city/news/atom.xml?key={{token}}&page=1"
    archive, _env = feed_archive(tmp_path, url, token_env="FEED_KEY", name="query")
    result = run_capture(archive)
    assert not result.gaps
    everything = every_byte(archive.root)
    assert TOKEN.encode() not in everything
    assert b"key=SCRUBBED" in everything
    local = platform.base_url.replace("127.0.0.1", "localhost")
    archive, _env = feed_archive(tmp_path, f"{local}/city/news/atom.xml", token_env="FEED_KEY",
                                 name="bearer")
    run_capture(archive)
    everything = every_byte(archive.root)
    assert TOKEN.encode() not in everything
    requests = [r for path in archive.warcs_dir.rglob("*.warc.gz")
                for r in warc_reader.parse(path) if r.headers["WARC-Type"] == "request"]
    own = [r for r in requests if r.headers["WARC-Target-URI"].startswith(local)]
    other = [r for r in requests if not r.headers["WARC-Target-URI"].startswith(local)]
    assert own and all(b"Authorization: SCRUBBED" in r.block for r in own)
    assert other and not any(b"Authorization" in r.block for r in other)  # not the feed's host


class _Static(BaseHTTPRequestHandler):
    """Serves ``server.files``: path -> (status, content type, body)."""

    def do_GET(self) -> None:
        status, ctype, body, *extra = self.server.files.get(  # type: ignore[attr-defined]
            self.path, (404, "text/plain", b"Not Found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def static() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    server.files = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_broken_and_odd_documents_from_a_real_server(tmp_path: Path,
                                                     static: ThreadingHTTPServer) -> None:
    base = f"http://127.0.0.1:{static.server_address[1]}"
    item = (f'<item><title>Boil water advisory lifted</title><link>{base}/n/1</link>'
            "<guid>w-1</guid><pubDate>Thu, 05 Feb 2026 15:00:00 GMT</pubDate>"
            "<description>Tests came back clean.</description></item>")
    cut = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Water</title>{item}'
           "<item><title>Main break</title><description>Crews are on si").encode()
    page = ("<html><head><meta charset=\"windows-1252\"><title>Advisory \u2013 lifted</title>"
            "</head><body><article>Caf\u00e9 \u201cwater\u201d is safe</article></body></html>")
    static.files.update({  # type: ignore[attr-defined]
        "/cut.xml": (200, "application/rss+xml", cut),
        "/n/1": (200, "text/html", page.encode("windows-1252")),
        "/home.html": (200, "text/html", b"<html><body>No feed here</body></html>"),
    })
    archive, _env = feed_archive(tmp_path, f"{base}/cut.xml", name="cut")
    result = run_capture(archive)
    assert [g.scope for g in result.gaps] == ["feed"] and "well-formed" in result.gaps[0].reason
    got = items(archive)
    assert got[f"{base}/w-1"]["item"]["text"] == "Tests came back clean."  # guid as URL
    assert got[f"{base}/n/1#page"]["item"]["title"] == "Advisory \u2013 lifted"
    assert got[f"{base}/n/1#page"]["item"]["text"] == "Caf\u00e9 \u201cwater\u201d is safe"
    archive, _env = feed_archive(tmp_path, f"{base}/home.html", name="home")
    result = run_capture(archive)
    assert [g.reason for g in result.gaps] == ["not an RSS or Atom feed (Content-Type "
                                               "text/html)"]
    static.files["/bad.gz"] = (200, "application/octet-stream", b"\x1f\x8b\x08not gzip",
                               {"Content-Encoding": "gzip"})
    archive, _env = feed_archive(tmp_path, f"{base}/bad.gz", name="gzip")
    result = run_capture(archive)
    assert len(result.gaps) == 1 and "truncated response" in result.gaps[0].reason  # retried


def test_a_feed_whose_gzip_body_is_broken_is_a_gap(tmp_path: Path,
                                                   static: ThreadingHTTPServer) -> None:
    base = f"http://127.0.0.1:{static.server_address[1]}"
    static.files["/bad.gz"] = (200, "application/rss+xml",  # type: ignore[attr-defined]
                               b"\x1f\x8b\x08not gzip", {"Content-Encoding": "gzip"})
    archive, _env = feed_archive(tmp_path, f"{base}/bad.gz")
    result = run_capture(archive)
    assert len(result.gaps) == 1 and result.gaps[0].scope == "feed"


def test_a_windows_1252_feed_decodes_to_the_same_text(tmp_path: Path,
                                                     platform: SamplePlatform) -> None:
    archive, _env = feed_archive(tmp_path, f"{platform.base_url}/city/news/rss.xml"
                                 "?encoding=windows-1252")
    result = run_capture(archive)
    assert not result.gaps
    got = items(archive)
    window = platform.feed.news(platform.world, "initial")[:20]
    for post in window:
        entry = got[page_url(platform.base_url, post)]  # the RSS guid is the page URL
        assert entry["item"]["extra"]["feed"]["title"] == "City of Lakeside, MN \u2013 News"
        assert words(entry["item"]["text"]) == words(post.text)
        assert entry["item"]["title"] == entry_title(post)
