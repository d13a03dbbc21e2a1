"""PII candidates in a request's items, and the clerk's decisions about them.

Candidates come from the offline detectors, per item version and field. Each has a stable
key, so a decision ("redact" with a basis, or "release") recorded against it survives later
runs; a new version of an item brings new candidates. Decisions are appended to
``requests/<id>/decisions.jsonl`` (who, when, why) and the latest one per key wins. Categories
configured ``auto_redact`` (SSN, card numbers) are redacted whatever anyone decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from civicrecords.atomicfile import append_line
from civicrecords.catalog import Catalog, ItemRow
from civicrecords.config import Config
from civicrecords.requests.detectors import CATEGORIES, detect

Action = Literal["redact", "release", "withhold"]
FIELDS = ("text", "title")


@dataclass(frozen=True)
class PiiCandidate:
    """One detected span in one field of one item version."""

    item_ref: str
    version_id: int
    version_hash: str
    field: str
    category: str
    start: int
    end: int
    detector: str
    context: str

    @property
    def key(self) -> str:
        """Stable identity of the candidate (independent of catalog row ids)."""
        return (f"{self.item_ref}|{self.version_hash[:16]}|{self.field}|{self.category}|"
                f"{self.start}|{self.end}")


@dataclass(frozen=True)
class Decision:
    """A clerk's decision about a candidate (or, with key ``item|<ref>``, a whole item)."""

    key: str
    action: Action
    basis: str
    by: str
    at: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def item_key(ref: str) -> str:
    """Decision key for withholding or releasing a whole item."""
    return f"item|{ref}"


def enabled_categories(config: Config) -> list[str]:
    """Detector categories switched on in the config (every known one by default)."""
    configured = config.redaction.categories
    return [name for name in CATEGORIES
            if name not in configured or configured[name].enabled]


def candidates_for(catalog: Catalog, items: Iterable[ItemRow], config: Config
                   ) -> list[PiiCandidate]:
    """Every candidate in every version of ``items`` (text and title fields)."""
    categories = enabled_categories(config)
    rows = list(items)
    versions = catalog.versions_of(row.id for row in rows)
    found: list[PiiCandidate] = []
    for row in rows:
        for version in versions[row.id]:
            data = version.item()
            for field_name in FIELDS:
                value = getattr(data, field_name) or ""
                if not value.strip():
                    continue
                for hit in detect(value, categories):
                    found.append(PiiCandidate(
                        item_ref=row.ref, version_id=version.id,
                        version_hash=version.content_hash, field=field_name,
                        category=hit.category, start=hit.start, end=hit.end,
                        detector=hit.detector, context=hit.context))
    return found


class Ledger:
    """The append-only decisions file of one request."""

    def __init__(self, request_dir: Path) -> None:
        self.path = request_dir / "decisions.jsonl"

    def record(self, decisions: Iterable[Decision]) -> int:
        """Append decisions; return how many."""
        count = 0
        for decision in decisions:
            append_line(self.path, json.dumps(decision.to_dict(), ensure_ascii=False).encode())
            count += 1
        return count

    def entries(self) -> list[Decision]:
        """Every decision ever recorded, oldest first."""
        if not self.path.exists():
            return []
        return [Decision(**json.loads(line))
                for line in self.path.read_text("utf-8").splitlines() if line.strip()]

    def latest(self) -> dict[str, Decision]:
        """The most recent decision per key."""
        return {decision.key: decision for decision in self.entries()}
