"""The seam between the HTTP server and the platforms it impersonates.

A *platform renderer* is any object with a ``name`` and a ``routes()`` method returning
``Route`` objects (see ``Platform``). The server matches each request's path against the routes
of every registered renderer, in registration order, and calls the first matching handler with
a ``Request``; the handler returns a ``Response``. Renderers read the shared world and the
current state from ``Request.site`` and never touch sockets: framing, compression, rate-limit
headers, fault injection and statistics are the server's job, applied uniformly to every
platform.

Routes are full-match regular expressions on the path (no query string); named groups become
``Request.params``. A ``GET`` route also answers ``HEAD``. ``api=True`` marks responses that get
rate-limit headers and count towards the rate limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

from civicrecords.archiver.sample.model import State

if TYPE_CHECKING:
    from civicrecords.archiver.sample.world import World

JSON_TYPE = "application/json; charset=utf-8"
_RAILS_ESCAPES = tuple((c, f"\\u{ord(c):04x}") for c in "<>&\u2028\u2029")


class Site(Protocol):
    """What a renderer may read about the running sample platform."""

    @property
    def world(self) -> World:
        """The world being served."""
        ...

    @property
    def tokens(self) -> Mapping[str, str]:
        """Valid access tokens, each mapped to the username of the account it acts for."""
        ...


@dataclass
class Request:
    """One parsed HTTP request, as handed to a route handler."""

    method: str
    target: str  # the request target exactly as received: path plus query
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # scheme://host:port of this server, no trailing slash
    client: str
    state: State
    site: Site
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse_target(cls, target: str) -> tuple[str, dict[str, list[str]]]:
        """Split a request target into (path, query parameters)."""
        path, _, query = target.partition("?")
        return path, parse_qs(query, keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name`` (``name[]`` also accepted), or None."""
        values = self.query.get(name) or self.query.get(f"{name}[]")
        return values[0] if values else None


@dataclass
class Response:
    """What a handler answers; the server adds framing, encoding and common headers."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    api: bool = True
    compressible: bool = True  # dynamic content: may be gzipped and chunked

    @classmethod
    def json(cls, data: Any, status: int = 200,
             headers: Sequence[tuple[str, str]] = ()) -> Response:
        """A JSON response encoded like Rails: compact, UTF-8 with non-ASCII kept, and
        ``<``, ``>``, ``&``, U+2028, U+2029 escaped as ``\\uXXXX`` (so raw bodies never
        contain markup, while the decoded strings do)."""
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        for char, escaped in _RAILS_ESCAPES:
            if char in text:
                text = text.replace(char, escaped)
        return cls(status, text.encode(), JSON_TYPE, list(headers))

    @classmethod
    def error(cls, status: int, message: str,
              headers: Sequence[tuple[str, str]] = ()) -> Response:
        """A JSON error in Mastodon's shape: ``{"error": message}``."""
        return cls.json({"error": message}, status, headers)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """A method and full-match path pattern, and the handler that answers it."""

    method: str
    pattern: str
    handler: Handler
    name: str
    api: bool = True

    def compiled(self) -> re.Pattern[str]:
        """The pattern, compiled."""
        return re.compile(self.pattern)


class Platform(Protocol):
    """A renderer of the world as one platform's API (Mastodon, Facebook, X...)."""

    name: str

    def routes(self) -> Sequence[Route]:
        """Every route this platform answers."""
        ...


class Router:
    """Matches requests to the routes of the registered platforms, in registration order."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], Route]] = []
        self.platforms: list[Platform] = []

    def register(self, platform: Platform) -> None:
        """Add every route of ``platform`` after those already registered."""
        self.platforms.append(platform)
        self._routes.extend((route.compiled(), route) for route in platform.routes())

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, params, path_known); ``path_known`` is True when only the method
        failed to match (the server answers 405 then)."""
        known = False
        want = "GET" if method == "HEAD" else method
        for pattern, route in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == want:
                return route, found.groupdict(), True
            known = True
        return None, {}, known
