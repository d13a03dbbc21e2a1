"""The pages over HTTP: search (query language, filters, facets, paging), the item page
(versions with diffs, media, records), downloads byte for byte, protective headers."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.search.indexer import index_pending, reset_index
from civicrecords.search.service import open_backend
from civicrecords.search.versions import version_history
from civicrecords.web.app import CONTENT_SECURITY_POLICY
from civicrecords.web.itemviews import item_records, shared_with_not_public
from tests.web.support import Browserless, active_markup, running


def _text_edited(archive: Archive) -> str:
    with Catalog(archive.catalog_path) as catalog:
        for row in catalog.iter_items("version_count > 1 AND classification = 'public' AND "
                                      "kind = 'post'"):
            history = version_history(catalog, row)
            if any("text" in v.diffs for v in history):
                return row.ref
    raise AssertionError("the sample has posts whose text was edited")


def assert_safe_page(response) -> None:
    """The protective headers, and no markup that could run."""
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert active_markup(response.text) == []


def test_search_uses_the_query_language_filters_facets_and_paging(signed_in) -> None:
    staff = signed_in("sam")
    page = staff.get("/search", q='"water main" OR plow*', kind="post", per="5")
    assert page.status_code == 200
    assert_safe_page(page)
    total = int(re.search(r'id="results-h">(\d+) match', page.text).group(1))
    assert total > 5
    assert len(re.findall(r'<li class="result">', page.text)) == 5
    marks = re.findall(r"<mark>(.*?)</mark>", page.text)
    assert marks and all(m.lower().startswith(("water", "main", "plow")) for m in marks)
    assert "Narrow the results" in page.text and "facet-month" in page.text
    second = staff.get("/search", q='"water main" OR plow*', kind="post", per="5", page="2")
    assert 'aria-current="page">Page 2<' in second.text
    assert set(re.findall(r'href="(/item\?[^"]+)"', second.text)).isdisjoint(
        re.findall(r'href="(/item\?[^"]+)"', page.text))
    comments = staff.get("/search", q="*", kind="comment", per="100")
    assert "<p class=\"meta\">post by" not in comments.text
    facet = re.search(r'href="(/search\?[^"]*since=(\d{4}-\d{2})-01[^"]*)"', page.text)
    narrowed = staff.get(html.unescape(facet.group(1)))
    for created in re.findall(r'<time datetime="([^"]+)"', narrowed.text):
        assert created.startswith(facet.group(2))


def test_search_errors_point_at_the_field(signed_in) -> None:
    staff = signed_in("sam")
    broken = staff.get("/search", q="(snow")
    assert broken.status_code == 400
    assert 'id="q-error"' in broken.text and 'aria-invalid="true"' in broken.text
    dates = staff.get("/search", q="snow", since="2026-13-45")
    assert dates.status_code == 400
    assert 'aria-describedby="since-error"' in dates.text and "is not a date" in dates.text


def test_item_page_shows_versions_with_word_diffs(signed_in, web_archive: Archive) -> None:
    staff = signed_in("sam")
    ref = _text_edited(web_archive)
    page = staff.get("/item", ref=ref)
    assert page.status_code == 200
    assert_safe_page(page)
    assert "What changed between versions" in page.text
    assert re.search(r"<(ins|del)><span class=\"visually-hidden\">\[(added|removed): ", page.text)
    with Catalog(web_archive.catalog_path) as catalog:
        item = catalog.find(ref)
        versions = catalog.versions(item.id)
        for version in versions:
            assert html.escape(version.item().text.split("\n")[0][:40]) in page.text
        records = item_records(catalog, item, versions)
    assert {r.role for r in records} >= {"request", "response", "metadata"}
    for record in records:
        assert f"id={record.token}" in page.text


def test_records_download_exactly_as_stored(signed_in, web_archive: Archive) -> None:
    """Clerks get every record; staff get each record except platform responses that also
    hold not-public items (the city's timeline carries its direct messages too)."""
    staff, clerk = signed_in("sam"), signed_in("clara")
    ref = _text_edited(web_archive)
    with Catalog(web_archive.catalog_path) as catalog:
        item = catalog.find(ref)
        records = item_records(catalog, item, catalog.versions(item.id))
        restricted = shared_with_not_public(catalog, [r.ref.record_id for r in records])
    assert restricted, "the sample's timeline responses hold direct messages"
    for record in records:
        for client in (staff, clerk):
            response = client.get("/item/record", ref=ref, id=record.token)
            if client is staff and record.ref.record_id in restricted:
                assert response.status_code == 404
                continue
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/warc"
            assert response.headers["content-disposition"].startswith("attachment; filename=")
            with open(web_archive.root / record.ref.warc_file, "rb") as handle:
                handle.seek(record.ref.offset)
                assert response.content == handle.read(record.ref.length)
    for client in (staff, clerk):
        everything = client.get("/item/records.warc.gz", ref=ref)
        read_back = [r.rec_headers.get_header("WARC-Record-ID")
                     for r in ArchiveIterator(io.BytesIO(everything.content))]
        assert read_back == [r.ref.record_id for r in records
                             if client is clerk or r.ref.record_id not in restricted]
    assert staff.get("/item/record", ref=ref, id="not-a-record").status_code == 404


def test_media_is_served_from_the_archive_with_its_type(signed_in,
                                                       web_archive: Archive) -> None:
    staff = signed_in("sam")
    with Catalog(web_archive.catalog_path) as catalog:
        media = next(row for row in catalog.iter_items(
            "kind = 'media' AND classification = 'public'")
            if catalog.latest(row).item().extra["file"]["content_type"] == "image/png"
            and catalog.latest(row).item().text)
        parent = catalog.find(f"{media.platform}:{media.account}:{media.parent_id}")
        kind = catalog.latest(media).item().extra["file"]["content_type"]
        description = " ".join(catalog.latest(media).item().text.split())
    page = staff.get("/item", ref=parent.ref)
    file_url = html.escape(f"/item/file?ref={media.ref.replace(':', '%3A')}")
    assert f'<img src="{file_url}" alt="{html.escape(description)}">' in page.text
    response = staff.get("/item/file", ref=media.ref)
    assert response.status_code == 200
    assert response.headers["content-type"] == kind
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["content-disposition"].startswith("inline;")
    assert staff.get("/item/file", ref=parent.ref).status_code == 404


def test_scriptable_media_only_ever_downloads(hostile: Archive) -> None:
    with running(hostile) as base:
        clerk = Browserless(base)
        clerk.login("clara")
        for ref in ("mastodon:hostile:902", "mastodon:hostile:903"):  # SVG, HTML
            response = clerk.get("/item/file", ref=ref)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/octet-stream"
            assert response.headers["content-disposition"].startswith("attachment;")
            assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
            assert b"window.__pwned" in response.content  # the captured bytes, unchanged
            page = clerk.get("/item", ref=ref)
            assert "<img" not in page.text.split("<main", 1)[1]
        png = clerk.get("/item/file", ref="mastodon:hostile:901")
        assert png.headers["content-type"] == "image/png"
        clerk.close()


@pytest.mark.parametrize("ref", ["mastodon:hostile:101", "mastodon:hostile:102",
                                 "mastodon:hostile:103", "mastodon:hostile:104",
                                 "mastodon:hostile:105", "mastodon:hostile:201",
                                 "mastodon:hostile:902"])
def test_hostile_items_are_escaped_text(hostile: Archive, ref: str) -> None:
    with running(hostile) as base:
        clerk = Browserless(base)
        clerk.login("clara")
        page = clerk.get("/item", ref=ref)
        assert page.status_code == 200
        assert_safe_page(page)
        results = clerk.get("/search", q="*", per="100")
        assert_safe_page(results)
        clerk.close()


def test_leave_page_only_opens_web_addresses(signed_in) -> None:
    staff = signed_in("sam")
    page = staff.get("/leave", url="https://example.org/post?id=1")
    assert page.status_code == 200
    assert 'rel="noopener noreferrer nofollow"' in page.text
    assert staff.get("/leave", url="javascript:alert(1)").status_code == 400
    assert staff.get("/leave", url="data:text/html,x").status_code == 400


def test_search_follows_the_index_on_disk(hostile: Archive, tmp_path: Path) -> None:
    """The server keeps one search backend open, yet a search never answers from an index
    that changed underneath it (a reindex, a capture's new items)."""
    root = tmp_path / "archive"
    shutil.copytree(hostile.root, root)
    archive = Archive.open(root, hostile.env)
    with running(archive) as base:
        clerk = Browserless(base)
        clerk.login("clara")

        def total() -> str:
            page = clerk.get("/search", q="*", scope="all").text
            found = re.search(r'id="results-h">(\d+) match', page)
            return found.group(1) if found else re.search(r'id="q-error"[^>]*>([^<]*)',
                                                          page).group(1)

        before = total()
        assert before.isdigit() and int(before) > 5
        with Catalog(archive.catalog_path) as catalog:
            backend = open_backend(archive.root, archive.config)
            reset_index(catalog, backend)
            assert "reindex" in total()
            index_pending(catalog, backend)
            backend.close()
        assert total() == before
        clerk.close()


def test_bundles_keep_their_own_links_while_the_app_runs(web: str, web_archive: Archive,
                                                         tmp_path: Path) -> None:
    """The app renders captured addresses through its warning page; bundles, rendered by
    the same shared templates in the same process, still link them directly."""
    from civicrecords.requests.bundle import export_bundle
    from civicrecords.requests.gather import add_items
    from civicrecords.requests.store import RequestStore

    with Catalog(web_archive.catalog_path) as catalog:
        post = next(catalog.iter_items("kind = 'post' AND classification = 'public' AND "
                                       "url LIKE 'http%'"))
    store = RequestStore(web_archive)
    request = store.create(kind="public", received=web_archive.env.now(), requester={},
                           channel="email", description="links", details={})
    add_items(request, [post.ref], {"type": "test"}, "test-clerk", web_archive.env.now())
    store.save(request, "request.add")
    out = tmp_path / "bundle"
    export_bundle(web_archive, request, out, unreviewed="release")
    page = (out / "data" / "items" / "00001.html").read_text("utf-8")
    assert f'<a href="{html.escape(post.url)}" rel="noopener noreferrer nofollow"' in page
    assert "/leave?" not in page
    signed = Browserless(web)
    signed.login("sam")
    assert "/leave?url=" in signed.get("/item", ref=post.ref).text
    signed.close()
