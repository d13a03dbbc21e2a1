"""Applying a disposal record to the catalog: disposed items leave it for good.

The one code path for both the live disposal and ``rebuild`` (it is the replayer of the
``disposal-record`` manifest role): every item the record names is deleted with its versions
and events, and the request/response locations inside deleted WARC files are forgotten.
The signed disposal record, not the catalog, is what proves the item existed and when it was
disposed of.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from civicrecords.catalog.apply import JobWriter


def delete_items(writer: JobWriter, refs: list[str], deleted_files: list[str]) -> list[int]:
    """Delete the items with these refs (inside the writer's transaction); return the
    catalog ids that were deleted (their index documents must go too)."""
    db = writer.db
    deleted: list[int] = []
    for ref in refs:
        platform, account, platform_id = ref.split(":", 2)
        row = db.execute("SELECT id FROM items WHERE platform=? AND account=? AND "
                         "platform_id=?", (platform, account, platform_id)).fetchone()
        if row is None:
            continue
        item_id = row[0]
        db.execute("UPDATE items SET latest_version=NULL WHERE id=?", (item_id,))
        db.execute("DELETE FROM events WHERE item_id=?", (item_id,))
        db.execute("DELETE FROM versions WHERE item_id=?", (item_id,))
        db.execute("DELETE FROM items WHERE id=?", (item_id,))
        deleted.append(item_id)
    for name in deleted_files:
        db.execute("DELETE FROM records WHERE warc_file=?", (name,))
    return deleted


def apply_disposal_record(writer: JobWriter, root: Path, entry: dict[str, Any]) -> None:
    """Replayer for a manifest file of role ``disposal-record`` (see module docstring)."""
    data = json.loads((root / entry["path"]).read_bytes())
    delete_items(writer, [item["ref"] for item in data.get("items", [])],
                 [f["path"] for f in data.get("deleted_files", [])])
