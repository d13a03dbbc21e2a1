"""The sample world as a Mastodon 4.x server: REST routes, pagination, auth and media files.

Routes (all ``GET``; ``HEAD`` too), with Mastodon's semantics:

- ``/api/v1/accounts/lookup?acct=lakeside`` (also ``lakeside@<host>``), ``/api/v1/accounts/:id``
- ``/api/v1/accounts/verify_credentials`` (token required)
- ``/api/v1/accounts/:id/statuses`` with ``limit`` (default 20, max 40), ``max_id``,
  ``since_id``, ``min_id``, ``exclude_replies``, ``exclude_reblogs``, ``only_media``,
  ``pinned``, ``tagged``; newest first; a ``Link`` header with ``rel="next"`` whenever the page
  is full (so a last page that is exactly full is followed by an empty page without a Link
  header, as on Mastodon) and ``rel="prev"`` whenever the page is not empty
- ``/api/v1/statuses/:id``, ``/context`` (logged-out: 40 ancestors, 60 descendants, depth 20;
  authenticated: 4,096), ``/history`` (oldest first, current last), ``/source`` (author only)
- ``/api/v1/conversations`` (token required; paginated by the last status id)
- ``/api/v1/instance``, ``/api/v2/instance``
- media under ``/system/media_attachments/files/...``, ``/system/cache/...``,
  ``/system/media_attachments/thumbnails/...``, ``/system/accounts/{avatars,headers}/...`` and
  the default ``/avatars/original/missing.png``, ``/headers/original/missing.png``

Auth: ``Authorization: Bearer <token>`` or ``?access_token=<token>``. A present but unknown
token is a 401 everywhere; private and direct statuses answer 404 to viewers who may not see
them, exactly like missing ones.
"""

from __future__ import annotations

import threading
from typing import Any, Final
from urllib.parse import quote_plus, urlsplit

from civicrecords.archiver.sample import mastodon_entities as ent
from civicrecords.archiver.sample.ids import mix, parse_id
from civicrecords.archiver.sample.mastodon_files import MastodonFiles
from civicrecords.archiver.sample.model import Account, Item
from civicrecords.archiver.sample.routing import Request, Response, Route

NOT_FOUND: Final = "Record not found"
INVALID_TOKEN: Final = "The access token is invalid"
STATUS_FILTERS: Final = ("exclude_reblogs", "exclude_replies", "only_media", "pinned", "tagged")
_FALSE: Final = {"", "0", "f", "false", "off", "F", "FALSE", "OFF", "False"}
_ID = r"(?P<id>[^/]+)"
_PART = r"(?P<part>(?:\d{3}/)+)"


def truthy(value: str | None) -> bool:
    """Rails' boolean cast of a query parameter."""
    return value is not None and value not in _FALSE


def limit_param(value: str | None, default: int) -> int:
    """Mastodon's ``limit``: absent means ``default``; else |int|, at most twice the default."""
    if value is None:
        return default
    try:
        number = abs(int(value))
    except ValueError:
        number = 0
    return min(number, default * 2)


class _Unauthorized(Exception):
    pass


