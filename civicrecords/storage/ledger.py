"""What the archive has put in its bucket: the storage ledger and in-progress upload journals.

``<archive>/storage/ledger.jsonl`` is hash-chained (like the manifest chain) and append-only.
It is the record, kept as a file under the archive so that ``rebuild`` loses nothing:

- ``stored``: a file was uploaded *and* its stored checksum matched the manifest's SHA-256
  (path, key, version id, size, sha256, S3 checksum, lock mode and date);
- ``synced``: a changing archive file (chain, audit log, config, public key) was copied;
- ``pruned``: the local copy of a stored file was deleted by the prune policy;
- ``legal-hold``: S3 legal hold was switched on or off for one object version;
- ``bucket-deleted``: a disposed file's versions were deleted from the bucket.

``storage/uploads/*.json`` journal multipart uploads in progress (upload id, parts done), so
a rerun after a crash continues instead of starting over.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.atomicfile import atomic_write
from civicrecords.environment import Environment, utc_iso
from civicrecords.errors import Problem
from civicrecords.integrity.jsonlines import append_chained, read_entries, verify_chain

STORAGE_DIR = "storage"
LEDGER_NAME = "ledger.jsonl"


@dataclass
class LedgerState:
    """The ledger folded into current state, by archive path."""

    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    synced: dict[str, dict[str, Any]] = field(default_factory=dict)
    pruned: set[str] = field(default_factory=set)
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)
    bucket_deleted: set[str] = field(default_factory=set)

    def is_stored(self, path: str, sha256: str) -> bool:
        """True when ``path`` with exactly this content is stored and verified."""
        entry = self.stored.get(path)
        return entry is not None and entry["sha256"] == sha256


class Ledger:
    """The storage ledger and upload journals of one archive."""

    def __init__(self, root: Path, env: Environment) -> None:
        self.root = root
        self.env = env
        self.directory = root / STORAGE_DIR
        self.path = self.directory / LEDGER_NAME

    def append(self, event: str, path: str, **details: Any) -> dict[str, Any]:
        """Append one event (fsynced) and return it as written."""
        return append_chained(self.path, {"event": event, "path": path,
                                          "time": utc_iso(self.env.now()), **details})

    def entries(self) -> list[dict[str, Any]]:
        """Every event, oldest first."""
        return list(read_entries(self.path))

    def state(self) -> LedgerState:
        """Current state: the last word of each event kind per path wins."""
        state = LedgerState()
        for entry in read_entries(self.path):
            path = entry["path"]
            event = entry["event"]
            if event == "stored":
                state.stored[path] = entry
                state.bucket_deleted.discard(path)
            elif event == "synced":
                state.synced[path] = entry
            elif event == "pruned":
                state.pruned.add(path)
            elif event == "unpruned":
                state.pruned.discard(path)
            elif event == "legal-hold":
                state.holds[path] = entry
            elif event == "bucket-deleted":
                state.bucket_deleted.add(path)
                state.stored.pop(path, None)
        return state

    def verify(self) -> list[Problem]:
        """Broken links in the ledger's hash chain (empty when intact)."""
        return verify_chain(self.path, f"{STORAGE_DIR}/{LEDGER_NAME}")

    # ----- multipart journals -------------------------------------------------------------
    def _journal_path(self, path: str) -> Path:
        name = hashlib.sha256(path.encode()).hexdigest()[:24]
        return self.directory / "uploads" / f"{name}.json"

    def journal(self, path: str) -> dict[str, Any] | None:
        """The journal of an unfinished multipart upload of ``path`` (None when none)."""
        target = self._journal_path(path)
        try:
            data = json.loads(target.read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("path") == path else None

    def save_journal(self, path: str, journal: dict[str, Any]) -> None:
        """Write the journal crash-safely (after every part)."""
        atomic_write(self._journal_path(path), json.dumps(journal, sort_keys=True).encode())

    def drop_journal(self, path: str) -> None:
        """Forget the journal once the upload is complete or abandoned."""
        self._journal_path(path).unlink(missing_ok=True)

    def journals(self) -> list[dict[str, Any]]:
        """Every unfinished multipart upload journal."""
        out: list[dict[str, Any]] = []
        directory = self.directory / "uploads"
        for target in sorted(directory.glob("*.json")) if directory.exists() else []:
            try:
                out.append(json.loads(target.read_bytes()))
            except (OSError, ValueError):
                continue
        return out
