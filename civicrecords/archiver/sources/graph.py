"""What Facebook Pages and Instagram professional accounts share: Meta's Graph API.

- ``GraphError`` / ``graph_error``: every error body shape Graph sends (``{"error": {...}}``
  with code, subcode, type, ``is_transient``, ``fbtrace_id``; the legacy top-level
  ``error_type``/``error_message`` shape; ``(#341)``-style codes only in the message),
  classified as throttled, token, permission, missing, transient or invalid.
- ``Usage`` / ``usage_of``: the ``x-app-usage``, ``x-page-usage``,
  ``x-business-use-case-usage`` and ``x-ad-account-usage`` headers (percent of quota used,
  minutes until access returns).
- ``GraphRateLimits``: the retry/pause policy built on them (throttling codes 4, 17, 32, 613,
  341 and the 80001-80014 business-use-case family in 400/403 bodies, transient errors).
- ``next_page``: cursor (``paging.cursors.after``) and time-based (``since``/``until``/
  ``__paging_token``) pagination, always re-based on the account's own ``api_base`` so a
  ``paging.next`` URL can never send the token anywhere else.
- ``GraphAuth``: the access token as a query parameter, plus ``appsecret_proof`` when an
  app secret is configured.

Fetching through a capture session (edges, objects, tokens, media files) is in
``graph_fetch``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from civicrecords.archiver.ratelimit import RETRY_STATUSES, Answer, RateLimitPolicy
from civicrecords.archiver.sources.base import JsonPage
from civicrecords.environment import parse_utc

THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
TOKEN_CODES = frozenset({102, 104, 190})
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
MISSING_SUBCODE = 33
TRANSIENT_CODES = frozenset({1, 2})
CREDENTIAL_PARAMS = frozenset({"access_token", "appsecret_proof", "appsecret_time"})
CURSOR_PARAMS = frozenset({"after", "before", "since", "until", "__paging_token", "__previous",
                           "offset", "pretty"})
ERROR_STATUSES = (200, 400, 401, 403, 404, 500)
_CODE_IN_MESSAGE = re.compile(r"^\(#(\d+)\)")

ErrorKind = Literal["throttled", "token", "permission", "missing", "transient", "invalid"]


# ----- errors --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphError:
    """One Graph API error body, normalized."""

    message: str
    type: str = ""
    code: int | None = None
    subcode: int | None = None
    transient: bool | None = None  # ``is_transient`` as sent (None: absent)
    trace_id: str | None = None
    user_title: str | None = None
    user_message: str | None = None

    @property
    def kind(self) -> ErrorKind:
        """What the error means for a capture: ``throttled`` (wait and retry), ``token``
        (the token is invalid or expired), ``permission`` (the token may not read this),
        ``missing`` (the object does not exist: deleted), ``transient`` (retry) or
        ``invalid`` (a request the API does not accept)."""
        if self.code in THROTTLE_CODES:
            return "throttled"
        if self.code in TOKEN_CODES or (self.code == 2500 and "access token" in self.message):
            return "token"
        if self.code == 100 and (self.subcode == MISSING_SUBCODE or (
                self.subcode is None and self.type == "GraphMethodException"
                and "does not exist" in self.message)):
            return "missing"  # older API versions sent 100/33's message without the subcode
        if self.code in PERMISSION_CODES:
            return "permission"
        if self.transient or (self.transient is None and self.code in TRANSIENT_CODES):
            return "transient"
        return "invalid"

    def describe(self) -> str:
        """One line for gaps and status: ``(#190/463) OAuthException: Session has expired``."""
        number = "" if self.code is None else f"#{self.code}"
        if self.subcode is not None:
            number += f"/{self.subcode}"
        label = f"({number}) " if number else ""
        text = re.sub(r"\s+", " ", self.user_message or self.message).strip()
        return f"{label}{self.type + ': ' if self.type else ''}{text}"[:300]


def graph_error(data: Any) -> GraphError | None:
    """The error in a Graph response body, or None when the body is not an error."""
    if not isinstance(data, dict):
        return None
    body = data.get("error")
    if isinstance(body, dict):
        message = str(body.get("message") or "")
        return GraphError(
            message=message, type=str(body.get("type") or ""),
            code=_int(body.get("code")) if body.get("code") is not None else _code_of(message),
            subcode=_int(body.get("error_subcode")),
            transient=body.get("is_transient") if isinstance(body.get("is_transient"), bool)
            else None, trace_id=body.get("fbtrace_id"),
            user_title=body.get("error_user_title"), user_message=body.get("error_user_msg"))
    if "error_message" in data or "error_type" in data:  # the legacy OAuth shape
        message = str(data.get("error_message") or "")
        code = _code_of(message)
        return GraphError(message=message, type=str(data.get("error_type") or ""),
                          code=code if code is not None else _int(data.get("code")))
    return None


def page_error(page: JsonPage) -> GraphError | None:
    """The Graph error a fetched page carries (None for a success)."""
    if page.exchange.status < 400 and not (isinstance(page.data, dict) and "error" in page.data):
        return None
    return graph_error(page.data) or GraphError(
        message=f"HTTP {page.exchange.status} {page.exchange.reason}".strip())


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _code_of(message: str) -> int | None:
    found = _CODE_IN_MESSAGE.match(message)
    return int(found.group(1)) if found else None


# ----- usage headers and the rate-limit policy -----------------------------------------------

@dataclass(frozen=True)
class Usage:
    """What the usage headers of one response say: the highest percentage of any quota
    used, and how long until a throttled business use case regains access."""

    percent: float = 0.0
    regain_seconds: float = 0.0
    sources: dict[str, Any] = field(default_factory=dict)


def usage_of(headers: dict[str, str]) -> Usage:
    """Read ``x-app-usage``, ``x-page-usage``, ``x-ad-account-usage`` and
    ``x-business-use-case-usage`` (lower-case header names); unreadable values are ignored."""
    percent = 0.0
    regain = 0.0
    sources: dict[str, Any] = {}
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage",
                 "x-business-use-case-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        sources[name] = value
        if name == "x-business-use-case-usage" and isinstance(value, dict):
            for entries in value.values():
                for entry in entries if isinstance(entries, list) else []:
                    if isinstance(entry, dict):
                        percent = max(percent, _percent(entry))
                        minutes = _number(entry.get("estimated_time_to_regain_access"))
                        regain = max(regain, minutes * 60)
        elif name == "x-ad-account-usage" and isinstance(value, dict):
            percent = max(percent, _number(value.get("acc_id_util_pct")))
            if percent >= 100:
                regain = max(regain, _number(value.get("reset_time_duration")))
        elif isinstance(value, dict):
            percent = max(percent, _percent(value))
    return Usage(percent=percent, regain_seconds=regain, sources=sources)


def _percent(entry: dict[str, Any]) -> float:
    return max(_number(entry.get(k)) for k in ("call_count", "total_cputime", "total_time"))


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


@dataclass
class GraphRateLimits(RateLimitPolicy):
    """Graph's throttling signals on top of the standard ones.

    A throttled answer (codes 4/17/32/341/613/80001-80014 in a 400/403 body) or a transient
    error (``is_transient``, codes 1 and 2, 5xx) is retried after the usage headers' time to
    regain access, else after exponential back-off; every wait is capped at
    ``max_backoff_seconds``. Before the next request the client pauses when usage says a
    quota is exhausted (until access returns) or above ``slow_percent`` (one back-off step).
    """

    slow_percent: float = 90.0

    def retry_after(self, answer: Answer, attempt: int) -> float | None:
        """Seconds to wait before retrying ``answer``; None when it must not be retried."""
        error = graph_error(answer.json_or_none()) if answer.status >= 400 else None
        if error is not None and error.kind == "throttled":
            usage = usage_of(answer.headers)
            wait = usage.regain_seconds or self.backoff(attempt + 1)
            return min(self.max_backoff_seconds, wait)
        if error is not None and error.kind == "transient":
            return self.backoff(attempt)
        if answer.status in RETRY_STATUSES:
            return super().retry_after(answer, attempt)
        return None

    def pause_after(self, answer: Answer) -> float:
        """Seconds to wait before the next request, from the usage headers."""
        usage = usage_of(answer.headers)
        if usage.regain_seconds > 0:
            return min(self.max_backoff_seconds, usage.regain_seconds)
        if usage.percent >= 100:
            return self.max_backoff_seconds
        if usage.percent >= self.slow_percent:
            return min(self.max_backoff_seconds, self.backoff_seconds)
        return super().pause_after(answer)


# ----- paging --------------------------------------------------------------------------------

def next_page(url: str, data: Any) -> str | None:
    """The next page of the edge fetched from ``url``: ``url`` itself with the cursor or time
    parameters of ``paging.next`` (credentials and any host in ``paging.next`` are ignored,
    so the token only ever goes to ``url``'s host). None when ``paging.next`` is absent:
    Graph's documented end of an edge, even when ``paging.cursors`` remain."""
    paging = data.get("paging") if isinstance(data, dict) else None
    following = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(following, str) or not following:
        return None
    carried = [(k, v) for k, v in parse_qsl(urlsplit(following).query, keep_blank_values=True)
               if k in CURSOR_PARAMS and k not in ("pretty", "__previous")]
    if not carried:
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not after:
            return None
        carried = [("after", str(after))]
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in CURSOR_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept + carried, safe=",{}().:")))


