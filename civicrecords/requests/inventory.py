"""The archive's data inventory (Minn. Stat. § 13.025): what not-public data it holds.

``inventory`` summarises every item by classification, kind and legal basis (with how many
need review and how many a clerk classified by hand), and — with ``pii=True`` — how many
items hold candidates of each PII category, public and not public, found by the offline
detectors in each item's latest version. The detection pass streams the catalog one row at a
time, so memory stays flat however large the archive is; ``progress`` reports how far it is.
Counts only: no item text, value or reference leaves this module.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from civicrecords.catalog import Catalog
from civicrecords.classify import OVERRIDE_SOURCE
from civicrecords.config import Config
from civicrecords.model import Item
from civicrecords.requests.detectors import CATEGORIES, detect
from civicrecords.requests.redact import basis_for
from civicrecords.requests.review import enabled_categories

NOT_CAPTURED = ("Follower and subscriber lists are not captured, so the archive holds none.",)


@dataclass(frozen=True)
class ClassRow:
    """Items of one classification, kind and legal basis."""

    classification: str
    kind: str
    basis: str
    items: int
    needs_review: int
    overridden: int


@dataclass
class PiiRow:
    """Items whose latest version holds candidates of one PII category."""

    category: str
    label: str
    basis: str
    public_items: int = 0
    not_public_items: int = 0
    candidates: int = 0


@dataclass
class Inventory:
    """The whole summary."""

    organization: str
    items: int
    not_public_items: int
    classes: list[ClassRow]
    pii: list[PiiRow] = field(default_factory=list)
    scanned: int = 0
    notes: tuple[str, ...] = NOT_CAPTURED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def classification_rows(catalog: Catalog) -> list[ClassRow]:
    """Item counts grouped by classification, kind and basis (not-public first)."""
    rows = catalog.execute(
        "SELECT classification, kind, coalesce(legal_basis, ''), count(*), sum(needs_review), "
        "sum(classification_source = ?) FROM items GROUP BY 1, 2, 3 "
        "ORDER BY classification = 'public', 1, 2, 3", (OVERRIDE_SOURCE,))
    return [ClassRow(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0))
            for r in rows]


def pii_rows(catalog: Catalog, config: Config,
             progress: Callable[[int], None] | None = None) -> tuple[list[PiiRow], int]:
    """Per PII category: items (public / not public) and candidates in latest versions;
    also the number of items scanned."""
    categories = enabled_categories(config)
    rows = {name: PiiRow(name, CATEGORIES[name].label, basis_for(config, name))
            for name in categories}
    cursor = catalog.execute(
        "SELECT i.classification, v.data FROM items i JOIN versions v "
        "ON v.id = i.latest_version ORDER BY i.id")
    scanned = 0
    for classification, data in cursor:
        item = Item.from_dict(json.loads(data))
        found: Counter[str] = Counter()
        for value in (item.text, item.title):
            if value:
                found.update(c.category for c in detect(value, categories))
        for category, count in found.items():
            row = rows[category]
            row.candidates += count
            if classification == "public":
                row.public_items += 1
            else:
                row.not_public_items += 1
        scanned += 1
        if progress is not None and scanned % 1000 == 0:
            progress(scanned)
    return [rows[name] for name in categories], scanned


def inventory(catalog: Catalog, config: Config, *, pii: bool = False,
              progress: Callable[[int], None] | None = None) -> Inventory:
    """The data inventory of the catalog's archive (see module docstring)."""
    classes = classification_rows(catalog)
    total = sum(row.items for row in classes)
    not_public = sum(row.items for row in classes if row.classification != "public")
    result = Inventory(organization=config.archive.name, items=total,
                       not_public_items=not_public, classes=classes)
    if pii:
        result.pii, result.scanned = pii_rows(catalog, config, progress)
    return result
