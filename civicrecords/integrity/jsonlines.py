"""Hash-chained JSON Lines files: each line carries the SHA-256 of the line before it.

Used by the manifest chain (``manifests/chain.jsonl``) and the audit log (``audit.jsonl``).
Appends take an exclusive ``flock`` on the file, so concurrent writers never interleave or
fork the chain.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicrecords.errors import Problem
from civicrecords.integrity.hashing import sha256_bytes

GENESIS = "0" * 64


def encode(entry: dict[str, Any]) -> bytes:
    """Canonical one-line JSON (sorted keys, UTF-8, no spaces)."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _last_line(handle: Any) -> bytes | None:
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return None
    block = 4096
    position = end
    data = b""
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return data.rstrip(b"\n") or None


def append_chained(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append ``entry`` with ``seq`` and ``prev`` (hash of the previous line) filled in.

    Returns the entry as written. The write is fsynced before the lock is released.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            last = _last_line(handle)
            if last is None:
                seq, prev = 1, GENESIS
            else:
                seq = int(json.loads(last)["seq"]) + 1
                prev = sha256_bytes(last)
            written = {**entry, "seq": seq, "prev": prev}
            handle.seek(0, os.SEEK_END)
            handle.write(encode(written) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return written


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every entry in order (an absent file has none); raises ``ValueError`` on bad JSON."""
    if not path.exists():
        return
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: not JSON") from exc


def verify_chain(path: Path, label: str) -> list[Problem]:
    """Check every line's ``seq`` and ``prev`` link; one Problem per broken line."""
    problems: list[Problem] = []
    if not path.exists():
        return problems
    prev = GENESIS
    expected_seq = 1
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                problems.append(Problem("chain-corrupt", f"line {number} is not JSON", path=label))
                prev = sha256_bytes(line)
                expected_seq += 1
                continue
            if entry.get("prev") != prev:
                problems.append(Problem(
                    "chain-broken", f"line {number} does not link to the line before it",
                    path=label, expected=prev, actual=str(entry.get("prev")),
                ))
            if entry.get("seq") != expected_seq:
                problems.append(Problem(
                    "chain-sequence", f"line {number} has sequence {entry.get('seq')}",
                    path=label, expected=str(expected_seq), actual=str(entry.get("seq")),
                ))
            prev = sha256_bytes(line)
            expected_seq += 1
    return problems
