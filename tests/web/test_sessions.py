"""Sessions end on time, and failed logins are counted in a window (no clock is mocked: the
store is given the moments)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from civicrecords.config import WebSection
from civicrecords.web.sessions import SessionStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = WebSection(session_hours=8, idle_minutes=30, max_failed_logins=3,
                      lockout_minutes=15)


def test_sessions_end_after_idle_time_and_lifetime(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, SETTINGS)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    token, session = store.create("sam", "127.0.0.1", T0)
    stored = b"".join(p.read_bytes() for p in store.path.parent.glob("sessions.sqlite*"))
    assert session.token_hash.encode() in stored and token.encode() not in stored
    moment = T0
    for _ in range(20):  # keep it busy: every 25 minutes for 8 hours
        moment += timedelta(minutes=25)
        if moment - T0 > timedelta(hours=8):
            assert store.get(token, moment) is None
            break
        assert store.get(token, moment) is not None
    other, _ = store.create("sam", "127.0.0.1", T0)
    assert store.get(other, T0 + timedelta(minutes=31)) is None
    assert store.get(other, T0 + timedelta(minutes=1)) is None  # expired sessions are gone
    assert store.get("not-a-token", T0) is None


def test_ending_a_users_sessions(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, SETTINGS)
    first, _ = store.create("sam", "a", T0)
    second, _ = store.create("sam", "b", T0)
    kept, _ = store.create("clara", "a", T0)
    assert store.end_user("sam") == 2
    assert store.get(first, T0) is None and store.get(second, T0) is None
    assert store.get(kept, T0) is not None


def test_failures_lock_a_key_within_the_window_only(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, SETTINGS)
    keys = {"account:sam": 3, "address:10.0.0.1": 100}
    assert store.record_failure(keys, T0) == []
    assert store.record_failure(keys, T0 + timedelta(minutes=1)) == []
    # the third failure comes after the window: counting starts again
    assert store.record_failure(keys, T0 + timedelta(minutes=20)) == []
    assert store.record_failure(keys, T0 + timedelta(minutes=21)) == []
    assert store.record_failure(keys, T0 + timedelta(minutes=22)) == ["account:sam"]
    locked = store.locked_until(["account:sam"], T0 + timedelta(minutes=23))
    assert locked == (T0 + timedelta(minutes=37)).timestamp()
    assert store.locked_until(["address:10.0.0.1"], T0 + timedelta(minutes=23)) is None
    assert store.locked_until(["account:sam"], T0 + timedelta(minutes=38)) is None
    store.clear_failures("account:sam", T0 + timedelta(minutes=23))
    assert store.locked_until(["account:sam"], T0 + timedelta(minutes=23)) is not None
    assert store.unlock("account:sam")
    assert store.locked_until(["account:sam"], T0 + timedelta(minutes=23)) is None
