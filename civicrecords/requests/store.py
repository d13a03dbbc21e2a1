"""The request register: one directory per request under ``<archive>/requests/<id>/``.

Request files are the clerk's work, not derived data: ``rebuild`` never touches them. Each
request is ``request.json`` (written atomically) plus append-only JSON Lines of review
decisions. Every change goes through ``RequestStore.save`` with an action name, which also
writes an audit entry, so the audit log tells the whole story of each request.

Statuses move ``received → gathering → in-review → ready`` (and back while the request is
open) and end in ``fulfilled`` (only through ``requests.fulfil``, which records the delivered
bundle), ``denied`` (with the statute) or ``withdrawn``. A closed request never changes again.
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
from civicrecords.requests.calendar import CalendarOptions, add_business_days, business_days_between
from civicrecords.requests.fees import StaffTime

REQUEST_SCHEMA = "civicrecords.request/1"
RequestKind = Literal["public", "subject", "discovery"]
KINDS: tuple[str, ...] = ("public", "subject", "discovery")
STATUSES: tuple[str, ...] = ("received", "gathering", "in-review", "ready", "fulfilled",
                             "denied", "withdrawn")
CLOSED: tuple[str, ...] = ("fulfilled", "denied", "withdrawn")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("gathering", "in-review", "ready", "denied", "withdrawn"),
    "gathering": ("in-review", "ready", "denied", "withdrawn"),
    "in-review": ("gathering", "ready", "denied", "withdrawn"),
    "ready": ("gathering", "in-review", "fulfilled", "denied", "withdrawn"),
}
_ID = re.compile(r"^R(\d{4})-(\d{4,})$")


@dataclass
class Request:
    """One data request and everything done for it.

    ``received`` is the local date of receipt (ISO) and ``received_at`` the local time with
    its UTC offset; ``due`` is the deadline (data subject) or target (public), None for
    discovery. ``subject_handles`` names the data subject's accounts on the platforms,
    ``identity`` how their identity was verified; ``time_log`` is staff time for fees;
    ``fee_options`` how the data is delivered; ``closure`` how the request ended.
    """

    id: str
    kind: RequestKind
    received: str
    due: str | None
    received_at: str = ""
    status: str = "received"
    requester: dict[str, str] = field(default_factory=dict)
    channel: str | None = None
    description: str = ""
    notes: list[dict[str, str]] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    subject_handles: list[str] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)
    time_log: list[dict[str, Any]] = field(default_factory=list)
    fee_options: dict[str, Any] = field(default_factory=dict)
    closure: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    schema: str = REQUEST_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``request.json`` form)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        """Inverse of ``to_dict``; unknown keys go to ``details`` instead of being lost. A
        ``received`` written with its time (older files) is split into date and time."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        extra = {k: v for k, v in data.items() if k not in cls.__dataclass_fields__}
        received = str(known.get("received", ""))
        if "T" in received:
            known["received_at"] = known.get("received_at") or received
            known["received"] = received.split("T", 1)[0]
        request = cls(**known)
        request.details.update(extra)
        return request

    @property
    def is_open(self) -> bool:
        """True until fulfilled, denied or withdrawn."""
        return self.status not in CLOSED

    @property
    def received_date(self) -> date:
        """The local date of receipt."""
        return date.fromisoformat(self.received)

    @property
    def staff_time(self) -> tuple[StaffTime, ...]:
        """The logged staff time as fee entries."""
        return tuple(StaffTime(entry["activity"], int(entry["minutes"]), entry.get("staff", ""),
                               entry.get("note", "")) for entry in self.time_log)

    @property
    def latest_export(self) -> dict[str, Any] | None:
        """The most recent export record, if any."""
        return self.exports[-1] if self.exports else None


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


