"""Recording delivery (only of a verified, current bundle) and the data inventory."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.requests.gather import thread_refs
from civicrecords.requests.store import RequestStore
from tests.requests.conftest import cli_runner, open_with

THREAD = "116637171008455070"


def test_fulfil_records_the_verified_bundle_and_closes_the_request(
        sample_copy: Archive, tmp_path: Path) -> None:
    archive = sample_copy
    with Catalog(archive.catalog_path) as catalog:
        refs = thread_refs(catalog, THREAD)
        extra = next(catalog.iter_items("kind = 'post'", limit=1)).ref
    request = open_with(archive, "public", refs)
    cli = cli_runner(archive.env, archive.root)
    status, _, err = cli("request", "fulfil", request.id, "--via", "email")
    assert status == 8 and "no export" in err
    bundle = tmp_path / "bundle"
    assert cli("request", "export", request.id, "--out", str(bundle), "--unreviewed",
               "redact")[0] == 0
    letter = bundle / "data" / "letter.html"
    original = letter.read_bytes()
    letter.write_bytes(original.replace(b"Response", b"Respons3", 1))
    status, _, err = cli("request", "fulfil", request.id, "--via", "email")
    assert status == 3 and "does not verify" in err
    letter.write_bytes(original)
    assert cli("request", "add", request.id, "--item", extra)[0] == 0
    assert RequestStore(archive).get(request.id).status == "gathering"
    status, _, err = cli("request", "fulfil", request.id, "--via", "email")
    assert status == 8 and "changed after" in err
    second = tmp_path / "bundle2"
    assert cli("request", "export", request.id, "--out", str(second), "--unreviewed",
               "redact")[0] == 0
    status, _, err = cli("request", "fulfil", request.id, "--via", "email", "--bundle",
                         str(bundle))
    assert status == 8 and "changed after" in err
    status, out, err = cli("request", "fulfil", request.id, "--via", "secure portal",
                           "--delivered", "2026-11-20T10:15")
    assert status == 0, err
    assert "via secure portal" in out
    closed = RequestStore(archive).get(request.id)
    digest = hashlib.sha256((second / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert closed.status == "fulfilled"
    assert closed.closure["tagmanifest_sha256"] == digest == closed.exports[-1][
        "tagmanifest_sha256"]
    assert closed.closure["delivered_at"] == "2026-11-20T16:15:00Z"
    assert closed.closure["via"] == "secure portal" and closed.closure["by"] == "test-clerk"
    entry = [e for e in archive.audit.entries() if e["action"] == "request.fulfil"][-1]
    assert entry["details"]["tagmanifest_sha256"] == digest
    status, _, err = cli("request", "status", request.id, "in-review")
    assert status == 8
    status, _, err = cli("request", "fulfil", request.id, "--via", "email")
    assert status == 8 and "fulfilled" in err
    status, _, err = cli("request", "time", request.id, "--activity", "search", "--minutes",
                         "5", "--staff", "Pat")
    assert status == 8


def test_inventory_counts_not_public_data_without_showing_any(
        sample_copy: Archive, captured: dict) -> None:
    archive = sample_copy
    cli = cli_runner(archive.env, archive.root)
    status, out, err = cli("inventory", "--format", "json")
    assert status == 0, err
    result = json.loads(out)
    with Catalog(archive.catalog_path) as catalog:
        rows = list(catalog.iter_items())
        latest = {row.ref: catalog.latest(row).item().text for row in rows}
    expected = Counter((r.classification, r.kind, r.legal_basis) for r in rows)
    assert {(c["classification"], c["kind"], c["basis"]): c["items"]
            for c in result["classes"]} == dict(expected)
    assert result["items"] == len(rows)
    assert result["not_public_items"] == sum(1 for r in rows if r.classification != "public")
    assert result["classes"][0]["classification"] != "public"  # not-public data first
    assert result["pii"] == []
    status, out, err = cli("inventory", "--pii", "--format", "json")
    pii = {row["category"]: row for row in json.loads(out)["pii"]}
    by_item: dict[str, set[str]] = {}
    for seeded in captured["world"].seeded_pii():
        holders = {ref for ref, text in latest.items() if seeded.value in text}
        by_item.setdefault(seeded.category, set()).update(holders)
    for category in ("ssn", "card"):
        found = pii[category]["public_items"] + pii[category]["not_public_items"]
        assert found == len(by_item[category]) > 0, category
    for category in ("phone", "email"):
        assert pii[category]["public_items"] + pii[category]["not_public_items"] >= \
            len(by_item[category]) > 0
    assert pii["ssn"]["basis"] == "Minn. Stat. § 13.355"
    seeded_values = [s.value for s in captured["world"].seeded_pii()]
    assert not any(value in out for value in seeded_values)
    status, out, _ = cli("inventory", "--pii")
    assert status == 0 and "Social Security number" in out and "not captured" in out
