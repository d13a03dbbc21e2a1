"""Putting an archive back in order after a crash or kill.

Run under the archive lock before any job. A job killed before it staged its manifest left
only hidden ``.part`` files: they are deleted (nothing of them was ever part of the record).
A job killed after staging is rolled forward when every file it lists is present with the
size it recorded, and rolled back otherwise. Finally the catalog replays any committed job
it is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.archiver.warc import part_name
from civicrecords.catalog import Catalog
from civicrecords.catalog.replay import catch_up
from civicrecords.integrity.manifest import commit, discard, pending_manifests


@dataclass
class Recovery:
    """What recovery did (empty lists when the archive was already in order)."""

    completed: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    deleted_parts: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        """True when recovery changed something."""
        return bool(self.completed or self.discarded or self.deleted_parts or self.replayed)


def _present(root: Path, entry: dict[str, object]) -> Path | None:
    final = root / str(entry["path"])
    for candidate in (final, part_name(final)):
        if candidate.exists() and candidate.stat().st_size == entry["size"]:
            return candidate
    return None


def recover(archive: Archive, catalog: Catalog) -> Recovery:
    """Finish or discard interrupted jobs and bring the catalog up to date (see module doc)."""
    root = archive.root
    report = Recovery()
    for staged in pending_manifests(root):
        entries = staged.manifest.get("files", [])
        found = [_present(root, entry) for entry in entries]
        if all(found):
            for entry, path in zip(entries, found, strict=True):
                assert path is not None
                final = root / str(entry["path"])
                if path != final:
                    os.replace(path, final)
            commit(root, staged)
            report.completed.append(staged.job_id)
        else:
            discard(root, staged)
            for entry in entries:
                part_name(root / str(entry["path"])).unlink(missing_ok=True)
            report.discarded.append(staged.job_id)
    # imported web archives are replayed by the importer (imported here: it imports this)
    import civicrecords.archiver.importer  # noqa: F401
    warcs = archive.warcs_dir
    if warcs.exists():
        for part in sorted(warcs.rglob(".*.part")):
            part.unlink()
            report.deleted_parts.append(part.relative_to(root).as_posix())
    report.replayed = catch_up(catalog, archive.config, root)
    if report.anything:
        archive.audit.record("archive.recover", completed=report.completed,
                             discarded=report.discarded, deleted_parts=report.deleted_parts,
                             replayed=report.replayed)
    return report
