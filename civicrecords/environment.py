"""The outside world as one injectable object: clock, operator, config directory, variables.

Library functions that need the time, the operator's name, an environment variable or the
user's config directory take an ``Environment`` instead of reaching for globals, so tests pass
their own (a fixed clock, a temporary config directory, a fake variable) with no monkeypatching.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TextIO


def _default_config_dir(variables: Mapping[str, str]) -> Path:
    if variables.get("CIVICRECORDS_CONFIG_DIR"):
        return Path(variables["CIVICRECORDS_CONFIG_DIR"])
    base = variables.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "civicrecords"


def _default_operator(variables: Mapping[str, str]) -> str:
    if variables.get("CIVICRECORDS_OPERATOR"):
        return variables["CIVICRECORDS_OPERATOR"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


@dataclass
class Environment:
    """Everything civicrecords reads from outside its arguments.

    ``now()`` always returns an aware UTC datetime; ``sleep`` is what retry back-off waits
    with; ``variables`` is the process environment (tokens are read from it by name).
    """

    variables: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = field(default=time.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    config_dir: Path | None = None
    operator: str | None = None

    def __post_init__(self) -> None:
        if self.config_dir is None:
            self.config_dir = _default_config_dir(self.variables)
        if self.operator is None:
            self.operator = _default_operator(self.variables)

    @property
    def user_config_dir(self) -> Path:
        """The per-user configuration directory (where signing keys live)."""
        assert self.config_dir is not None
        return self.config_dir

    @property
    def operator_name(self) -> str:
        """Who is running civicrecords, as recorded in manifests and the audit log."""
        assert self.operator is not None
        return self.operator

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        value = self.clock()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def is_terminal(self) -> bool:
        """True when stderr is an interactive terminal (progress bars are shown there)."""
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())


@lru_cache(maxsize=4096)  # a capture formats each response's time for every record it makes
def utc_iso(moment: datetime, *, microseconds: bool = False) -> str:
    """Format an aware datetime as ISO 8601 UTC with a ``Z`` suffix, e.g.
    ``2026-11-24T20:11:38Z``: microseconds shown when not zero, or always with
    ``microseconds=True`` (a fixed-width, sortable form)."""
    moment = moment.astimezone(UTC)
    if moment.year >= 1000:  # isoformat pads years to four digits, strftime does not
        spec = "microseconds" if microseconds else "auto"
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    if moment.microsecond or microseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; naive means UTC) into aware UTC.

    Raises ``ValueError`` on malformed input.
    """
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
