"""The archive's audit log: who did what to which records, hash-chained (``audit.jsonl``).

Staff actions that a records officer must be able to account for go here: searches that
include not-public data, exports, redaction decisions, holds, disposals, classification
overrides. Entries are never rewritten; ``verify`` checks the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicrecords.environment import Environment, utc_iso
from civicrecords.errors import Problem
from civicrecords.integrity.jsonlines import append_chained, read_entries, verify_chain

AUDIT_NAME = "audit.jsonl"


class AuditLog:
    """Append-only, hash-chained log at ``path``."""

    def __init__(self, path: Path, env: Environment) -> None:
        self.path = path
        self.env = env

    def record(self, action: str, /, *, subject: str | None = None,
               **details: Any) -> dict[str, Any]:
        """Append one entry (time, actor, action, subject, details) and return it as written."""
        entry = {
            "time": utc_iso(self.env.now()),
            "actor": self.env.operator_name,
            "action": action,
            "subject": subject,
            "details": details,
        }
        return append_chained(self.path, entry)

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, oldest first."""
        return read_entries(self.path)

    def verify(self) -> list[Problem]:
        """Problems with the chain (empty when intact)."""
        return verify_chain(self.path, AUDIT_NAME)
