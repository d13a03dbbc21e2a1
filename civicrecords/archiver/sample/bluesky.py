"""The sample world as Bluesky: a public AppView, a PDS, the chat service and a PLC directory.

One renderer answers every AT Protocol role on the sample server (all ``GET``):

- AppView: ``/xrpc/com.atproto.identity.resolveHandle``, ``app.bsky.actor.getProfile``,
  ``app.bsky.feed.getAuthorFeed`` (``actor``, ``filter``, ``limit`` 1-100 default 50,
  ``cursor`` = the last entry's sort time), ``app.bsky.feed.getPostThread`` (``uri``,
  ``depth`` 0-1000 default 6, ``parentHeight`` 0-1000 default 80; ``depth_cap`` lowers the
  limit the way a busy AppView may), ``app.bsky.feed.getPosts`` (1-25 ``uris``; missing posts
  are left out), and the image CDN under ``/img/``.
- PDS: ``com.atproto.repo.getRecord``, ``com.atproto.sync.getBlob``,
  ``com.atproto.server.getSession`` (Bearer token; an expired JWT is ``ExpiredToken``), and
  ``chat.bsky.convo.listConvos`` / ``getMessages`` when proxied (``atproto-proxy:
  did:web:api.bsky.chat#bsky_chat``) with the account's token.
- PLC directory: ``/did:plc:...`` answers the DID document (its PDS is this server).

Errors use the XRPC envelope ``{"error": ..., "message": ...}`` (``NotFound``,
``RecordNotFound``, ``InvalidRequest``, ``BlobNotFound``, ``ExpiredToken``, ``InvalidToken``,
``MethodNotImplemented`` for any other method); rate-limit headers and injected 429/503 are
Bluesky's (``RateLimit-*``, ``RateLimitExceeded``). JSON is sent as the AppView sends it (no
escaping of ``<``/``>``: hostile text arrives verbatim).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any, Final

from civicrecords.archiver.sample.bluesky_entities import (
    asset_blob,
    bluesky_text,
    iso,
    record_cid,
    status_rkey,
)
from civicrecords.archiver.sample.bluesky_views import BlueskyWorld, Views
from civicrecords.archiver.sample.media import (
    GRAPHIC_KEYS,
    LIBRARY,
    PHOTO_KEYS,
    RESIDENT_PHOTO_KEYS,
)
from civicrecords.archiver.sample.model import Account, Item
from civicrecords.archiver.sample.routing import Request, Response, Route
from civicrecords.archiver.sample.world import World

JSON: Final = "application/json; charset=utf-8"
CHAT_PROXY: Final = "did:web:api.bsky.chat#bsky_chat"
_X: Final = "/xrpc/"
_FILTERS: Final = ("posts_with_replies", "posts_no_replies", "posts_with_media",
                   "posts_and_author_threads")
_BLOB_KEYS: Final = (*PHOTO_KEYS, *RESIDENT_PHOTO_KEYS, *GRAPHIC_KEYS, "plow-timelapse", "ducks",
                     "avatar-city", "avatar-mayor", "avatar-1", "avatar-2", "avatar-3",
                     "avatar-4")


def blob_key(cid: str) -> str | None:
    """The media asset whose original file has this CID, or None."""
    return next((key for key in dict.fromkeys(_BLOB_KEYS) if asset_blob(key)[0] == cid), None)


def xrpc_json(data: Any, status: int = 200) -> Response:
    """A JSON body as Bluesky's services write it (compact, UTF-8, nothing escaped)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, JSON)


def xrpc_error(status: int, error: str, message: str) -> Response:
    """The XRPC error envelope."""
    return xrpc_json({"error": error, "message": message}, status)


def _int_param(req: Request, name: str, default: int, low: int, high: int) -> int | Response:
    raw = req.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return xrpc_error(400, "InvalidRequest", f"{name} must be an integer")
    if not low <= value <= high:
        return xrpc_error(400, "InvalidRequest",
                          f"{name} must be {'>=' if value < low else '<='} "
                          f"{low if value < low else high}")
    return value