class MastodonPlatform:
    """Renders the world as Mastodon's REST API. Register it on a ``SamplePlatform``."""

    name = "mastodon"

    def __init__(self) -> None:
        self._accounts: dict[Any, dict[str, Any]] = {}
        self._conversations: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
        self.files = MastodonFiles()
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """Every route, most specific first."""
        api = "/api/v1"
        media = (rf"/system/(?P<cache>cache/)?media_attachments/(?P<kind>files|thumbnails)/"
                 rf"{_PART}(?P<style>original|small)/(?P<name>[0-9a-f]{{16}})\.(?P<ext>\w+)")
        pictures = (rf"/system/(?P<cache>cache/)?accounts/(?P<what>avatars|headers)/{_PART}"
                    r"original/(?P<name>[0-9a-f]{16})\.(?P<ext>\w+)")
        return [
            Route("GET", f"{api}/accounts/lookup", self.lookup, "accounts.lookup"),
            Route("GET", f"{api}/accounts/verify_credentials", self.verify_credentials,
                  "accounts.verify_credentials"),
            Route("GET", f"{api}/accounts/{_ID}", self.account, "accounts.show"),
            Route("GET", f"{api}/accounts/{_ID}/statuses", self.account_statuses,
                  "accounts.statuses"),
            Route("GET", f"{api}/statuses/{_ID}", self.status, "statuses.show"),
            Route("GET", f"{api}/statuses/{_ID}/context", self.context, "statuses.context"),
            Route("GET", f"{api}/statuses/{_ID}/history", self.history, "statuses.history"),
            Route("GET", f"{api}/statuses/{_ID}/source", self.source, "statuses.source"),
            Route("GET", f"{api}/conversations", self.conversations, "conversations"),
            Route("GET", "/api/v1/instance", self.instance_v1, "instance.v1"),
            Route("GET", "/api/v2/instance", self.instance_v2, "instance.v2"),
            Route("GET", media, self.files.media_file, "media", api=False),
            Route("GET", pictures, self.files.picture_file, "pictures", api=False),
            Route("GET", r"/(?P<what>avatars|headers)/original/missing\.png", self.files.missing,
                  "pictures.missing", api=False),
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _viewer(self, req: Request, required: bool = False) -> Account | None:
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else req.arg("access_token")
        if not token:
            if required:
                raise _Unauthorized
            return None
        username = req.site.tokens.get(token)
        if username is None:
            raise _Unauthorized
        return req.site.world.account(username)

    def _render(self, req: Request, viewer: Account | None) -> ent.Render:
        return ent.Render(req.site.world, req.state, req.base_url, viewer, self._accounts)

    @staticmethod
    def _unauthorized() -> Response:
        header = ('Bearer realm="Doorkeeper", error="invalid_token", '
                  f'error_description="{INVALID_TOKEN}"')
        return Response.error(401, INVALID_TOKEN, [("WWW-Authenticate", header)])

    def _guard(self, req: Request, required: bool = False) -> Account | Response | None:
        try:
            return self._viewer(req, required)
        except _Unauthorized:
            return self._unauthorized()

    def _visible(self, req: Request, viewer: Account | None) -> Item | None:
        world = req.site.world
        item = world.item(req.params["id"], req.state)
        if item is None or not world.visible_to(item, viewer):
            return None
        return item

    @staticmethod
    def _link(req: Request, next_params: dict[str, str] | None,
              prev_params: dict[str, str] | None, keep: tuple[str, ...]) -> list[tuple[str, str]]:
        def url(extra: dict[str, str]) -> str:
            params = {k: v for k in keep if (v := req.arg(k)) is not None}
            params.update(extra)
            query = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(params.items()))
            return f"{req.base_url}{req.path}?{query}"

        links = []
        if next_params:
            links.append(f'<{url(next_params)}>; rel="next"')
        if prev_params:
            links.append(f'<{url(prev_params)}>; rel="prev"')
        return [("Link", ", ".join(links))] if links else []

    # -- accounts ----------------------------------------------------------------------------

    def lookup(self, req: Request) -> Response:
        """GET /api/v1/accounts/lookup?acct=..."""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        acct = (req.arg("acct") or "").strip().lstrip("@")
        user, _, domain = acct.partition("@")
        here = urlsplit(req.base_url)
        if domain and domain.lower() in (here.netloc.lower(), (here.hostname or "").lower()):
            acct = user
        account = req.site.world.account(acct) if acct else None
        if account is None:
            return Response.error(404, NOT_FOUND)
        return Response.json(ent.account_json(self._render(req, viewer), account))

    def verify_credentials(self, req: Request) -> Response:
        """GET /api/v1/accounts/verify_credentials (token required)."""
        viewer = self._guard(req, required=True)
        if isinstance(viewer, Response) or viewer is None:
            return viewer or self._unauthorized()
        return Response.json(ent.credential_json(self._render(req, viewer), viewer))

    def account(self, req: Request) -> Response:
        """GET /api/v1/accounts/:id"""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        account = req.site.world.account_by_id(req.params["id"])
        if account is None:
            return Response.error(404, NOT_FOUND)
        return Response.json(ent.account_json(self._render(req, viewer), account))

    def account_statuses(self, req: Request) -> Response:
        """GET /api/v1/accounts/:id/statuses with Mastodon's paging and filters."""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        world = req.site.world
        account = world.account_by_id(req.params["id"])
        if account is None:
            return Response.error(404, NOT_FOUND)
        limit = limit_param(req.arg("limit"), 20)
        ids = world.account_timeline(account, req.state).select(
            viewer, max_id=parse_id(req.arg("max_id")), since_id=parse_id(req.arg("since_id")),
            min_id=parse_id(req.arg("min_id")), limit=limit,
            exclude_replies=truthy(req.arg("exclude_replies")),
            exclude_reblogs=truthy(req.arg("exclude_reblogs")),
            only_media=truthy(req.arg("only_media")), pinned=truthy(req.arg("pinned")),
            tagged=req.arg("tagged") or None)
        r = self._render(req, viewer)
        body = []
        for value in ids:
            ref = world.decode(value)
            assert ref is not None
            body.append(ent.status_json(r, world.item_at(*ref, req.state)))
        links = self._link(req, {"max_id": str(ids[-1])} if ids and len(ids) == limit else None,
                           {"min_id": str(ids[0])} if ids else None, ("limit", *STATUS_FILTERS))
        return Response.json(body, headers=links)

    # -- statuses ----------------------------------------------------------------------------

    def status(self, req: Request) -> Response:
        """GET /api/v1/statuses/:id"""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        item = self._visible(req, viewer)
        if item is None:
            return Response.error(404, NOT_FOUND)
        return Response.json(ent.status_json(self._render(req, viewer), item))

    def context(self, req: Request) -> Response:
        """GET /api/v1/statuses/:id/context"""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        item = self._visible(req, viewer)
        if item is None:
            return Response.error(404, NOT_FOUND)
        world, state = req.site.world, req.state
        t, slot = item.thread, item.slot
        chain: list[int] = []
        parent = world.parent(t, slot)
        while parent is not None and world.exists(t, parent, state):
            chain.append(parent)
            parent = world.parent(t, parent)
        chain.reverse()
        below = world.descendants(t, slot, state)
        if viewer is None:
            chain = chain[-40:]
            below = [node for node in below if node[1] <= 20][:60]
        else:
            chain, below = chain[-4096:], below[:4096]
        r = self._render(req, viewer)

        def shown(slots: list[int]) -> list[Item]:
            items = (world.item_at(t, s, state) for s in slots)
            return [i for i in items if world.visible_to(i, viewer)]

        descendants = shown([s for s, _depth in below])
        first_other = next((n for n, i in enumerate(descendants) if not _self_reply(i)), None)
        if first_other is not None:
            head, rest = descendants[:first_other], descendants[first_other:]
            descendants = head + [i for i in rest if _self_reply(i)] + \
                [i for i in rest if not _self_reply(i)]
        return Response.json({"ancestors": [ent.status_json(r, i) for i in shown(chain)],
                              "descendants": [ent.status_json(r, i) for i in descendants]})

    def history(self, req: Request) -> Response:
        """GET /api/v1/statuses/:id/history: every version, oldest first."""
        viewer = self._guard(req)
        if isinstance(viewer, Response):
            return viewer
        item = self._visible(req, viewer)
        if item is None:
            return Response.error(404, NOT_FOUND)
        r = self._render(req, viewer)
        return Response.json([ent.edit_json(r, item, v) for v in item.versions])

    def source(self, req: Request) -> Response:
        """GET /api/v1/statuses/:id/source (the author only)."""
        viewer = self._guard(req, required=True)
        if isinstance(viewer, Response) or viewer is None:
            return viewer or self._unauthorized()
        item = self._visible(req, viewer)
        if item is None:
            return Response.error(404, NOT_FOUND)
        if item.account.index != viewer.index:
            return Response.error(403, "This action is not allowed")
        return Response.json({"id": item.id, "text": item.text,
                              "spoiler_text": item.spoiler_text})

    # -- conversations -----------------------------------------------------------------------

    def _conversation_index(self, req: Request, viewer: Account) -> list[tuple[int, int, int]]:
        key = (viewer.index, req.state)
        with self._lock:
            cached = self._conversations.get(key)
        if cached is not None:
            return cached
        world = req.site.world
        found = []
        for c in range(world.structure.conversations):
            cs = world.conversation(c)
            if viewer.index not in (cs.city, *cs.residents):
                continue
            present = [j for j in range(cs.k) if world.exists(cs.thread, j, req.state)]
            if present:
                found.append((world.status_int(cs.thread, present[-1]), c, present[-1]))
        found.sort()
        with self._lock:
            self._conversations[key] = found
        return found

    def conversations(self, req: Request) -> Response:
        """GET /api/v1/conversations (token required), newest conversation first."""
        viewer = self._guard(req, required=True)
        if isinstance(viewer, Response) or viewer is None:
            return viewer or self._unauthorized()
        world = req.site.world
        index = self._conversation_index(req, viewer)
        limit = limit_param(req.arg("limit"), 20)
        max_id, since_id = parse_id(req.arg("max_id")), parse_id(req.arg("since_id"))
        min_id = parse_id(req.arg("min_id"))
        rows = [e for e in index if (max_id is None or e[0] < max_id)
                and (since_id is None or min_id is not None or e[0] > since_id)
                and (min_id is None or e[0] > min_id)]
        page = rows[:limit][::-1] if min_id is not None else rows[::-1][:limit]
        r = self._render(req, viewer)
        body = []
        for _last_id, c, slot in page:
            cs = world.conversation(c)
            last = world.item_at(cs.thread, slot, req.state)
            others = [world.account_at(i) for i in (cs.city, *cs.residents) if i != viewer.index]
            unread = last.account.index != viewer.index and mix(world.key, 61, c) % 3 == 0
            body.append({"id": str(c + 1), "unread": unread,
                         "accounts": [ent.account_json(r, a) for a in others],
                         "last_status": ent.status_json(r, last)})
        links = self._link(req, {"max_id": str(page[-1][0])} if page and len(page) == limit
                           else None, {"min_id": str(page[0][0])} if page else None, ("limit",))
        return Response.json(body, headers=links)

    # -- instance ----------------------------------------------------------------------------

    def instance_v2(self, req: Request) -> Response:
        """GET /api/v2/instance (the parts a client needs to identify the server)."""
        host = urlsplit(req.base_url).netloc
        r = self._render(req, None)
        return Response.json({
            "domain": host, "title": "Lakeside Social", "version": "4.5.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "The City of Lakeside, MN's social media server (sample).",
            "usage": {"users": {"active_month": len(req.site.world.accounts())}},
            "thumbnail": {"url": f"{req.base_url}/headers/original/missing.png"},
            "languages": ["en"],
            "configuration": {"urls": {"streaming": f"ws://{host}"},
                              "statuses": {"max_characters": 500,
                                           "max_media_attachments": 4}},
            "registrations": {"enabled": False, "approval_required": True, "message": None},
            "contact": {"email": "", "account": ent.account_json(r, req.site.world.city)},
            "rules": [],
        })

    def instance_v1(self, req: Request) -> Response:
        """GET /api/v1/instance (legacy shape)."""
        host = urlsplit(req.base_url).netloc
        world = req.site.world
        return Response.json({
            "uri": host, "title": "Lakeside Social", "short_description": "",
            "description": "The City of Lakeside, MN's social media server (sample).",
            "email": "", "version": "4.5.0", "urls": {"streaming_api": f"ws://{host}"},
            "stats": {"user_count": len(world.accounts()), "status_count": world.post_count,
                      "domain_count": 4},
            "thumbnail": None, "languages": ["en"], "registrations": False,
            "approval_required": True, "invites_enabled": False,
        })


def _self_reply(item: Item) -> bool:
    return item.in_reply_to_account is not None and \
        item.in_reply_to_account.index == item.account.index
