"""Legal holds: scope by criteria (now and in later captures), families, release, audit,
the functions disposal relies on, and what ``verify`` reports."""

from __future__ import annotations

import io
import json
import shutil
import zoneinfo
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.demo import DEMO_TOKEN
from civicrecords.discovery.holds import (
    add_hold,
    held_refs,
    held_warc_files,
    is_held,
    list_holds,
    release_hold,
)
from civicrecords.errors import NotFoundError, RefusedError, UsageError
from civicrecords.search.indexer import index_pending
from civicrecords.search.service import open_backend
from tests.support.sample_archive import sample_archive, sample_env


@pytest.fixture
def archive(captured: dict, tmp_path: Path) -> Archive:
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    return Archive.open(root, captured["env"])


def _created_between(catalog: Catalog, zone: str, since: date, until: date) -> set[str]:
    tz = zoneinfo.ZoneInfo(zone)
    refs = set()
    for row in catalog.iter_items("created_at IS NOT NULL"):
        local = datetime.fromisoformat(row.created_at.replace("Z", "+00:00")).astimezone(tz)
        if since <= local.date() <= until:
            refs.add(row.ref)
    return refs


def test_date_and_account_scope_holds_matching_items_and_their_families(archive: Archive
                                                                       ) -> None:
    with Catalog(archive.catalog_path) as catalog:
        dates = sorted(r.created_at for r in catalog.iter_items("kind='post'"))
        middle = datetime.fromisoformat(dates[len(dates) // 2].replace("Z", "+00:00")).date()
        since, until = middle - timedelta(days=3), middle + timedelta(days=3)
        add_hold(archive, "2026-CV-0142", accounts=["lakeside-mastodon"],
                 since=since.isoformat(), until=until.isoformat(), note="hold notice")
        held = held_refs(archive, catalog)
        direct = {ref for ref in _created_between(catalog, archive.config.archive.timezone,
                                                   since, until)
                  if ref.split(":")[1] == "lakeside-mastodon"}
        assert direct and direct <= set(held)
        for ref in held:
            row = catalog.find(ref)
            assert row.account == "lakeside-mastodon"
            family = {r.ref for r in catalog.thread(row)}
            assert family & direct, ref
        assert all(matters == ["2026-CV-0142"] for matters in held.values())
        some = next(iter(direct))
        assert is_held(archive, catalog, some) == ["2026-CV-0142"]
        outside = next(r.ref for r in catalog.iter_items("account='lakeside-mayor'"))
        assert is_held(archive, catalog, outside) == []
        files = held_warc_files(archive, catalog)
        version = catalog.latest(catalog.find(some))
        assert files[version.warc_file] == ["2026-CV-0142"]
        assert catalog.record(version.response_record_id).warc_file in files
    actions = [e["action"] for e in archive.audit.entries()]
    assert "hold.add" in actions


def test_release_ends_the_hold_and_is_audited(archive: Archive) -> None:
    add_hold(archive, "M-1", query="snow")
    with Catalog(archive.catalog_path) as catalog:
        assert held_refs(archive, catalog)
        release_hold(archive, "M-1", reason="case dismissed, appeal time expired")
        assert held_refs(archive, catalog) == {}
    with pytest.raises(RefusedError, match="already released"):
        release_hold(archive, "M-1", reason="again")
    assert list_holds(archive) == [] and len(list_holds(archive, include_released=True)) == 1
    entries = [e for e in archive.audit.entries() if e["action"] == "hold.release"]
    assert entries[-1]["subject"] == "M-1" and "dismissed" in entries[-1]["details"]["reason"]
    assert not archive.audit.verify()


def test_bad_input_is_refused_clearly(archive: Archive) -> None:
    with pytest.raises(UsageError, match="not a matter name"):
        add_hold(archive, "../etc/passwd")
    with pytest.raises(UsageError, match="unknown account"):
        add_hold(archive, "M-2", accounts=["nobody"])
    with pytest.raises(UsageError, match="not a date"):
        add_hold(archive, "M-2", since="last week")
    with pytest.raises(UsageError, match="after"):
        add_hold(archive, "M-2", since="2026-05-01", until="2026-04-01")
    with pytest.raises(NotFoundError):
        release_hold(archive, "M-3", reason="x")
    assert not (archive.root / "holds" / "M-2.json").exists()


def test_items_captured_after_the_hold_are_held_too(tmp_path: Path) -> None:
    env = sample_env(tmp_path)
    with SamplePlatform(posts=20, token=DEMO_TOKEN) as platform:
        archive = sample_archive(tmp_path, platform, env)
        platform.set_state("initial")
        run_capture(archive, full=True)
        tz = zoneinfo.ZoneInfo(archive.config.archive.timezone)
        today = env.now().astimezone(tz).date()
        add_hold(archive, "M-LATER", since=(today - timedelta(days=3650)).isoformat())
        with Catalog(archive.catalog_path) as catalog:
            before = set(held_refs(archive, catalog))
            assert before == {r.ref for r in catalog.iter_items()}
        platform.set_state("later")
        run_capture(archive, full=True)
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        index_pending(catalog, backend)
        backend.close()
        after = set(held_refs(archive, catalog))
        everything = {r.ref for r in catalog.iter_items()}
    assert after == everything and after - before, "new items in scope are held"


def _cli(env, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(list(args), env)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


def test_hold_commands_and_verify_report(archive: Archive) -> None:
    env = archive.env
    root = str(archive.root)
    status, out, err = _cli(env, "--archive", root, "hold", "add", "2026-CV-9",
                            "--accounts", "lakeside-mastodon,lakeside-mayor", "--query", "snow")
    assert status == 0, err
    assert "item(s) held now" in out
    status, out, _ = _cli(env, "--archive", root, "hold", "list", "--format", "json")
    holds = json.loads(out)
    assert status == 0 and holds[0]["matter"] == "2026-CV-9" and holds[0]["held_items"] > 0
    status, out, _ = _cli(env, "--archive", root, "hold", "show", "2026-CV-9", "--items")
    shown = json.loads(out)
    assert shown["held_items"] == len(shown["items"]) == holds[0]["held_items"]
    status, out, _ = _cli(env, "--archive", root, "verify", "--format", "json")
    report = json.loads(out)
    assert status == 0 and report["holds"]["active"][0]["matter"] == "2026-CV-9"
    assert report["holds"]["held_items"] == shown["held_items"]
    status, out, _ = _cli(env, "--archive", root, "verify")
    assert status == 0 and f"legal holds: 1 active: 2026-CV-9 ({shown['held_items']})" in out
    status, _, err = _cli(env, "--archive", root, "hold", "add", "bad name")
    assert status == 2 and err.startswith("error: ") and len(err.splitlines()) == 1
    status, out, _ = _cli(env, "--archive", root, "hold", "release", "2026-CV-9", "--reason",
                          "settled")
    assert status == 0 and "released" in out
    status, _, err = _cli(env, "--archive", root, "hold", "release", "2026-CV-9", "--reason",
                          "settled")
    assert status == 8 and "already released" in err


def test_discovery_export_and_bundle_verify_from_the_command_line(archive: Archive,
                                                                   tmp_path: Path) -> None:
    env, root = archive.env, str(archive.root)
    status, out, err = _cli(env, "--archive", root, "request", "open", "--kind", "discovery",
                            "--matter", "2026-CV-7", "--bates-prefix", "CITY",
                            "--confidentiality", "ATTORNEYS' EYES ONLY", "--format", "json")
    assert status == 0, err
    request_id = json.loads(out)["id"]
    status, _, err = _cli(env, "--archive", root, "request", "add", request_id, "--query",
                          "snow")
    assert status == 0, err
    production = tmp_path / "production"
    for volume in ("VOL001", "VOL002"):
        status, out, err = _cli(env, "--archive", root, "request", "export", request_id,
                                "--out", str(production), "--unreviewed", "redact",
                                "--format", "json")
        assert status == 0, err
        result = json.loads(out)
        assert result["volume"] == volume and result["path"] == str(production / volume)
        status, out, _ = _cli(env, "bundle", "verify", str(production / volume))
        assert status == 0 and "valid and signed" in out
    not_a_directory = tmp_path / "file.txt"
    not_a_directory.write_text("x")
    status, _, err = _cli(env, "--archive", root, "request", "export", request_id, "--out",
                          str(not_a_directory), "--unreviewed", "redact")
    assert status == 6 and err == f"error: {not_a_directory}: not a directory\n"
