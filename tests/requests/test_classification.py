"""Clerk classification overrides: recorded outside the catalog, shown in search, applied on
top of the rules after captures and rebuilds, audited; and the default rules themselves."""

from __future__ import annotations

import json

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.classify import OverrideLog
from tests.requests.conftest import cli_runner

POST = "116637171008455070"


def _search_row(cli, item_id: str) -> dict:  # type: ignore[no-untyped-def]
    status, out, err = cli("search", "*", "--all-data", "--format", "json", "--limit", "1000")
    assert status == 0, err
    return next(r for r in json.loads(out) if r["item_id"] == item_id)


def test_default_rules_classify_messages_and_elected_officials(captured: dict) -> None:
    with Catalog(captured["archive"].catalog_path) as catalog:
        rows = list(catalog.iter_items())
    messages = [r for r in rows if r.kind == "message"]
    assert messages and all(r.classification == "private" and r.needs_review for r in messages)
    mayor = {r.legal_basis for r in messages if r.account == "lakeside-mayor"}
    city = {r.legal_basis for r in messages if r.account == "lakeside-mastodon"}
    assert mayor == {"Minn. Stat. § 13.601, subd. 2"}
    assert city == {"Minn. Stat. § 13.02, subd. 12"}
    assert all(r.classification == "public" for r in rows if r.kind != "message")


def test_an_override_shows_in_search_and_survives_a_rebuild(sample_copy: Archive) -> None:
    archive = sample_copy
    cli = cli_runner(archive.env, archive.root)
    assert _search_row(cli, POST)["classification"] == "public"
    status, _, err = cli("classify", POST, "--as", "private", "--reason", "x")
    assert status == 2 and "--basis" in err
    status, _, err = cli("classify", POST, "--as", "secret", "--basis", "b", "--reason", "x")
    assert status == 2 and "--as" in err
    status, out, err = cli("classify", POST, "--as", "private", "--basis",
                           "Minn. Stat. § 13.02, subd. 12", "--reason",
                           "names a juvenile in the caption")
    assert status == 0, err
    assert "private" in out and "source override" in out
    assert _search_row(cli, POST)["classification"] == "private"
    status, out, _ = cli("search", "*", "--format", "json", "--limit", "1000")
    assert POST not in {r["item_id"] for r in json.loads(out)}  # public search hides it now
    entries = list(OverrideLog(archive.root).entries())
    assert [(e.classification, e.by, e.reason) for e in entries] == \
        [("private", "test-clerk", "names a juvenile in the caption")]
    audit = [e for e in archive.audit.entries() if e["action"] == "classification.override"]
    assert audit[-1]["details"]["previous"] == "public"
    assert cli("rebuild")[0] == 0
    with Catalog(archive.catalog_path) as catalog:
        row = catalog.find(POST)
    assert (row.classification, row.legal_basis, row.classification_source) == \
        ("private", "Minn. Stat. § 13.02, subd. 12", "override")
    assert _search_row(cli, POST)["classification"] == "private"
    assert cli("classify", POST, "--as", "rules", "--reason", "caption was edited")[0] == 0
    with Catalog(archive.catalog_path) as catalog:
        row = catalog.find(POST)
    assert (row.classification, row.classification_source) == ("public", "default")
    assert _search_row(cli, POST)["classification"] == "public"
    assert cli("verify")[0] == 0  # the audit chain holds
