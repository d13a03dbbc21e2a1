"""The command line: exit statuses, one-line errors, machine output, the reference doc."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.cli.main import run
from civicrecords.cli.reference import reference_markdown, undocumented
from civicrecords.demo import DEMO_TOKEN, account_config
from civicrecords.environment import Environment
from tests.conftest import make_env
from tests.support.sample_archive import TOKENS

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def _run(env: Environment, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(list(args), env)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


def test_reference_is_current_and_complete() -> None:
    assert undocumented() == []
    assert DOCS.read_text() == reference_markdown(), \
        "docs/cli.md is stale: python -m civicrecords.cli.reference > docs/cli.md"


def test_whole_public_request_flow_from_the_command_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, **TOKENS)
    archive = tmp_path / "archive"
    status, out, _ = _run(env, "init", str(archive), "--name", "City of Lakeside")
    assert status == 0 and "private key" in out
    with SamplePlatform(posts=30, token=DEMO_TOKEN) as platform:
        config = archive / "civicrecords.toml"
        config.write_text(config.read_text() + "\n" + account_config(platform.base_url))
        status, out, _ = _run(env, "--archive", str(archive), "capture", "--format", "json")
        assert status == 0, out
        result = json.loads(out)
        assert {a["name"] for a in result["accounts"]} == {"lakeside-mastodon", "lakeside-mayor"}
        assert all(a["new"] > 0 and a["gaps"] == 0 for a in result["accounts"])
    status, out, _ = _run(env, "--archive", str(archive), "verify")
    assert status == 0 and "intact" in out
    status, out, _ = _run(env, "--archive", str(archive), "search", "*", "--kind", "post",
                          "--format", "json", "--limit", "3")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 3
    assert {"platform", "account", "item_id", "kind", "author", "created_at", "text", "url",
            "status", "versions"} <= set(rows[0])
    status, out, _ = _run(env, "--archive", str(archive), "show", rows[0]["item_id"],
                          "--versions", "--format", "json")
    assert status == 0 and json.loads(out)["versions"][0]["record_id"].startswith("<urn:uuid:")
    status, out, _ = _run(env, "--archive", str(archive), "search", "*", "--format", "csv")
    assert status == 0 and out.splitlines()[0].startswith("ref,platform,account,item_id")
    status, out, _ = _run(env, "--archive", str(archive), "request", "open", "--kind", "public",
                          "--received", "2026-06-15", "--format", "json")
    request = json.loads(out)
    assert status == 0 and request["due"] == "2026-06-30"
    status, out, _ = _run(env, "--archive", str(archive), "request", "add", request["id"],
                          "--query", "*", "--kind", "comment")
    assert status == 0 and "added" in out
    bundle = tmp_path / "bundle"
    status, _, err = _run(env, "--archive", str(archive), "request", "export", request["id"],
                          "--out", str(bundle))
    assert status == 8 and err.startswith("error: ") and err.count("\n") == 1
    status, out, _ = _run(env, "--archive", str(archive), "request", "export", request["id"],
                          "--out", str(bundle), "--unreviewed", "redact")
    assert status == 0, out
    status, out, _ = _run(env, "bundle", "verify", str(bundle))
    assert status == 0 and "valid and signed" in out
    page = next((bundle / "data" / "items").glob("*.html"))
    page.write_bytes(page.read_bytes() + b" ")
    status, out, _ = _run(env, "bundle", "verify", str(bundle))
    assert status == 3 and page.relative_to(bundle).as_posix() in out


def test_errors_are_one_line_with_documented_statuses(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    status, _, err = _run(env, "--archive", str(tmp_path / "nowhere"), "verify")
    assert status == 6 and err.startswith("error: ") and err.count("\n") == 1
    archive = tmp_path / "archive"
    assert _run(env, "init", str(archive))[0] == 0
    status, _, err = _run(env, "--archive", str(archive), "show", "12345")
    assert status == 2 and "no item" in err and "Traceback" not in err
    status, _, err = _run(env, "--archive", str(archive), "search", "x", "--since", "June")
    assert status == 2 and "--since" in err
    config = archive / "civicrecords.toml"
    config.write_text(config.read_text().replace("max_retries = 5 ", 'max_retries = "many" '))
    status, _, err = _run(env, "--archive", str(archive), "verify")
    assert status == 6 and "civicrecords.toml:" in err and "max_retries" in err
    status, _, err = _run(env, "--archive", str(archive), "frobnicate")
    assert status == 2


def test_capture_with_gaps_exits_partial(tmp_path: Path) -> None:
    env = make_env(tmp_path, **TOKENS)
    archive = tmp_path / "archive"
    _run(env, "init", str(archive))
    with SamplePlatform(posts=20, token=DEMO_TOKEN) as platform:
        config = archive / "civicrecords.toml"
        text = account_config(platform.base_url).replace("LAKESIDE_MAYOR_TOKEN", "UNSET_TOKEN")
        config.write_text(config.read_text() + "\n" + text)
        status, out, err = _run(env, "--archive", str(archive), "capture")
    assert status == 4
    assert "UNSET_TOKEN is not set" in err and "1 gap(s)" in out


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    status, out, _ = _run(env, "demo", "--dir", str(tmp_path / "demo"), "--posts", "30")
    assert status == 0, out
    assert "bundle verify: OK; archive verify: OK" in out
    status, out, _ = _run(env, "demo", "--dir", str(tmp_path / "demo"), "--posts", "30")
    assert status == 0  # a previous demo directory is replaced
    shutil.rmtree(tmp_path / "demo")
