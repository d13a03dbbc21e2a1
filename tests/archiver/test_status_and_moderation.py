"""`status` flags silent disconnects; the moderation log explains removals by clause."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.archiver.job import run_capture
from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.errors import UsageError
from civicrecords.integrity.jsonlines import verify_chain
from civicrecords.moderation import log_path, moderation_report, record_action
from tests.support.sample_archive import sample_archive, sample_env


def _status(archive: Archive, env, later: timedelta = timedelta(0)) -> tuple[int, list[dict]]:
    now = datetime.now(UTC) + later
    env.clock = lambda: now
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    code = run(["--archive", str(archive.root), "status", "--format", "json"], env)
    return code, json.loads(env.stdout.getvalue())


def test_status_flags_overdue_accounts_and_rejected_tokens(tmp_path: Path,
                                                           platform: SamplePlatform) -> None:
    env = sample_env(tmp_path)
    archive = sample_archive(tmp_path, platform, env)
    code, rows = _status(archive, env)
    assert code == 7 and all("never captured" in r["problems"] for r in rows)
    run_capture(archive)
    code, rows = _status(archive, env)
    assert code == 0, rows
    assert all(r["token"]["valid"] for r in rows)
    code, rows = _status(archive, env, later=timedelta(hours=25))
    assert code == 7 and all(any("overdue" in p for p in r["problems"]) for r in rows)
    env.variables = {**env.variables, "LAKESIDE_MAYOR_TOKEN": "revoked-token-value"}
    env.clock = lambda: datetime.now(UTC)
    run_capture(Archive.open(archive.root, env))
    code, rows = _status(archive, env)
    mayor = next(r for r in rows if r["name"] == "lakeside-mayor")
    city = next(r for r in rows if r["name"] == "lakeside-mastodon")
    assert code == 7 and not city["needs_attention"]
    assert mayor["needs_attention"] and any("token rejected" in p for p in mayor["problems"])
    assert "attention needed: lakeside-mayor" in env.stderr.getvalue()


@pytest.fixture
def moderated(captured: dict, tmp_path: Path) -> Archive:
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    return Archive.open(root, captured["env"])


def test_moderation_report_counts_clauses_and_lists_unexplained(moderated: Archive,
                                                                captured: dict) -> None:
    removed = [pid for pid in captured["world"].changes().removed_comment_ids]
    with Catalog(moderated.catalog_path) as catalog:
        present = [pid for pid in removed if catalog.execute(
            "SELECT 1 FROM items WHERE platform_id=?", (pid,)).fetchone()]
        assert len(present) >= 2
        record_action(moderated, catalog, present[0], action="deleted", clause="spam",
                      by="comms-staff", when="2026-10-30T12:00:00Z")
        with pytest.raises(UsageError, match="not in the policy"):
            record_action(moderated, catalog, present[1], action="deleted", clause="rude",
                          by="x")
        report = moderation_report(moderated, catalog)
        assert report.by_clause == {"spam": 1}
        unexplained = {u["item"].rsplit(":", 1)[1] for u in report.unexplained}
        assert present[0] not in unexplained and present[1] in unexplained
        september = moderation_report(moderated, catalog, until=date(2026, 9, 30))
        assert september.by_clause == {}
    assert verify_chain(log_path(moderated), "moderation.jsonl") == []
    assert [e["action"] for e in moderated.audit.entries()][-1] == "moderation.record"


def test_webhook_jobs_do_not_count_as_captures(tmp_path: Path, platform: SamplePlatform) -> None:
    env = sample_env(tmp_path)
    archive = sample_archive(tmp_path, platform, env)
    run_capture(archive)
    with Catalog(archive.catalog_path) as catalog:
        catalog.execute("UPDATE job_accounts SET mode='targeted'")  # as if only listen ran
    code, rows = _status(archive, env)
    assert code == 7 and all("never captured" in r["problems"] for r in rows)
