"""The whole MGDPA workflow from the command line on the sample platform: a public request
and a data subject request from receipt to fulfilment, then the audit log verifies."""

from __future__ import annotations

import json
from pathlib import Path

from civicrecords.archiver.sample.server import SamplePlatform
from civicrecords.demo import DEMO_TOKEN, account_config
from civicrecords.integrity.jsonlines import verify_chain
from tests.requests.conftest import Runner, cli_runner
from tests.support.sample_archive import sample_env


def _decide_everything(cli: Runner, request_id: str) -> None:
    status, out, err = cli("request", "review", request_id, "--format", "json")
    assert status == 0, err
    entries = json.loads(out)
    candidates = sorted({e["category"] for e in entries if e["target"] == "candidate"})
    if candidates:
        status, _, err = cli("request", "review", request_id, "--decide", "accept",
                             "--reason", "private data of a member of the public",
                             *(x for c in candidates for x in ("--category", c)))
        assert status == 0, err
    if any(e["category"] == "media" for e in entries):
        status, _, err = cli("request", "review", request_id, "--category", "media",
                             "--decide", "release", "--reason", "looked at: nothing private")
        assert status == 0, err
    status, out, _ = cli("request", "review", request_id, "--format", "json")
    assert [e for e in json.loads(out) if e["status"] == "undecided"] == []


def test_public_and_subject_requests_from_receipt_to_fulfilment(tmp_path: Path) -> None:
    env = sample_env(tmp_path)
    archive = tmp_path / "archive"
    cli = cli_runner(env, archive)
    assert cli("init", str(archive), "--name", "City of Lakeside, Minnesota")[0] == 0
    with SamplePlatform(posts=30, token=DEMO_TOKEN) as platform:
        config = archive / "civicrecords.toml"
        config.write_text(config.read_text() + "\n" + account_config(platform.base_url))
        assert cli("capture", "--format", "json")[0] == 0
        world = platform.world
    subject = next(m.account for m in world.messages() if m.account.index >= 2)

    status, out, _ = cli("request", "open", "--kind", "public", "--received",
                         "2026-11-02T09:30", "--channel", "web form", "--description",
                         "Comments about snow plowing", "--format", "json")
    public = json.loads(out)
    assert status == 0 and public["due"] == "2026-11-17"  # Veterans Day, Nov 11, skipped
    assert cli("request", "add", public["id"], "--query", "*", "--kind", "comment")[0] == 0
    _decide_everything(cli, public["id"])
    assert cli("request", "time", public["id"], "--activity", "search", "--minutes", "45",
               "--staff", "Pat")[0] == 0
    assert cli("request", "time", public["id"], "--activity", "redaction", "--minutes", "30",
               "--staff", "Pat")[0] == 0
    status, out, _ = cli("request", "fees", public["id"], "--delivery", "electronic",
                         "--format", "json")
    assert status == 0 and json.loads(out)["total"] == "22.50"
    bundle = tmp_path / "public-bundle"
    status, out, err = cli("request", "export", public["id"], "--out", str(bundle))
    assert status == 0, err
    status, out, _ = cli("bundle", "verify", str(bundle))
    assert status == 0 and "valid and signed" in out
    assert cli("request", "fulfil", public["id"], "--via", "email")[0] == 0

    status, out, _ = cli("request", "open", "--kind", "subject", "--subject",
                         f"@{subject.acct}", "--requester", "A. Resident", "--format", "json")
    request = json.loads(out)
    assert cli("request", "add", request["id"], "--author", f"@{subject.acct}")[0] == 0
    status, _, err = cli("request", "export", request["id"], "--out", str(tmp_path / "x"),
                         "--unreviewed", "redact")
    assert status == 8 and "identity" in err
    assert cli("request", "identity", request["id"], "--identity-method",
               "state ID shown at City Hall", "--verified-by", "J. Clerk")[0] == 0
    _decide_everything(cli, request["id"])
    assert cli("request", "note", request["id"], "Requester prefers e-mail.")[0] == 0
    subject_bundle = tmp_path / "subject-bundle"
    status, out, err = cli("request", "export", request["id"], "--out", str(subject_bundle),
                           "--format", "json")
    assert status == 0, err
    letter = (subject_bundle / "data" / "letter.html").read_text()
    assert "state ID shown at City Hall" in letter
    assert cli("request", "fulfil", request["id"], "--via", "e-mail")[0] == 0

    status, out, _ = cli("request", "list", "--all", "--format", "json")
    assert {r["status"] for r in json.loads(out)} == {"fulfilled"}
    assert cli("inventory")[0] == 0
    status, out, _ = cli("verify")
    assert status == 0 and "intact" in out
    assert verify_chain(archive / "audit.jsonl", "audit.jsonl") == []
    actions = [json.loads(line)["action"] for line in
               (archive / "audit.jsonl").read_text().splitlines()]
    for expected in ("request.open", "request.add", "request.decide", "request.time",
                     "request.fees", "request.export", "request.fulfil", "request.identity",
                     "request.note"):
        assert expected in actions, expected
    lines = (archive / "audit.jsonl").read_text().splitlines()
    tampered = lines[:]
    tampered[3] = tampered[3].replace("test-clerk", "someone-else")
    (archive / "audit.jsonl").write_text("\n".join(tampered) + "\n")
    status, out, _ = cli("verify")
    assert status == 3 and "audit.jsonl" in out
