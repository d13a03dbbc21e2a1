"""Classification of items under Minn. Stat. § 13.02, by the rules in the archive's config.

The first ``[[classification.rules]]`` entry whose every condition matches an item decides
its classification, legal basis and whether it needs review; items no rule matches get
``[classification] default``. Per-item overrides by a clerk are applied on top (see
``civicrecords.requests``) and always win.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicrecords.config import AccountConfig, ClassificationRule, ClassificationSection


@dataclass(frozen=True)
class Decision:
    """The classification an item gets and why."""

    classification: str
    basis: str
    review: bool
    source: str


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
