"""Requests through the app over HTTP: opening, adding, deciding (one entry, a category, a
whole item), status and notes, export as a deterministic zip of a valid bag, fulfilment;
accounts and passwords."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import bagit

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.requests.gather import add_items
from civicrecords.requests.review import Ledger, item_key
from civicrecords.requests.store import RequestStore
from civicrecords.web.users import UserStore
from tests.web.support import Browserless, flash


def _pii_thread(archive: Archive, world: Any) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        for seeded in world.seeded_pii():
            if seeded.category in ("phone", "email"):
                try:
                    item = catalog.find(seeded.item_ref)
                except Exception:  # an item the city's token cannot see
                    continue
                if item.is_public:
                    return [row.ref for row in catalog.thread(item)]
    raise AssertionError("no public thread with a phone number or email")


def _open(clerk: Browserless, description: str) -> str:
    response = clerk.post("/requests/new", kind="public", requester="A. Resident",
                          description=description)
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def _messages(clerk: Browserless, path: str) -> list[str]:
    return flash(clerk.get(path).text)


def test_decisions_by_entry_category_and_item_reach_the_bundle(
        signed_in, web_archive: Archive, captured: dict) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "A thread with personal data")
    refs = _pii_thread(web_archive, captured["world"])
    response = clerk.post(f"/requests/{rid}/add", how="thread", value=refs[0])
    assert response.status_code == 303
    assert _messages(clerk, f"/requests/{rid}")[0].startswith("Added")
    review = clerk.get(f"/requests/{rid}/review").text
    keys = re.findall(r'name="key" value="([^"]+)"', review)
    assert keys, "the thread has PII candidates"
    missing_reason = clerk.post(f"/requests/{rid}/decide", key=keys[0], choice="accept",
                                reason="", next="entry-1")
    assert missing_reason.headers["location"].endswith("#entry-1")
    assert "reason is required" in _messages(clerk, f"/requests/{rid}/review")[0]
    clerk.post(f"/requests/{rid}/decide", key=keys[0], choice="accept",
               reason="A resident's phone number", next="entry-2")
    categories = re.findall(r'<option value="([a-z_]+)">', review.split("bulk-category")[1]
                            .split("</select>")[0])
    for category in categories:
        clerk.post(f"/requests/{rid}/decide-category", category=category, choice="reject",
                   reason="Shared publicly by its owner")
    withheld = refs[-1]
    response = clerk.post(f"/requests/{rid}/decide-item", ref=withheld, choice="withhold",
                          basis="Minn. Stat. § 13.43", reason="A personnel matter")
    assert response.status_code == 303
    outsider = clerk.post(f"/requests/{rid}/decide-item", ref="mastodon:x:1",
                          choice="withhold", basis="x", reason="x")
    assert outsider.status_code == 404
    ledger = Ledger(RequestStore(web_archive).path(rid)).latest()
    assert ledger[keys[0]].action == "redact" and ledger[keys[0]].by == "clara"
    assert ledger[item_key(withheld)].basis == "Minn. Stat. § 13.43"
    assert "Nothing is waiting for a decision." in clerk.get(f"/requests/{rid}/review").text

    clerk.post(f"/requests/{rid}/export", unreviewed="")
    page = clerk.get(f"/requests/{rid}").text
    assert flash(page)[0].startswith("Bundle"), flash(page)
    link = re.search(r'href="(/requests/[^"]+\.zip)"', page).group(1)
    first, second = clerk.get(link), clerk.get(link)
    assert first.headers["content-type"] == "application/zip"
    assert hashlib.sha256(first.content).digest() == hashlib.sha256(second.content).digest()
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive_zip:
        names = archive_zip.namelist()
        assert names == sorted(names)
        index = archive_zip.read(next(n for n in names if n.endswith("data/index.html")))
        archive_zip.extractall(web_archive.root.parent / f"unzipped-{rid}")
    assert "Withheld under Minn. Stat. § 13.43".encode() in index
    (bag,) = (web_archive.root.parent / f"unzipped-{rid}").iterdir()
    assert bagit.Bag(str(bag)).is_valid()
    request = RequestStore(web_archive).get(rid)
    assert request.exports[-1]["by"] == "clara" and request.status == "ready"
    assert Path(request.exports[-1]["path"]).parent.name == "exports"

    clerk.post(f"/requests/{rid}/fulfil", via="")
    assert "Say how" in _messages(clerk, f"/requests/{rid}")[0]
    clerk.post(f"/requests/{rid}/fulfil", via="email to the requester")
    assert _messages(clerk, f"/requests/{rid}")[0].startswith("Fulfilled")
    closed = clerk.post(f"/requests/{rid}/note", text="called the requester")
    assert closed.status_code == 303
    assert RequestStore(web_archive).get(rid).notes[-1]["by"] == "clara"


def test_status_changes_need_their_reasons(signed_in, web_archive: Archive) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Nothing found")
    clerk.post(f"/requests/{rid}/status", status="denied", reason="", basis="")
    assert "required" in _messages(clerk, f"/requests/{rid}")[0]
    clerk.post(f"/requests/{rid}/status", status="denied", reason="No such data exists",
               basis="Minn. Stat. § 13.03, subd. 3(f)")
    assert RequestStore(web_archive).get(rid).status == "denied"
    history = RequestStore(web_archive).get(rid).history
    assert history[-1]["by"] == "clara" and history[-1]["action"] == "request.status"


def test_requests_list_shows_business_day_deadlines(signed_in, web_archive: Archive) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Deadline check")
    request = RequestStore(web_archive).get(rid)
    page = clerk.get("/requests").text
    row = page.split(f">{rid}</a>", 1)[1].split("</tr>", 1)[0]
    assert f"<td>{request.due}</td>" in row
    assert re.search(r"<td>(\d+)</td>\s*<td>(\d+)</td>", row)  # elapsed, left


def test_accounts_are_managed_by_admins(signed_in, web_archive: Archive) -> None:
    admin = signed_in("ada")
    mismatch = admin.post("/admin/users", name="newclerk", role="clerk",
                          password="one long password", again="another long password")
    assert mismatch.status_code == 400
    assert 'id="add-error"' in mismatch.text and 'aria-describedby="add-error"' in mismatch.text
    added = admin.post("/admin/users", name="newclerk", role="clerk",
                       password="one long password", again="one long password")
    assert added.status_code == 303
    assert UserStore(web_archive).get("newclerk").role == "clerk"
    admin.post("/admin/users/newclerk/role", role="staff")
    assert UserStore(web_archive).get("newclerk").role == "staff"
    own = admin.post("/admin/users/ada/disable")
    assert own.status_code == 303 and not UserStore(web_archive).get("ada").disabled
    assert "cannot disable your own account" in _messages(admin, "/admin/users")[0]
    actions = [(e["action"], e["actor"]) for e in web_archive.audit.entries()
               if e["subject"] == "newclerk"]
    assert actions == [("user.add", "ada"), ("user.role", "ada")]


def test_changing_ones_own_password_signs_out_everywhere(signed_in,
                                                         web_archive: Archive) -> None:
    UserStore(web_archive).add("pat", "staff", "pat-first-password")
    pat, elsewhere = signed_in("pat", "pat-first-password"), signed_in("pat",
                                                                     "pat-first-password")
    wrong = pat.post("/account/password", current="not-it", new="pat-second-password",
                     again="pat-second-password")
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    changed = pat.post("/account/password", current="pat-first-password",
                       new="pat-second-password", again="pat-second-password")
    assert changed.status_code == 303
    assert pat.get("/search").status_code == 303 and elsewhere.get("/search").status_code == 303
    assert UserStore(web_archive).verify("pat", "pat-second-password") is not None


def test_discovery_requests_build_production_volumes(signed_in, web_archive: Archive,
                                                     captured: dict) -> None:
    store = RequestStore(web_archive)
    request = store.create(kind="discovery", received=web_archive.env.now(), requester={},
                           channel="subpoena", description="Smith v. City", details={
                               "matter": "smith-v-city", "bates_prefix": "LAKE",
                               "confidentiality": "CONFIDENTIAL"})
    add_items(request, _pii_thread(web_archive, captured["world"]), {"type": "test"},
              "test-clerk", web_archive.env.now())
    store.save(request, "request.add")
    clerk = signed_in("clara")
    page = clerk.get(f"/requests/{request.id}").text
    assert "Build the next production volume" in page and "Record delivery" not in page
    clerk.post(f"/requests/{request.id}/export", unreviewed="redact")
    page = clerk.get(f"/requests/{request.id}").text
    assert flash(page)[0].startswith("Volume VOL001 built: LAKE"), flash(page)
    assert "production volume VOL001" in page
    link = re.search(r'href="(/requests/[^"]+/VOL001\.zip)"', page).group(1)
    with zipfile.ZipFile(io.BytesIO(clerk.get(link).content)) as archive_zip:
        names = archive_zip.namelist()
    assert all(name.startswith("VOL001/") for name in names)
    assert any(name.endswith(".dat") for name in names)
    exported = store.get(request.id).exports[-1]
    assert exported["by"] == "clara" and Path(exported["path"]).parent.name == "production"
