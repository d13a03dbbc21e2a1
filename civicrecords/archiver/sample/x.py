"""The sample world as X API v2 (``/2/...``) with its media hosts, auth, tiers and errors.

Routes (``GET``; entities in ``x_entities``):

- ``/2/users/me`` (user-context token), ``/2/users/by/username/:username``, ``/2/users/:id``,
  ``/2/users?ids=``
- ``/2/users/:id/tweets``: posts, retweets and replies of one account, newest first;
  ``max_results`` 5-100 (default 10), ``pagination_token`` = ``meta.next_token``,
  ``exclude=replies,retweets``
- ``/2/tweets/search/recent`` (last 7 days; Basic tier and up) and ``/2/tweets/search/all``
  (full archive; Pro and Enterprise): ``conversation_id:ID`` terms joined by ``OR``, each
  optionally with ``from:``/``to:``/``is:reply``/``-is:retweet``; ``max_results`` 10-100
  (recent) or 10-500 (all); ``next_token``
- ``/2/tweets/:id`` and ``/2/tweets?ids=`` (1-100): any revision of an edited post by its own
  id; missing ones are ``errors[]`` entries in a 200 answer (``resource-not-found``; followers-
  only items are ``not-authorized-for-resource``), exactly like X
- ``/2/dm_events`` and ``/2/dm_conversations/:id/dm_events`` (user-context token): direct
  messages of the last 30 days, newest first, ``pagination_token``
- media: ``/pbs.twimg.com/media/...``, ``/pbs.twimg.com/ext_tw_video_thumb/...``,
  ``/video.twimg.com/ext_tw_video/.../vid/WxH/...mp4`` (and the ``.m3u8`` playlist),
  ``/pbs.twimg.com/tweet_video_thumb/...``, ``/video.twimg.com/tweet_video/...``,
  ``/pbs.twimg.com/profile_images/...``

Every API route honours ``tweet.fields``, ``user.fields``, ``media.fields``, ``poll.fields``,
``dm_event.fields`` and ``expansions`` (unknown values and unknown parameters are X's 400
``invalid-request`` problem). Auth: ``Authorization: Bearer`` with a site token (user context,
acting for that account) or one of ``app_tokens`` (application-only: no ``/2/users/me``, no
DMs: 403 ``unsupported-authentication``); none or unknown is a 401. ``tier`` is the client's
access level: ``free`` reads nothing but ``/2/users/me``, ``basic`` has no full-archive search
(403 ``client-not-enrolled``, the body X sends). Rate-limit headers are X's
``x-rate-limit-limit/-remaining/-reset`` (epoch seconds) and a throttled request gets X's 429
problem body without ``Retry-After``.

Only public and unlisted items exist on X; followers-only replies behave like tweets of a
protected account and direct messages are DM events. The sample ignores X's one-hour edit
window so that edits between two captures can be tested.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Final

from civicrecords.archiver.sample import x_entities as ent
from civicrecords.archiver.sample.ids import hex_name, parse_id
from civicrecords.archiver.sample.model import Account, Item, State
from civicrecords.archiver.sample.routing import Request, Response, Route
from civicrecords.archiver.sample.world import World
from civicrecords.archiver.sample.x_files import XFiles
from civicrecords.archiver.sample.x_requests import (
    TWEET_PARAMS,
    Fields,
    XProblem,
    base36,
    check_params,
    clause_accepts,
    count_param,
    ids_param,
    invalid,
    missing_error,
    not_enrolled,
    parse_query,
    problem,
    tweets_body,
)

TIERS: Final = ("free", "basic", "pro", "enterprise")
RECENT_DAYS: Final = 7
DM_DAYS: Final = 30
class XPlatform:
    """Renders the world as X API v2. Register it on a ``SamplePlatform``."""

    name = "x"

    def __init__(self, app_tokens: Iterable[str] = (), tier: str = "pro") -> None:
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        self.app_tokens = set(app_tokens)
        self.tier = tier
        self._names: dict[int, dict[int, str]] = {}
        self._by_name: dict[int, dict[str, Account]] = {}
        self._lock = threading.Lock()
        self.files = XFiles()

    def routes(self) -> list[Route]:
        """Every route, most specific first."""
        num = r"(?P<id>[0-9]{1,19})"
        pbs, video = "/pbs.twimg.com", "/video.twimg.com"
        return [
            Route("GET", "/2/users/me", self.users_me, "x.users.me"),
            Route("GET", r"/2/users/by/username/(?P<username>[A-Za-z0-9_]{1,15})",
                  self.user_by_username, "x.users.by_username"),
            Route("GET", "/2/users", self.users, "x.users"),
            Route("GET", f"/2/users/{num}", self.user, "x.users.show"),
            Route("GET", f"/2/users/{num}/tweets", self.user_tweets, "x.users.tweets"),
            Route("GET", "/2/tweets/search/(?P<kind>recent|all)", self.search, "x.search"),
            Route("GET", "/2/tweets", self.tweets, "x.tweets"),
            Route("GET", f"/2/tweets/{num}", self.tweet, "x.tweets.show"),
            Route("GET", "/2/dm_events", self.dm_events, "x.dm_events"),
            Route("GET", r"/2/dm_conversations/(?P<conversation>[0-9-]{1,40})/dm_events",
                  self.dm_events, "x.dm_conversations.events"),
            Route("GET", "/2/.*", self.unknown, "x.unknown"),
            Route("GET", rf"{pbs}/media/(?P<name>[A-Za-z0-9_-]{{15}})\.(?P<ext>jpg|png)",
                  self.files.photo_file, "x.media.photo", api=False),
            Route("GET", rf"{pbs}/ext_tw_video_thumb/{num}/pu/img/(?P<name>[0-9a-f]{{15}})"
                  r"\.jpg", self.files.video_thumb, "x.media.video_thumb", api=False),
            Route("GET", rf"{video}/ext_tw_video/{num}/pu/vid/(?P<size>[0-9]+x[0-9]+)/"
                  r"(?P<name>[0-9a-f]{16})\.mp4", self.files.video_file, "x.media.video",
                  api=False),
            Route("GET", rf"{video}/ext_tw_video/{num}/pu/pl/(?P<name>[0-9a-f]{{16}})\.m3u8",
                  self.files.video_playlist, "x.media.playlist", api=False),
            Route("GET", rf"{pbs}/tweet_video_thumb/(?P<name>[A-Za-z0-9_-]{{15}})\.jpg",
                  self.files.gif_thumb, "x.media.gif_thumb", api=False),
            Route("GET", rf"{video}/tweet_video/(?P<name>[A-Za-z0-9_-]{{15}})\.mp4",
                  self.files.gif_file, "x.media.gif", api=False),
            Route("GET", rf"{pbs}/profile_images/{num}/(?P<name>[0-9a-f]{{8}})_normal\."
                  r"(?P<ext>jpg|png)", self.files.profile_image, "x.media.profile", api=False),
        ]

    # -- the server's dialect hooks --------------------------------------------------------

    @staticmethod
    def rate_headers(limit: int, remaining: int, reset: float) -> list[tuple[str, str]]:
        """X's rate-limit headers (reset in epoch seconds)."""
        return [("x-rate-limit-limit", str(limit)), ("x-rate-limit-remaining", str(remaining)),
                ("x-rate-limit-reset", str(int(reset)))]

    @staticmethod
    def error_response(status: int, retry_after: int) -> Response | None:
        """X's throttling and outage bodies (X sends no ``Retry-After``)."""
        titles = {429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}
        if status not in titles:
            return None
        return problem(status, titles[status], titles[status])

    # -- helpers -----------------------------------------------------------------------------

    def names(self, world: World) -> dict[int, str]:
        """Account index -> X username (unique, at most 15 characters)."""
        key = id(world)
        with self._lock:
            names = self._names.get(key)
            if names is None:
                names, taken = {}, set()
                for account in world.accounts():
                    base = account.username if account.local else \
                        f"{account.username}_{(account.domain or 'x').split('.')[0]}"
                    base = "".join(c for c in base if c.isalnum() or c == "_")[:15] or "user"
                    name, n = base, 1
                    while name.lower() in taken:
                        suffix = str(n)
                        name, n = base[:15 - len(suffix)] + suffix, n + 1
                    taken.add(name.lower())
                    names[account.index] = name
                self._names[key] = names
                self._by_name[key] = {v.lower(): world.account_at(k) for k, v in names.items()}
            return names

    def account_named(self, world: World, username: str) -> Account | None:
        """The account with X username ``username`` (any case), or None."""
        self.names(world)
        return self._by_name[id(world)].get(username.lower())

    def _render(self, req: Request) -> ent.XRender:
        world = req.site.world
        return ent.XRender(world, req.state, req.base_url, self.names(world))

    def _auth(self, req: Request, *, user: bool = False, endpoint: str = "read"
              ) -> Account | None:
        """The account a user-context token acts for, or None for an app-only token."""
        header = req.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if token in self.app_tokens:
            viewer = None
        elif token and token in req.site.tokens:
            viewer = req.site.world.account(req.site.tokens[token])
        else:
            raise XProblem(problem(401, "Unauthorized", "Unauthorized"))
        if endpoint != "me" and (self.tier == "free" or
                                 (endpoint == "all" and self.tier == "basic")):
            raise XProblem(not_enrolled())
        if user and viewer is None:
            raise XProblem(problem(
                403, "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this "
                "endpoint.  Supported authentication types are [OAuth 1.0a User Context, "
                "OAuth 2.0 User Context].", "unsupported-authentication"))
        return viewer

    def _token(self, world: World, kind: str, value: int) -> str:
        digits = base36(value)
        return digits + hex_name(world.seed, "x-token", kind, value, length=8)

    def _untoken(self, req: Request, name: str, kind: str) -> int | None:
        raw = req.arg(name)
        if raw is None:
            return None
        value = int(raw[:-8], 36) if len(raw) > 8 and raw[:-8].isalnum() else -1
        if value < 0 or raw != self._token(req.site.world, kind, value):
            raise XProblem(invalid(name, raw, f"The `{name}` query parameter value [{raw}] "
                                              "is not valid"))
        return value

    @staticmethod
    def _guarded(handler: Any) -> Response:
        """``handler()``, or the error answer it raised."""
        try:
            return handler()
        except XProblem as failed:
            return failed.response

    # -- users ---------------------------------------------------------------------------------

    def _user_response(self, req: Request, account: Account | None, parameter: str,
                       value: str) -> Response:
        if account is None:
            return Response.json({"errors": [missing_error(value, parameter, False, "user")]})
        fields = Fields(req, ("user.fields", "tweet.fields"))
        return Response.json({"data": ent.select(ent.user_json(self._render(req), account),
                                                 ent.USER_DEFAULTS, fields["user.fields"])})

    def users_me(self, req: Request) -> Response:
        """GET /2/users/me (user-context token)."""
        def answer() -> Response:
            viewer = self._auth(req, user=True, endpoint="me")
            check_params(req, ("user.fields", "tweet.fields", "expansions"))
            response = self._user_response(req, viewer, "id", "me")
            response.headers.append(("x-access-level", "read-write-directmessages"))
            return response
        return self._guarded(answer)

    def user_by_username(self, req: Request) -> Response:
        """GET /2/users/by/username/:username"""
        def answer() -> Response:
            self._auth(req)
            check_params(req, ("user.fields", "tweet.fields", "expansions"))
            name = req.params["username"]
            return self._user_response(req, self.account_named(req.site.world, name),
                                       "username", name)
        return self._guarded(answer)

    def user(self, req: Request) -> Response:
        """GET /2/users/:id"""
        def answer() -> Response:
            self._auth(req)
            check_params(req, ("user.fields", "tweet.fields", "expansions"))
            value = req.params["id"]
            return self._user_response(req, req.site.world.account_by_id(value), "id", value)
        return self._guarded(answer)

    def users(self, req: Request) -> Response:
        """GET /2/users?ids=..."""
        def answer() -> Response:
            self._auth(req)
            check_params(req, ("ids", "user.fields", "tweet.fields", "expansions"))
            fields = Fields(req, ("user.fields",))
            ids = ids_param(req, "ids")
            r = self._render(req)
            data, errors = [], []
            for value in ids:
                account = req.site.world.account_by_id(value)
                if account is None:
                    errors.append(missing_error(value, "ids", False, "user"))
                else:
                    data.append(ent.select(ent.user_json(r, account), ent.USER_DEFAULTS,
                                           fields["user.fields"]))
            body: dict[str, Any] = {"data": data} if data else {}
            if errors:
                body["errors"] = errors
            return Response.json(body)
        return self._guarded(answer)

    # -- timelines, lookups and search -------------------------------------------------------------

    def user_tweets(self, req: Request) -> Response:
        """GET /2/users/:id/tweets, newest first."""
        def answer() -> Response:
            self._auth(req)
            check_params(req, (*TWEET_PARAMS, "max_results", "pagination_token",
                                     "exclude", "since_id", "until_id"))
            fields = Fields(req, TWEET_PARAMS)
            world = req.site.world
            account = world.account_by_id(req.params["id"])
            if account is None:
                return self._user_response(req, None, "id", req.params["id"])
            count = count_param(req, 5, 100, 10)
            exclude = set((req.arg("exclude") or "").split(",")) - {""}
            if exclude - {"replies", "retweets"}:
                raise XProblem(invalid("exclude", req.arg("exclude") or "",
                                       "The `exclude` query parameter value is not one of "
                                       "[replies,retweets]"))
            max_id = self._untoken(req, "pagination_token", "timeline")
            until = parse_id(req.arg("until_id"))
            since = parse_id(req.arg("since_id"))
            bound = min(v for v in (max_id, until) if v is not None) \
                if max_id is not None or until is not None else None
            page = self._timeline(world, account, req.state, bound, since, count + 1,
                                  exclude)
            more, page = len(page) > count, page[:count]
            r = self._render(req)
            body = tweets_body(r, [(item, -1) for item in page], fields)
            meta: dict[str, Any] = {"result_count": len(page)}
            if page:
                meta["newest_id"] = r.current_id(page[0])
                meta["oldest_id"] = r.current_id(page[-1])
            if more:
                meta["next_token"] = self._token(world, "timeline", int(page[-1].id))
            if max_id is not None and page:
                meta["previous_token"] = self._token(world, "timeline-prev", int(page[0].id))
            body["meta"] = meta
            return Response.json(body)
        return self._guarded(answer)

    def _timeline(self, world: World, account: Account, state: State, max_id: int | None,
                  since_id: int | None, count: int, exclude: set[str]) -> list[Item]:
        timeline = world.account_timeline(account, state)
        out: list[Item] = []
        cursor = max_id
        while len(out) < count:
            ids = timeline.select(account, max_id=cursor, since_id=since_id, limit=count * 2)
            if not ids:
                break
            for value in ids:
                item = world.item(str(value), state)
                if item is None or not ent.on_x(item):
                    continue
                if ("retweets" in exclude and item.kind == "reblog") or (
                        "replies" in exclude and item.in_reply_to_id is not None):
                    continue
                out.append(item)
            cursor = ids[-1]
        return out[:count]

    def tweet(self, req: Request) -> Response:
        """GET /2/tweets/:id (a missing tweet is a 200 with only ``errors``)."""
        return self._guarded(lambda: self._lookup(req, [req.params["id"]], "id"))

    def tweets(self, req: Request) -> Response:
        """GET /2/tweets?ids=a,b (1-100)."""
        return self._guarded(lambda: self._lookup(req, ids_param(req, "ids"), "ids"))

    def _lookup(self, req: Request, ids: list[str], parameter: str) -> Response:
        self._auth(req)
        single = parameter == "id"
        check_params(req, (*TWEET_PARAMS, *(() if single else ("ids",))))
        fields = Fields(req, TWEET_PARAMS)
        found: list[tuple[Item, int]] = []
        errors = []
        for value in ids:
            revision = req.site.world.revision_of(value, req.state)
            if revision is None or not ent.on_x(revision[0]):
                errors.append(missing_error(value, parameter, revision is not None))
            else:
                found.append(revision)
        return Response.json(tweets_body(self._render(req), found, fields, errors,
                                               single=single))

    def search(self, req: Request) -> Response:
        """GET /2/tweets/search/recent|all with ``conversation_id:`` queries."""
        def answer() -> Response:
            kind = req.params["kind"]
            self._auth(req, endpoint=kind)
            check_params(req, (*TWEET_PARAMS, "query", "max_results", "next_token",
                                     "pagination_token", "since_id", "until_id",
                                     "sort_order"))
            fields = Fields(req, TWEET_PARAMS)
            query = req.arg("query") or ""
            limit = 512 if self.tier == "basic" else 4096
            if not query or len(query) > limit:
                raise XProblem(invalid("query", query, f"The `query` parameter must be 1 to "
                                                       f"{limit} characters long"))
            clauses = parse_query(query)
            count = count_param(req, 10, 100 if kind == "recent" else 500, 10)
            offset = self._untoken(req, "next_token", f"search:{query}") or 0
            r = self._render(req)
            matches = self._matches(r, clauses, kind)
            page = matches[offset:offset + count]
            body = tweets_body(r, [(item, -1) for item in page], fields)
            meta: dict[str, Any] = {"result_count": len(page)}
            if page:
                meta["newest_id"] = r.current_id(page[0])
                meta["oldest_id"] = r.current_id(page[-1])
            if offset + count < len(matches):
                meta["next_token"] = self._token(r.world, f"search:{query}", offset + count)
            body["meta"] = meta
            return Response.json(body)
        return self._guarded(answer)

    def _matches(self, r: ent.XRender, clauses: list[dict[str, Any]], kind: str
                 ) -> list[Item]:
        world, state = r.world, r.state
        earliest = world.now(state) - RECENT_DAYS * 86400 if kind == "recent" else 0
        found: dict[str, Item] = {}
        for clause in clauses:
            wanted = clause["conversation_id"]
            located = world.revision_of(wanted, state)
            if located is None:
                root_ref = world.decode(wanted)
                if root_ref is None:
                    continue
                root = world.item_at(root_ref[0], 0, state)
            else:
                root = r.conversation_root(located[0])
            t = root.thread
            slots = [0, *(s for s, _depth in world.descendants(t, 0, state))]
            for slot in slots:
                if not world.exists(t, slot, state):
                    continue
                item = world.item_at(t, slot, state)
                if not ent.on_x(item) or item.created_at.timestamp() < earliest:
                    continue
                tweet = ent.tweet_json(r, item)
                if tweet["conversation_id"] != wanted or not clause_accepts(
                        clause, tweet, item, r):
                    continue
                found[item.id] = item
        return sorted(found.values(), key=lambda i: int(r.current_id(i)), reverse=True)

    # -- direct messages -----------------------------------------------------------------------

    def dm_events(self, req: Request) -> Response:
        """GET /2/dm_events and /2/dm_conversations/:id/dm_events (last 30 days)."""
        def answer() -> Response:
            viewer = self._auth(req, user=True)
            assert viewer is not None
            check_params(req, ("dm_event.fields", "expansions", "user.fields",
                                     "media.fields", "tweet.fields", "max_results",
                                     "pagination_token", "event_types"))
            fields = Fields(req, ("dm_event.fields", "expansions", "user.fields",
                                   "media.fields", "tweet.fields"))
            count = count_param(req, 1, 100, 100)
            r = self._render(req)
            events = self._dm_list(r, viewer, req.params.get("conversation"))
            before = self._untoken(req, "pagination_token", "dm")
            if before is not None:
                events = [e for e in events if int(e[0].id) < before]
            page, more = events[:count], len(events) > count
            data = [ent.select(ent.dm_event_json(r, item, people), ent.DM_DEFAULTS,
                               fields["dm_event.fields"]) for item, people in page]
            body: dict[str, Any] = {}
            if data:
                body["data"] = data
            wanted = fields["expansions"]
            users: dict[str, dict[str, Any]] = {}
            for item, people in page:
                chosen = ([item.account] if "sender_id" in wanted else []) + \
                    (people if "participant_ids" in wanted else [])
                for account in chosen:
                    users.setdefault(account.id, ent.select(
                        ent.user_json(r, account), ent.USER_DEFAULTS, fields["user.fields"]))
            if users:
                body["includes"] = {"users": list(users.values())}
            meta: dict[str, Any] = {"result_count": len(page)}
            if more:
                meta["next_token"] = self._token(r.world, "dm", int(page[-1][0].id))
            body["meta"] = meta
            return Response.json(body)
        return self._guarded(answer)

    def _dm_list(self, r: ent.XRender, viewer: Account, conversation: str | None
                 ) -> list[tuple[Item, list[Account]]]:
        world, state = r.world, r.state
        earliest = world.now(state) - DM_DAYS * 86400
        out = []
        for c in range(world.structure.conversations):
            cs = world.conversation(c)
            if viewer.index not in (cs.city, *cs.residents):
                continue
            people = [world.account_at(i) for i in (cs.city, *cs.residents)]
            if conversation is not None and \
                    ent.dm_conversation_id(world, people, c) != conversation:
                continue
            for j in range(cs.k):
                if not world.exists(cs.thread, j, state):
                    continue
                item = world.item_at(cs.thread, j, state)
                if item.created_at.timestamp() >= earliest:
                    out.append((item, people))
        out.sort(key=lambda e: int(e[0].id), reverse=True)
        return out

    def unknown(self, req: Request) -> Response:
        """Any other ``/2/`` path: X's 404."""
        return Response.json({"errors": [{"message": "Sorry, that page does not exist",
                                          "code": 34}]}, 404)
