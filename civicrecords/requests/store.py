"""The request register: one directory per request under ``<archive>/requests/<id>/``.

Request files are the clerk's work, not derived data: ``rebuild`` never touches them. Each
request is ``request.json`` (written atomically) plus append-only JSON Lines of review
decisions. Every change goes through ``RequestStore.save`` with an action name, which also
writes an audit entry, so the audit log tells the whole story of each request.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_write
from civicrecords.environment import utc_iso
from civicrecords.errors import NotFoundError, RefusedError, UsageError
from civicrecords.requests.calendar import CalendarOptions, add_business_days

REQUEST_SCHEMA = "civicrecords.request/1"
RequestKind = Literal["public", "subject", "discovery"]
KINDS: tuple[str, ...] = ("public", "subject", "discovery")
STATUSES: tuple[str, ...] = ("received", "gathering", "in-review", "ready", "fulfilled",
                             "denied", "withdrawn")
CLOSED: tuple[str, ...] = ("fulfilled", "denied", "withdrawn")
_ID = re.compile(r"^R(\d{4})-(\d{4,})$")


@dataclass
class Request:
    """One data request and everything done for it."""

    id: str
    kind: RequestKind
    received: str
    due: str | None
    status: str = "received"
    requester: dict[str, str] = field(default_factory=dict)
    channel: str | None = None
    description: str = ""
    notes: list[dict[str, str]] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    schema: str = REQUEST_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``request.json`` form)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        """Inverse of ``to_dict``; unknown keys go to ``details`` instead of being lost."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        extra = {k: v for k, v in data.items() if k not in cls.__dataclass_fields__}
        request = cls(**known)
        request.details.update(extra)
        return request

    @property
    def is_open(self) -> bool:
        """True until fulfilled, denied or withdrawn."""
        return self.status not in CLOSED


def calendar_options(archive: Archive) -> CalendarOptions:
    """Business-day options from the archive config."""
    section = archive.config.calendar
    return CalendarOptions(columbus_day=section.columbus_day,
                           day_after_thanksgiving=section.day_after_thanksgiving,
                           extra_closures=frozenset(section.extra_closures))


def local_zone(archive: Archive) -> zoneinfo.ZoneInfo:
    """The archive's time zone (deadlines are counted in local dates)."""
    return zoneinfo.ZoneInfo(archive.config.archive.timezone)


def due_date(archive: Archive, kind: str, received: datetime) -> date | None:
    """The deadline (data subject) or target date (public) in business days; None for
    discovery, whose deadlines come from the court."""
    days = {"public": archive.config.requests.public_target_days,
            "subject": archive.config.requests.subject_days}.get(kind)
    if days is None:
        return None
    local = received.astimezone(local_zone(archive)).date()
    return add_business_days(local, days, calendar_options(archive))


class RequestStore:
    """Loads, creates and saves requests of one archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.root = archive.requests_dir

    def path(self, request_id: str) -> Path:
        """The directory of one request (``UsageError`` for a malformed id)."""
        if not _ID.match(request_id):
            raise UsageError(f"{request_id!r} is not a request id (like R2026-0001)")
        return self.root / request_id

    def get(self, request_id: str) -> Request:
        """Load a request (``NotFoundError`` if there is none with that id)."""
        path = self.path(request_id) / "request.json"
        if not path.exists():
            raise NotFoundError(f"no request {request_id}")
        return Request.from_dict(json.loads(path.read_text("utf-8")))

    def all(self) -> list[Request]:
        """Every request, oldest id first."""
        if not self.root.exists():
            return []
        found = [p.name for p in self.root.iterdir() if _ID.match(p.name)
                 and (p / "request.json").exists()]
        return [self.get(name) for name in sorted(found, key=_sort_key)]

    def _next_id(self, year: int) -> str:
        numbers = [int(m.group(2)) for p in (self.root.iterdir() if self.root.exists() else [])
                   if (m := _ID.match(p.name)) and int(m.group(1)) == year]
        return f"R{year}-{max(numbers, default=0) + 1:04d}"

    def create(self, *, kind: str, received: datetime, requester: dict[str, str],
               channel: str | None, description: str, details: dict[str, Any]) -> Request:
        """Register a new request with its due date; audited as ``request.open``."""
        if kind not in KINDS:
            raise UsageError(f"--kind: {kind!r} is not public, subject or discovery")
        local = received.astimezone(local_zone(self.archive))
        due = due_date(self.archive, kind, received)
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            request_id = self._next_id(local.year)
            try:
                (self.root / request_id).mkdir()
                break
            except FileExistsError:
                continue
        request = Request(id=request_id, kind=kind,  # type: ignore[arg-type]
                          received=local.isoformat(timespec="minutes"),
                          due=due.isoformat() if due else None, requester=requester,
                          channel=channel, description=description, details=details)
        self.save(request, "request.open", kind=kind, due=request.due, channel=channel)
        return request

    def save(self, request: Request, action: str, **details: Any) -> None:
        """Write ``request.json`` atomically and audit ``action`` against the request."""
        request.history.append({"at": utc_iso(self.archive.env.now()),
                                "by": self.archive.env.operator_name, "action": action})
        data = json.dumps(request.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)
        atomic_write(self.path(request.id) / "request.json", (data + "\n").encode())
        self.archive.audit.record(action, subject=request.id, **details)

    def set_status(self, request: Request, status: str, *, reason: str = "") -> None:
        """Move a request to ``status`` (any open request may move; closed ones may not)."""
        if status not in STATUSES:
            raise UsageError(f"{status!r} is not a request status ({', '.join(STATUSES)})")
        if not request.is_open and status != request.status:
            raise RefusedError(f"request {request.id} is {request.status}; it cannot change")
        previous = request.status
        request.status = status
        self.save(request, "request.status", previous=previous, status=status, reason=reason)


def _sort_key(name: str) -> tuple[int, int]:
    match = _ID.match(name)
    assert match
    return int(match.group(1)), int(match.group(2))