def edge_items(data: Any) -> list[dict[str, Any]]:
    """The objects of an edge response: ``data[]``, a top-level list (some recorded
    fixtures), or the values of a ``?ids=`` response keyed by id."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)]
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("data"), list):
        return [d for d in data["data"] if isinstance(d, dict)]
    if data and all(isinstance(v, dict) and v.get("id") == k for k, v in data.items()):
        return list(data.values())
    return []


def public_url(url: str) -> str:
    """``url`` without credentials (for gaps about requests that never got an answer)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in CREDENTIAL_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept, safe=",{}().:")))


def is_recent(moment: str | None, since: str | None) -> bool:
    """True when the platform time ``moment`` is at or after ``since`` (ISO 8601 in any
    of Graph's forms); False when either is missing or unreadable."""
    if not moment or not since:
        return False
    try:
        return parse_utc(moment) >= parse_utc(since)
    except ValueError:
        return False


# ----- credentials ---------------------------------------------------------------------------

def appsecret_proof(token: str | None, app_secret: str | None) -> str | None:
    """Meta's ``appsecret_proof``: HMAC-SHA256 of the token keyed with the app secret, hex
    (None unless both are set). It is a credential too: never written anywhere."""
    if not token or not app_secret:
        return None
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class GraphAuth:
    """The query parameters that authenticate a Graph request."""

    token: str | None
    app_secret: str | None = None

    def params(self) -> dict[str, str]:
        """``access_token`` (and ``appsecret_proof``: HMAC-SHA256 of the token keyed with the
        app secret, hex) when a token is set; nothing otherwise."""
        if not self.token:
            return {}
        params = {"access_token": self.token}
        proof = appsecret_proof(self.token, self.app_secret)
        if proof:
            params["appsecret_proof"] = proof
        return params

    def url(self, base: str, path: str, **params: str) -> str:
        """``base/path`` with ``params`` and the credentials as its query."""
        query = urlencode({**params, **self.params()}, safe=",{}().:")
        return f"{base.rstrip('/')}/{path.lstrip('/')}" + (f"?{query}" if query else "")
