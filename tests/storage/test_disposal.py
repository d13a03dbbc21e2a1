"""Retention report and disposal: held items refused, records signed, verify still passes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.discovery.holds import add_hold
from civicrecords.environment import Environment
from civicrecords.storage.ledger import Ledger
from civicrecords.storage.upload import upload_archive
from tests.support.seaweed import SeaweedServer


def later(archive: Archive, year: int) -> Archive:
    """The same archive seen by an environment whose clock reads ``year``."""
    env = archive.env
    moved = Environment(variables=env.variables, stdout=io.StringIO(), stderr=io.StringIO(),
                        sleep=env.sleep, config_dir=env.config_dir, operator="test-clerk",
                        clock=lambda: datetime(year, 3, 1, tzinfo=UTC))
    return Archive.open(archive.root, moved)


def cli(archive: Archive, *args: str) -> tuple[int, str]:
    env = archive.env
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), *args], env)
    return status, env.stdout.getvalue() + env.stderr.getvalue()


def refs(archive: Archive, account: str) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        return [row.ref for row in catalog.iter_items("account=?", (account,))]


def test_disposal_refuses_held_items_and_removes_only_expired_unheld_ones(
        stored_archive: Archive, seaweed: SeaweedServer) -> None:
    upload_archive(stored_archive)
    add_hold(stored_archive, "smith-v-lakeside", accounts=["lakeside-mastodon"])
    now = later(stored_archive, 2026)
    status, out = cli(now, "retention", "report", "--format", "json")
    assert status == 0 and all(i["state"] in ("held", "retained")
                               for i in json.loads(out)["items"])
    future = later(stored_archive, 2031)
    held = refs(future, "lakeside-mastodon")
    mayor = refs(future, "lakeside-mayor")
    status, out = cli(future, "retention", "report", "--format", "json")
    states = {i["ref"]: i for i in json.loads(out)["items"]}
    assert {states[r]["state"] for r in held} == {"held"}
    assert {states[r]["state"] for r in mayor} == {"due"}
    assert states[held[0]]["matters"] == ["smith-v-lakeside"]

    status, out = cli(future, "retention", "dispose", "--approve", "Dana Clerk",
                      "--item", held[0])
    assert status == 8 and "legal hold" in out and "smith-v-lakeside" in out

    status, out = cli(future, "retention", "dispose", "--approve", "Dana Clerk", "--format", "json")
    assert status == 0, out
    result = json.loads(out)
    assert result["items"] == len(mayor) and result["held"] == len(held)
    assert result["deleted_local"] and all("lakeside-mayor" in p for p in result["deleted_local"])
    assert all(not (future.root / p).exists() for p in result["deleted_local"])
    # the bucket copies are under a COMPLIANCE lock until their records' retention ends
    assert {p["path"] for p in result["bucket_pending"]} == set(result["deleted_local"])
    assert refs(future, "lakeside-mayor") == [] and refs(future, "lakeside-mastodon") == held

    record = json.loads((future.root / result["record"]).read_bytes())
    assert record["approved_by"] == "Dana Clerk"
    assert {i["ref"] for i in record["items"]} == set(mayor)
    assert all(i["versions"] and i["series"] == "correspondence-general"
               for i in record["items"])
    text = "".join(page.extract_text() for page in
                   PdfReader(future.root / result["certificate"]).pages)
    assert "Certificate of records disposal" in text and "Dana Clerk" in text
    assert "Minn. Stat. §§ 15.17, 138.17" in text

    assert cli(future, "verify")[0] == 0
    status, out = cli(future, "search", "*", "--all-data", "--account", "lakeside-mayor",
                      "--format", "json")
    assert status == 0 and json.loads(out) == []
    assert cli(future, "rebuild")[0] == 0
    assert refs(future, "lakeside-mayor") == [] and len(refs(future, "lakeside-mastodon")) == \
        len(held)
    status, out = cli(future, "storage", "upload")
    assert status == 0, out
    status, out = cli(future, "verify", "--remote")
    assert status == 0, out


def test_governance_locked_copies_are_deleted_with_bypass(
        tmp_path: Path, captured: dict, seaweed: SeaweedServer) -> None:
    from tests.storage.conftest import storage_env, with_storage

    env = storage_env(seaweed, captured["config_dir"])
    archive = with_storage(captured["archive"], tmp_path / "a", env, seaweed.new_bucket(),
                           lock_mode="GOVERNANCE")
    upload_archive(archive)
    future = later(archive, 2031)
    status, out = cli(future, "retention", "dispose", "--approve", "Dana Clerk",
                      "--bypass-governance", "--format", "json")
    assert status == 0, out
    result = json.loads(out)
    assert result["bucket_deleted"] and not result["bucket_pending"]
    client = seaweed.client()
    state = Ledger(archive.root, archive.env).state()
    for path in result["bucket_deleted"]:
        assert path in state.bucket_deleted
        listing = client.list_object_versions(Bucket=archive.config.storage.bucket,
                                              Prefix=f"lakeside/{path}")
        assert not listing.get("Versions")
    status, out = cli(future, "verify", "--remote")
    assert status == 0, out
