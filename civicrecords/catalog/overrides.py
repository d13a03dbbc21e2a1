"""Laying clerks' classification overrides over the rule-based classification in the catalog.

The overrides themselves are clerk work kept outside the catalog (``classify.OverrideLog``);
this module only copies the latest one per item into the ``items`` columns
(``classification``, ``legal_basis``, ``needs_review``, ``classification_source``) and marks
changed items for re-indexing, so search shows the override. ``JobWriter.finish`` calls it
before every commit (capture, recovery and ``rebuild`` alike); the request workflow calls it
right after a clerk records an override.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from civicrecords.classify import OVERRIDE_SOURCE, RULES, Decision, OverrideLog, classify
from civicrecords.config import Config


def _rule_decision(db: sqlite3.Connection, config: Config, item_id: int) -> Decision | None:
    row = db.execute("SELECT i.kind, i.platform, i.account, v.data FROM items i LEFT JOIN "
                     "versions v ON v.id = i.latest_version WHERE i.id = ?",
                     (item_id,)).fetchone()
    if row is None:
        return None
    visibility = json.loads(row[3]).get("visibility") if row[3] else None
    account = next((a for a in config.accounts if a.name == row[2]), None)
    return classify(config.classification, kind=row[0], platform=row[1], account=row[2],
                    account_config=account, visibility=visibility)


def apply_overrides(db: sqlite3.Connection, config: Config, archive_root: Path) -> int:
    """Set every overridden item's classification columns to its latest override (an
    override to ``rules`` restores the rule-based values); return how many items changed.
    Runs inside the caller's transaction when there is one; touches nothing else."""
    changed = 0
    for override in OverrideLog(archive_root).latest().values():
        platform, _, rest = override.ref.partition(":")
        account, _, platform_id = rest.partition(":")
        row = db.execute("SELECT id, classification, legal_basis, needs_review, "
                         "classification_source FROM items WHERE platform=? AND account=? AND "
                         "platform_id=?", (platform, account, platform_id)).fetchone()
        if row is None:
            continue
        if override.classification == RULES:
            if row[4] != OVERRIDE_SOURCE:
                continue
            decision = _rule_decision(db, config, row[0])
            if decision is None:
                continue
        else:
            decision = override.decision()
        wanted = (decision.classification, decision.basis, int(decision.review),
                  decision.source)
        if tuple(row[1:]) == wanted:
            continue
        # index_state: a clean item (0) becomes changed (2, catalog.apply.INDEX_CHANGED)
        db.execute("UPDATE items SET classification=?, legal_basis=?, needs_review=?, "
                   "classification_source=?, index_state=CASE WHEN index_state=0 THEN 2 "
                   "ELSE index_state END WHERE id=?", (*wanted, row[0]))
        changed += 1
    return changed
