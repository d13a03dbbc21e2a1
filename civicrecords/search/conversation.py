"""A whole conversation in reading order: the post, then each reply under what it answers.

Replies are placed depth-first under their parent, oldest sibling first, so a thread reads
the way the platform showed it; replies whose parent the archive never captured follow the
root at depth 1. Media attachments appear under the item that carries them. The scope rule of
search applies: not-public items are withheld (shown only as a placeholder) unless the caller
includes not-public data, and then the view is written to the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from civicrecords.catalog import Catalog, ItemRow, VersionRow
from civicrecords.errors import NotFoundError
from civicrecords.integrity.audit import AuditLog


@dataclass(frozen=True)
class ThreadEntry:
    """One item of a conversation at its depth (0 for the root). ``withheld`` entries carry
    no version: the item is not public and not-public data was not included."""

    item: ItemRow
    depth: int
    version: VersionRow | None
    withheld: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a withheld entry says only where it is)."""
        if self.withheld or self.version is None:
            return {"depth": self.depth, "withheld": True,
                    "classification": self.item.classification}
        data = self.version.item()
        return {"depth": self.depth, "withheld": False, "ref": self.item.ref,
                "item_id": self.item.platform_id, "kind": self.item.kind,
                "parent_id": self.item.parent_id, "author": self.item.author,
                "author_name": self.item.author_name, "created_at": self.item.created_at,
                "status": self.item.status, "classification": self.item.classification,
                "versions": self.item.version_count, "text": data.text, "title": data.title,
                "url": self.item.url, "record_id": self.version.record_id,
                "warc_file": self.version.warc_file}


@dataclass(frozen=True)
class Conversation:
    """Every item of one thread in reading order."""

    root: str
    entries: list[ThreadEntry]

    @property
    def withheld(self) -> int:
        """How many not-public items were left out."""
        return sum(1 for e in self.entries if e.withheld)


def _key(row: ItemRow) -> tuple[str, str]:
    return (row.created_at or "", row.platform_id)


def _order(rows: list[ItemRow], root_id: str) -> list[tuple[ItemRow, int]]:
    present = {row.platform_id for row in rows}
    children: dict[str, list[ItemRow]] = defaultdict(list)
    tops: list[ItemRow] = []
    for row in rows:
        parent = row.parent_id
        if row.platform_id != root_id and parent in present and parent != row.platform_id:
            children[str(parent)].append(row)
        else:
            tops.append(row)
    has_root = root_id in present
    tops.sort(key=lambda r: (r.platform_id != root_id, *_key(r)))
    out: list[tuple[ItemRow, int]] = []
    placed: set[str] = set()
    starts = [(t, 0 if t.platform_id == root_id or not has_root else 1) for t in tops]
    starts += [(r, 1) for r in sorted(rows, key=_key)]  # rows a parent loop kept from any top
    for top, depth in starts:
        stack = [(top, depth)]
        while stack:
            row, level = stack.pop()
            if row.platform_id in placed:
                continue
            placed.add(row.platform_id)
            out.append((row, level))
            stack.extend((c, level + 1) for c in sorted(children[row.platform_id], key=_key,
                                                          reverse=True))
    return out


def _lookup(catalog: Catalog, like: ItemRow, platform_id: str) -> ItemRow | None:
    try:
        return catalog.find(f"{like.platform}:{like.account}:{platform_id}")
    except NotFoundError:
        return None


def thread_root(catalog: Catalog, item: ItemRow) -> ItemRow:
    """The first item of ``item``'s conversation: reached by following reply links up (so a
    reply whose recorded thread is wrong still finds its post), else the recorded thread."""
    current, seen = item, {item.platform_id}
    while current.parent_id and current.parent_id not in seen:
        parent = _lookup(catalog, current, current.parent_id)
        if parent is None:
            break
        seen.add(parent.platform_id)
        current = parent
    if current.parent_id and current.thread_id and current.thread_id != current.platform_id:
        recorded = _lookup(catalog, current, current.thread_id)
        if recorded is not None:
            return recorded
    return current


def thread_key(catalog: Catalog, item: ItemRow) -> str:
    """The platform id of ``item``'s conversation root (what ``thread:`` searches for)."""
    if item.parent_id and item.thread_id in (None, item.platform_id):
        return thread_root(catalog, item).platform_id
    return item.thread_id or item.platform_id


def _members(catalog: Catalog, root: ItemRow) -> list[ItemRow]:
    rows = {row.id: row for row in catalog.thread(root)}
    rows.setdefault(root.id, root)
    queue = list(rows.values())
    while queue:
        for child in catalog.children(queue.pop()):
            if child.id not in rows:
                rows[child.id] = child
                queue.append(child)
    return list(rows.values())


def conversation(catalog: Catalog, item: ItemRow, audit: AuditLog, *,
                 include_not_public: bool = False) -> Conversation:
    """The conversation ``item`` belongs to (see module docstring). When not-public items are
    included and any is shown, one ``show.thread_not_public`` audit entry lists them."""
    root = thread_root(catalog, item)
    ordered = _order(_members(catalog, root), root.platform_id)
    versions = catalog.versions_of(row.id for row, _ in ordered)
    entries: list[ThreadEntry] = []
    revealed: list[str] = []
    for row, depth in ordered:
        hidden = not row.is_public and not include_not_public
        latest = next((v for v in versions.get(row.id, []) if v.id == row.latest_version),
                      None)
        entries.append(ThreadEntry(row, depth, None if hidden else latest, withheld=hidden))
        if not row.is_public and not hidden:
            revealed.append(row.ref)
    if revealed:
        audit.record("show.thread_not_public", subject=item.ref, items=revealed)
    return Conversation(root=root.ref, entries=entries)