def normalize_handle(handle: str) -> str:
    """A platform handle as the catalog stores authors: no leading ``@``, lower case.
    Raises ``UsageError`` for an empty or blank handle."""
    value = handle.strip().lstrip("@").strip().lower()
    if not value or any(ch.isspace() for ch in value):
        raise UsageError(f"{handle!r} is not a platform handle (like @name or name@server)")
    return value


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
               channel: str | None, description: str, details: dict[str, Any],
               subject_handles: list[str] | None = None) -> Request:
        """Register a new request with its due date; audited as ``request.open``.
        ``subject_handles`` (data subject requests only) are normalized."""
        if kind not in KINDS:
            raise UsageError(f"--kind: {kind!r} is not public, subject or discovery")
        handles = [normalize_handle(h) for h in subject_handles or []]
        if handles and kind != "subject":
            raise UsageError("subject handles are for data subject requests (--kind subject)")
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
                          received=local.date().isoformat(),
                          received_at=local.isoformat(timespec="minutes"),
                          due=due.isoformat() if due else None, requester=requester,
                          channel=channel, description=description, details=details,
                          subject_handles=list(dict.fromkeys(handles)))
        self.save(request, "request.open", kind=kind, due=request.due, channel=channel)
        return request

    def save(self, request: Request, action: str, **details: Any) -> None:
        """Write ``request.json`` atomically and audit ``action`` against the request."""
        request.history.append({"at": utc_iso(self.archive.env.now()),
                                "by": self.archive.env.operator_name, "action": action})
        data = json.dumps(request.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)
        atomic_write(self.path(request.id) / "request.json", (data + "\n").encode())
        self.archive.audit.record(action, subject=request.id, **details)

    def _require_open(self, request: Request) -> None:
        if not request.is_open:
            raise RefusedError(f"request {request.id} is {request.status}; it cannot change")

    def set_status(self, request: Request, status: str, *, reason: str = "",
                   basis: str = "") -> None:
        """Move an open request to ``status`` along ``TRANSITIONS``; audited.

        ``denied`` needs ``basis`` (the statute) and ``reason``; ``withdrawn`` needs
        ``reason``; ``fulfilled`` is refused here (``requests.fulfil`` records the delivered
        bundle). Raises ``UsageError`` for an unknown status or missing reason/basis,
        ``RefusedError`` for a closed request or a move ``TRANSITIONS`` does not allow.
        """
        if status not in STATUSES:
            raise UsageError(f"{status!r} is not a request status ({', '.join(STATUSES)})")
        self._require_open(request)
        if status == request.status:
            return
        if status == "fulfilled":
            raise RefusedError(f"use 'civicrecords request fulfil {request.id}' to record the "
                               "delivered bundle and close the request")
        if status not in TRANSITIONS[request.status]:
            allowed = ", ".join(TRANSITIONS[request.status])
            raise RefusedError(f"request {request.id} is {request.status}; it can move to "
                               f"{allowed}")
        if status in ("denied", "withdrawn") and not reason.strip():
            raise UsageError(f"--reason is required to mark a request {status}")
        if status == "denied" and not basis.strip():
            raise UsageError("--basis is required to deny a request: cite the statute")
        previous = request.status
        request.status = status
        if status in CLOSED:
            request.closure = {"status": status, "reason": reason, "basis": basis,
                               "at": utc_iso(self.archive.env.now()),
                               "by": self.archive.env.operator_name}
        self.save(request, "request.status", previous=previous, status=status, reason=reason,
                  basis=basis)

    def add_note(self, request: Request, text: str) -> None:
        """Append a dated note by the operator (allowed on closed requests too); audited
        without its text."""
        if not text.strip():
            raise UsageError("a note needs some text")
        request.notes.append({"at": utc_iso(self.archive.env.now()),
                              "by": self.archive.env.operator_name, "text": text})
        self.save(request, "request.note", number=len(request.notes))

    def record_identity(self, request: Request, *, method: str, verified_by: str,
                        handles: list[str] | None = None, note: str = "") -> None:
        """Record how a data subject's identity was verified (and, optionally, their
        handles); audited. ``UsageError`` for other kinds or a blank method/verifier."""
        if request.kind != "subject":
            raise UsageError(f"request {request.id} is a {request.kind} request; identity is "
                             "verified for data subject requests")
        self._require_open(request)
        if not method.strip() or not verified_by.strip():
            raise UsageError("give how identity was verified (--identity-method) and who "
                             "verified it (--verified-by)")
        if handles:
            request.subject_handles = list(dict.fromkeys(
                [*request.subject_handles, *(normalize_handle(h) for h in handles)]))
        request.identity = {"method": method, "verified_by": verified_by, "note": note,
                            "at": utc_iso(self.archive.env.now()),
                            "recorded_by": self.archive.env.operator_name}
        self.save(request, "request.identity", method=method, verified_by=verified_by,
                  handles=request.subject_handles)

    def log_time(self, request: Request, entry: StaffTime) -> None:
        """Add staff time (for fees; redaction and review time is logged but never
        charged); audited."""
        self._require_open(request)
        request.time_log.append({"activity": entry.activity, "minutes": entry.minutes,
                                 "staff": entry.staff, "note": entry.note,
                                 "at": utc_iso(self.archive.env.now()),
                                 "by": self.archive.env.operator_name})
        self.save(request, "request.time", activity=entry.activity, minutes=entry.minutes,
                  staff=entry.staff)

    def previous_subject_requests(self, request: Request) -> list[Request]:
        """Fulfilled data subject requests for any of this request's handles within
        ``[requests] subject_repeat_months`` before it was received (Minn. Stat. § 13.04,
        subd. 3: the same private data need not be shown again within that time)."""
        months = self.archive.config.requests.subject_repeat_months
        if request.kind != "subject" or not request.subject_handles or months == 0:
            return []
        start = _months_before(request.received_date, months)
        handles = set(request.subject_handles)
        out = []
        for other in self.all():
            if other.id == request.id or other.kind != "subject" or other.status != "fulfilled":
                continue
            delivered = other.closure.get("at", "")[:10]
            if handles & set(other.subject_handles) and delivered and \
                    start <= date.fromisoformat(delivered) <= request.received_date:
                out.append(other)
        return out


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in range(day.day, 0, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 1 always exists")


def _sort_key(name: str) -> tuple[int, int]:
    match = _ID.match(name)
    assert match
    return int(match.group(1)), int(match.group(2))


def deadline_summary(archive: Archive, request: Request, today: date) -> dict[str, Any]:
    """The request as JSON-ready data plus business days elapsed, left and overdue on
    ``today`` (a local date). Left and overdue are None for closed requests and requests
    without a due date."""
    options = calendar_options(archive)
    elapsed = business_days_between(request.received_date, today, options)
    left = overdue = None
    if request.due and request.is_open:
        due = date.fromisoformat(request.due)
        overdue = business_days_between(due, today, options)
        left = business_days_between(today, due, options) if due >= today else 0
    return {**request.to_dict(), "elapsed_business_days": elapsed,
            "business_days_left": left, "overdue_business_days": overdue}
