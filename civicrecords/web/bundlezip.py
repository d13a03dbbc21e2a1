"""A bundle directory as one deterministic zip file, for download from the browser view.

The same bundle always gives the same bytes: entries in sorted path order under one top
folder named after the bundle, every entry dated with the export time, the same permissions,
no directory entries and no extra fields. The zip is written beside the bundle under a
temporary name and renamed into place, so a half-written zip is never offered.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from civicrecords.atomicfile import atomic_file
from civicrecords.integrity.hashing import CHUNK

EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # the zip format cannot date anything earlier


def zip_bundle(bundle: Path, target: Path, created: datetime) -> Path:
    """Write ``bundle`` (a directory) to the zip ``target`` unless it is already there;
    return ``target``."""
    if target.exists():
        return target
    stamp = max(created.astimezone(UTC), EARLIEST).timetuple()[:6]
    files = sorted((p for p in bundle.rglob("*") if p.is_file()),
                   key=lambda p: p.relative_to(bundle).as_posix())
    with atomic_file(target) as handle, zipfile.ZipFile(handle, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{bundle.name}/{path.relative_to(bundle).as_posix()}",
                                   date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as out, \
                    open(path, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK)
    return target
