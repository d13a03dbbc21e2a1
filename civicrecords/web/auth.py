"""Signing in and out, and the checks every request of the browser view passes.

``login`` throttles (a locked account or address is refused even with the right password),
verifies the password, and audits every outcome: ``web.login``, ``web.login_failed`` and,
when failures lock an account or address, ``web.login_locked``. Cookies are HttpOnly and
SameSite (``Lax`` for the session, ``Strict`` for the sign-in form's token) and Secure when
the app is reached over https (``[web] secure_cookies``, or ``X-Forwarded-Proto`` from a
proxy listed in ``trusted_proxies``). Every POST carries the session's CSRF token (the
sign-in form: a token matching its own cookie), compared in constant time, and must not come
from another site (``Origin``, ``Sec-Fetch-Site``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from civicrecords.archive import Archive
from civicrecords.errors import RefusedError, UsageError
from civicrecords.requests.store import local_zone
from civicrecords.web.sessions import Session, SessionStore
from civicrecords.web.users import User, UserStore

SESSION_COOKIE = "civicrecords_session"
LOGIN_COOKIE = "civicrecords_login"
WRONG_CREDENTIALS = "The account name or password is wrong."


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind a request."""

    user: User
    session: Session

    @property
    def name(self) -> str:
        """The account name (recorded as the actor of everything they do)."""
        return self.user.name

    def can(self, role: str) -> bool:
        """True when the viewer's role includes ``role``."""
        return self.user.can(role)


def throttle_keys(name: str, address: str) -> list[str]:
    """The failure counters one sign-in attempt touches: its account and its address."""
    return [f"account:{name}", f"address:{address}"]


def login(archive: Archive, users: UserStore, sessions: SessionStore, name: str,
          password: str, address: str) -> tuple[str, Session, User]:
    """Sign ``name`` in from ``address``; return the cookie token, session and account.

    Raises ``RefusedError`` (naming the local time the lock ends) while the account or the
    address is locked, and ``UsageError`` (one message for every kind of mismatch) when the
    name or password is wrong. ``archive.env.operator_name`` is the actor of failure entries.
    """
    settings = archive.config.web
    now = archive.env.now()
    name = name.strip().lower()
    account_key, address_key = throttle_keys(name, address)
    until = sessions.locked_until([account_key, address_key], now)
    if until is not None:
        archive.audit.record("web.login_failed", subject=name, address=address,
                             reason="locked")
        moment = datetime.fromtimestamp(until, UTC).astimezone(local_zone(archive))
        raise RefusedError(f"Too many failed sign-ins: signing in is locked until "
                           f"{moment:%H:%M} ({moment:%Y-%m-%d}). Ask an administrator if "
                           "you need in sooner.")
    user = users.verify(name, password)
    if user is None:
        locked = sessions.record_failure(
            {account_key: settings.max_failed_logins,
             address_key: settings.max_failed_logins_per_address}, now)
        archive.audit.record("web.login_failed", subject=name, address=address,
                             reason="wrong name or password")
        for key in locked:
            archive.audit.record("web.login_locked", subject=key, address=address,
                                 minutes=settings.lockout_minutes)
        raise UsageError(WRONG_CREDENTIALS)
    sessions.clear_failures(account_key, now)
    token, session = sessions.create(user.name, address, now)
    archive.audit.record("web.login", subject=user.name, address=address, role=user.role)
    return token, session, user


def is_secure(request: Request, secure_cookies: bool) -> bool:
    """True when the browser reached the app over https (or the config says it always
    does)."""
    return secure_cookies or request.url.scheme == "https"


def cookie_options(secure: bool, *, strict: bool = False) -> dict[str, Any]:
    """Attributes of every cookie the app sets."""
    return {"httponly": True, "samesite": "strict" if strict else "lax", "secure": secure,
            "path": "/"}


def tokens_match(expected: str | None, submitted: object) -> bool:
    """Constant-time comparison of a CSRF token with what a form submitted."""
    if not expected or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8"))


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site. (With the app's
    ``Referrer-Policy: no-referrer`` browsers send ``Origin: null`` even for their own
    forms; then ``Sec-Fetch-Site`` must say ``same-origin``.)"""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return fetch_site == "same-origin"
    return origin == f"{request.url.scheme}://{request.url.netloc}"
