"""Sign-in sessions and failed-login counters of the browser view.

Kept in ``<archive>/web/sessions.sqlite`` (mode 0600): working state of the server, not a
record, so losing it only signs everybody out. A session is known by the SHA-256 of its
cookie token (the token itself is never stored), carries its own CSRF token, ends after
``session_hours`` or ``idle_minutes`` without use, and ends at once when its account is
disabled or its password changes. Failed logins are counted per key (an account or an
address); enough failures within ``lockout_minutes`` lock that key for ``lockout_minutes``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from civicrecords.config import WebSection

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL,
    created REAL NOT NULL, last_seen REAL NOT NULL, address TEXT NOT NULL DEFAULT '',
    flash TEXT NOT NULL DEFAULT '', last_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, first REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0
);
"""
TOUCH_SECONDS = 30.0  # last_seen is rewritten at most this often (reads stay read-only)


@dataclass(frozen=True)
class Flash:
    """A message for the next page: news of success, or an error (shown as an alert)."""

    text: str
    error: bool = False


@dataclass(frozen=True)
class Session:
    """One signed-in browser."""

    token_hash: str
    user: str
    csrf: str
    created: float
    last_seen: float
    address: str
    flash: str
    last_reason: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """Sessions and login throttling of one archive (see module docstring)."""

    def __init__(self, root: Path, settings: WebSection) -> None:
        directory = root / "web"
        directory.mkdir(mode=0o700, exist_ok=True)
        self.path = directory / "sessions.sqlite"
        self.settings = settings
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._connect() as connection:
            connection.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _run(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        connection = self._connect()
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    # ----- sessions --------------------------------------------------------------------
    def create(self, user: str, address: str, now: datetime) -> tuple[str, Session]:
        """A new session for ``user``; returns the cookie token (shown only here) and the
        session."""
        token = secrets.token_urlsafe(32)
        stamp = now.timestamp()
        session = Session(_hash(token), user, secrets.token_urlsafe(32), stamp, stamp,
                          address, "", "")
        self._run("INSERT INTO sessions (token_hash, user, csrf, created, last_seen, address) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  (session.token_hash, user, session.csrf, stamp, stamp, address))
        return token, session

    def get(self, token: str | None, now: datetime) -> Session | None:
        """The live session of a cookie token (None when unknown, expired or idle too
        long; expired ones are deleted)."""
        if not token or len(token) > 200:
            return None
        key = _hash(token)
        rows = self._run("SELECT * FROM sessions WHERE token_hash = ?", (key,))
        if not rows:
            return None
        session = Session(**dict(rows[0]))
        stamp = now.timestamp()
        if stamp - session.created > self.settings.session_hours * 3600 or \
                stamp - session.last_seen > self.settings.idle_minutes * 60:
            self._run("DELETE FROM sessions WHERE token_hash = ?", (key,))
            return None
        if stamp - session.last_seen > TOUCH_SECONDS:
            self._run("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (stamp, key))
        return session

    def end(self, session: Session) -> None:
        """Sign one session out."""
        self._run("DELETE FROM sessions WHERE token_hash = ?", (session.token_hash,))

    def end_user(self, user: str) -> int:
        """Sign every session of ``user`` out; return how many there were."""
        rows = self._run("DELETE FROM sessions WHERE user = ? RETURNING token_hash", (user,))
        return len(rows)

    def set_flash(self, session: Session, message: str, *, error: bool = False) -> None:
        """Keep a one-line message (an error, or news of success) for the session's next
        page."""
        value = json.dumps({"error": error, "text": message[:1000]})
        self._run("UPDATE sessions SET flash = ? WHERE token_hash = ?",
                  (value, session.token_hash))

    def pop_flash(self, session: Session) -> Flash | None:
        """The kept message (once), or None."""
        if not session.flash:
            return None
        self._run("UPDATE sessions SET flash = '' WHERE token_hash = ?", (session.token_hash,))
        data = json.loads(session.flash)
        return Flash(text=str(data["text"]), error=bool(data["error"]))

    def set_last_reason(self, session: Session, reason: str) -> None:
        """Remember the last review reason typed, to offer it again."""
        self._run("UPDATE sessions SET last_reason = ? WHERE token_hash = ?",
                  (reason[:500], session.token_hash))

    # ----- throttling ------------------------------------------------------------------
    def locked_until(self, keys: list[str], now: datetime) -> float | None:
        """The latest lock end (epoch seconds) among ``keys`` still locked, or None."""
        marks = ",".join("?" * len(keys))
        rows = self._run(f"SELECT max(locked_until) AS until FROM failures WHERE key IN "
                         f"({marks})", tuple(keys))
        until = rows[0]["until"] if rows else None
        return float(until) if until and until > now.timestamp() else None

    def record_failure(self, keys: dict[str, int], now: datetime) -> list[str]:
        """Count one failed login against each key (mapped to the number of failures that
        locks it); return the keys this failure locked."""
        stamp = now.timestamp()
        window = self.settings.lockout_minutes * 60
        locked: list[str] = []
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            for key, limit in keys.items():
                row = connection.execute("SELECT * FROM failures WHERE key = ?",
                                         (key,)).fetchone()
                count, first = (row["count"], row["first"]) if row else (0, stamp)
                if stamp - first > window:
                    count, first = 0, stamp
                count += 1
                until = 0.0
                if count >= limit:
                    until, count, first = stamp + window, 0, stamp
                    locked.append(key)
                connection.execute(
                    "INSERT INTO failures (key, count, first, locked_until) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = excluded.count, "
                    "first = excluded.first, locked_until = max(failures.locked_until, "
                    "excluded.locked_until)", (key, count, first, until))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()
        return locked

    def clear_failures(self, key: str, now: datetime) -> None:
        """Forget the failures counted against ``key`` (after a successful login); a lock
        still running stays."""
        self._run("DELETE FROM failures WHERE key = ? AND locked_until <= ?",
                  (key, now.timestamp()))

    def unlock(self, key: str) -> bool:
        """Lift a lock early (an administrator's decision); True when there was one."""
        rows = self._run("DELETE FROM failures WHERE key = ? RETURNING key", (key,))
        return bool(rows)
