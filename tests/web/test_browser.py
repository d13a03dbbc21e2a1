"""End to end in headless Chromium: a clerk signs in, searches, opens an item and its
versions, reviews a request by keyboard, exports and fulfils it; every page passes axe-core's
WCAG 2.1 A/AA rules; the XSS corpus renders as text in the app and in a bundle."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import bagit
import pytest

from civicrecords.archive import Archive
from civicrecords.bag import verify_bag
from civicrecords.catalog import Catalog
from civicrecords.requests import charges
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.fees import StaffTime
from civicrecords.requests.gather import add_items
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import Request, RequestStore
from civicrecords.search.versions import version_history
from tests.web.browser import assert_accessible, assert_nothing_ran, shot, sign_in
from tests.web.hostile_platform import HOSTILE_NAME, LITERAL_TEXTS, PWN
from tests.web.support import running


def _edited_post(archive: Archive) -> str:
    with Catalog(archive.catalog_path) as catalog:
        for row in catalog.iter_items("version_count > 1 AND classification = 'public' AND "
                                      "kind = 'post'"):
            if any("text" in v.diffs for v in version_history(catalog, row)):
                return row.ref
    raise AssertionError("no edited post in the sample")


def _thread_with_pii(archive: Archive, world: Any) -> str:
    with Catalog(archive.catalog_path) as catalog:
        for seeded in world.seeded_pii():
            if seeded.category not in ("phone", "email"):
                continue
            try:
                item = catalog.find(seeded.item_ref)
            except Exception:
                continue
            if item.is_public and item.kind == "comment":
                return item.ref
    raise AssertionError("no public comment with a phone number or email in the sample")


def _request(archive: Archive, refs: list[str]) -> Request:
    store = RequestStore(archive)
    request = store.create(kind="public", received=archive.env.now(), requester={},
                           channel="email", description="browser test", details={})
    add_items(request, refs, {"type": "test"}, "test-clerk", archive.env.now())
    store.save(request, "request.add", added=len(refs))
    return request


def _decide_everything(page: Any) -> int:
    """Decide every undecided entry by keyboard: focus the row, press its shortcut."""
    decided = 0
    while True:
        row = page.locator("tr[data-entry]", has_text="undecided").first
        if not row.count():
            return decided
        row.focus()
        key = "a" if row.locator('button[data-shortcut="a"]').count() else "e"
        with page.expect_navigation():
            page.keyboard.press(key)
        decided += 1
        assert page.locator('[role="alert"]').count() == 0, page.locator("main").inner_text()


def test_clerk_searches_reads_versions_reviews_exports_and_fulfils(
        page: Any, web: str, web_archive: Archive, captured: dict, tmp_path: Path) -> None:
    sign_in(page, web, "clara")
    page.get_by_label("Search for").fill('"water main" OR plow*')
    page.get_by_label("post", exact=True).check()
    page.get_by_label("Search for").press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q="))
    assert re.match(r"\d+ matches", page.locator("#results-h").inner_text())
    assert page.locator("li.result mark").count() > 0
    shot(page, "01-search")

    edited = _edited_post(web_archive)
    page.goto(f"{web}/search?q=*&edited=1&per=100")
    page.locator(f'a[href="/item?ref={quote(edited, safe="")}"]').first.click()
    page.wait_for_url(re.compile(r".*/item\?ref="))
    assert page.get_by_role("heading", name="What changed between versions").is_visible()
    assert page.locator("p.diff ins, p.diff del").count() > 0
    shot(page, "02-item-versions")

    page.get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="Open a new request").click()
    page.get_by_label("Requester's name (optional)").fill("A. Resident")
    page.get_by_label("What was asked for").fill("Posts and comments about the water main")
    page.get_by_role("button", name="Open the request").click()
    status = page.locator('[role="status"]').inner_text()
    request_id = re.search(r"Opened (R\d{4}-\d{4})", status).group(1)
    page.get_by_label("the whole conversation of an item").check()
    page.get_by_label("Query or item reference").fill(_thread_with_pii(web_archive,
                                                                       captured["world"]))
    page.get_by_role("button", name="Add", exact=True).click()
    assert "Added" in page.locator('[role="status"]').inner_text()

    with page.expect_navigation():  # loaded: review.js listens before keys are pressed
        page.get_by_role("link", name="Review PII candidates and items").click()
    assert page.locator("tr[data-entry]").count() > 0
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("g")
    page.keyboard.type("Contact details of a private individual")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.closest('tr[data-entry]')?.id")
    assert focused and focused.startswith("entry-")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "recorded for 1 entry" in page.locator('[role="status"]').inner_text()
    decided = 1 + _decide_everything(page)
    assert page.get_by_text("Nothing is waiting for a decision.").is_visible()
    shot(page, "03-review")

    page.get_by_role("link", name="Back to the request").click()
    page.get_by_role("button", name="Build the signed bundle").click()
    assert "built" in page.locator('[role="status"]').inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Download .*\.zip")).click()
    saved = tmp_path / "bundle.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive_zip:
        archive_zip.extractall(tmp_path / "unzipped")
    (bundle,) = (tmp_path / "unzipped").iterdir()
    assert bagit.Bag(str(bundle)).is_valid()
    assert verify_bag(bundle, trusted_key=web_archive.public_key_pem()).ok
    page.get_by_label("Delivered how (email, portal, USB drive picked up…)").fill("email")
    page.get_by_role("button", name="Fulfil the request").click()
    assert "Fulfilled" in page.locator('[role="status"]').inner_text()
    shot(page, "04-fulfilled")

    store = RequestStore(web_archive)
    request = store.get(request_id)
    assert request.status == "fulfilled" and request.closure["by"] == "clara"
    ledger = Ledger(store.path(request_id)).entries()
    assert len(ledger) == decided and {d.by for d in ledger} == {"clara"}
    assert ledger[0].reason == "Contact details of a private individual"
    assert page.dialogs == []


def test_every_app_page_meets_wcag_21_aa(page: Any, web: str, web_archive: Archive,
                                         captured: dict, axe_source: str) -> None:
    page.goto(f"{web}/login")
    assert_accessible(page, axe_source)
    page.get_by_label("Account name").fill("ada")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("#login-error").is_visible()
    assert_accessible(page, axe_source)
    sign_in(page, web, "ada")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    request = _request(web_archive, [_thread_with_pii(web_archive, captured["world"])])
    store = RequestStore(web_archive)
    store.log_time(request, StaffTime("search", 30, "Pat", "looked through the archive"))
    request.fee_options = charges.fee_options(web_archive.config, delivery="paper", pages=3,
                                              media={"usb": 1})
    store.save(request, "request.fees", **request.fee_options)
    with Catalog(web_archive.catalog_path) as catalog:
        media = next(catalog.iter_items("kind = 'media' AND classification = 'public'"))
        message = next(catalog.iter_items("kind = 'message'"))
    pages = ["/search", "/search?q=water&per=10", "/search?q=(snow",
             f"/item?ref={quote(_edited_post(web_archive))}", f"/item?ref={quote(media.ref)}",
             f"/item?ref={quote(message.ref)}", "/requests", "/requests?all=1",
             "/requests/new", f"/requests/{request.id}", f"/requests/{request.id}/review",
             f"/requests/{request.id}/review?show=all", "/admin/users", "/account",
             "/leave?url=https%3A%2F%2Fexample.org%2F", "/no-such-page"]
    for path in pages:
        page.goto(f"{web}{path}")
        if path == f"/requests/{request.id}":  # with its fee, staff time and their forms
            assert page.locator("#fee-caption, #time-caption").count() == 2
        assert_accessible(page, axe_source)
        shot(page, "axe-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60])


def _hostile_refs(archive: Archive) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        return [row.ref for row in catalog.iter_items()]


def test_xss_corpus_renders_as_text_in_the_app(page: Any, hostile: Archive,
                                              axe_source: str) -> None:
    with running(hostile) as base:
        sign_in(page, base, "clara")
        page.goto(f"{base}/search?q=*&scope=all&per=100")
        assert_nothing_ran(page)
        for ref in _hostile_refs(hostile):
            page.goto(f"{base}/item?ref={quote(ref)}")
            assert_nothing_ran(page)
            for link in page.locator("main a").all():  # nothing clickable leads to code
                href = link.get_attribute("href") or ""
                assert href.startswith(("/", "#", "http://", "https://")), href
        page.goto(f"{base}/item?ref={quote('mastodon:hostile:201')}")
        text = page.locator("main").inner_text()
        assert LITERAL_TEXTS["201"].split(" <scr")[0] in text
        assert HOSTILE_NAME in text
        page.goto(f"{base}/item?ref={quote('mastodon:hostile:101')}")
        text = page.locator("main").inner_text()
        assert f"<script>{PWN}</script>" in text and "<b onmouseover=" in text
        page.goto(f"{base}/item?ref={quote('mastodon:hostile:103')}")
        assert f"javascript:{PWN}" in page.locator("main").inner_text()
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert_accessible(page, axe_source)
        shot(page, "xss-app-item")


def test_xss_corpus_renders_as_text_in_a_bundle(page: Any, hostile: Archive, tmp_path: Path,
                                                axe_source: str) -> None:
    root = tmp_path / "archive"
    shutil.copytree(hostile.root, root)
    archive = Archive.open(root, hostile.env)
    request = _request(archive, _hostile_refs(archive))
    out = tmp_path / "bundle"
    export_bundle(archive, request, out, unreviewed="release")
    pages = [out / "data" / "index.html", *sorted((out / "data" / "items").glob("*.html"))]
    seen = ""
    for path in pages:
        page.goto(path.as_uri())
        assert_nothing_ran(page)
        seen += page.locator("main").inner_text()
        for link in page.locator("a").all():
            href = link.get_attribute("href") or ""
            assert not href.lower().startswith(("javascript:", "data:")), href
    assert f"<script>{PWN}</script>" in seen and HOSTILE_NAME in seen
    assert f"javascript:{PWN}" in seen
    for path in pages[:2]:
        page.goto(path.as_uri())
        assert_accessible(page, axe_source)
    shot(page, "xss-bundle-item")


def test_a_bundle_with_media_and_redactions_meets_wcag_21_aa(
        page: Any, web_archive: Archive, captured: dict, tmp_path: Path,
        axe_source: str) -> None:
    with Catalog(web_archive.catalog_path) as catalog:
        thread = _thread_with_pii(web_archive, captured["world"])
        media = next(catalog.iter_items("kind = 'media' AND classification = 'public'"))
        post = catalog.find(f"{media.platform}:{media.account}:{media.parent_id}")
        refs = [row.ref for row in catalog.thread(catalog.find(thread))]
        refs += [row.ref for row in catalog.thread(post)]
    request = _request(web_archive, list(dict.fromkeys(refs)))
    out = tmp_path / "bundle"
    result = export_bundle(web_archive, request, out, unreviewed="redact")
    assert result.redactions > 0
    index = out / "data" / "index.html"
    page.goto(index.as_uri())
    assert_accessible(page, axe_source)
    with_media = [p for p in sorted((out / "data" / "items").glob("*.html"))
                  if "<figure" in p.read_text("utf-8")]
    with_redaction = [p for p in sorted((out / "data" / "items").glob("*.html"))
                      if "redaction" in p.read_text("utf-8")]
    assert with_redaction, "the bundle must show a redaction"
    for path in [*with_media[:1], *with_redaction[:1]]:
        page.goto(path.as_uri())
        assert_accessible(page, axe_source)
        shot(page, f"axe-bundle-{path.stem}")


@pytest.mark.parametrize("name", ["sam"])
def test_staff_see_no_request_or_account_pages(page: Any, web: str, name: str) -> None:
    sign_in(page, web, name)
    nav = page.get_by_role("navigation", name="Main").inner_text()
    assert "Requests" not in nav and "Accounts" not in nav
    page.goto(f"{web}/requests")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
