"""The sample world as Instagram professional accounts (Instagram Graph API, served under
``/instagram/v<version>/…``, as a proxy for ``graph.instagram.com`` would).

The city and the mayor's office are professional accounts (ids ``1784…`` derived from their
world ids, usernames ``lakeside`` and ``mayor``); the server's tokens act for them (see
``meta.MetaAccess``). Only posts with pictures or video appear (Instagram has no text-only
posts): one picture is an ``IMAGE``, several a ``CAROUSEL_ALBUM`` with ``children``, a
video a ``VIDEO`` reel. Routes:

- ``/debug_token``; ``/{ig-user-id}`` (or ``me``)
- ``/{ig-user-id}/media`` (newest first), ``/{ig-user-id}/stories`` (media of the last
  24 hours), ``/{ig-user-id}/conversations?platform=instagram`` (with
  ``instagram_manage_messages``)
- ``/{media-id}``, ``/{media-id}/children``, ``/{media-id}/comments`` (top-level comments
  with one level of ``replies``: deeper replies answer their top-level comment; at most
  ``inline_replies`` (10) are listed inline, with ``paging.next`` to the rest)
- ``/{comment-id}``, ``/{comment-id}/replies``; ``/{conversation-id}/messages``,
  ``/{message-id}``
- files under ``/igcdn/`` (signed, expiring: ``media_url`` must be fetched promptly)

Hidden comments (``meta.hidden_comment_ids``) are returned with ``hidden: true``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from civicrecords.archiver.sample.graph import (
    VERSION,
    Field,
    Node,
    answer,
    edge_page,
    graph_error,
    graph_time,
    inline_edge,
    missing_object,
    nonexisting_field,
    project,
    server_error,
    throttle_response,
    usage_headers,
)
from civicrecords.archiver.sample.ids import to_datetime
from civicrecords.archiver.sample.meta import (
    Caller,
    CdnFiles,
    Inbox,
    MetaAccess,
    hidden_comment_ids,
    media_post,
)
from civicrecords.archiver.sample.model import Account, Item
from civicrecords.archiver.sample.routing import Request, Response, Route

PREFIX = "/instagram"
NO_MESSAGING = "(#10) Application does not have permission for this action"
STORY_HOURS = 24
Listing = tuple[list[Any], Callable[[Any], Node]]


def ig_user_id(account: Account) -> str:
    """The Instagram user id of an official account."""
    return f"1784{account.id[-13:]}"


class InstagramPlatform:
    """Renders the official accounts as Instagram professional accounts."""

    name = "instagram"

    def __init__(self, access: MetaAccess | None = None) -> None:
        self.access = access or MetaAccess()
        self.cdn = CdnFiles("igcdn", self.access)
        self.inbox = Inbox("instagram")
        self.throttle_code = 80002
        self.inline_replies = 10  # replies listed inside a comment; the rest via /replies

    def routes(self) -> list[Route]:
        """Every route, most specific first."""
        base = f"{PREFIX}{VERSION}"
        return [
            Route("GET", rf"{base}/debug_token", self.debug_token, "instagram.debug_token"),
            Route("GET", rf"{base}/(?P<node>[^/]+)", self.node, "instagram.node"),
            Route("GET", rf"{base}/(?P<node>[^/]+)/(?P<edge>[a-z_]+)", self.edge,
                  "instagram.edge"),
        ]

    def rate_headers(self, limit: int, remaining: int, reset: float) -> list[tuple[str, str]]:
        """Usage headers (Instagram reports business-use-case usage)."""
        percent = min(100, round(100 * (limit - remaining) / max(1, limit)))
        if remaining <= 0:  # a throttled answer says itself when access returns
            return usage_headers(100, "", "")[:1]
        return usage_headers(percent, "17841400455970028", "instagram")

    def error_response(self, status: int, retry_after: int) -> Response | None:
        """Throttling as Instagram's 80002 (or ``throttle_code``); Graph's 500/503."""
        if status == 429:
            return throttle_response(self.throttle_code, retry_after, "17841400455970028",
                                     "instagram")
        return server_error(status)

    # -- entry points ----------------------------------------------------------------------

    def _caller(self, req: Request) -> tuple[Caller, Account] | Response:
        caller = self.access.caller(req)
        if isinstance(caller, Response):
            return caller
        account = req.site.world.account(caller.username)
        if account is None or account.index > 1:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        return caller, account

    def debug_token(self, req: Request) -> Response:
        """GET /debug_token."""
        found = self._caller(req)
        if isinstance(found, Response):
            return found
        return self.access.debug_token(req, ig_user_id(found[1]))

    def node(self, req: Request) -> Response:
        """GET /{id}."""
        found = self._caller(req)
        if isinstance(found, Response):
            return found
        node = self._resolve(req, found, req.params["node"])
        if isinstance(node, Response):
            return node
        return answer(req, lambda fields: project(node, fields))

    def edge(self, req: Request) -> Response:
        """GET /{id}/{edge}."""
        found = self._caller(req)
        if isinstance(found, Response):
            return found
        node = self._resolve(req, found, req.params["node"])
        if isinstance(node, Response):
            return node
        listed = self._list_edge(req, found, node, req.params["edge"])
        if listed is None:
            return nonexisting_field(req.params["edge"], node.type)
        if isinstance(listed, Response):
            return listed
        entries, make = listed
        return answer(req, lambda fields: edge_page(
            req, entries, lambda entry: project(make(entry), fields)))

    # -- resolving ---------------------------------------------------------------------------

    def _resolve(self, req: Request, who: tuple[Caller, Account], object_id: str
                 ) -> Node | Response:
        caller, owner = who
        world = req.site.world
        if object_id in self.access.restricted:
            return graph_error(403, 10, NO_MESSAGING)
        if object_id in ("me", ig_user_id(owner)):
            return self._user_node(req, owner)
        if object_id in (ig_user_id(world.city), ig_user_id(world.mayor)):
            return graph_error(403, 10, NO_MESSAGING)
        if object_id.isdigit():
            item = world.item(object_id, req.state)
            post = self._post(req, owner, item.root_id) if item is not None else None
            if item is not None and post is not None and item.slot == 0:
                return self._media_node(req, post)
            if item is not None and post is not None and item.kind == "comment":
                return self._comment_node(req, item, post)
        elif (conversation := self.inbox.conversation_of(world, object_id)) is not None:
            if world.conversation(conversation).city == owner.index:
                return self.inbox.conversation_node(world, req.state, conversation,
                                                    ig_user_id(owner))
        else:
            message = self.inbox.message_of(world, req.state, object_id)
            if message is not None and message.conversation is not None and \
                    world.conversation(message.conversation).city == owner.index:
                if "instagram_manage_messages" not in caller.scopes:
                    return graph_error(403, 10, NO_MESSAGING)
                return self.inbox.message_node(world, message)
        return missing_object(object_id)

    def _post(self, req: Request, owner: Account, status_id: str) -> Item | None:
        item = req.site.world.item(status_id, req.state)
        if item is None or item.kind != "post" or item.account.index != owner.index \
                or item.visibility not in ("public", "unlisted") \
                or not media_post(req.site.world, item.thread):
            return None
        return item

    # -- nodes -----------------------------------------------------------------------------

    def _user_node(self, req: Request, account: Account) -> Node:
        world = req.site.world
        media = sum(1 for p in world.posts(account, req.state)
                    if self._post(req, account, p.id) is not None)
        values = {"id": ig_user_id(account), "ig_id": int(account.id[-10:]),
                  "username": account.username, "name": account.display_name,
                  "biography": account.note, "followers_count": account.followers_count,
                  "follows_count": account.following_count, "media_count": media,
                  "website": dict(account.fields).get("Website"),
                  "profile_picture_url": None}
        return Node("User", values, default=("id",))

    def _media_node(self, req: Request, post: Item, story: bool = False) -> Node:
        media = [m for m in post.media if m.kind != "audio"]
        video = media[0].kind in ("video", "gifv")
        kind = "CAROUSEL_ALBUM" if len(media) > 1 else "VIDEO" if video else "IMAGE"
        code = _shortcode(post.id)
        comments = self._comments_of(req, post)
        values: dict[str, Any] = {
            "id": post.id, "ig_id": str(int(post.id) >> 8), "caption": post.text or None,
            "media_type": kind, "media_product_type": "STORY" if story else "REELS" if video
            else "FEED",
            "media_url": self.cdn.url(req, media[0], "o"),
            "thumbnail_url": self.cdn.url(req, media[0], "s") if video else None,
            "alt_text": media[0].description if len(media) == 1 else None,
            "permalink": (f"https://www.instagram.com/stories/{post.account.username}/{post.id}"
                          if story else f"https://www.instagram.com/p/{code}/"),
            "shortcode": code, "timestamp": graph_time(post.created_at),
            "username": post.account.username,
            "owner": {"id": ig_user_id(post.account)},
            "like_count": post.favourites_count, "comments_count": len(comments),
            "is_comment_enabled": True,
            "children": lambda f: {"data": self._children(req, post)} if len(media) > 1
            else None,
            "comments": lambda f: inline_edge([self._comment_node(req, c, post)
                                               for c, top in comments if top is None], f, {}),
        }
        return Node("Media", values, default=("id",))

    def _children(self, req: Request, post: Item) -> list[Node]:
        return [Node("Media", {
            "id": m.id, "media_type": "VIDEO" if m.kind in ("video", "gifv") else "IMAGE",
            "media_url": self.cdn.url(req, m, "o"),
            "thumbnail_url": self.cdn.url(req, m, "s") if m.kind in ("video", "gifv")
            else None, "alt_text": m.description,
            "permalink": f"https://www.instagram.com/p/{_shortcode(post.id)}/",
            "timestamp": graph_time(post.created_at), "username": post.account.username,
            "owner": {"id": ig_user_id(post.account)}}, default=("id",))
            for m in post.media if m.kind != "audio"]

    def _comments_of(self, req: Request, post: Item) -> list[tuple[Item, Item | None]]:
        """Every comment on ``post``, oldest first, with its top-level comment (None for
        top-level comments themselves)."""
        world = req.site.world
        out = []
        for comment in world.comments_of(post, req.state):
            if comment.id in self.access.restricted:
                continue
            top = comment.slot
            while (up := world.parent(comment.thread, top)) not in (None, 0):
                top = up
            out.append((comment, None if top == comment.slot else
                        world.item_at(comment.thread, top, req.state)))
        out.sort(key=lambda pair: pair[0].created_at)
        return out

    def _comment_node(self, req: Request, comment: Item, post: Item) -> Node:
        world = req.site.world
        top = comment.slot
        while (up := world.parent(comment.thread, top)) not in (None, 0):
            top = up
        parent = None if top == comment.slot else world.item_at(comment.thread, top, req.state)
        replies = [] if parent else [c for c, t in self._comments_of(req, post)
                                     if t is not None and t.id == comment.id]
        author = comment.account
        values: dict[str, Any] = {
            "id": comment.id, "text": comment.text, "timestamp": graph_time(comment.created_at),
            "username": author.username,
            "from": {"id": author.id, "username": author.username},
            "user": {"id": ig_user_id(author)} if author.index == post.account.index else None,
            "hidden": comment.id in hidden_comment_ids(world, req.state),
            "like_count": comment.favourites_count,
            "parent_id": parent.id if parent else None,
            "media": {"id": post.id, "media_product_type": "FEED"},
            "replies": lambda f: inline_edge(
                [self._comment_node(req, c, post) for c in replies], f, {},
                default_limit=self.inline_replies,
                more=_replies_url(req, comment.id, self.inline_replies))
            if replies or parent is None else None,
        }
        return Node("Comment", values, default=("id", "text", "timestamp"))

    # -- edges -----------------------------------------------------------------------------

    def _list_edge(self, req: Request, who: tuple[Caller, Account], node: Node,
                   name: str) -> Listing | Response | None:
        caller, owner = who
        world = req.site.world
        if node.type == "User" and name in ("media", "stories"):
            posts = [p for p in world.posts(owner, req.state)
                     if self._post(req, owner, p.id) is not None]
            if name == "stories":
                now = to_datetime(world.now(req.state) * 1000)
                posts = [p for p in posts
                         if now - p.created_at < timedelta(hours=STORY_HOURS)]
            return posts, lambda post: self._media_node(req, post, story=name == "stories")
        if node.type == "User" and name == "conversations":
            if "instagram_manage_messages" not in caller.scopes:
                return graph_error(403, 10, NO_MESSAGING)
            threads = self.inbox.threads(world, req.state, owner.index,
                                         req.arg("user_id"))
            return [c for c, _m in threads], lambda c: self.inbox.conversation_node(
                world, req.state, c, ig_user_id(owner))
        if node.type == "Media" and name in ("comments", "children"):
            edge = node.values[name](Field(name, {"limit": "100000"}))
            return (edge or {"data": []})["data"], _same
        if node.type == "Comment" and name == "replies":
            edge = node.values["replies"](Field(name, {"limit": "100000"}))
            return (edge or {"data": []})["data"], _same
        if node.type == "Conversation" and name == "messages":
            return node.values["messages"](Field(name, {"limit": "100000"}))["data"], _same
        return None


def _replies_url(req: Request, comment_id: str, limit: int) -> str:
    """The ``/replies`` edge of a comment as Graph echoes it (token included)."""
    version = req.params.get("version", "21.0")
    token = req.arg("access_token") or ""
    return (f"https://graph.facebook.com/v{version}/{comment_id}/replies?"
            f"access_token={token}&limit={limit}")


def _same(node: Node) -> Node:
    return node


def _shortcode(status_id: str) -> str:
    return base64.urlsafe_b64encode(int(status_id).to_bytes(8, "big")).decode().rstrip("=")

