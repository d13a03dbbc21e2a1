"""The request register: opening, deadlines in business days, statuses, notes, identity."""

from __future__ import annotations

import json
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.integrity.jsonlines import verify_chain
from civicrecords.requests.store import Request, RequestStore
from tests.requests.conftest import at, cli_runner


def _actions(archive: Archive, request_id: str) -> list[str]:
    return [e["action"] for e in archive.audit.entries() if e["subject"] == request_id]


def test_open_prints_iso_dates_due_date_and_status_as_json(archive: Archive) -> None:
    cli = cli_runner(archive.env, archive.root)
    status, out, _ = cli("request", "open", "--kind", "subject", "--received", "2025-12-22",
                         "--subject", "@Kia_Her", "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert (data["id"], data["kind"], data["received"], data["due"], data["status"]) == \
        ("R2025-0001", "subject", "2025-12-22", "2026-01-07", "received")
    assert data["subject_handles"] == ["kia_her"]
    status, out, _ = cli("request", "open", "--kind", "public", "--received",
                         "2026-06-15T16:30", "--format", "json")
    data = json.loads(out)
    assert (data["received"], data["due"]) == ("2026-06-15", "2026-06-30")
    assert data["received_at"] == "2026-06-15T16:30-05:00"
    assert data["requester"] == {}  # identity is never required for a public request
    status, _, err = cli("request", "open", "--kind", "public", "--received", "June 15")
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1
    status, _, err = cli("request", "open", "--kind", "public", "--subject", "someone")
    assert status == 2 and "data subject" in err


def test_list_counts_business_days_left_and_overdue_across_a_holiday(archive: Archive) -> None:
    cli = cli_runner(archive.env, archive.root)
    late = json.loads(cli("request", "open", "--kind", "public", "--received", "2026-06-15",
                          "--format", "json")[1])
    fresh = json.loads(cli("request", "open", "--kind", "subject", "--received", "2026-07-01",
                           "--format", "json")[1])
    assert fresh["due"] == "2026-07-16"  # July 3 is Independence Day observed (Sat July 4)
    archive.env.clock = at("2026-07-06T17:00:00")  # Monday, noon in Minnesota
    status, out, _ = cli("request", "list", "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert status == 0
    assert rows[late["id"]]["overdue_business_days"] == 3  # July 1, 2 and 6
    assert rows[late["id"]]["business_days_left"] == 0
    assert rows[fresh["id"]]["overdue_business_days"] == 0
    assert rows[fresh["id"]]["business_days_left"] == 8
    assert rows[fresh["id"]]["elapsed_business_days"] == 2  # July 2 and 6
    status, out, _ = cli("request", "list", "--overdue", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == [late["id"]]
    status, out, _ = cli("request", "list")
    assert status == 0 and "3 business day(s)" in out and "as of 2026-07-06" in out


def test_status_moves_are_checked_and_closing_needs_reasons(archive: Archive) -> None:
    cli = cli_runner(archive.env, archive.root)
    request_id = json.loads(cli("request", "open", "--kind", "public", "--format",
                                "json")[1])["id"]
    assert cli("request", "status", request_id, "gathering")[0] == 0
    status, _, err = cli("request", "status", request_id, "fulfilled")
    assert status == 8 and "request fulfil" in err
    status, _, err = cli("request", "status", request_id, "received")
    assert status == 8 and "can move to" in err
    status, _, err = cli("request", "status", request_id, "denied", "--reason", "no such data")
    assert status == 2 and "--basis" in err
    status, _, err = cli("request", "status", request_id, "withdrawn")
    assert status == 2 and "--reason" in err
    assert cli("request", "status", request_id, "denied", "--reason", "security data",
               "--basis", "Minn. Stat. § 13.37, subd. 2")[0] == 0
    request = RequestStore(archive).get(request_id)
    assert request.status == "denied" and not request.is_open
    assert request.closure["basis"] == "Minn. Stat. § 13.37, subd. 2"
    assert request.closure["by"] == "test-clerk"
    status, _, err = cli("request", "status", request_id, "gathering")
    assert status == 8 and "denied" in err
    status, _, err = cli("request", "add", request_id, "--item", "123")
    assert status == 2 and "denied" in err
    assert cli("request", "note", request_id, "Requester called; explained the denial.")[0] == 0
    request = RequestStore(archive).get(request_id)
    assert request.notes[-1]["text"].startswith("Requester called")
    assert _actions(archive, request_id) == ["request.open", "request.status",
                                             "request.status", "request.note"]
    assert verify_chain(archive.root / "audit.jsonl", "audit.jsonl") == []


def test_identity_is_recorded_for_data_subjects_only(archive: Archive) -> None:
    cli = cli_runner(archive.env, archive.root)
    public_id = json.loads(cli("request", "open", "--kind", "public", "--format",
                               "json")[1])["id"]
    status, _, err = cli("request", "identity", public_id, "--identity-method", "ID card",
                         "--verified-by", "Pat")
    assert status == 2 and "data subject" in err
    status, _, err = cli("request", "open", "--kind", "subject", "--identity-method", "ID")
    assert status == 2 and "--verified-by" in err
    subject_id = json.loads(cli("request", "open", "--kind", "subject", "--subject", "@a_b",
                                "--identity-method", "state ID at the counter",
                                "--verified-by", "Pat", "--format", "json")[1])["id"]
    assert cli("request", "identity", subject_id, "--identity-method", "notarized form",
               "--verified-by", "Lee", "--handle", "a_b@other.example")[0] == 0
    request = RequestStore(archive).get(subject_id)
    assert request.subject_handles == ["a_b", "a_b@other.example"]
    assert request.identity["method"] == "notarized form"
    assert request.identity["verified_by"] == "Lee"
    assert _actions(archive, subject_id) == ["request.open", "request.identity",
                                             "request.identity"]


def test_a_repeat_subject_request_within_six_months_is_noted(archive: Archive) -> None:
    store = RequestStore(archive)
    earlier = store.create(kind="subject", received=archive.env.now(), requester={},
                           channel=None, description="", details={}, subject_handles=["kia"])
    earlier.status = "fulfilled"
    earlier.closure = {"status": "fulfilled", "at": "2026-03-02T15:00:00Z"}
    store.save(earlier, "request.fulfil")
    cli = cli_runner(archive.env, archive.root)
    status, out, err = cli("request", "open", "--kind", "subject", "--subject", "@KIA",
                           "--received", "2026-08-31", "--format", "json")
    assert status == 0 and earlier.id in err and "2026-03-02" in err
    later = json.loads(out)["id"]
    assert json.loads(cli("request", "show", later)[1])["previous_subject_requests"] == \
        [earlier.id]
    status, out, err = cli("request", "open", "--kind", "subject", "--subject", "@kia",
                           "--received", "2026-09-03", "--format", "json")
    assert earlier.id not in err  # more than six months after March 2


def test_request_files_written_before_dates_were_split_still_load(tmp_path: Path) -> None:
    old = {"id": "R2026-0007", "kind": "public", "received": "2026-06-15T09:00-05:00",
           "due": "2026-06-30", "status": "gathering", "unknown_future_field": 1}
    request = Request.from_dict(old)
    assert request.received == "2026-06-15"
    assert request.received_at == "2026-06-15T09:00-05:00"
    assert request.details["unknown_future_field"] == 1
