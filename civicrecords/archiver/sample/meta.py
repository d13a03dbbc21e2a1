"""Meta's side of the sample platform beyond the API dialect: tokens, files, ground truth.

- ``MetaAccess``: access tokens (the server's tokens act as Page and Instagram tokens of
  their accounts), granted permissions, expiry, objects hidden from the app (permission
  errors), the app secret and ``appsecret_proof`` checks, and ``/debug_token``.
- ``CdnFiles``: media on signed, expiring CDN URLs (``oh``/``oe``); an expired or tampered
  URL is a 403, as on Meta's CDN.
- ``hidden_comment_ids``: ground truth for comments the Page hid (the world has no such
  notion): the planted abusive comments in both states, and two more in "later".
- ``Inbox``: the world's direct conversations as Page / Instagram inbox threads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from civicrecords.archiver.sample.graph import Node, graph_error, graph_time, inline_edge
from civicrecords.archiver.sample.ids import hex_name, mix
from civicrecords.archiver.sample.media import EXT, LIBRARY, MIME
from civicrecords.archiver.sample.model import Item, Media, State
from civicrecords.archiver.sample.routing import Request, Response, Route
from civicrecords.archiver.sample.threads import MEDIA_AUDIO, MEDIA_NONE
from civicrecords.archiver.sample.world import World

APP_ID = "1480193662273050"
APP_NAME = "Lakeside Records Archive"
APP_SECRET = "sample-app-secret-5c1d0e7b"
PAGE_PERMISSIONS = ("pages_show_list", "pages_read_engagement", "pages_read_user_content",
                    "pages_manage_metadata", "pages_messaging")
INSTAGRAM_PERMISSIONS = ("instagram_basic", "instagram_manage_comments",
                         "instagram_manage_messages")
_LEADING_MENTIONS = re.compile(r"^(?:@\S+\s+)+")


# ----- tokens and permissions ----------------------------------------------------------------

@dataclass
class Caller:
    """Who a request acts for."""

    token: str
    username: str
    scopes: tuple[str, ...]


class MetaAccess:
    """Access tokens, permissions and app settings for both Meta renderers.

    Every token of the sample server is a Page (and Instagram) token of its account, with
    every permission and no expiry, until a test changes that: ``grant`` (replace the
    permissions), ``expire`` (the token expired: 190/463), ``set_expiry`` (still valid,
    expiring then), ``restrict`` (an object the app may no longer read: a (#10) permission
    error, and edges leave it out). ``require_proof`` makes ``appsecret_proof`` mandatory;
    a wrong proof is always rejected. ``throttle_code`` is the code an over-budget or
    injected 429 is answered with.
    """

    def __init__(self, app_secret: str = APP_SECRET) -> None:
        self.app_secret = app_secret
        self.require_proof = False
        self.cdn_lifetime = 86_400
        self._scopes: dict[str, tuple[str, ...]] = {}
        self._expires: dict[str, int] = {}
        self._expired: set[str] = set()
        self.restricted: set[str] = set()
        self._lock = threading.Lock()

    def grant(self, token: str, permissions: Iterable[str]) -> None:
        """Replace the permissions granted to ``token``."""
        with self._lock:
            self._scopes[token] = tuple(permissions)

    def expire(self, token: str) -> None:
        """Make ``token`` expired from now on."""
        with self._lock:
            self._expired.add(token)

    def set_expiry(self, token: str, epoch: int) -> None:
        """Say ``token`` expires at ``epoch`` (it stays valid until then)."""
        with self._lock:
            self._expires[token] = epoch

    def restrict(self, object_id: str) -> None:
        """Make one object unreadable to the app (a permission error; left out of edges)."""
        with self._lock:
            self.restricted.add(object_id)

    def scopes(self, token: str) -> tuple[str, ...]:
        """Permissions granted to ``token``."""
        return self._scopes.get(token, PAGE_PERMISSIONS + INSTAGRAM_PERMISSIONS)

    def caller(self, req: Request) -> Caller | Response:
        """The caller of ``req`` or Graph's error for a missing, unknown or expired token or
        a bad ``appsecret_proof``."""
        token = req.arg("access_token") or ""
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if not token and scheme.lower() in ("bearer", "oauth"):
            token = value.strip()
        if not token:
            return graph_error(400, 104, "An access token is required to request this "
                               "resource.")
        username = req.site.tokens.get(token)
        if username is None:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access "
                               "token")
        if token in self._expired:
            return graph_error(400, 190, "Error validating access token: Session has expired "
                               "on Sunday, 01-Nov-26 12:00:00 PDT. The current time is later.",
                               subcode=463)
        proof = req.arg("appsecret_proof")
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if proof is not None and not hmac.compare_digest(proof, expected):
            return graph_error(400, 100, "Invalid appsecret_proof provided in the API argument",
                               kind="GraphMethodException")
        if proof is None and self.require_proof:
            return graph_error(400, 100, "API calls from the server require an appsecret_proof "
                               "argument", kind="GraphMethodException")
        return Caller(token, username, self.scopes(token))

    def debug_token(self, req: Request, profile_id: str) -> Response:
        """``/debug_token``: what the input token is (the caller's own token may be used)."""
        caller = self.caller(req)
        if isinstance(caller, Response):
            return caller
        token = req.arg("input_token") or caller.token
        username = req.site.tokens.get(token)
        now = int(time.time())
        if username is None or token in self._expired:
            expired = username is not None
            return Response.json({"data": {
                "app_id": APP_ID, "type": "PAGE", "application": APP_NAME,
                "expires_at": now - 3600 if expired else 0, "is_valid": False, "scopes": [],
                "error": {"code": 190, "message": "Error validating access token: Session has "
                          "expired" if expired else "Invalid OAuth access token",
                          "subcode": 463 if expired else None}}})
        scopes = list(self.scopes(token))
        return Response.json({"data": {
            "app_id": APP_ID, "type": "PAGE", "application": APP_NAME,
            "data_access_expires_at": now + 90 * 86400,
            "expires_at": self._expires.get(token, 0), "is_valid": True,
            "issued_at": now - 86400, "profile_id": profile_id, "scopes": scopes,
            "granular_scopes": [{"scope": s} for s in scopes], "user_id": profile_id}})


# ----- CDN files -----------------------------------------------------------------------------

def find_media(world: World, state: State, media_id: str) -> tuple[Item, Media] | None:
    """The existing item that carries attachment ``media_id`` in ``state``, and the
    attachment (an attachment of a removed item is gone with it)."""
    if not media_id.isdigit():
        return None
    for slot in range(4):
        item = world.item(str(int(media_id) + ((1000 + slot) << 16)), state)
        for media in item.media if item is not None else ():
            if media.id == media_id:
                return item, media
    return None


class CdnFiles:
    """Media files on signed CDN URLs: ``/<cdn>/v/<media id>/<o|s>/<name>.<ext>?oh=..&oe=..``
    (``o`` the original, ``s`` a preview). ``oe`` is the expiry (hex epoch), ``oh`` the
    signature over path and expiry; an expired or tampered URL answers 403 like Meta's CDN.
    A renderer of its own (register it beside the API's): a CDN is not the Graph API and
    fails like a web server, not with Graph's error bodies."""

    def __init__(self, cdn: str, access: MetaAccess) -> None:
        self.name = cdn
        self.cdn = cdn
        self.access = access

    def routes(self) -> list[Route]:
        """The one route of this CDN's files."""
        pattern = (rf"/{self.cdn}/v/(?P<media>\d+)/(?P<style>o|s)/"
                   r"(?P<name>[0-9a-f]{16})\.(?P<ext>\w+)")
        return [Route("GET", pattern, self.file, f"{self.cdn}.file", api=False)]

    def url(self, req: Request, media: Media, style: str = "o") -> str:
        """A freshly signed URL of ``media`` (its original or its preview)."""
        asset = LIBRARY.get(media.asset)
        ext = EXT[asset.spec.fmt] if style == "o" else "jpg" if asset.spec.fmt == "mp4" else \
            EXT[asset.spec.fmt]
        path = (f"/{self.cdn}/v/{media.id}/{style}/"
                f"{hex_name(req.site.world.seed, self.cdn, media.id, style)}.{ext}")
        expiry = format(int(time.time()) + self.access.cdn_lifetime, "x")
        return f"{req.base_url}{path}?oh={self._sign(path, expiry)}&oe={expiry}"

    def _sign(self, path: str, expiry: str) -> str:
        return hex_name(self.access.app_secret, path, expiry, length=32)

    def file(self, req: Request) -> Response:
        """Serve one file, or 403 (bad or expired signature) / 404 (no such file)."""
        expiry = req.arg("oe") or ""
        signature = req.arg("oh") or ""
        if not hmac.compare_digest(signature, self._sign(req.path, expiry)):
            return Response(403, b"Bad URL hash", "text/plain", api=False)
        try:
            expired = int(expiry, 16) < time.time()
        except ValueError:
            expired = True
        if expired:
            return Response(403, b"URL signature expired", "text/plain", api=False)
        found = find_media(req.site.world, req.state, req.params["media"])
        if found is None:
            return Response(404, b"Not Found", "text/plain", api=False)
        asset = LIBRARY.get(found[1].asset)
        original = req.params["style"] == "o"
        data = asset.original if original or asset.spec.fmt == "mp3" else asset.small
        mime = MIME[asset.spec.fmt] if original else (
            "image/png" if asset.spec.fmt == "png" else "image/jpeg")
        return Response(200, data, mime, [("Cache-Control", "max-age=1209600, no-transform"),
                                          ("Access-Control-Allow-Origin", "*")],
                        api=False, compressible=False)


# ----- ground truth --------------------------------------------------------------------------

def media_post(world: World, t: int) -> bool:
    """True when post thread ``t`` carries pictures or video (what Instagram can show)."""
    sk = world.skeleton(t)
    return sk.kind == "post" and sk.n_media > 0 and sk.media_kind not in (MEDIA_NONE,
                                                                             MEDIA_AUDIO)


@lru_cache(maxsize=16)
def hidden_comment_ids(world: World, state: State) -> frozenset[str]:
    """Comments the Pages have hidden in ``state``: every planted abusive comment (both
    states) and, in "later", two more residents' comments on each official account's
    picture posts, comments that exist in both states (hidden between two captures)."""
    hidden = {world.status_id(t, slot) for (t, slot), kind in world.plan.hostile.items()
              if not kind.startswith("raw_html") and world.exists(t, slot, state)}
    if state == "later":
        hidden.update(_hidden_later(world))
    return frozenset(hidden)


def _hidden_later(world: World) -> list[str]:
    chosen: list[str] = []
    posts = world.structure.posts
    start = mix(world.key, 97) % max(1, posts)
    planted = set(world.plan.hostile) | set(world.plan.pii)
    for owner in (0, 1):
        found = 0
        for step in range(posts):
            t = (start + step) % posts
            sk = world.skeleton(t)
            if sk.author != owner or not media_post(world, t) or sk.vis >= 2 \
                    or t in world.plan.removed_posts:
                continue
            shape = world.shape(t)
            for slot in range(1, sk.k + 1):
                if (shape.authors[slot] >= 2 and shape.vis[slot] < 2
                        and (t, slot) not in planted and world.exists(t, slot, "initial")
                        and world.exists(t, slot, "later")):
                    chosen.append(world.status_id(t, slot))
                    found += 1
                    break
            if found >= 2:
                break
    return chosen


# ----- inbox ---------------------------------------------------------------------------------

class Inbox:
    """The world's direct conversations of the official accounts as Page (``style``
    "facebook": ``t_…`` threads, ``m_…`` messages, people with name and email) or Instagram
    (base64 ids, people with username) inbox threads. Threads are newest first, messages
    newest first, as Graph lists them."""

    def __init__(self, style: str) -> None:
        self.style = style
        self._threads: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    def thread_id(self, world: World, conversation: int) -> str:
        """The platform id of world conversation ``conversation``."""
        if self.style == "facebook":
            return f"t_{10**14 + mix(world.key, 83, conversation) % (9 * 10**14)}"
        return _b64(f"ig_thread:{mix(world.key, 83, conversation) % 10**17}")

    def message_id(self, item: Item) -> str:
        """The platform id of a direct message."""
        return ("m_" if self.style == "facebook" else "") + _b64(
            f"{'m' if self.style == 'facebook' else 'ig_dm_item'}:{item.id}")

    def conversation_of(self, world: World, thread_id: str) -> int | None:
        """The world conversation behind ``thread_id``, or None."""
        key = (id(world), thread_id)
        with self._lock:
            if not self._threads or next(iter(self._threads))[0] != id(world):
                self._threads = {(id(world), self.thread_id(world, c)): c
                                 for c in range(world.structure.conversations)}
            return self._threads.get(key)

    def message_of(self, world: World, state: State, message_id: str) -> Item | None:
        """The existing message behind ``message_id`` in ``state``, or None."""
        text = message_id.removeprefix("m_") if self.style == "facebook" else message_id
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        item = world.item(decoded.rpartition(":")[2], state)
        return item if item is not None and item.kind == "message" else None

    def threads(self, world: World, state: State, account_index: int,
                user_id: str | None = None) -> list[tuple[int, list[Item]]]:
        """(conversation, its existing messages oldest first) for every conversation of the
        official account, most recently updated first; only those with ``user_id``."""
        out = []
        for c in range(world.structure.conversations):
            cs = world.conversation(c)
            if cs.city != account_index:
                continue
            people = [world.account_at(i).id for i in cs.residents]
            if user_id is not None and user_id not in people:
                continue
            messages = [world.item_at(cs.thread, j, state) for j in range(cs.k)
                        if world.exists(cs.thread, j, state)]
            if messages:
                out.append((c, messages))
        out.sort(key=lambda entry: entry[1][-1].created_at, reverse=True)
        return out

    def conversation_node(self, world: World, state: State, conversation: int,
                          page_id: str) -> Node:
        """One thread as a Conversation node (Instagram's has fewer fields)."""
        cs = world.conversation(conversation)
        messages = [world.item_at(cs.thread, j, state) for j in range(cs.k)
                    if world.exists(cs.thread, j, state)]
        people = [self.person(world, i) for i in (*cs.residents, cs.city)]
        last = messages[-1] if messages else None
        thread_id = self.thread_id(world, conversation)
        values: dict[str, Any] = {
            "id": thread_id, "updated_time": graph_time(last.created_at) if last else None,
            "participants": {"data": people},
            "messages": lambda f: inline_edge([self.message_node(world, m)
                                               for m in reversed(messages)], f, {}),
        }
        if self.style == "facebook":
            values.update({
                "link": f"/{page_id}/inbox/{conversation + 1}/", "message_count": len(messages),
                "unread_count": 0, "snippet": plain(last.text)[:100] if last else None,
                "senders": {"data": people}, "can_reply": True, "is_subscribed": True,
                "former_participants": {"data": []}, "scoped_thread_key": thread_id})
        return Node("Conversation", values, default=("id", "updated_time", "link")
                    if self.style == "facebook" else ("id",))

    def message_node(self, world: World, message: Item) -> Node:
        """One direct message as a Message node."""
        cs = world.conversation(message.conversation or 0)
        author = message.account.index
        others = [i for i in (cs.city, *cs.residents) if i != author]
        values: dict[str, Any] = {
            "id": self.message_id(message), "created_time": graph_time(message.created_at),
            "from": self.person(world, author),
            "to": {"data": [self.person(world, i) for i in others]},
            "message": plain(message.text), "attachments": None, "shares": None}
        if self.style == "facebook":
            tags = [{"name": "inbox"}, {"name": "source:web"}]
            if author == cs.city:
                tags[1:1] = [{"name": "read"}, {"name": "sent"}]
            values.update({"tags": {"data": tags}, "sticker": None})
        else:
            values.update({"story": None, "is_unsupported": None})
        return Node("Message", values, default=("id", "created_time"))

    def person(self, world: World, index: int) -> dict[str, str]:
        """A participant as this inbox shows people."""
        account = world.account_at(index)
        if self.style == "facebook":
            return {"name": account.display_name, "email": f"{account.id}@facebook.com",
                    "id": account.id}
        return {"username": account.username, "id": account.id}


def plain(text: str) -> str:
    """A direct message's text without the leading ``@mentions`` of its participants
    (inbox messages address nobody)."""
    return _LEADING_MENTIONS.sub("", text).strip()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
