"""``SamplePlatform``: the sample world served over HTTP on loopback, in a background thread.

Usage::

    with SamplePlatform(seed=1, posts=300) as platform:
        platform.base_url            # e.g. "http://127.0.0.1:54321"
        platform.token               # Bearer token of the city account ("lakeside")
        platform.set_state("later")  # switch the world's state at runtime
        platform.set_faults(FaultPlan(rate=0.2, seed=7))
        platform.stats()             # request counts by path, route and status

Every response passes through one pipeline: route match, fault decision, rate limit, handler,
statistics; then the transport frames it (gzip, chunked) and writes it, or breaks it as the
fault says. The admin endpoints under ``/_sample/`` (never faulted, never rate limited) let
another process steer a running server: ``POST /_sample/state`` ``{"state": "later"}``,
``POST /_sample/faults`` (a ``FaultPlan`` as JSON, or ``null`` to clear),
``GET /_sample/state``, ``GET /_sample/faults``, ``GET /_sample/stats``,
``POST /_sample/stats/reset``, ``GET /_sample/changes`` (``World.changes()`` as JSON).

A renderer may speak its platform's own throttling and error dialect by defining either of two
optional methods: ``rate_headers(limit, remaining, reset_epoch) -> list[(name, value)]`` (the
rate-limit headers of its API responses; default Mastodon's ``X-RateLimit-*``) and
``error_response(status, retry_after) -> Response | None`` (its answer for an injected or
over-budget 429 and an injected 500/502/503; None keeps the default Mastodon/Rails answer).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from civicrecords.archiver.sample.bluesky import BlueskyPlatform
from civicrecords.archiver.sample.facebook import FacebookPlatform
from civicrecords.archiver.sample.faults import FaultInjector, FaultPlan
from civicrecords.archiver.sample.feed import FeedSite
from civicrecords.archiver.sample.instagram import InstagramPlatform
from civicrecords.archiver.sample.mastodon import MastodonPlatform
from civicrecords.archiver.sample.model import STATES, State
from civicrecords.archiver.sample.routing import Platform, Request, Response, Route, Router
from civicrecords.archiver.sample.transport import Encoding, Exchange, HttpServer
from civicrecords.archiver.sample.world import World
from civicrecords.archiver.sample.x import XPlatform
from civicrecords.archiver.sample.youtube import YouTubePlatform

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_TRANSPORT_FAULTS = ("reset", "reset_headers", "truncate")
_ERROR_PAGES = {
    500: (b"<!DOCTYPE html>\n<html><head><title>We're sorry, but something went wrong (500)"
          b"</title></head><body><h1>We're sorry, but something went wrong.</h1></body></html>\n",
          "text/html; charset=utf-8"),
    502: (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 "
          b"Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
          "text/html"),
}


@dataclass(frozen=True)
class RateLimit:
    """Per-client request budget reported in ``X-RateLimit-*`` headers on API responses.

    Clients are keyed by access token, else by address; periods are aligned to the clock like
    Mastodon's rack-attack (``X-RateLimit-Reset`` is the end of the current period, ISO 8601
    with microseconds). With ``enforce`` a client over budget gets Mastodon's 429. The
    default budget is large so that benchmarks never wait; ``MASTODON_RATE_LIMIT`` is the
    real Mastodon default (300 requests per 5 minutes).
    """

    limit: int = 1_000_000
    period: int = 300
    enforce: bool = True


MASTODON_RATE_LIMIT = RateLimit(300, 300, True)


def _reset_stamp(now: float, seconds_ahead: float) -> str:
    stamp = datetime.fromtimestamp(now + seconds_ahead, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SamplePlatform:
    """The sample platform server. Binds loopback only; ``port=0`` picks a free port."""

    def __init__(self, seed: int | str = 1, posts: int = 300,
                 token: str = "sample-token-lakeside", faults: FaultPlan | None = None,
                 host: str = "127.0.0.1", port: int = 0, *,
                 extra_tokens: Mapping[str, str] | None = None,
                 encoding: Encoding | None = None, rate_limit: RateLimit | None = None,
                 state: State = "initial") -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the sample platform binds loopback only, not {host!r}")
        self._world = World(seed, posts)
        self.token = token
        self._tokens = {token: "lakeside",
                        **(extra_tokens if extra_tokens is not None
                           else {f"{token}-mayor": "mayor"})}
        self.host, self.port = host, port
        self.encoding = encoding or Encoding()
        self.rate_limit = rate_limit or RateLimit()
        self.injector = FaultInjector(faults)
        self.router = Router()
        self._owners: dict[Route, Platform] = {}
        self.router.register(_Admin(self))
        self.mastodon = MastodonPlatform()
        self.register(self.mastodon)
        self.bluesky = BlueskyPlatform()
        self.register(self.bluesky)
        self.feed = FeedSite()
        self.register(self.feed)
        self.x = XPlatform(app_tokens=(f"{token}-app",))
        self.register(self.x)
        self.youtube = YouTubePlatform()
        self.register(self.youtube)
        self.register(self.youtube.files)
        self.facebook = FacebookPlatform()
        self.instagram = InstagramPlatform(self.facebook.access)
        for meta in (self.facebook, self.instagram, self.facebook.cdn, self.instagram.cdn):
            self.register(meta)
        self._state: State = "initial"
        self.set_state(state)
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._by_path: dict[str, Counter[str]] = defaultdict(Counter)
        self._by_route: dict[str, Counter[str]] = defaultdict(Counter)
        self._budget: dict[tuple[str, int], int] = {}

    # -- Site protocol -------------------------------------------------------------------------

    @property
    def world(self) -> World:
        """The world being served."""
        return self._world

    @property
    def tokens(self) -> Mapping[str, str]:
        """Valid access tokens -> username (``token`` is the city, ``token-mayor`` the mayor)."""
        return dict(self._tokens)

    # -- lifecycle -------------------------------------------------------------------------------

    def register(self, platform: Platform) -> None:
        """Add another platform renderer's routes (after those already registered)."""
        self.router.register(platform)
        for route in platform.routes():
            self._owners.setdefault(route, platform)

    def start(self) -> SamplePlatform:
        """Start serving in a daemon thread; returns self. Raises RuntimeError if running."""
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = HttpServer((self.host, self.port), self._serve, self.encoding)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={
            "poll_interval": 0.2}, name=f"sample-platform-{self.port}", daemon=True)
        self._thread.start()
        threading.Thread(target=self._warm, name=f"sample-platform-warm-{self.port}",
                         daemon=True).start()
        return self

    def _warm(self) -> None:
        """Index the official accounts' timelines in the background (about 1 s at 100,000
        posts), so the first requests do not pay for it."""
        for account in (self._world.city, self._world.mayor):
            self._world.account_timeline(account, self._state)

    def stop(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SamplePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- steering --------------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The state currently served."""
        return self._state

    def set_state(self, state: State) -> None:
        """Serve ``state`` ("initial" or "later") from the next request on."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        self._state = state

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Replace the fault plan (None: no faults) and reset its attempt counts."""
        self.injector.set_plan(plan)

    def stats(self) -> dict[str, Any]:
        """Request counts by path and by route, each by status (or fault), plus fault stats."""
        with self._lock:
            by_path = {p: dict(c) for p, c in self._by_path.items()}
            by_route = {r: dict(c) for r, c in self._by_route.items()}
        statuses: Counter[str] = Counter()
        for counts in by_path.values():
            statuses.update(counts)
        return {"requests": sum(statuses.values()), "by_status": dict(statuses),
                "by_path": by_path, "by_route": by_route, "faults": self.injector.stats(),
                "state": self._state}

    def reset_stats(self) -> None:
        """Forget request counts (fault attempt counts are kept with their plan)."""
        with self._lock:
            self._by_path.clear()
            self._by_route.clear()

    # -- the pipeline ----------------------------------------------------------------------------

    def _serve(self, ex: Exchange) -> None:
        path, query = Request.parse_target(ex.target)
        route, params, known = self.router.match(ex.method, path)
        admin = path.startswith("/_sample/")
        fault = None if admin else self.injector.decide(ex.target, path)
        api = route.api if route is not None else path.startswith("/api/")
        owner = self._owners.get(route) if route is not None else None
        budget = self._rate(ex, query) if api and not admin else None
        over = budget is not None and budget[3]
        if fault in ("429", "500", "502", "503"):
            response = self._fault_response(fault, owner)
        elif over:
            response = self._platform_error(owner, 429) or Response.error(429,
                                                                          "Too many requests")
        elif route is None:
            response = (Response.error(405 if known else 404,
                                       "Method not allowed" if known else "Record not found")
                        if api or admin else Response(404, b"Not Found", "text/plain", api=False))
        else:
            request = Request(ex.method, ex.target, path, query, ex.headers, ex.body,
                              self.base_url, ex.client, self._state, self, params)
            try:
                response = route.handler(request)
            except Exception as exc:  # a handler bug must answer 500, not kill the server
                response = Response.error(500, f"{type(exc).__name__}: {exc}")
        if budget is not None:
            limit, remaining, reset = budget[:3]
            response.headers.extend(self._limit_headers(
                owner, limit, 0 if fault == "429" else remaining, reset))
            if response.status == 200 or response.status >= 400:
                response.headers.append(("Cache-Control", "private, no-store"))
        if fault == "slow":
            ex.delay = self.injector.plan.slow_seconds
        if fault in _TRANSPORT_FAULTS:
            ex.fault = fault
        ex.response = response
        label = fault if fault in _TRANSPORT_FAULTS else str(response.status)
        with self._lock:
            self._by_path[path][label] += 1
            self._by_route[route.name if route else "(none)"][label] += 1

    def _platform_error(self, owner: Platform | None, status: int) -> Response | None:
        """The owning renderer's own answer for ``status`` (None: use the default)."""
        answer = getattr(owner, "error_response", None)
        return answer(status, self.injector.plan.retry_after) if answer else None

    @staticmethod
    def _limit_headers(owner: Platform | None, limit: int, remaining: int,
                       reset: float) -> list[tuple[str, str]]:
        """Rate-limit headers in the owning renderer's dialect (default: Mastodon's)."""
        custom = getattr(owner, "rate_headers", None)
        if custom is not None:
            return list(custom(limit, remaining, reset))
        return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", _reset_stamp(reset, 0))]

    def _fault_response(self, kind: str, owner: Platform | None = None) -> Response:
        custom = self._platform_error(owner, int(kind))
        if custom is not None:
            return custom
        plan = self.injector.plan
        retry = [("Retry-After", str(plan.retry_after))]
        if kind == "429":
            return Response.error(429, "Too many requests", retry)
        if kind == "503":
            return Response.error(503, "There was a temporary problem serving your request, "
                                  "please try again", retry)
        body, ctype = _ERROR_PAGES[int(kind)]
        return Response(int(kind), body, ctype)

    def _rate(self, ex: Exchange, query: dict[str, list[str]]) -> tuple[int, int, float, bool]:
        """(limit, remaining, reset time as epoch seconds, over budget) for this request."""
        policy = self.rate_limit
        auth = ex.headers.get("authorization", "")
        key = auth[7:].strip() or (query.get("access_token") or query.get("key")
                                   or [ex.client])[0]
        now = time.time()
        window = int(now) // policy.period
        with self._lock:
            used = self._budget.get((key, window), 0) + 1
            if len(self._budget) > 10_000:
                self._budget.clear()
            self._budget[(key, window)] = used
        remaining = max(0, policy.limit - used)
        ahead = policy.period - int(now) % policy.period
        return policy.limit, remaining, now + ahead, policy.enforce and used > policy.limit


class _Admin:
    """``/_sample/`` endpoints for steering a running server from another process."""

    name = "admin"

    def __init__(self, platform: SamplePlatform) -> None:
        self.p = platform

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/_sample/state", self.get_state, "admin.state", api=False),
            Route("POST", "/_sample/state", self.post_state, "admin.state", api=False),
            Route("GET", "/_sample/faults", self.get_faults, "admin.faults", api=False),
            Route("POST", "/_sample/faults", self.post_faults, "admin.faults", api=False),
            Route("GET", "/_sample/stats", self.get_stats, "admin.stats", api=False),
            Route("POST", "/_sample/stats/reset", self.reset_stats, "admin.stats", api=False),
            Route("GET", "/_sample/changes", self.changes, "admin.changes", api=False),
        ]

    @staticmethod
    def _body(req: Request) -> Any:
        try:
            return json.loads(req.body or b"null")
        except ValueError as exc:
            raise ValueError(f"body is not JSON: {exc}") from exc

    def get_state(self, req: Request) -> Response:
        return Response.json({"state": self.p.state}, headers=[])

    def post_state(self, req: Request) -> Response:
        try:
            data = self._body(req)
            self.p.set_state(data.get("state") if isinstance(data, dict) else data)
        except ValueError as exc:
            return Response.error(400, str(exc))
        return Response.json({"state": self.p.state})

    def get_faults(self, req: Request) -> Response:
        return Response.json(self.p.injector.stats())

    def post_faults(self, req: Request) -> Response:
        try:
            data = self._body(req)
            if data is not None and not isinstance(data, dict):
                raise ValueError("a fault plan is a JSON object (or null)")
            self.p.set_faults(FaultPlan.from_dict(data) if data else None)
        except ValueError as exc:
            return Response.error(400, str(exc))
        return Response.json({"plan": self.p.injector.plan.to_dict()})

    def get_stats(self, req: Request) -> Response:
        return Response.json(self.p.stats())

    def reset_stats(self, req: Request) -> Response:
        self.p.reset_stats()
        return Response.json({"reset": True})

    def changes(self, req: Request) -> Response:
        return Response.json(dataclasses.asdict(self.p.world.changes()))
