"""Removing secrets (access tokens, cookies) before anything is written.

A ``Scrubber`` knows the secret values of one capture (tokens read from the environment) and
the query-parameter names platforms use for them. It rewrites URLs, request bytes and text
response bodies so that no secret value survives, and reports what it changed so the WARC
record can say that a scrub happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

PLACEHOLDER = "SCRUBBED"
SECRET_PARAMS = frozenset({
    "access_token", "token", "key", "api_key", "apikey", "client_secret", "appsecret_proof",
    "oauth_token", "password", "secret", "signature", "sig", "code", "refresh_token",
})
URL_MEMORY = 4096  # scrubbed URLs remembered
SECRET_HEADERS = ("authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key")


@dataclass
class Scrubber:
    """Scrubs the given secret values and secret-looking query parameters."""

    secrets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        values: set[str] = set()
        for secret in self.secrets:
            if secret and len(secret) >= 4:
                values.update({secret, quote(secret, safe=""), quote_plus(secret)})
        self._values = sorted(values, key=len, reverse=True)
        self._bytes = [v.encode("utf-8") for v in self._values]
        self._urls: dict[str, str] = {}  # a capture scrubs each URL several times

    def url(self, url: str) -> str:
        """``url`` with secret query parameters' values and any secret value replaced."""
        clean = self._urls.get(url)
        if clean is None:
            if len(self._urls) >= URL_MEMORY:
                self._urls.clear()
            clean = self._urls[url] = self._scrub_url(url)
        return clean

    def _scrub_url(self, url: str) -> str:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            cleaned = [(k, PLACEHOLDER if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
            parts = parts._replace(query=urlencode(cleaned, safe=":/,"))
        return self.text(urlunsplit(parts))

    def text(self, value: str) -> str:
        """``value`` with every known secret value replaced."""
        for secret in self._values:
            value = value.replace(secret, PLACEHOLDER)
        return value

    def data(self, value: bytes) -> tuple[bytes, bool]:
        """``value`` with every known secret replaced, and whether anything changed."""
        changed = False
        for secret in self._bytes:
            if secret in value:
                value = value.replace(secret, PLACEHOLDER.encode())
                changed = True
        return value, changed

    def headers(self, head: bytes) -> tuple[bytes, list[str]]:
        """An HTTP head (start line + headers) with secret headers blanked and secret values
        replaced; also the names of what was scrubbed."""
        has_secret = self.data(head)[1]  # most heads hold none: no per-line search then
        lower = head.lower()
        if not has_secret and head.startswith(b"HTTP/") and not any(
                name in lower for name in _SECRET_NAMES):
            return head, []  # a response head with nothing secret in it
        lines = head.split(b"\r\n")
        scrubbed: list[str] = []
        out: list[bytes] = []
        for index, line in enumerate(lines):
            if index > 0 and b":" in line:
                name = line.partition(b":")[0]
                if name.strip().lower() in _SECRET_NAMES:
                    out.append(name + b": " + PLACEHOLDER.encode())
                    scrubbed.append(name.strip().decode("latin-1").lower())
                    continue
            if index == 0 and line.split(b" ", 2)[0].isupper():
                # request line: scrub the target's query parameters
                method, _, rest = line.partition(b" ")
                target, _, version = rest.rpartition(b" ")
                clean = self.url(target.decode("latin-1")).encode("latin-1")
                if clean != target:
                    scrubbed.append("query")
                line = method + b" " + clean + b" " + version
            if has_secret:
                line, changed = self.data(line)
                if changed and "value" not in scrubbed:
                    scrubbed.append("value")
            out.append(line)
        return b"\r\n".join(out), scrubbed


_SECRET_NAMES = frozenset(name.encode("latin-1") for name in SECRET_HEADERS)

_TEXTUAL = re.compile(r"(json|text|xml|html|javascript|x-www-form-urlencoded)", re.I)


def is_textual(content_type: str | None) -> bool:
    """True for content types whose bodies may echo a token (JSON, HTML, XML, text)."""
    return bool(content_type and _TEXTUAL.search(content_type))


def secrets_in(values: Iterable[str | None]) -> list[str]:
    """The non-empty secret values among ``values``."""
    return [v for v in values if v]
