"""Every captured version of an item, what changed from the one before, word by word.

Versions come oldest first (platform time, then first capture). Each carries when it was
first and last seen (and by which jobs), where its WARC record is, which fields changed since
the previous version, and a word-level diff of each changed text field (the text, the title,
each media description, and textual platform fields such as a content warning).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from civicrecords.catalog import Catalog, ItemRow, VersionRow
from civicrecords.model import Item

_PIECES = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffOp:
    """A run of text that both versions share (``equal``), only the older one had
    (``delete``) or only the newer one has (``insert``)."""

    op: Literal["equal", "delete", "insert"]
    text: str


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Word-level diff of ``old`` → ``new``; joining the ``equal``+``insert`` texts gives
    ``new`` and the ``equal``+``delete`` texts give ``old`` exactly."""
    a, b = _PIECES.findall(old), _PIECES.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > 4000)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(ops, "equal", "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(ops, "delete", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _append(ops, "insert", "".join(b[j1:j2]))
    return ops


def _append(ops: list[DiffOp], op: Literal["equal", "delete", "insert"], text: str) -> None:
    if not text:
        return
    if ops and ops[-1].op == op:
        ops[-1] = DiffOp(op, ops[-1].text + text)
    else:
        ops.append(DiffOp(op, text))


def render_diff(ops: list[DiffOp]) -> str:
    """The diff as one string in ``git diff --word-diff=plain`` style:
    ``[-removed-]`` and ``{+added+}``."""
    marks = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}
    return "".join(f"{marks[o.op][0]}{o.text}{marks[o.op][1]}" for o in ops)


def _text_fields(item: Item) -> dict[str, str]:
    fields = {"text": item.text, "title": item.title}
    for media in item.media:
        fields[f"media {media.platform_id} description"] = media.description
    for key, value in sorted(item.versioned.items()):
        fields[key] = value if isinstance(value, str) else repr(value)
    return fields


def changes(old: Item, new: Item) -> tuple[list[str], dict[str, list[DiffOp]]]:
    """Names of the fields that differ between two versions, and a word diff of each
    changed text field (a field only one side has diffs against '')."""
    names: list[str] = []
    if [m.platform_id for m in old.media] != [m.platform_id for m in new.media]:
        names.append("media attachments")
    if old.edited_at != new.edited_at:
        names.append("edit time")
    before, after = _text_fields(old), _text_fields(new)
    diffs: dict[str, list[DiffOp]] = {}
    for key in dict.fromkeys([*before, *after]):
        if before.get(key, "") != after.get(key, ""):
            names.append(key)
            diffs[key] = word_diff(before.get(key, ""), after.get(key, ""))
    return names, diffs


@dataclass
class VersionView:
    """One version as ``show --versions`` presents it."""

    number: int
    row: VersionRow
    item: Item
    latest: bool
    changed: list[str] = field(default_factory=list)
    diffs: dict[str, list[DiffOp]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (diffs as lists of {op, text})."""
        row = self.row
        return {
            "number": self.number, "latest": self.latest, "version_time": row.version_time,
            "first_seen": row.first_seen, "last_seen": row.last_seen,
            "first_job": row.first_job, "last_job": row.last_job, "observed": row.observed,
            "text": self.item.text, "title": self.item.title,
            "media": [m.__dict__ for m in self.item.media], "versioned": self.item.versioned,
            "warc_file": row.warc_file, "record_offset": row.offset,
            "record_length": row.length, "record_id": row.record_id,
            "response_record_id": row.response_record_id, "changed": self.changed,
            "diff": {k: [{"op": o.op, "text": o.text} for o in v]
                     for k, v in self.diffs.items()},
        }


def version_history(catalog: Catalog, item: ItemRow) -> list[VersionView]:
    """Every version of ``item``, oldest first, each compared with the one before."""
    views: list[VersionView] = []
    previous: Item | None = None
    for number, row in enumerate(catalog.versions(item.id), start=1):
        data = row.item()
        view = VersionView(number=number, row=row, item=data,
                           latest=row.id == item.latest_version)
        if previous is not None:
            view.changed, view.diffs = changes(previous, data)
        views.append(view)
        previous = data
    return views
