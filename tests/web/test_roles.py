"""Who sees what: staff never reach not-public data by URL or search, clerks' views of it are
audited, and pages for other roles are closed."""

from __future__ import annotations

import io

import pytest
from warcio.archiveiterator import ArchiveIterator

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.web.itemviews import item_records, record_token
from tests.web.support import running

PARTS = ("", "file", "record", "records.warc.gz")


def _not_public(archive: Archive) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        refs = [row.ref for row in catalog.iter_items("classification != 'public'")]
    assert refs, "the sample archive must hold not-public items"
    return refs


def _records(archive: Archive, ref: str) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        item = catalog.find(ref)
        return [e.token for e in item_records(catalog, item, catalog.versions(item.id))]


def _body(response) -> str:
    return response.text.split("<main", 1)[1].split("</main>", 1)[0]


def test_staff_cannot_reach_not_public_items_by_guessing_urls(signed_in,
                                                              web_archive: Archive) -> None:
    staff = signed_in("sam")
    missing = staff.get("/item", ref="mastodon:lakeside-mastodon:1")
    assert missing.status_code == 404
    for ref in _not_public(web_archive)[:5]:
        tokens = _records(web_archive, ref)
        for part in PARTS:
            path = "/item" + (f"/{part}" if part else "")
            for params in ({"ref": ref}, {"ref": ref, "id": tokens[0]}):
                response = staff.get(path, **params)
                assert response.status_code == 404, (path, ref)
                assert _body(response) == _body(missing)  # nothing tells it exists
        bare = ref.rsplit(":", 1)[1]  # the bare platform id finds the item just the same
        assert staff.get("/item", ref=bare).status_code == 404


def test_staff_search_never_shows_not_public_items(signed_in, web_archive: Archive) -> None:
    staff = signed_in("sam")
    clerk = signed_in("clara")
    for query in ("kind:message", "classification:private", "*"):
        staff_page = staff.get("/search", q=query, scope="all", per="100")
        assert staff_page.status_code == 200
        for ref in _not_public(web_archive):
            assert ref.replace(":", "%3A") not in staff_page.text
    clerk_page = clerk.get("/search", q="kind:message", scope="all", per="100")
    assert any(ref.replace(":", "%3A") in clerk_page.text for ref in _not_public(web_archive))
    audits = [e for e in web_archive.audit.entries() if e["action"] == "search.all_data"]
    assert [e["actor"] for e in audits].count("clara") >= 1
    assert "sam" not in [e["actor"] for e in audits]


def test_clerk_views_of_not_public_items_are_audited(signed_in, web_archive: Archive) -> None:
    clerk = signed_in("clara")
    ref = _not_public(web_archive)[0]
    before = sum(1 for _ in web_archive.audit.entries())
    page = clerk.get("/item", ref=ref)
    assert page.status_code == 200 and "this view is recorded in the audit log" in page.text
    download = clerk.get("/item/records.warc.gz", ref=ref)
    assert download.status_code == 200
    entries = list(web_archive.audit.entries())[before:]
    assert {"show.not_public", "web.download"} <= {e["action"] for e in entries}
    assert all(e["actor"] == "clara" for e in entries if e["subject"] == ref)


@pytest.mark.parametrize("path, role_needed", [
    ("/requests", "clerk"), ("/requests/new", "clerk"), ("/admin/users", "admin")])
def test_pages_of_other_roles_are_closed(signed_in, path: str, role_needed: str) -> None:
    staff = signed_in("sam")
    clerk = signed_in("clara")
    assert staff.get(path).status_code == 403
    assert clerk.get(path).status_code == (403 if role_needed == "admin" else 200)
    assert staff.post("/requests/new", kind="public").status_code == 403
    assert clerk.post("/admin/users", name="x", role="admin").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(web: str) -> None:
    from httpx import Client

    with Client(base_url=web) as anonymous:
        for path in ("/search", "/item?ref=x", "/requests", "/admin/users", "/leave?url=x"):
            response = anonymous.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")
        assert anonymous.post("/requests/new", data={"kind": "public"}).status_code == 403


def test_staff_get_no_platform_response_that_holds_not_public_items(hostile: Archive) -> None:
    """The thread's API response holds a public reply and a private one: staff may read the
    public reply and its own records, but not that shared response."""
    from tests.web.support import Browserless

    with Catalog(hostile.catalog_path) as catalog:
        public = catalog.find("mastodon:hostile:201")
        shared = catalog.latest(public).response_record_id
        assert shared and catalog.latest(catalog.find("mastodon:hostile:202")) \
            .response_record_id == shared
    with running(hostile) as base:
        staff, clerk = Browserless(base), Browserless(base)
        staff.login("sam")
        clerk.login("clara")
        ref = "mastodon:hostile:201"
        assert staff.get("/item", ref=ref).status_code == 200
        staff_thread = staff.get("/item", ref="mastodon:hostile:101").text
        clerk_thread = clerk.get("/item", ref="mastodon:hostile:101").text
        assert "hostile%3A202" in clerk_thread and "3 items in reading order" in clerk_thread
        assert "hostile%3A202" not in staff_thread and "gate code" not in staff_thread
        conversation = staff_thread.split('id="thread-h"', 1)[1].split("</section>", 1)[0]
        assert "2 items in reading order" in conversation and "not" not in conversation
        assert staff.get("/item/record", ref=ref, id=record_token(shared)).status_code == 404
        assert clerk.get("/item/record", ref=ref, id=record_token(shared)).status_code == 200
        staff_ids = _ids(staff.get("/item/records.warc.gz", ref=ref).content)
        clerk_ids = _ids(clerk.get("/item/records.warc.gz", ref=ref).content)
        assert shared not in staff_ids and shared in clerk_ids
        assert staff_ids and set(staff_ids) < set(clerk_ids)
        staff.close()
        clerk.close()


def _ids(data: bytes) -> list[str]:
    return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(data))]
