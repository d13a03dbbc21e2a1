"""S3 legal holds that follow the archive's legal holds.

``sync_legal_holds`` is given the WARC files that hold records of held items (from the
discovery holds, ``held_warc_files``) and makes the bucket agree: S3 legal hold ON for the
stored version of each such file, OFF for every stored file whose hold was released. Each
change is a ``legal-hold`` event in the storage ledger, so the next sync only touches what
changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from civicrecords.archive import Archive
from civicrecords.storage.client import Bucket, translated
from civicrecords.storage.ledger import Ledger


@dataclass
class HoldSync:
    """Objects whose S3 legal hold was switched on or off."""

    on: list[str] = field(default_factory=list)
    off: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"legal_hold_on": self.on, "legal_hold_off": self.off}


def sync_legal_holds(archive: Archive, bucket: Bucket,
                     held_files: Mapping[str, list[str]]) -> HoldSync:
    """Set S3 legal hold on every stored version in ``held_files`` (path -> matters) and
    clear it on stored versions no longer held. Files not stored yet get their hold when a
    later sync runs after their upload. ``StorageError`` when the store refuses."""
    ledger = Ledger(archive.root, archive.env)
    state = ledger.state()
    result = HoldSync()
    for path, stored in sorted(state.stored.items()):
        current = state.holds.get(path)
        is_on = current is not None and current["status"] == "ON" \
            and current.get("version_id") == stored["version_id"]
        matters = list(held_files.get(path, []))
        want_on = bool(matters)
        if want_on == is_on:
            continue
        if not want_on and current is None:
            continue
        status = "ON" if want_on else "OFF"
        args: dict[str, Any] = {"Bucket": bucket.name, "Key": bucket.key(path),
                                "LegalHold": {"Status": status}}
        if stored.get("version_id"):
            args["VersionId"] = stored["version_id"]
        with translated(f"set legal hold {status} on", bucket.name, bucket.key(path)):
            bucket.client.put_object_legal_hold(**args)
        ledger.append("legal-hold", path, version_id=stored.get("version_id", ""),
                      status=status, matters=matters)
        (result.on if want_on else result.off).append(path)
    if result.on or result.off:
        archive.audit.record("storage.legal_hold", subject=bucket.url(), on=result.on,
                             off=result.off)
    return result
