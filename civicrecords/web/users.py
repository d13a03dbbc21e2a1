"""Accounts of the browser view: names, roles, argon2id password hashes, disabled flags.

Accounts are clerk work, not derived data: ``<archive>/users.json`` (mode 0600, written
atomically under a lock file) holds each account's name, role and argon2id hash — never a
password — and ``rebuild`` never touches it. Every change is audited (``user.add``,
``user.disable``, ``user.enable``, ``user.password``, ``user.role``) with the acting person.

Roles are cumulative: ``staff`` search and read public items; ``clerk`` also see not-public
data (each view audited) and work requests; ``admin`` also manage accounts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from civicrecords.archive import Archive
from civicrecords.atomicfile import atomic_write
from civicrecords.environment import utc_iso
from civicrecords.errors import ConfigError, NotFoundError, UsageError

USERS_NAME = "users.json"
USERS_SCHEMA = "civicrecords.users/1"
ROLES: tuple[str, ...] = ("staff", "clerk", "admin")
MAX_PASSWORD_CHARS = 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3, p=4)


@dataclass
class User:
    """One account. ``password_hash`` is an argon2id PHC string."""

    name: str
    role: str
    password_hash: str
    created_at: str
    created_by: str
    disabled: bool = False
    changed_at: str = ""
    changed_by: str = ""

    def can(self, role: str) -> bool:
        """True when this account's role includes ``role`` (staff < clerk < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def describe(self) -> dict[str, Any]:
        """JSON-ready form without the password hash."""
        data = asdict(self)
        data.pop("password_hash")
        return data


def check_name(name: str) -> str:
    """``name`` if it is a valid account name (lowercase letters, digits, ``.``, ``_``,
    ``-``; at most 63 characters); ``UsageError`` otherwise."""
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not an account name: use lowercase letters, digits, "
                         "'.', '_' or '-' (at most 63)")
    return name


def check_role(role: str) -> str:
    """``role`` if it is one of ``ROLES``; ``UsageError`` otherwise."""
    if role not in ROLES:
        raise UsageError(f"{role!r} is not a role ({', '.join(ROLES)})")
    return role


def check_password(password: str, name: str, min_length: int) -> None:
    """Raise ``UsageError`` unless ``password`` is long enough, not too long (1024
    characters) and not the account name."""
    if len(password) < min_length:
        raise UsageError(f"the password must have at least {min_length} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise UsageError(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    if password.strip().lower() == name.lower():
        raise UsageError("the password must not be the account name")


class UserStore:
    """The accounts of one archive; ``archive.env.operator_name`` is who makes changes."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.path = archive.root / USERS_NAME
        self._dummy_hash: str | None = None

    # ----- reading ---------------------------------------------------------------------
    def _load(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {entry["name"]: User(**entry) for entry in data.get("users", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{self.path}: unreadable account file: {exc}") from None

    def all(self) -> list[User]:
        """Every account, by name."""
        return sorted(self._load().values(), key=lambda user: user.name)

    def find(self, name: str) -> User | None:
        """The account called ``name``, or None."""
        return self._load().get(name)

    def get(self, name: str) -> User:
        """The account called ``name`` (``NotFoundError`` if there is none)."""
        user = self.find(name)
        if user is None:
            raise NotFoundError(f"no account named {name!r}")
        return user

    # ----- writing ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, User]]:
        lock = self.archive.root / f".{USERS_NAME}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            users = self._load()
            yield users
            data = {"schema": USERS_SCHEMA,
                    "users": [asdict(users[name]) for name in sorted(users)]}
            text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            atomic_write(self.path, text.encode("utf-8"), mode=0o600)
            os.chmod(self.path, 0o600)
        finally:
            os.close(fd)

    def _stamp(self) -> tuple[str, str]:
        return utc_iso(self.archive.env.now()), self.archive.env.operator_name

    def add(self, name: str, role: str, password: str) -> User:
        """Create an account; audited as ``user.add``. ``UsageError`` for a bad name, role
        or password, or a name already taken."""
        check_name(name)
        check_role(role)
        check_password(password, name, self.archive.config.web.min_password_length)
        at, by = self._stamp()
        with self._editing() as users:
            if name in users:
                raise UsageError(f"an account named {name!r} already exists")
            user = User(name=name, role=role, password_hash=_HASHER.hash(password),
                        created_at=at, created_by=by)
            users[name] = user
        self.archive.audit.record("user.add", subject=name, role=role)
        return user

    def _change(self, name: str, action: str, **details: Any) -> User:
        at, by = self._stamp()
        with self._editing() as users:
            if name not in users:
                raise NotFoundError(f"no account named {name!r}")
            user = users[name]
            for key, value in details.items():
                setattr(user, key, value)
            user.changed_at, user.changed_by = at, by
        shown = {k: v for k, v in details.items() if k != "password_hash"}
        self.archive.audit.record(action, subject=name, **shown)
        return user

    def set_disabled(self, name: str, disabled: bool) -> User:
        """Disable (no sign-in, sessions end) or enable an account; audited."""
        return self._change(name, "user.disable" if disabled else "user.enable",
                            disabled=disabled)

    def set_role(self, name: str, role: str) -> User:
        """Give an account another role; audited as ``user.role``."""
        return self._change(name, "user.role", role=check_role(role))

    def set_password(self, name: str, password: str) -> User:
        """Replace an account's password; audited as ``user.password`` (never the password).
        ``UsageError`` when the password breaks the rules."""
        check_password(password, name, self.archive.config.web.min_password_length)
        return self._change(name, "user.password", password_hash=_HASHER.hash(password))

    # ----- signing in ------------------------------------------------------------------
    def verify(self, name: str, password: str) -> User | None:
        """The active account ``name`` when ``password`` is its password, else None.

        Unknown and disabled accounts cost the same argon2 work as known ones, so the time
        taken does not tell which names exist. A hash made with older parameters is
        replaced on success."""
        user = self.find(name)
        if user is None or len(password) > MAX_PASSWORD_CHARS:
            self._burn(password[:MAX_PASSWORD_CHARS])
            return None
        try:
            _HASHER.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user.disabled:
            return None
        if _HASHER.check_needs_rehash(user.password_hash):
            with self._editing() as users:
                if name in users:
                    users[name].password_hash = _HASHER.hash(password)
        return user

    def _burn(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = _HASHER.hash(secrets.token_urlsafe(16))
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            _HASHER.verify(self._dummy_hash, password)
