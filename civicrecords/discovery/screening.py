"""Which native records may leave the archive with a production.

An item's native records are shared: one API response (a timeline page, a conversation)
carries many items, and the item's metadata record carries its text. A record is left out
of the volume's WARC and WACZ (the item is still produced as image, text and JSON, redacted)
when it would disclose what the production withholds or redacts:

* a metadata record of an item that is withheld or has any redaction;
* a response carrying an item withheld from this production, an item with redactions, or a
  not-public item that is not produced;
* a response whose text (every JSON string, HTML reduced to text) contains a redacted value
  or anything the always-redacted detector categories (SSN, card numbers) find;
* the media file of a withheld media item.
A request record goes with its response. ``screen`` returns the reason for each record left
out; the caller logs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.catalog import Catalog, ItemRow
from civicrecords.config import Config
from civicrecords.htmltext import html_to_text
from civicrecords.requests import redact
from civicrecords.requests.detectors import detect
from civicrecords.requests.review import enabled_categories
from civicrecords.warcrecords import record_payload


@dataclass
class Screen:
    """What the production withholds (ref -> basis) and redacts (ref -> bases), produces and
    releases, and the redacted values to look for."""

    withheld: dict[str, str] = field(default_factory=dict)
    redacted: dict[str, list[str]] = field(default_factory=dict)
    produced: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Exclusion:
    """Why a record stays out of the natives, and the legal basis behind it."""

    reason: str
    basis: str


def redacted_values(plan: redact.Plan, texts: dict[tuple[str, int, str], str]) -> set[str]:
    """The original strings behind every planned redaction (``texts`` maps (ref, version id,
    field) to the unredacted field text). Used only to look for them; never written."""
    values: set[str] = set()
    for key, spans in plan.spans.items():
        text = texts.get(key, "")
        for span in spans:
            value = text[span.start:span.end].strip()
            if value:
                values.add(value)
    return values


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(html_to_text(value) if "<" in value and ">" in value else value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def payload_text(root: Path, record: Any) -> str:
    """Every string of a JSON response payload (HTML reduced to text), one per line; the
    decoded payload itself when it is not JSON."""
    data = record_payload(root, record)
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return data.decode("utf-8", "replace")
    strings: list[str] = []
    _strings(parsed, strings)
    return "\n".join(strings)


def _items_by_response(catalog: Catalog, record_ids: list[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in catalog.execute(
                f"SELECT response_record_id, item_id FROM versions WHERE response_record_id "
                f"IN ({marks})", chunk):
            out.setdefault(row[0], set()).add(row[1])
    return out


def screen_responses(root: Path, catalog: Catalog, config: Config, responses: Iterable[str],
                     screen: Screen) -> dict[str, Exclusion]:
    """The API response records that must stay out of the natives (record id -> why); see
    the module docstring."""
    ids = sorted(set(responses))
    carried = _items_by_response(catalog, ids)
    rows: dict[int, ItemRow] = catalog.items({i for items in carried.values() for i in items})
    auto = [name for name in enabled_categories(config) if redact.is_auto(config, name)]
    reasons: dict[str, Exclusion] = {}
    for record_id in ids:
        reason = None
        for item_id in sorted(carried.get(record_id, ())):
            row = rows[item_id]
            if row.ref in screen.withheld:
                reason = Exclusion(f"carries {row.ref}, withheld from this production",
                                   screen.withheld[row.ref])
            elif row.ref in screen.redacted:
                reason = Exclusion(f"carries {row.ref}, redacted in this production",
                                   "; ".join(screen.redacted[row.ref]))
            elif (row.ref not in screen.produced and not row.is_public
                  and row.ref not in screen.released):
                reason = Exclusion(f"carries not-public item {row.ref}, not in this production",
                                   row.legal_basis or config.classification.default_basis)
            if reason:
                break
        if reason is None:
            reason = _content_reason(root, catalog, config, record_id, screen, auto)
        if reason:
            reasons[record_id] = reason
    return reasons


def _content_reason(root: Path, catalog: Catalog, config: Config, record_id: str,
                    screen: Screen, auto: list[str]) -> Exclusion | None:
    record = catalog.record(record_id)
    if record.type != "response":
        return None
    text = payload_text(root, record.ref)
    if any(value in text for value in screen.values):
        bases = sorted({b for bases in screen.redacted.values() for b in bases})
        return Exclusion("contains a value redacted in this production", "; ".join(bases))
    hits = detect(text, auto) if auto else []
    if hits:
        return Exclusion(f"contains {hits[0].category} data (always redacted)",
                         redact.basis_for(config, hits[0].category))
    return None

