"""Reviewing a request: the numbered list with masked context, decisions singly and in bulk,
statute-backed redaction, media a person must look at, and messages flagged for review."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.requests.gather import thread_refs
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import RequestStore
from tests.requests.conftest import cli_runner, open_with

SSN_THREAD = "116711085043471518"  # dave76: a phone number and two SSNs
EMAIL_THREAD = "117414462573356446"  # akowalski: an e-mail address


def _entries(cli, request_id: str, *extra: str) -> list[dict]:  # type: ignore[no-untyped-def]
    status, out, err = cli("request", "review", request_id, "--all", "--format", "json", *extra)
    assert status == 0, err
    return json.loads(out)


def test_candidates_are_listed_masked_and_decided_with_who_and_why(
        sample_copy: Archive, captured: dict, tmp_path: Path) -> None:
    archive = sample_copy
    with Catalog(archive.catalog_path) as catalog:
        refs = thread_refs(catalog, SSN_THREAD) + thread_refs(catalog, EMAIL_THREAD)
    request = open_with(archive, "public", refs)
    cli = cli_runner(archive.env, archive.root)
    entries = _entries(cli, request.id)
    by_category = {e["category"]: e for e in entries if e["target"] == "candidate"}
    assert {"ssn", "phone", "email"} <= set(by_category)
    ssns = [s.value for s in captured["world"].seeded_pii() if s.category == "ssn"]
    listing = json.dumps(entries)
    assert not any(value in listing or value.replace("-", "") in listing for value in ssns)
    assert "[ssn]" in by_category["ssn"]["context"]
    assert by_category["ssn"]["status"] == "auto-redact"
    assert by_category["phone"]["status"] == "undecided"
    assert [e["number"] for e in entries] == list(range(1, len(entries) + 1))

    status, _, err = cli("request", "review", request.id, str(by_category["ssn"]["number"]),
                         "--decide", "reject", "--reason", "it is fine")
    assert status == 8 and "redacted by statute" in err
    status, _, err = cli("request", "review", request.id, "--category", "phone", "--decide",
                         "accept")
    assert status == 2 and "--reason" in err
    status, out, _ = cli("request", "review", request.id, str(by_category["phone"]["number"]),
                         "--decide", "accept", "--reason", "a resident's cell number")
    assert status == 0 and "1 entry" in out
    status, out, _ = cli("request", "review", request.id, by_category["email"]["key"],
                         "--decide", "reject", "--reason", "posted publicly by its owner")
    assert status == 0
    remaining = [e for e in _entries(cli, request.id)
                 if e["status"] == "undecided" and e["target"] == "candidate"]
    categories = sorted({e["category"] for e in remaining})
    assert categories, "the minor-related sentences are still undecided"
    status, _, err = cli("request", "review", request.id, "--category", "media", "--decide",
                         "accept", "--reason", "x")
    assert status == 2 and "whole item" in err
    status, out, _ = cli("request", "review", request.id, "--decide", "accept", "--reason",
                         "children's details", *(x for c in categories for x in ("--category", c)))
    assert status == 0 and f"{len(remaining)} entr" in out
    looks = [e for e in _entries(cli, request.id) if e["category"] == "media"]
    status, out, _ = cli("request", "review", request.id, "--category", "media", "--decide",
                         "release", "--reason", "photos of the rink; nobody recognisable")
    assert status == 0 and f"{len(looks)} entr" in out
    after = {e["key"]: e for e in _entries(cli, request.id)}
    assert after[by_category["phone"]["key"]]["status"] == "redact"
    assert after[by_category["phone"]["key"]]["decided_by"] == "test-clerk"
    assert after[by_category["phone"]["key"]]["basis"] == "Minn. Stat. § 13.356"
    assert after[by_category["email"]["key"]]["status"] == "release"
    assert after[by_category["email"]["key"]]["reason"] == "posted publicly by its owner"
    ledger = Ledger(RequestStore(archive).path(request.id)).entries()
    assert len(ledger) == 2 + len(remaining) + len(looks)
    assert all(d.by == "test-clerk" and d.reason for d in ledger)
    audit = [e for e in archive.audit.entries() if e["action"] == "request.decide"]
    assert len(audit) == 4 and audit[0]["details"]["keys"] == [by_category["phone"]["key"]]

    out_dir = tmp_path / "bundle"
    status, out, err = cli("request", "export", request.id, "--out", str(out_dir))
    assert status == 0, err
    texts = (out_dir / "data" / "items.jsonl").read_text()
    email = next(s.value for s in captured["world"].seeded_pii()
                 if s.category == "email" and s.item_ref in {r.split(":")[2] for r in refs})
    phone = next(s.value for s in captured["world"].seeded_pii()
                 if s.category == "phone" and s.item_ref in {r.split(":")[2] for r in refs})
    assert email in texts and phone not in texts
    log = list(csv.DictReader(io.StringIO((out_dir / "data" / "redactions.csv").read_text())))
    assert {("phone", "decided", "test-clerk"), ("ssn", "auto", "")} <= \
        {(r["category"], r["decision"], r["decided_by"]) for r in log}


def test_media_posted_by_the_public_is_looked_at_before_release(
        sample_copy: Archive, tmp_path: Path) -> None:
    archive = sample_copy
    with Catalog(archive.catalog_path) as catalog:
        contributed = [row for row in catalog.iter_items("kind = 'media'")
                       if catalog.find(f"{row.platform}:{row.account}:{row.parent_id}").kind
                       == "comment"][:2]
        city = next(row for row in catalog.iter_items("kind = 'media'")
                    if catalog.find(f"{row.platform}:{row.account}:{row.parent_id}").kind
                    == "post")
    assert len(contributed) == 2
    request = open_with(archive, "public", [r.ref for r in (*contributed, city)])
    cli = cli_runner(archive.env, archive.root)
    status, _, err = cli("request", "export", request.id, "--out", str(tmp_path / "refused"))
    assert status == 8 and "2 media to look at" in err
    assert not (tmp_path / "refused").exists()
    looks = [e for e in _entries(cli, request.id) if e["category"] == "media"]
    assert {e["item_ref"] for e in looks} == {r.ref for r in contributed}
    assert cli("request", "review", request.id, str(looks[0]["number"]), "--decide", "release",
               "--reason", "a pothole; no people or plates")[0] == 0
    status, _, err = cli("request", "review", request.id, str(looks[1]["number"]), "--decide",
                         "withhold", "--reason", "shows a neighbour's child")
    assert status == 2 and "--basis" in err
    assert cli("request", "review", request.id, str(looks[1]["number"]), "--decide",
               "withhold", "--basis", "Minn. Stat. § 13.02, subd. 12", "--reason",
               "shows a neighbour's child")[0] == 0
    out = tmp_path / "bundle"
    status, _, err = cli("request", "export", request.id, "--out", str(out))
    assert status == 0, err
    items = [json.loads(line) for line in (out / "data" / "items.jsonl").read_text().splitlines()]
    withheld = [i for i in items if i.get("withheld")]
    assert [i["withheld"] for i in withheld] == ["Minn. Stat. § 13.02, subd. 12"]
    assert sum(1 for i in items if i.get("file")) == 2
    letter = (out / "data" / "letter.html").read_text()
    assert "1 image(s) or other media posted by members of the public were looked at" in letter
    log = list(csv.DictReader(io.StringIO((out / "data" / "redactions.csv").read_text())))
    assert [(r["action"], r["decision"], r["decided_by"]) for r in log] == \
        [("withheld", "decided", "test-clerk")]
    second = open_with(archive, "public", [r.ref for r in contributed])
    status, out_text, err = cli("request", "export", second.id, "--out", str(tmp_path / "b2"),
                                "--unreviewed", "redact", "--format", "json")
    assert status == 0, err
    assert json.loads(out_text)["withheld"] == 2
    assert json.loads(out_text)["bases"] == {archive.config.redaction.image_basis: 2}


def test_messages_flagged_by_classification_can_be_released_after_review(
        sample_copy: Archive, tmp_path: Path) -> None:
    archive = sample_copy
    with Catalog(archive.catalog_path) as catalog:
        mayor = [row for row in catalog.iter_items("kind = 'message' AND account = ?",
                                                   ("lakeside-mayor",))]
    assert mayor and all(row.legal_basis == "Minn. Stat. § 13.601, subd. 2" for row in mayor)
    request = open_with(archive, "public", [row.ref for row in mayor])
    cli = cli_runner(archive.env, archive.root)
    flagged = [e for e in _entries(cli, request.id) if e["target"] == "item"]
    assert {e["status"] for e in flagged} == {"withheld"}
    assert {e["basis"] for e in flagged} == {"Minn. Stat. § 13.601, subd. 2"}
    assert cli("request", "review", request.id, "--category", "item", "--decide", "release",
               "--reason", "the mayor posted this exchange publicly on 2026-10-30")[0] == 0
    out = tmp_path / "bundle"
    status, text, err = cli("request", "export", request.id, "--out", str(out), "--unreviewed",
                            "redact", "--format", "json")
    assert status == 0, err
    assert json.loads(text)["withheld"] == 0
    assert "Data withheld in full" not in (out / "data" / "letter.html").read_text()


def test_discovery_requests_use_the_same_review_list_but_no_response_letter(
        sample_copy: Archive, tmp_path: Path) -> None:
    archive = sample_copy
    cli = cli_runner(archive.env, archive.root)
    status, out, err = cli("request", "open", "--kind", "discovery", "--matter", "M-2026-1",
                           "--bates-prefix", "LKS", "--format", "json")
    assert status == 0, err
    request_id = json.loads(out)["id"]
    assert cli("request", "add", request_id, "--thread", SSN_THREAD)[0] == 0
    entries = _entries(cli, request_id)
    assert {"ssn", "phone"} <= {e["category"] for e in entries}
    assert "media" not in {e["category"] for e in entries}  # productions image everything
    phone = next(e for e in entries if e["category"] == "phone")
    assert cli("request", "review", request_id, str(phone["number"]), "--decide", "accept",
               "--reason", "non-party's number")[0] == 0
    assert Ledger(RequestStore(archive).path(request_id)).latest()[phone["key"]].action == \
        "redact"
    for command in (("fees",), ("letter", "--out", str(tmp_path / "letter"))):
        status, _, err = cli("request", command[0], request_id, *command[1:])
        assert status == 8 and "volumes" in err
