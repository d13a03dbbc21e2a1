"""Fees from the archive's [fees] schedule with the arithmetic shown, and the response letter
(HTML and a PDF whose text layer pypdf reads) with every statute from the config."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

from pypdf import PdfReader

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.requests.gather import thread_refs
from tests.requests.conftest import cli_runner, open_with

CARD_THREAD = "116637171008455070"


def _configure(archive: Archive, **values: str) -> Archive:
    path = archive.config_path
    text = path.read_text()
    for key, value in values.items():
        line = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(line, f"{key} = {value}", 1)
    path.write_text(text)
    return Archive.open(archive.root, archive.env)


def _fees(cli, request_id: str, *options: str) -> dict:  # type: ignore[no-untyped-def]
    status, out, err = cli("request", "fees", request_id, *options, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def test_fees_follow_the_configured_schedule_and_never_charge_redaction(
        sample_copy: Archive) -> None:
    archive = _configure(sample_copy, staff_hourly_rate='"40.00"',
                         rate_source='"Council Resolution 2026-12"')
    with Catalog(archive.catalog_path) as catalog:
        refs = thread_refs(catalog, CARD_THREAD)
    request = open_with(archive, "public", refs)
    cli = cli_runner(archive.env, archive.root)
    for activity, minutes in (("search", "90"), ("redaction", "60"), ("copying", "30")):
        assert cli("request", "time", request.id, "--activity", activity, "--minutes", minutes,
                   "--staff", "Pat")[0] == 0
    status, _, err = cli("request", "time", request.id, "--activity", "lunch", "--minutes",
                         "5", "--staff", "Pat")
    assert status == 2 and "unknown staff activity" in err
    fee = _fees(cli, request.id, "--delivery", "electronic")
    assert fee["rule"] == "actual_cost" and fee["total"] == "70.00"
    assert [(line["description"], line["amount"]) for line in fee["lines"]] == \
        [("search by Pat", "60.00"), ("copying by Pat", "10.00")]
    assert [line["description"] for line in fee["excluded"]] == ["redaction by Pat"]
    assert fee["excluded"][0]["basis"] == "Minn. Stat. § 13.03, subd. 3(c)"
    assert "Rates: Council Resolution 2026-12" in fee["explanation"]
    assert "search by Pat: 90 min ÷ 60 × $40.00/hour = $60.00" in fee["explanation"]
    hundred = _fees(cli, request.id, "--delivery", "paper", "--pages", "100")
    assert (hundred["rule"], hundred["total"]) == ("public_copies", "25.00")
    more = _fees(cli, request.id, "--delivery", "paper", "--pages", "101")
    assert (more["rule"], more["total"]) == ("actual_cost", "70.00")
    estimated = _fees(cli, request.id, "--delivery", "paper")
    with Catalog(archive.catalog_path) as catalog:
        rows = [catalog.find(ref) for ref in refs]
        versions = catalog.versions_of(row.id for row in rows)
    pages = sum(1 if row.kind == "media" else max(1, math.ceil(sum(
        len(v.item().text) + len(v.item().title) for v in versions[row.id]) / 3000))
        for row in rows)
    assert estimated["estimated"] and estimated["pages"] == pages
    assert estimated["total"] == f"{pages * 0.25:.2f}"
    status, out, _ = cli("request", "fees", request.id)
    assert status == 0 and "0.25" in out and f"{pages} pages" in out
    status, _, err = cli("request", "fees", request.id, "--media", "floppy=1")
    assert status == 2 and "floppy" in err
    entries = [e for e in archive.audit.entries() if e["action"] == "request.fees"]
    assert len(entries) == 4 and entries[-1]["details"]["delivery"] == "paper"


def test_data_subjects_pay_copies_only_and_small_fees_can_be_waived(
        sample_copy: Archive) -> None:
    archive = _configure(sample_copy, waiver_threshold='"5.00"')
    request = open_with(archive, "subject", [], handles=["kia_her"])
    cli = cli_runner(archive.env, archive.root)
    cli("request", "time", request.id, "--activity", "search", "--minutes", "120",
        "--staff", "Pat")
    cli("request", "time", request.id, "--activity", "copying", "--minutes", "12",
        "--staff", "Lee")
    fee = _fees(cli, request.id, "--delivery", "electronic")
    assert fee["rule"] == "subject_copies" and fee["subtotal"] == "4.00"
    assert fee["waived"] and fee["total"] == "0.00"
    assert [line["description"] for line in fee["excluded"]] == ["search by Pat"]
    broken = archive.config_path.read_text().replace('per_page = "0.25"', 'per_page = "cheap"')
    archive.config_path.write_text(broken)
    status, _, err = cli("request", "fees", request.id)
    assert status == 6 and "civicrecords.toml:" in err and "per_page" in err


def test_letter_lists_statutes_fee_and_contact_in_html_and_pdf(
        sample_copy: Archive, tmp_path: Path) -> None:
    archive = _configure(sample_copy, contact='"City Clerk, 100 Main Street, Lakeside MN"',
                         responsible_authority='"City Clerk"')
    with Catalog(archive.catalog_path) as catalog:
        refs = thread_refs(catalog, CARD_THREAD)
        refs += [r.ref for r in catalog.iter_items("kind = 'message'", limit=2)]
    request = open_with(archive, "public", refs)
    cli = cli_runner(archive.env, archive.root)
    cli("request", "time", request.id, "--activity", "search", "--minutes", "30",
        "--staff", "Pat")
    out = tmp_path / "bundle"
    status, _, err = cli("request", "export", request.id, "--out", str(out), "--unreviewed",
                         "redact")
    assert status == 0, err
    html = (out / "data" / "letter.html").read_text()
    pdf = (out / "data" / "letter.pdf").read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for expected in (request.id, "Minn. Stat. § 13.03", "Minn. Stat. § 13.37, subd. 1(a)",
                     "Minn. Stat. § 13.02, subd. 12", "Payment card number", "$15.00",
                     "City Clerk, 100 Main Street, Lakeside MN", "Data withheld in full"):
        assert expected in html, expected
        assert expected in flat, expected
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf  # embedded TrueType font
    index = (out / "data" / "index.html").read_text()
    assert 'href="letter.html"' in index and 'href="letter.pdf"' in index


def test_hostile_requester_text_is_data_in_the_letter(sample_copy: Archive,
                                                      tmp_path: Path) -> None:
    archive = sample_copy
    cli = cli_runner(archive.env, archive.root)
    status, out, _ = cli("request", "open", "--kind", "public", "--requester",
                         "<script>alert(1)</script>\u202e Bob", "--description",
                         "all posts\r\nX-Injected: 1 about <b>snow</b>", "--format", "json")
    assert status == 0
    request_id = json.loads(out)["id"]
    with Catalog(archive.catalog_path) as catalog:
        item = next(catalog.iter_items("kind = 'post'", limit=1)).ref
    cli("request", "add", request_id, "--item", item)
    assert cli("request", "letter", request_id, "--out", str(tmp_path / "letter"),
               "--unreviewed", "redact")[0] == 0
    html = (tmp_path / "letter" / "letter.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>snow</b>" not in html
    pdf = PdfReader(str(tmp_path / "letter" / "letter.pdf"))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "<script>alert(1)</script>" in text and "X-Injected" in text


def test_a_denial_letter_cites_the_statute(sample_copy: Archive, tmp_path: Path) -> None:
    archive = sample_copy
    cli = cli_runner(archive.env, archive.root)
    request_id = json.loads(cli("request", "open", "--kind", "public", "--format",
                                "json")[1])["id"]
    assert cli("request", "status", request_id, "denied", "--basis",
               "Minn. Stat. § 13.37, subd. 2", "--reason",
               "The data are security information.")[0] == 0
    status, _, err = cli("request", "letter", request_id, "--out", str(tmp_path / "l"))
    assert status == 0, err
    text = " ".join(" ".join(p.extract_text() for p in
                             PdfReader(str(tmp_path / "l" / "letter.pdf")).pages).split())
    assert "denied under Minn. Stat. § 13.37, subd. 2" in text
    assert "security information" in text
    status, _, err = cli("request", "letter", request_id, "--out", str(tmp_path / "l"))
    assert status == 6 and "not an empty directory" in err
    subject_id = json.loads(cli("request", "open", "--kind", "subject", "--subject", "kia_her",
                                "--format", "json")[1])["id"]
    status, _, err = cli("request", "letter", subject_id, "--out", str(tmp_path / "s"))
    assert status == 8 and "identity" in err
