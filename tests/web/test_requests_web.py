"""Requests through the app over HTTP: opening, adding, deciding (one entry, a category, a
whole item), status and notes, export as a deterministic zip of a valid bag, fulfilment;
staff time, delivery options and the fee, the response letter; accounts and passwords."""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import bagit
import httpx
from markupsafe import escape
from pypdf import PdfReader

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.requests import charges
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
    page = clerk.get(f"/requests/{rid}").text
    assert f'action="/requests/{rid}/time"' not in page and "/fees" not in page
    clerk.post(f"/requests/{rid}/time", activity="copying", minutes="5", staff="clara")
    assert "is fulfilled; it cannot change" in _messages(clerk, f"/requests/{rid}")[0]
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
    assert "Fees and staff time" not in page and "Response letter" not in page
    clerk.post(f"/requests/{request.id}/letter", unreviewed="redact")
    assert "produce it" in _messages(clerk, f"/requests/{request.id}")[0]
    clerk.post(f"/requests/{request.id}/time", activity="search", minutes="5", staff="clara")
    assert "discovery request" in _messages(clerk, f"/requests/{request.id}")[0]
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


# ----- fees, staff time and the response letter ----------------------------------------------
def _fee_section(page: str) -> str:
    return page.split('id="fees-h"', 1)[1].split("</section>", 1)[0]


def _rows(section: str, caption: str) -> list[list[str]]:
    table = section.split(f'id="{caption}"', 1)[1].split("</tbody>", 1)[0]
    return [[html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)]


def _fee_rows(fee: charges.FeeResult) -> list[list[str]]:
    return [[line.description, line.quantity, line.rate, f"${line.amount}", line.basis]
            for line in (*fee.statement.lines, *fee.statement.excluded)]


def _minutes_cost(minutes: int, hourly: str) -> Decimal:
    return (Decimal(minutes) * Decimal(hourly) / 60).quantize(Decimal("0.01"))


