"""Fetching from the Graph API through a capture ``Session``: what both Meta sources do.

- ``fetch`` / ``fetch_object`` / ``EdgeWalk``: one object or a whole edge, Graph's error
  bodies turned into gaps that say what Graph said (with credentials left out of every
  URL a gap names).
- ``session_auth``: the session's credentials.
- ``TokenInfo`` / ``token_info`` / ``check_token``: ``/debug_token`` read as validity,
  expiry and granted permissions, reported for ``status``; ``start_capture``: credentials
  and token check together, with nothing captured under a rejected token.
- ``MediaFiles``: attachments fetched into the WARC (once per URL per job) and observed as
  ``media`` items under their parent.
- ``ChangeTarget``: one object a change notification names (targeted capture).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.archiver.sources.graph import (
    ERROR_STATUSES,
    GraphAuth,
    GraphError,
    edge_items,
    next_page,
    page_error,
    public_url,
)
from civicrecords.environment import utc_iso


def fetch(session: Session, url: str, *, scope: str) -> JsonPage | GraphError | None:
    """GET one Graph object or edge page. Returns the page, the ``GraphError`` Graph
    answered with (no gap recorded: the caller knows what it means), or None when the
    fetch failed after retries (the session recorded the gap)."""
    page = session.get_json(url, scope=scope, ok=ERROR_STATUSES)
    if page is None:
        return None
    return page_error(page) or page


def fetch_object(session: Session, url: str, *, scope: str
                 ) -> tuple[dict[str, Any], Exchange] | None:
    """GET one Graph object for archiving: the object and its exchange, or None. A Graph
    error becomes a gap in ``scope`` (saying so when the object was already deleted, e.g.
    between a change notification and this fetch)."""
    result = fetch(session, url, scope=scope)
    if isinstance(result, GraphError):
        gone = (" (deleted before it could be fetched; a notification that named it is "
                "kept in the job)") if result.kind == "missing" else ""
        session.gap(public_url(url), result.describe() + gone, scope=scope)
        return None
    if result is None or not isinstance(result.data, dict):
        return None
    return result.data, result.exchange


class EdgeWalk:
    """The pages of one edge, following ``next_page``. After iterating, ``complete`` is
    True only when the edge was read to its end; a failed page ends the walk with a gap
    (Graph's error message as its reason) and ``error`` set when Graph answered one."""

    MAX_EMPTY = 3

    def __init__(self, session: Session, url: str, *, scope: str,
                 explain: str = "") -> None:
        self.session = session
        self.url = url
        self.scope = scope
        self.explain = explain
        self.complete = False
        self.error: GraphError | None = None

    def __iter__(self) -> Iterator[JsonPage]:
        url: str | None = self.url
        visited: set[str] = set()
        empty = 0
        while url and url not in visited:
            visited.add(url)
            result = fetch(self.session, url, scope=self.scope)
            if result is None:
                return
            if isinstance(result, GraphError):
                self.error = result
                prefix = f"{self.explain}: " if self.explain else ""
                self.session.gap(public_url(url), prefix + result.describe(), scope=self.scope)
                return
            yield result
            empty = 0 if edge_items(result.data) else empty + 1
            if empty >= self.MAX_EMPTY:
                break
            url = next_page(url, result.data)
        self.complete = True


def session_auth(session: Session) -> GraphAuth:
    """The credentials of a capture session: its token, and the app secret when the job
    provides one (``JobSession.app_secret``; other sessions have none)."""
    return GraphAuth(session.token, session.app_secret)


# ----- tokens --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenInfo:
    """What ``/debug_token`` says about a token."""

    valid: bool
    expires_at: str | None
    data_access_expires_at: str | None
    scopes: tuple[str, ...]
    token_type: str
    detail: str


def token_info(data: Any) -> TokenInfo | None:
    """Read a ``/debug_token`` response (None when it is not one). ``expires_at`` 0 means
    the token never expires (long-lived Page tokens)."""
    body = data.get("data") if isinstance(data, dict) else None
    if not isinstance(body, dict) or "is_valid" not in body:
        return None
    scopes = tuple(str(s) for s in body.get("scopes") or [])
    error = body.get("error") if isinstance(body.get("error"), dict) else None
    detail = str(error.get("message")) if error else (
        f"{body.get('type', 'token').lower()} token, permissions: {', '.join(scopes) or 'none'}")
    return TokenInfo(valid=bool(body.get("is_valid")), expires_at=_epoch(body.get("expires_at")),
                     data_access_expires_at=_epoch(body.get("data_access_expires_at")),
                     scopes=scopes, token_type=str(body.get("type") or ""), detail=detail)


def _epoch(value: Any) -> str | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if not seconds:
        return None
    return utc_iso(datetime.fromtimestamp(seconds, UTC))


def check_token(session: Session, base: str, auth: GraphAuth) -> TokenInfo | None:
    """Ask ``/debug_token`` about the session's token and report it to the session (valid,
    expiry, permissions); a token Graph rejects outright (190 and friends) is reported as
    invalid. None when there is no token or the answer could not be read."""
    if not auth.token:
        return None
    url = auth.url(base, "debug_token", input_token=auth.token)
    page = session.get_json(url, scope="token", ok=ERROR_STATUSES)
    if page is None:
        return None
    info = token_info(page.data)
    if info is None:
        error = page_error(page)
        if error is None or error.kind != "token":
            return None
        info = TokenInfo(valid=False, expires_at=None, data_access_expires_at=None, scopes=(),
                         token_type="", detail=error.describe())
    session.report_token(valid=info.valid, expires_at=info.expires_at, detail=info.detail)
    return info


def start_capture(session: Session, base: str) -> tuple[GraphAuth, TokenInfo | None] | None:
    """The session's credentials and what ``check_token`` says of its token; None, with a
    gap saying nothing was captured, when Graph rejects the token."""
    auth = session_auth(session)
    token = check_token(session, base, auth)
    if token is not None and not token.valid:
        session.gap(base, f"token rejected: {token.detail}; nothing was captured",
                    scope="token")
        return None
    return auth, token


# ----- media ---------------------------------------------------------------------------------

# ----- targeted capture (change notifications) -----------------------------------------------

@dataclass(frozen=True)
class ChangeTarget:
    """One object a Meta change notification names, to be fetched at once.

    ``kind`` is what the object is (``post``, ``comment``, ``message``); ``verb`` what
    happened (``add``, ``edited``, ``remove``, ``hide``, ``unhide``...); ``parent_id`` the
    post or media a comment belongs to; ``sender_id`` the person who sent a message.
    """

    kind: Literal["post", "comment", "message"]
    object_id: str
    verb: str = "add"
    parent_id: str | None = None
    sender_id: str | None = None