def _jwt_expired(token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return int(claims.get("exp", 0)) < time.time()
    except (ValueError, TypeError, AttributeError):
        return False


class BlueskyPlatform:
    """Renders the world as Bluesky. Register it on a ``SamplePlatform``."""

    name = "bluesky"

    def __init__(self, depth_cap: int = 1000) -> None:
        self.depth_cap = depth_cap
        self._worlds: dict[int, BlueskyWorld] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """Every route: XRPC methods, the image CDN and the PLC directory."""
        methods = {
            "com.atproto.identity.resolveHandle": self.resolve_handle,
            "app.bsky.actor.getProfile": self.get_profile,
            "app.bsky.feed.getAuthorFeed": self.author_feed,
            "app.bsky.feed.getPostThread": self.post_thread,
            "app.bsky.feed.getPosts": self.get_posts,
            "com.atproto.repo.getRecord": self.get_record,
            "com.atproto.sync.getBlob": self.get_blob,
            "com.atproto.server.getSession": self.get_session,
            "chat.bsky.convo.listConvos": self.list_convos,
            "chat.bsky.convo.getMessages": self.get_messages,
        }
        routes = [Route("GET", f"{_X}{nsid.replace('.', '[.]')}", handler, f"bluesky.{nsid}")
                  for nsid, handler in methods.items()]
        routes += [
            Route("GET", f"{_X}(?P<nsid>[A-Za-z0-9.]+)", self.not_implemented,
                  "bluesky.unknown"),
            Route("GET", r"/img/(?P<style>feed_fullsize|feed_thumbnail|avatar)/plain/"
                  r"(?P<did>[^/]+)/"
                  r"(?P<cid>[a-z2-7]+)@jpeg", self.cdn_image, "bluesky.cdn", api=False),
            Route("GET", r"/(?P<did>did:plc:[a-z2-7]{24})", self.did_document, "plc.did"),
        ]
        return routes

    # -- helpers -----------------------------------------------------------------------------

    def bsky(self, world: World) -> BlueskyWorld:
        """Bluesky's view of ``world`` (built once per world)."""
        with self._lock:
            found = self._worlds.get(id(world))
            if found is None or found.world is not world:
                found = self._worlds[id(world)] = BlueskyWorld(world)
            return found

    def _views(self, req: Request) -> Views:
        return Views(self.bsky(req.site.world), req.state, req.base_url)

    def _post(self, req: Request, uri: str) -> Any:
        if not uri.startswith("at://"):
            return None
        parts = uri[5:].split("/")
        if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
            return None
        b = self.bsky(req.site.world)
        account = b.ids.lookup(parts[0])
        if account is None:
            return None
        return b.find(b.ids.did(account), parts[2], req.state)

    def _viewer(self, req: Request) -> Account | Response:
        auth = req.headers.get("authorization", "")
        if auth[:7].lower() != "bearer ":
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        token = auth[7:].strip()
        username = req.site.tokens.get(token)
        if username is None:
            return xrpc_error(401, "InvalidToken", "Token could not be verified")
        if _jwt_expired(token):
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        account = req.site.world.account(username)
        return account if account is not None else xrpc_error(401, "InvalidToken",
                                                               "Token could not be verified")

    # -- rate limits and injected faults (the server asks) -------------------------------------

    @staticmethod
    def rate_headers(limit: int, remaining: int, reset: float) -> list[tuple[str, str]]:
        """Bluesky's IETF-draft rate-limit headers (reset in epoch seconds, 5-minute window)."""
        return [("RateLimit-Limit", str(limit)), ("RateLimit-Remaining", str(remaining)),
                ("RateLimit-Reset", str(int(reset))), ("RateLimit-Policy", f"{limit};w=300")]

    @staticmethod
    def error_response(status: int, retry_after: int | None) -> Response | None:
        """Bluesky's answer when throttling (429: ``RateLimitExceeded``, and only the
        ``RateLimit-*`` headers say when to come back) or overloaded (503, with
        ``Retry-After``); None (the gateway's HTML page) for 500/502."""
        if status == 429:
            return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        if status != 503:
            return None
        response = xrpc_error(503, "InternalServerError", "Service Unavailable")
        if retry_after is not None:
            response.headers.append(("Retry-After", str(retry_after)))
        return response

    # -- identity ------------------------------------------------------------------------------

    def resolve_handle(self, req: Request) -> Response:
        """GET com.atproto.identity.resolveHandle?handle=..."""
        handle = (req.arg("handle") or "").strip().lower()
        b = self.bsky(req.site.world)
        account = b.ids.by_handle.get(handle)
        if account is None:
            return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return xrpc_json({"did": b.ids.did(account)})

    def did_document(self, req: Request) -> Response:
        """GET /did:plc:... (the PLC directory)."""
        b = self.bsky(req.site.world)
        did = req.params["did"]
        account = b.ids.by_did.get(did)
        if account is None:
            return Response(404, json.dumps({"message": f"DID not registered: {did}"}).encode(),
                            JSON)
        key = "zQ3sh" + status_rkey(account.id).upper()[:40]
        return xrpc_json({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                         "https://w3id.org/security/suites/secp256k1-2019/v1"],
            "id": did, "alsoKnownAs": [f"at://{b.ids.handle(account)}"],
            "verificationMethod": [{"id": f"{did}#atproto", "type": "Multikey",
                                    "controller": did, "publicKeyMultibase": key}],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": req.base_url}]})

    def get_profile(self, req: Request) -> Response:
        """GET app.bsky.actor.getProfile?actor=..."""
        b = self.bsky(req.site.world)
        account = b.ids.lookup(req.arg("actor") or "")
        if account is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return xrpc_json(self._views(req).profile(account))

    # -- feeds and threads ---------------------------------------------------------------------

    def author_feed(self, req: Request) -> Response:
        """GET app.bsky.feed.getAuthorFeed: newest first, cursor = last entry's sort time."""
        b = self.bsky(req.site.world)
        account = b.ids.lookup(req.arg("actor") or "")
        if account is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        limit = _int_param(req, "limit", 50, 1, 100)
        if isinstance(limit, Response):
            return limit
        flag = req.arg("filter") or "posts_with_replies"
        if flag not in _FILTERS:
            return xrpc_error(400, "InvalidRequest", f"filter must be one of {_FILTERS}")
        views = self._views(req)
        cursor = req.arg("cursor")
        before = None
        if cursor:
            try:
                before = int(datetime.fromisoformat(cursor.replace("Z", "+00:00"))
                             .timestamp() * 1000)
            except ValueError:
                return xrpc_error(400, "InvalidRequest", "Malformed cursor")
        feed, last = [], None
        for stamp, status_id in b.feed(account, req.state):
            if before is not None and stamp >= before:
                continue
            if not views.feed_filter_accepts(status_id, flag):
                continue
            entry = views.feed_entry(status_id, account)
            if entry is not None:
                feed.append(entry)
                last = stamp
            if len(feed) == limit:
                break
        body: dict[str, Any] = {"feed": feed}
        if last is not None and len(feed) == limit:
            body["cursor"] = iso(datetime.fromtimestamp(last / 1000, UTC))
        return xrpc_json(body)

    def post_thread(self, req: Request) -> Response:
        """GET app.bsky.feed.getPostThread?uri=&depth=&parentHeight="""
        uri = req.arg("uri") or ""
        depth = _int_param(req, "depth", 6, 0, 1000)
        height = _int_param(req, "parentHeight", 80, 0, 1000)
        if isinstance(depth, Response):
            return depth
        if isinstance(height, Response):
            return height
        found = self._post(req, uri)
        if found is None:
            return xrpc_error(400, "NotFound", f"Post not found: {uri}")
        thread = self._views(req).thread(found, min(depth, self.depth_cap), height)
        return xrpc_json({"thread": thread})

    def get_posts(self, req: Request) -> Response:
        """GET app.bsky.feed.getPosts?uris=...&uris=... (at most 25)."""
        uris = req.query.get("uris") or req.query.get("uris[]") or []
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "uris must not have more than 25 elements")
        views = self._views(req)
        posts = [views.post_view(found) for uri in uris
                 if (found := self._post(req, uri)) is not None]
        return xrpc_json({"posts": posts})

    # -- the PDS -------------------------------------------------------------------------------

    def get_record(self, req: Request) -> Response:
        """GET com.atproto.repo.getRecord?repo=&collection=&rkey= (posts and reposts)."""
        b = self.bsky(req.site.world)
        account = b.ids.lookup(req.arg("repo") or "")
        collection, rkey = req.arg("collection") or "", req.arg("rkey") or ""
        if account is None:
            return xrpc_error(400, "InvalidRequest", f"Could not find repo: {req.arg('repo')}")
        did = b.ids.did(account)
        uri = f"at://{did}/{collection}/{rkey}"
        views = self._views(req)
        if collection == "app.bsky.feed.post":
            found = b.find(did, rkey, req.state)
            if found is not None:
                record = views.record(found)
                return xrpc_json({"uri": uri, "cid": record_cid(record), "value": record})
        elif collection == "app.bsky.feed.repost":
            entry = self._repost(req, account, rkey)
            if entry is not None:
                return xrpc_json({"uri": uri, "cid": entry["reason"]["cid"],
                                  "value": {"$type": "app.bsky.feed.repost",
                                            "subject": {"cid": entry["post"]["cid"],
                                                        "uri": entry["post"]["uri"]},
                                            "createdAt": entry["reason"]["indexedAt"]}})
        return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")

    def _repost(self, req: Request, account: Account, rkey: str) -> dict[str, Any] | None:
        views = self._views(req)
        for _stamp, status_id in self.bsky(req.site.world).feed(account, req.state):
            if status_rkey(status_id) == rkey:
                item = req.site.world.item(status_id, req.state)
                if item is not None and item.kind == "reblog":
                    return views.feed_entry(status_id, account)
        return None

    def get_blob(self, req: Request) -> Response:
        """GET com.atproto.sync.getBlob?did=&cid= (the original file)."""
        b = self.bsky(req.site.world)
        cid = req.arg("cid") or ""
        if b.ids.by_did.get(req.arg("did") or "") is None:
            return xrpc_error(400, "RepoNotFound", f"Could not find repo for DID: "
                              f"{req.arg('did')}")
        key = blob_key(cid)
        if key is not None:
            asset = LIBRARY.get(key)
            return Response(200, asset.original, asset.mime,
                            [("x-content-type-options", "nosniff"),
                             ("content-security-policy", "default-src 'none'; sandbox")],
                            compressible=False)
        return xrpc_error(400, "BlobNotFound", "Blob not found")

    def cdn_image(self, req: Request) -> Response:
        """The AppView's image CDN (the original for full size, the preview for thumbs)."""
        key = blob_key(req.params["cid"])
        if key is not None and LIBRARY.get(key).spec.fmt in ("jpeg", "png"):
            asset = LIBRARY.get(key)
            data = asset.small if req.params["style"] == "feed_thumbnail" else asset.original
            return Response(200, data, asset.mime,
                            [("Cache-Control", "public, max-age=604800")], api=False,
                            compressible=False)
        return Response(404, b"Not Found", "text/plain", api=False)

    def get_session(self, req: Request) -> Response:
        """GET com.atproto.server.getSession (who the token belongs to)."""
        viewer = self._viewer(req)
        if isinstance(viewer, Response):
            return viewer
        b = self.bsky(req.site.world)
        return xrpc_json({"handle": b.ids.handle(viewer), "did": b.ids.did(viewer),
                          "active": True, "emailConfirmed": True})

    # -- chat ----------------------------------------------------------------------------------

    def _chat_viewer(self, req: Request) -> Account | Response:
        if req.headers.get("atproto-proxy") != CHAT_PROXY:
            return xrpc_error(400, "InvalidRequest",
                              "chat.bsky methods must be proxied to the chat service "
                              "(atproto-proxy header)")
        return self._viewer(req)

    def _convos(self, req: Request, viewer: Account) -> list[tuple[int, list[Item]]]:
        world = req.site.world
        out = []
        for c in range(world.structure.conversations):
            cs = world.conversation(c)
            if viewer.index not in (cs.city, *cs.residents):
                continue
            messages = [world.item_at(cs.thread, j, req.state) for j in range(cs.k)
                        if world.exists(cs.thread, j, req.state)]
            if messages:
                out.append((c, messages))
        out.sort(key=lambda entry: -int(entry[1][-1].id))
        return out

    def _message(self, req: Request, item: Item) -> dict[str, Any]:
        b = self.bsky(req.site.world)
        rkey = status_rkey(item.id)
        return {"$type": "chat.bsky.convo.defs#messageView", "id": rkey, "rev": rkey,
                "sender": {"did": b.ids.did(item.account)},
                "text": bluesky_text(b.ids, item.text, item.mentions, message=True),
                "reactions": [], "sentAt": iso(item.created_at)}

    def _convo(self, req: Request, c: int, messages: list[Item]) -> dict[str, Any]:
        world = req.site.world
        cs = world.conversation(c)
        views = self._views(req)
        return {"id": status_rkey(messages[0].id), "rev": status_rkey(messages[-1].id),
                "members": [views.profile_basic(world.account_at(i))
                            for i in (cs.city, *cs.residents)],
                "lastMessage": self._message(req, messages[-1]), "unreadCount": 0,
                "status": "accepted", "muted": False}

    def list_convos(self, req: Request) -> Response:
        """GET chat.bsky.convo.listConvos (newest activity first; cursor = a convo rev)."""
        viewer = self._chat_viewer(req)
        if isinstance(viewer, Response):
            return viewer
        limit = _int_param(req, "limit", 50, 1, 100)
        if isinstance(limit, Response):
            return limit
        cursor = req.arg("cursor")
        convos = self._convos(req, viewer)
        if cursor:
            revs = [status_rkey(m[-1].id) for _c, m in convos]
            convos = convos[revs.index(cursor) + 1:] if cursor in revs else []
        page = convos[:limit]
        body: dict[str, Any] = {"convos": [self._convo(req, c, m) for c, m in page]}
        if len(page) == limit and len(convos) > limit:
            body["cursor"] = status_rkey(page[-1][1][-1].id)
        return xrpc_json(body)

    def get_messages(self, req: Request) -> Response:
        """GET chat.bsky.convo.getMessages?convoId= (newest first; cursor = a message rev)."""
        viewer = self._chat_viewer(req)
        if isinstance(viewer, Response):
            return viewer
        limit = _int_param(req, "limit", 50, 1, 100)
        if isinstance(limit, Response):
            return limit
        convo_id = req.arg("convoId") or ""
        found = next((m for _c, m in self._convos(req, viewer)
                      if status_rkey(m[0].id) == convo_id), None)
        if found is None:
            return xrpc_error(400, "InvalidConvo", "Convo not found")
        messages = list(reversed(found))
        cursor = req.arg("cursor")
        if cursor:
            ids = [status_rkey(m.id) for m in messages]
            messages = messages[ids.index(cursor) + 1:] if cursor in ids else []
        page = messages[:limit]
        body: dict[str, Any] = {"messages": [self._message(req, m) for m in page]}
        if len(messages) > limit:
            body["cursor"] = status_rkey(page[-1].id)
        return xrpc_json(body)

    def not_implemented(self, req: Request) -> Response:
        """Any other XRPC method."""
        return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