def test_staff_time_and_delivery_options_give_the_fee_with_its_arithmetic(
        signed_in, web_archive: Archive, captured: dict) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Fees check")
    clerk.post(f"/requests/{rid}/add", how="thread",
               value=_pii_thread(web_archive, captured["world"])[0])
    for activity, minutes, staff, note in (("search", "90", "Pat", "<b>archive</b> search"),
                                           ("redaction", "45", "", ""),
                                           ("copying", "30", "Lee", "")):
        response = clerk.post(f"/requests/{rid}/time", activity=activity, minutes=minutes,
                              staff=staff, note=note)
        assert response.status_code == 303
    assert _messages(clerk, f"/requests/{rid}") == ["Logged 30 min of copying; 165 min in all."]
    store = RequestStore(web_archive)
    request = store.get(rid)
    assert [(e["activity"], e["minutes"], e["staff"], e["by"]) for e in request.time_log] == [
        ("search", 90, "Pat", "clara"), ("redaction", 45, "clara", "clara"),
        ("copying", 30, "Lee", "clara")]

    # electronic copies (the default) to a public requester: actual cost, redaction free
    rates = web_archive.config.fees
    fee = charges.statement(web_archive.config, request, None)
    assert fee.statement.rule == "actual_cost"
    assert fee.statement.total == (_minutes_cost(90, rates.staff_hourly_rate)
                                   + _minutes_cost(30, rates.copy_hourly_rate))
    section = _fee_section(clerk.get(f"/requests/{rid}").text)
    assert _rows(section, "fee-caption") == _fee_rows(fee)
    assert [row[0] for row in _rows(section, "fee-caption")] == [
        "search by Pat (<b>archive</b> search)", "copying by Lee", "redaction by clara"]
    assert "&lt;b&gt;archive&lt;/b&gt;" in section and "<b>archive" not in section
    assert 'id="time-staff" name="staff" type="text" value="clara"' in section
    for line in fee.statement.explanation:
        assert f"<li>{escape(line)}</li>" in section
    assert f"Total due: <strong>${fee.statement.total}</strong>" in section
    assert _rows(section, "time-caption") == [["Pat", "search", "90", "<b>archive</b> search"],
                                              ["clara", "redaction", "45", ""],
                                              ["Lee", "copying", "30", ""]]

    # paper copies with a page count: the flat per-page charge, nothing added
    clerk.post(f"/requests/{rid}/fees", delivery="paper", pages="12")
    assert _messages(clerk, f"/requests/{rid}") == ["Delivery options saved: paper copies."]
    request = store.get(rid)
    assert request.fee_options == {"delivery": "paper", "pages": 12, "two_sided": False,
                                   "color_or_oversize": False, "media": {}}
    section = _fee_section(clerk.get(f"/requests/{rid}").text)
    rows = _rows(section, "fee-caption")
    per_page = f"${Decimal(rates.per_page):.2f}"
    assert rows[0] == ["Paper copies (one-sided)", "12 pages", f"{per_page}/page",
                       f"${12 * Decimal(rates.per_page):.2f}",
                       rates.citations["public_copies"]]
    assert [row[2] for row in rows[1:]] == ["not charged"] * 3
    assert rows == _fee_rows(charges.statement(web_archive.config, request, None))
    assert f"Total due: <strong>${12 * Decimal(rates.per_page):.2f}</strong>" in section
    audit = [e for e in web_archive.audit.entries() if e["subject"] == rid]
    assert (audit[-1]["action"], audit[-1]["actor"]) == ("request.fees", "clara")
    assert audit[-1]["details"]["pages"] == 12

    # bad values: one line saying what is wrong, nothing saved
    before = store.get(rid).to_dict()
    for fields, expected in (({"delivery": "paper", "pages": "-3"}, "Pages must be"),
                             ({"delivery": "paper", "pages": "many"}, "Pages must be"),
                             ({"delivery": "mail"}, "'mail' is not"),
                             ({"delivery": "electronic", "media:floppy": "1"},
                              "no cost configured for floppy"),
                             ({"delivery": "electronic", "media:usb": "-1"},
                              "count of usb must be")):
        assert clerk.post(f"/requests/{rid}/fees", **fields).status_code == 303
        assert expected in html.unescape(_messages(clerk, f"/requests/{rid}")[0]), fields
    for fields, expected in (({"activity": "lunch", "minutes": "5"}, "unknown staff activity"),
                             ({"activity": "search", "minutes": "-5"}, "Minutes must be"),
                             ({"activity": "search", "minutes": ""}, "Minutes must be")):
        clerk.post(f"/requests/{rid}/time", staff="Pat", **fields)
        assert expected in html.unescape(_messages(clerk, f"/requests/{rid}")[0]), fields
    assert store.get(rid).to_dict() == before

    # paper without a page count: estimated from the response; media at their unit cost
    clerk.post(f"/requests/{rid}/fees", delivery="paper", pages="", **{"media:usb": "1"})
    request = store.get(rid)
    assert request.fee_options["pages"] is None and request.fee_options["media"] == {"usb": 1}
    estimated = charges.request_statement(web_archive, request)
    assert estimated.estimated and estimated.pages >= 1
    assert estimated.statement.rule == "actual_cost"  # media make it actual cost
    section = _fee_section(clerk.get(f"/requests/{rid}").text)
    assert f"Pages: {estimated.pages}, estimated from the response" in section
    assert _rows(section, "fee-caption") == _fee_rows(estimated)
    assert ["media: usb", "1", f"${Decimal(rates.media_unit_cost['usb']):.2f} each",
            f"${Decimal(rates.media_unit_cost['usb']):.2f}",
            rates.citations["actual_cost"]] in _rows(section, "fee-caption")
    assert 'name="media:usb" type="number" min="0" step="1" inputmode="numeric" value="1"' \
        in section


def test_a_fee_that_cannot_be_computed_says_why(signed_in, web_archive: Archive) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Nothing gathered yet")
    clerk.post(f"/requests/{rid}/fees", delivery="paper")
    page = clerk.get(f"/requests/{rid}")
    assert page.status_code == 200
    section = _fee_section(page.text)
    problem = re.search(r'<p id="fee-problem">(.*?)</p>', section, re.S).group(1)
    assert f"request {rid} has no items" in problem
    assert 'id="fee-caption"' not in section and 'action="/requests/' in section


