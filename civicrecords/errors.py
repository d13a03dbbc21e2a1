"""Every error civicrecords raises, and the exit status each one maps to.

Library code raises these and nothing else on purpose; the CLI turns them into one line on
stderr and the documented exit status (see ``ExitStatus``) in a single place
(``civicrecords.cli.main``). Errors that report several problems at once (verification,
configuration) carry them as structured ``Problem`` details that ``--format json`` prints
as data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ExitStatus(enum.IntEnum):
    """Exit statuses of the ``civicrecords`` command; a scheduler can alert on them."""

    OK = 0
    ERROR = 1  # unexpected failure, or a platform that could not be captured at all
    USAGE = 2  # bad command-line input: unknown item, malformed query, bad option value
    INTEGRITY = 3  # verification found a missing, altered or unsigned file
    PARTIAL = 4  # capture finished but recorded gaps (fetches that failed after retries)
    LOCKED = 5  # another job holds the archive lock
    CONFIG = 6  # no archive, or civicrecords.toml is invalid
    ATTENTION = 7  # status: an account is overdue, disconnected or its token expired
    REFUSED = 8  # the action is not allowed in this state (e.g. export with undecided PII)
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One structured finding: what is wrong, where, and (if known) expected vs actual."""

    kind: str
    message: str
    path: str | None = None
    expected: str | None = None
    actual: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with empty fields left out."""
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for name in ("path", "expected", "actual"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        data.update(self.extra)
        return data

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"


class CivicRecordsError(Exception):
    """Base of every error civicrecords raises on purpose."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def to_dict(self) -> dict[str, Any]:
        """Return the error as JSON-ready data (message, exit status, problems)."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "exit_status": int(self.exit_status),
            "problems": [p.to_dict() for p in self.problems],
        }


class UsageError(CivicRecordsError):
    """The caller asked for something malformed (bad option value, unknown item...)."""

    exit_status = ExitStatus.USAGE


class NotFoundError(UsageError):
    """A named item, request, account, matter or file does not exist."""


class ConfigError(CivicRecordsError):
    """The archive is missing or its configuration is invalid; the message names the line."""

    exit_status = ExitStatus.CONFIG


class ArchiveLockedError(CivicRecordsError):
    """Another process holds the archive's write lock."""

    exit_status = ExitStatus.LOCKED


class IntegrityError(CivicRecordsError):
    """Verification failed; ``problems`` lists each file and what was wrong with it."""

    exit_status = ExitStatus.INTEGRITY


class SigningKeyError(CivicRecordsError):
    """The signing key is missing, unreadable, too widely readable, or does not match."""

    exit_status = ExitStatus.CONFIG


class PlatformError(CivicRecordsError):
    """A platform answered in a way the source cannot use (after retries)."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message, problems=problems)
        self.url = url
        self.status = status


class QueryError(UsageError):
    """A search query is malformed or too expensive; the message points at the problem."""


class RefusedError(CivicRecordsError):
    """The action is not allowed in the current state (the message says what to do)."""

    exit_status = ExitStatus.REFUSED
