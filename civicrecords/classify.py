"""Classification of items under Minn. Stat. § 13.02, by the rules in the archive's config.

The first ``[[classification.rules]]`` entry whose every condition matches an item decides
its classification, legal basis and whether it needs review; items no rule matches get
``[classification] default``.

A clerk's per-item override (classification, basis, reason, who, when) is clerk work, not
derived data: it is appended to ``<archive>/classifications.jsonl`` (``OverrideLog``), never
to the catalog alone, and the catalog applies the latest override of each item on top of the
rules after every capture and rebuild (``catalog.overrides.apply_overrides``), so it always
wins and survives ``rebuild``. An override to ``RULES`` hands the item back to the rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from civicrecords.atomicfile import append_line
from civicrecords.config import AccountConfig, ClassificationRule, ClassificationSection
from civicrecords.configschema import CLASSIFICATIONS

OVERRIDES_NAME = "classifications.jsonl"
RULES = "rules"
OVERRIDE_SOURCE = "override"


@dataclass(frozen=True)
class Decision:
    """The classification an item gets and why."""

    classification: str
    basis: str
    review: bool
    source: str


@dataclass(frozen=True)
class Override:
    """A clerk's classification of one item (``ref`` = ``platform:account:id``);
    ``classification`` ``RULES`` withdraws earlier overrides."""

    ref: str
    classification: str
    basis: str
    reason: str
    by: str
    at: str

    def decision(self) -> Decision:
        """The override as a classification decision (never needs review: a person
        decided)."""
        return Decision(self.classification, self.basis, False, OVERRIDE_SOURCE)


def _matches(rule: ClassificationRule, *, kind: str, platform: str, account: str,
             designation: str, visibility: str | None) -> bool:
    checks = (
        (rule.kind, kind), (rule.platform, platform), (rule.account, account),
        (rule.designation, designation), (rule.visibility, visibility or ""),
    )
    return all(not wanted or value in wanted for wanted, value in checks)


def classify(section: ClassificationSection, *, kind: str, platform: str, account: str,
             account_config: AccountConfig | None, visibility: str | None) -> Decision:
    """The rule-based classification of one item (pure; same inputs, same answer)."""
    designation = account_config.designation if account_config else ""
    for rule in section.rules:
        if _matches(rule, kind=kind, platform=platform, account=account,
                    designation=designation, visibility=visibility):
            return Decision(rule.classification, rule.basis or section.default_basis,
                            rule.review, f"rule:{rule.name}")
    return Decision(section.default, section.default_basis, False, "default")


class OverrideLog:
    """The archive's append-only file of classification overrides."""

    def __init__(self, archive_root: Path) -> None:
        self.path = archive_root / OVERRIDES_NAME

    def append(self, override: Override) -> None:
        """Append one override (fsynced). Raises ``ValueError`` for an unknown
        classification or a blank basis or reason — callers validate user input first."""
        if override.classification not in (*CLASSIFICATIONS, RULES):
            raise ValueError(f"unknown classification {override.classification!r}")
        if override.classification != RULES and not override.basis.strip():
            raise ValueError("an override needs a legal basis")
        if not override.reason.strip():
            raise ValueError("an override needs a reason")
        append_line(self.path, json.dumps(asdict(override), ensure_ascii=False,
                                          sort_keys=True).encode("utf-8"))

    def entries(self) -> Iterator[Override]:
        """Every override, oldest first (blank or unreadable lines are skipped: the file is
        the clerk's record and a torn last line must not hide the others)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    data = json.loads(line)
                    yield Override(**{k: str(data[k]) for k in Override.__dataclass_fields__})
                except (ValueError, KeyError, TypeError):
                    continue

    def latest(self) -> dict[str, Override]:
        """The newest override per item reference."""
        return {entry.ref: entry for entry in self.entries()}