def test_the_response_letter_downloads_as_a_pdf_and_is_audited(
        signed_in, web_archive: Archive, captured: dict) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Letter check")
    clerk.post(f"/requests/{rid}/add", how="thread",
               value=_pii_thread(web_archive, captured["world"])[0])
    clerk.post(f"/requests/{rid}/time", activity="search", minutes="45", staff="Pat")
    refused = clerk.post(f"/requests/{rid}/letter", unreviewed="")
    assert refused.status_code == 303 and refused.headers["location"] == f"/requests/{rid}"
    assert "await review" in _messages(clerk, f"/requests/{rid}")[0]
    assert not [e for e in web_archive.audit.entries()
                if e["action"] == "request.letter" and e["subject"] == rid]

    response = clerk.post(f"/requests/{rid}/letter", unreviewed="redact")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="{rid}-letter.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(response.content)).pages).split())
    fee = charges.request_statement(web_archive, RequestStore(web_archive).get(rid))
    assert fee.statement.total == _minutes_cost(45, web_archive.config.fees.staff_hourly_rate)
    assert f"Response to public data request {rid}" in text
    assert f"Total due: ${fee.statement.total}." in text
    entry = list(web_archive.audit.entries())[-1]
    assert (entry["action"], entry["actor"], entry["subject"]) == ("request.letter", "clara",
                                                                   rid)
    assert entry["details"]["fee_total"] == str(fee.statement.total)

    subject = RequestStore(web_archive).create(
        kind="subject", received=web_archive.env.now(), requester={}, channel=None,
        description="", details={}, subject_handles=["kia_her"])
    clerk.post(f"/requests/{subject.id}/letter", unreviewed="release")
    assert "has not been verified" in _messages(clerk, f"/requests/{subject.id}")[0]


def test_closed_requests_take_no_staff_time_or_fee_options(signed_in,
                                                          web_archive: Archive) -> None:
    clerk = signed_in("clara")
    rid = _open(clerk, "Will be denied")
    clerk.post(f"/requests/{rid}/time", activity="search", minutes="20", staff="Pat")
    clerk.post(f"/requests/{rid}/status", status="denied", reason="No such data exists",
               basis="Minn. Stat. § 13.03, subd. 3(f)")
    store = RequestStore(web_archive)
    before = store.get(rid).to_dict()
    page = clerk.get(f"/requests/{rid}").text
    section = _fee_section(page)
    assert 'id="fee-caption"' in section and "<form" not in section
    assert f'action="/requests/{rid}/time"' not in page
    assert f'action="/requests/{rid}/fees"' not in page
    rejected = clerk.post(f"/requests/{rid}/time", activity="search", minutes="5", staff="Pat")
    assert rejected.status_code == 303
    assert "is denied; it cannot change" in _messages(clerk, f"/requests/{rid}")[0]
    clerk.post(f"/requests/{rid}/fees", delivery="paper", pages="3")
    assert "is denied; it cannot change" in _messages(clerk, f"/requests/{rid}")[0]
    assert store.get(rid).to_dict() == before

    # the denial letter is written after the denial
    assert f'action="/requests/{rid}/letter"' in page and 'name="unreviewed"' not in \
        page.split('id="letter-h"', 1)[1].split("</section>", 1)[0]
    letter = clerk.post(f"/requests/{rid}/letter")
    assert letter.status_code == 200, flash(clerk.get(f"/requests/{rid}").text)
    text = " ".join(" ".join(p.extract_text() for p in
                             PdfReader(io.BytesIO(letter.content)).pages).split())
    fee = charges.request_statement(web_archive, store.get(rid))
    assert "denied under Minn. Stat. § 13.03, subd. 3(f)" in text
    assert f"Total due: ${fee.statement.total}." in text


def test_fees_and_letters_are_for_clerks(signed_in, web_archive: Archive) -> None:
    clerk, staff = signed_in("clara"), signed_in("sam")
    rid = _open(clerk, "Roles check")
    assert staff.get(f"/requests/{rid}").status_code == 403
    for path, fields in (("time", {"activity": "search", "minutes": "5", "staff": "sam"}),
                         ("fees", {"delivery": "paper", "pages": "1"}), ("letter", {})):
        assert staff.post(f"/requests/{rid}/{path}", **fields).status_code == 403
        assert clerk.http.post(f"/requests/{rid}/{path}", data=fields).status_code == 403
    with httpx.Client(base_url=clerk.base) as anonymous:
        assert anonymous.post(f"/requests/{rid}/letter").status_code == 403
    request = RequestStore(web_archive).get(rid)
    assert request.time_log == [] and request.fee_options == {}
    assert not [e for e in web_archive.audit.entries()
                if e["action"] == "request.letter" and e["subject"] == rid]
