"""Bates numbers and the per-matter counter that keeps them unique across volumes.

A Bates number is ``PREFIX`` + the page number zero-padded to the matter's width (config
``[discovery] bates_width``, fixed for a matter by its first volume), with no spaces. The
counter is clerk work, not derived data: ``<archive>/matters/<matter>.json`` records the
prefix, width, the next unused number and every volume produced. It is replaced atomically,
only once a volume is complete, so numbers are never reused; a crash before that leaves the
counter as it was (and no volume in place).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_write
from civicrecords.discovery.holds import check_matter
from civicrecords.discovery.locking import exclusive
from civicrecords.errors import RefusedError, UsageError

MATTER_SCHEMA = "civicrecords.matter/1"
MATTERS_DIR = "matters"
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,29}$")


def check_prefix(prefix: str) -> str:
    """``prefix`` if usable as a Bates prefix: a letter, then letters, digits, ``_``, ``.``
    or ``-`` (at most 30), not ending in a digit (``ABC1`` + ``0000001`` would be ambiguous);
    else ``UsageError``."""
    if not _PREFIX.match(prefix) or prefix[-1].isdigit():
        raise UsageError(f"{prefix!r} is not a Bates prefix: start with a letter, use letters, "
                         "digits, '_', '.' or '-' without spaces, and do not end with a digit")
    return prefix


def bates_number(prefix: str, number: int, width: int) -> str:
    """``PREFIX`` + ``number`` zero-padded to ``width`` (``RefusedError`` when ``number``
    needs more digits than ``width``: the matter's numbers are exhausted)."""
    if number < 1 or number >= 10 ** width:
        raise RefusedError(f"Bates number {number} does not fit {width} digits for prefix "
                           f"{prefix}")
    return f"{prefix}{number:0{width}d}"


def volume_name(number: int) -> str:
    """``VOL001``, ``VOL002``... (``VOL1000`` after ``VOL999``)."""
    return f"VOL{number:03d}"


@dataclass(frozen=True)
class VolumeEntry:
    """One produced volume of a matter."""

    volume: str
    request_id: str
    first: int
    last: int
    begin_bates: str
    end_bates: str
    documents: int
    pages: int
    path: str
    created_at: str
    created_by: str
    tagmanifest_sha256: str


@dataclass
class MatterCounter:
    """A matter's Bates counter and the volumes produced so far."""

    matter: str
    prefix: str
    width: int
    next_number: int = 1
    volumes: list[VolumeEntry] = field(default_factory=list)
    schema: str = MATTER_SCHEMA

    @property
    def next_volume(self) -> str:
        """Name of the volume to produce next."""
        return volume_name(len(self.volumes) + 1)

    def bates(self, number: int) -> str:
        """The Bates number ``number`` of this matter."""
        return bates_number(self.prefix, number, self.width)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the file's form)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatterCounter:
        """Inverse of ``to_dict``."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["volumes"] = [VolumeEntry(**v) for v in known.get("volumes", [])]
        return cls(**known)


def _path(archive: Archive, matter: str) -> Path:
    return archive.root / MATTERS_DIR / f"{check_matter(matter)}.json"


def load_counter(archive: Archive, matter: str, prefix: str, width: int) -> MatterCounter:
    """The matter's counter, or a fresh one starting at 1 with ``prefix`` and ``width``.
    ``RefusedError`` when the matter already numbers with a different prefix."""
    check_prefix(prefix)
    path = _path(archive, matter)
    if not path.exists():
        return MatterCounter(matter=matter, prefix=prefix, width=width)
    counter = MatterCounter.from_dict(json.loads(path.read_text("utf-8")))
    if counter.prefix != prefix:
        raise RefusedError(f"matter {matter} is Bates-numbered with prefix {counter.prefix}, "
                           f"not {prefix}; open the request with --bates-prefix "
                           f"{counter.prefix}")
    return counter


@contextmanager
def matter_lock(archive: Archive, matter: str) -> Iterator[None]:
    """Exclusive right to number the matter's next volume (``RefusedError`` at once when
    another export of the same matter is running)."""
    lock = archive.root / MATTERS_DIR / f".{check_matter(matter)}.lock"
    with exclusive(lock, wait=False, busy=f"another production of matter {matter} is being "
                   "exported; try again when it finishes"):
        yield


def record_volume(archive: Archive, counter: MatterCounter, entry: VolumeEntry) -> None:
    """Advance the counter past ``entry`` and save it atomically (call with the matter
    locked, once the volume is complete); audited as ``matter.volume``."""
    if entry.first != counter.next_number:
        raise RefusedError(f"volume {entry.volume} starts at {entry.first}, but the matter's "
                           f"next number is {counter.next_number}")
    counter.volumes.append(entry)
    counter.next_number = entry.last + 1
    data = json.dumps(counter.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write(_path(archive, counter.matter), data.encode("utf-8"))
    archive.audit.record("matter.volume", subject=counter.matter, volume=entry.volume,
                         request=entry.request_id, begin=entry.begin_bates,
                         end=entry.end_bates, pages=entry.pages,
                         tagmanifest_sha256=entry.tagmanifest_sha256)
