"""The moderation log: why staff hid or deleted a public comment.

A city must be able to show that its comment moderation is viewpoint-neutral: every hide or
delete cites a clause of the published policy. Actions are clerk work, so they live outside
the derived catalog in ``<archive>/moderation.jsonl`` (hash-chained, also audited). The report
counts actions by clause and account over a period and lists captured removals that nobody
has explained yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.environment import utc_iso
from civicrecords.errors import UsageError
from civicrecords.integrity.jsonlines import append_chained, read_entries

MODERATION_NAME = "moderation.jsonl"
ACTIONS = ("hidden", "deleted")


def log_path(archive: Archive) -> Path:
    """Where the moderation log is."""
    return archive.root / MODERATION_NAME


def record_action(archive: Archive, catalog: Catalog, reference: str, *, action: str,
                  clause: str, by: str, reason: str = "", when: str | None = None
                  ) -> dict[str, Any]:
    """Record that ``by`` hid or deleted the item under ``clause``; return the entry.

    ``UsageError`` for an unknown item, action or clause (the message lists valid clauses).
    """
    if action not in ACTIONS:
        raise UsageError(f"--action: {action!r} is not hidden or deleted")
    clauses = {c.name: c for c in archive.config.moderation.clauses}
    if clause not in clauses:
        raise UsageError(f"--clause: {clause!r} is not in the policy (one of: "
                         f"{', '.join(clauses)})")
    item = catalog.find(reference)
    entry = {"item": item.ref, "account": item.account, "kind": item.kind, "action": action,
             "clause": clause, "clause_text": clauses[clause].text, "by": by, "reason": reason,
             "when": when or utc_iso(archive.env.now()),
             "recorded_by": archive.env.operator_name,
             "recorded_at": utc_iso(archive.env.now())}
    written = append_chained(log_path(archive), entry)
    archive.audit.record("moderation.record", subject=item.ref, action=action, clause=clause,
                         by=by)
    return written


@dataclass
class ModerationReport:
    """Counts by clause and account in a period, and removals awaiting a reason."""

    since: date | None
    until: date | None
    actions: list[dict[str, Any]] = field(default_factory=list)
    by_clause: dict[str, int] = field(default_factory=dict)
    by_account: dict[str, dict[str, int]] = field(default_factory=dict)
    unexplained: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "actions": len(self.actions), "by_clause": self.by_clause,
                "by_account": self.by_account, "unexplained": self.unexplained}


def _in_period(moment: str | None, since: date | None, until: date | None) -> bool:
    day = (moment or "")[:10]
    return bool(day) and (since is None or day >= since.isoformat()) and (
        until is None or day <= until.isoformat())


def moderation_report(archive: Archive, catalog: Catalog, *, since: date | None = None,
                      until: date | None = None) -> ModerationReport:
    """The report for actions taken (and removals captured) between ``since`` and ``until``
    (inclusive, either open)."""
    report = ModerationReport(since=since, until=until)
    recorded: set[str] = set()
    clauses: Counter[str] = Counter()
    accounts: dict[str, Counter[str]] = {}
    for entry in read_entries(log_path(archive)):
        recorded.add(entry["item"])
        if not _in_period(entry.get("when"), since, until):
            continue
        report.actions.append(entry)
        clauses[entry["clause"]] += 1
        accounts.setdefault(entry["account"], Counter())[entry["clause"]] += 1
    report.by_clause = dict(sorted(clauses.items()))
    report.by_account = {k: dict(sorted(v.items())) for k, v in sorted(accounts.items())}
    rows = catalog.execute(
        "SELECT i.platform, i.account, i.platform_id, i.kind, i.removed_reason, i.hidden, "
        "j.finished AS noticed FROM items i LEFT JOIN jobs j ON j.job_id = i.removed_job "
        "WHERE i.kind = 'comment' AND (i.removed_job IS NOT NULL OR i.hidden = 1)")
    for row in rows:
        ref = f"{row['platform']}:{row['account']}:{row['platform_id']}"
        if ref in recorded:
            continue
        noticed = row["noticed"]
        if noticed and not _in_period(noticed, since, until):
            continue
        report.unexplained.append({
            "item": ref, "account": row["account"],
            "change": "hidden" if row["hidden"] else f"removed ({row['removed_reason']})",
            "noticed": noticed})
    return report
