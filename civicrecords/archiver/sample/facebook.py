"""The sample world as Facebook Pages on the Graph API (``/v<version>/…``, any version).

The city and the mayor's office are Pages (ids are their world account ids, usernames
``lakeside`` and ``mayor``); the server's tokens act as their Page tokens (see
``meta.MetaAccess``). Routes:

- ``/debug_token``; ``/{page-id}`` (or the Page's username, or ``me``)
- ``/{page-id}/feed`` and ``/posts``: the Page's public posts newest first, reblogs as shared
  posts, attachments (photo, album with ``subattachments``, ``video_inline`` with its
  ``source``, link ``share``), reaction and comment summaries through field expansion
- ``/{post-id}`` (``<page id>_<status id>``) and ``/{post-id}/comments`` with
  ``filter=toplevel|stream``, ``order``, ``summary``; Facebook has two levels, so a reply to
  a reply answers the top-level comment (``parent``)
- ``/{comment-id}`` (``<status id>_<status id>``) and its ``/comments`` (replies)
- ``/{photo-id}``, ``/{video-id}``: attachment nodes with full-size files on the CDN
- ``/{page-id}/conversations?platform=messenger[&user_id=]`` and
  ``/{conversation-id}/messages``, ``/{message-id}``: only with ``pages_messaging``
- files under ``/fbcdn/`` (signed, expiring)

Comments hidden by the Page (``meta.hidden_comment_ids``) are returned with
``is_hidden: true``; deleted objects answer 100/33; objects ``MetaAccess.restrict``-ed answer
(#10). ``updated_time`` moves with every new comment, as on Facebook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
from civicrecords.archiver.sample.media import LIBRARY
from civicrecords.archiver.sample.meta import (
    APP_ID,
    Caller,
    CdnFiles,
    Inbox,
    MetaAccess,
    find_media,
    hidden_comment_ids,
)
from civicrecords.archiver.sample.model import Account, Item, Media
from civicrecords.archiver.sample.routing import Request, Response, Route

WWW = "https://www.facebook.com"  # permalinks point where people would look
REACTIONS = ("LIKE", "LOVE", "CARE", "WOW", "HAHA", "SAD", "ANGRY")
NO_PERMISSION = ("(#10) This endpoint requires the 'pages_read_engagement' permission or the "
                 "'Page Public Content Access' feature.")
NO_MESSAGING = "(#230) Requires pages_messaging permission to manage the object"
_MENTION = re.compile(r"@([A-Za-z0-9_]+(?:@[A-Za-z0-9.\-]+)?)")
Listing = tuple[list[Any], Callable[[Any], Node], dict[str, Any] | None]


@dataclass
class _Ctx:
    req: Request
    caller: Caller
    page: Account  # the Page the token acts for
    comments: dict[str, list[tuple[Item, Item | None]]] = field(default_factory=dict)

    @property
    def world(self) -> Any:
        return self.req.site.world


class FacebookPlatform:
    """Renders the world as Facebook Pages. Register it on a ``SamplePlatform``."""

    name = "facebook"

    def __init__(self, access: MetaAccess | None = None) -> None:
        self.access = access or MetaAccess()
        self.cdn = CdnFiles("fbcdn", self.access)
        self.inbox = Inbox("facebook")
        self.throttle_code = 80001

    def routes(self) -> list[Route]:
        """Every route, most specific first."""
        return [
            Route("GET", rf"{VERSION}/debug_token", self.debug_token, "facebook.debug_token"),
            Route("GET", rf"{VERSION}/(?P<node>[^/]+)", self.node, "facebook.node"),
            Route("GET", rf"{VERSION}/(?P<node>[^/]+)/(?P<edge>[a-z_]+)", self.edge,
                  "facebook.edge"),
        ]

    # -- the server's hooks: Graph's throttling dialect ----------------------------------------

    def rate_headers(self, limit: int, remaining: int, reset: float) -> list[tuple[str, str]]:
        """Usage headers: the share of the request budget used, as Graph reports it."""
        percent = min(100, round(100 * (limit - remaining) / max(1, limit)))
        if remaining <= 0:  # a throttled answer says itself when access returns
            return usage_headers(100, "", "")[:1]
        return usage_headers(percent, APP_ID, "pages")

    def error_response(self, status: int, retry_after: int) -> Response | None:
        """Throttling (429) as ``throttle_code``'s 400 body; 500/503 as Graph's transient
        errors."""
        if status == 429:
            return throttle_response(self.throttle_code, retry_after, APP_ID, "pages")
        return server_error(status)

    # -- entry points ----------------------------------------------------------------------

    def _context(self, req: Request) -> _Ctx | Response:
        caller = self.access.caller(req)
        if isinstance(caller, Response):
            return caller
        page = req.site.world.account(caller.username)
        if page is None or page.index > 1:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        return _Ctx(req, caller, page)

    def debug_token(self, req: Request) -> Response:
        """GET /debug_token?input_token=..."""
        ctx = self._context(req)
        if isinstance(ctx, Response):
            return ctx
        return self.access.debug_token(req, ctx.page.id)

    def node(self, req: Request) -> Response:
        """GET /{id}: any node, with field expansion."""
        ctx = self._context(req)
        if isinstance(ctx, Response):
            return ctx
        found = self._resolve(ctx, req.params["node"])
        if isinstance(found, Response):
            return found
        return answer(req, lambda fields: project(found, fields))

    def edge(self, req: Request) -> Response:
        """GET /{id}/{edge}."""
        ctx = self._context(req)
        if isinstance(ctx, Response):
            return ctx
        found = self._resolve(ctx, req.params["node"])
        if isinstance(found, Response):
            return found
        name = req.params["edge"]
        listed = self._list_edge(ctx, found, name)
        if listed is None:
            return nonexisting_field(name, found.type)
        if isinstance(listed, Response):
            return listed
        entries, make, summary = listed
        return answer(req, lambda fields: edge_page(
            req, entries, lambda entry: project(make(entry), fields), summary=summary))

    # -- resolving ids ---------------------------------------------------------------------

    def _resolve(self, ctx: _Ctx, object_id: str) -> Node | Response:
        world = ctx.world
        if object_id in self.access.restricted:
            return graph_error(403, 10, NO_PERMISSION)
        page = ctx.page if object_id == "me" else _page(world, object_id)
        if page is not None:
            return self._page_node(ctx, page)
        if object_id.startswith("t_"):
            conversation = self.inbox.conversation_of(world, object_id)
            if conversation is not None and world.conversation(conversation).city == \
                    ctx.page.index:
                return self.inbox.conversation_node(ctx.world, ctx.req.state, conversation,
                                                    ctx.page.id)
        elif object_id.startswith("m_"):
            message = self.inbox.message_of(world, ctx.req.state, object_id)
            if message is not None and message.conversation is not None and \
                    world.conversation(message.conversation).city == ctx.page.index:
                if "pages_messaging" not in ctx.caller.scopes:
                    return graph_error(403, 230, NO_MESSAGING)
                return self.inbox.message_node(ctx.world, message)
        elif "_" in object_id:
            left, _, right = object_id.partition("_")
            owner = _page(world, left)
            if owner is not None:
                post = self._post(ctx, right)
                if post is not None and post.account.index != ctx.page.index:
                    return graph_error(403, 10, NO_PERMISSION)
                if post is not None and owner.index == ctx.page.index:
                    return self._post_node(ctx, post)
            else:
                comment = self._comment(ctx, left, right)
                if comment is not None:
                    return self._comment_node(ctx, comment[0], comment[1])
        elif object_id.isdigit():
            found = find_media(world, ctx.req.state, object_id)
            root = self._post(ctx, found[0].root_id) if found is not None else None
            if found is not None and root is not None and root.account.index == \
                    ctx.page.index and found[1].kind != "audio":
                return self._media_node(ctx, found[0], found[1])
        return missing_object(object_id)

    def _post(self, ctx: _Ctx, status_id: str) -> Item | None:
        """A post the caller's Page shows on Facebook, or None."""
        item = ctx.world.item(status_id, ctx.req.state)
        if item is None or item.kind not in ("post", "reblog") or item.slot != 0 \
                or item.visibility not in ("public", "unlisted") or item.account.index > 1:
            return None
        return item

    def _comment(self, ctx: _Ctx, post_sid: str, comment_sid: str) -> tuple[Item, Item] | None:
        post = self._post(ctx, post_sid)
        comment = ctx.world.item(comment_sid, ctx.req.state)
        if post is None or comment is None or comment.kind != "comment" \
                or comment.root_id != post.id or post.account.index != ctx.page.index:
            return None
        return comment, post

    # -- nodes -----------------------------------------------------------------------------

    def _page_node(self, ctx: _Ctx, page: Account) -> Node:
        values: dict[str, Any] = {
            "id": page.id, "name": page.display_name, "username": page.username,
            "link": f"{WWW}/{page.username}", "category": "Government organization",
            "category_list": [{"id": "2235", "name": "Government organization"}],
            "about": page.note, "followers_count": page.followers_count,
            "fan_count": page.followers_count, "verification_status": "blue_verified",
            "website": dict(page.fields).get("Website"),
            "instagram_business_account": {"id": f"1784{page.id[-13:]}"},
        }
        return Node("Page", values, default=("name", "id"))

    def _post_node(self, ctx: _Ctx, post: Item) -> Node:
        world, state = ctx.world, ctx.req.state
        page = post.account
        post_id = f"{page.id}_{post.id}"
        shown = post
        original = world.item(post.reblog_of, state) if post.reblog_of else None
        comments = self._comments_of(ctx, post)
        times = [post.created_at, post.edited_at] + [c.created_at for c, _ in comments]
        attachments = self._attachments(ctx, shown, original)
        media = [m for m in shown.media if m.kind != "audio"]
        values: dict[str, Any] = {
            "id": post_id, "message": shown.text or None,
            "story": f"{page.display_name} shared a post." if original else None,
            "created_time": graph_time(post.created_at),
            "updated_time": graph_time(max(t for t in times if t is not None)),
            "permalink_url": f"{WWW}/{page.username}/posts/{post.id}",
            "status_type": _status_type(shown, original), "is_hidden": False,
            "is_published": True,
            "privacy": {"value": "EVERYONE", "description": "Public", "friends": "",
                        "allow": "", "deny": ""},
            "from": Node("Page", {"id": page.id, "name": page.display_name},
                         default=("name", "id")),
            "message_tags": _message_tags(world, shown.text) or None,
            "parent_id": f"{original.account.id}_{original.id}" if original else None,
            "shares": {"count": post.reblogs_count} if post.reblogs_count else None,
            "full_picture": self.cdn.url(ctx.req, media[0], "s") if media else None,
            "attachments": {"data": attachments} if attachments else None,
            "comments": lambda f: inline_edge(self._comment_nodes(ctx, post, f), f,
                                              self._summary(ctx, post, f)),
            "reactions": lambda f: _reactions(world, post, f),
            "likes": lambda f: _reactions(world, post, Field("likes", {**f.params,
                                                                       "type": "LIKE"})),
        }
        return Node("Post", values, default=("created_time", "message", "story", "id"))

    def _attachments(self, ctx: _Ctx, post: Item, original: Item | None) -> list[dict[str, Any]]:
        if original is not None:
            link = f"{WWW}/{original.account.username}/posts/{original.id}"
            return [{"type": "share", "media_type": "link", "url": link, "unshimmed_url": link,
                     "title": original.text[:80], "target": {"id": f"{original.account.id}_"
                                                                  f"{original.id}", "url": link}}]
        media = [m for m in post.media if m.kind != "audio"]
        if len(media) == 1:
            return [self._media_attachment(ctx, post, media[0])]
        if media:
            link = f"{WWW}/{post.account.username}/posts/{post.id}"
            first = self._media_attachment(ctx, post, media[0])
            return [{"media": first["media"], "media_type": "album", "type": "album",
                     "title": f"Photos from {post.account.display_name}'s post", "url": link,
                     "unshimmed_url": link, "target": {"id": post.id, "url": link},
                     "subattachments": {"data": [self._media_attachment(ctx, post, m)
                                                 for m in media]}}]
        if post.card is not None:
            return [{"type": "share", "media_type": "link", "unshimmed_url": post.card.url,
                     "url": f"https://l.facebook.com/l.php?u={post.card.url}",
                     "title": post.card.title, "description": post.card.description,
                     "target": {"url": post.card.url}}]
        return []

    def _media_attachment(self, ctx: _Ctx, owner: Item, media: Media) -> dict[str, Any]:
        asset = LIBRARY.get(media.asset)
        width, height = asset.small_size
        video = media.kind in ("video", "gifv")
        kind = "photos" if not video else "videos"
        link = f"{WWW}/{_owner_page(ctx, owner).username}/{kind}/{media.id}"
        preview = {"image": {"height": height, "width": width,
                             "src": self.cdn.url(ctx.req, media, "s")}}
        attachment: dict[str, Any] = {
            "media": preview, "media_type": "video" if video else "photo",
            "type": ("animated_image_video" if media.kind == "gifv" else "video_autoplay")
            if video else "photo",
            "target": {"id": media.id, "url": link}, "url": link, "unshimmed_url": link}
        if media.description:
            attachment["description"] = media.description
        return attachment

    def _media_node(self, ctx: _Ctx, owner: Item, media: Media) -> Node:
        asset = LIBRARY.get(media.asset)
        spec = asset.spec
        link = f"{WWW}/{_owner_page(ctx, owner).username}/photos/{media.id}"
        author = Node("User", {"id": owner.account.id, "name": owner.account.display_name},
                      default=("name", "id"))
        small_w, small_h = asset.small_size
        common: dict[str, Any] = {"id": media.id, "created_time": graph_time(owner.created_at),
                                  "from": author, "picture": self.cdn.url(ctx.req, media, "s")}
        if media.kind in ("video", "gifv"):
            thumbs = {"data": [{"uri": self.cdn.url(ctx.req, media, "s"), "width": small_w,
                                "height": small_h, "scale": 1, "is_preferred": True}]}
            values = {**common, "source": self.cdn.url(ctx.req, media, "o"),
                      "description": media.description, "title": None,
                      "length": round(spec.frames / max(1, spec.fps), 3),
                      "permalink_url": link.replace("/photos/", "/videos/"),
                      "thumbnails": thumbs, "published": True}
            return Node("Video", values, default=("updated_time", "description", "id"))
        values = {**common, "images": [
            {"height": spec.height, "width": spec.width,
             "source": self.cdn.url(ctx.req, media, "o")},
            {"height": small_h, "width": small_w, "source": self.cdn.url(ctx.req, media, "s")}],
            "alt_text": media.description or "No photo description available.",
            "name": media.description, "width": spec.width, "height": spec.height,
            "link": link}
        return Node("Photo", values, default=("created_time", "name", "id"))

    # -- comments ----------------------------------------------------------------------------

    def _comments_of(self, ctx: _Ctx, post: Item) -> list[tuple[Item, Item | None]]:
        """Every comment on ``post`` the app may read, oldest first, with the top-level
        comment it belongs under (None for top-level comments)."""
        cached = ctx.comments.get(post.id)
        if cached is not None:
            return cached
        world = ctx.world
        out = []
        for comment in world.comments_of(post, ctx.req.state):
            if f"{post.id}_{comment.id}" in self.access.restricted:
                continue
            top = comment.slot
            while (up := world.parent(comment.thread, top)) not in (None, 0):
                top = up
            parent = None if top == comment.slot else world.item_at(comment.thread, top,
                                                                     ctx.req.state)
            out.append((comment, parent))
        out.sort(key=lambda pair: pair[0].created_at)
        ctx.comments[post.id] = out
        return out

    def _comment_nodes(self, ctx: _Ctx, post: Item, wanted: Field) -> list[Node]:
        stream = wanted.params.get("filter") == "stream"
        return [self._comment_node(ctx, comment, post, parent)
                for comment, parent in self._comments_of(ctx, post)
                if stream or parent is None]

    def _summary(self, ctx: _Ctx, post: Item, wanted: Field | None) -> dict[str, Any]:
        total = len(self._comments_of(ctx, post))
        order = (wanted.params.get("order") if wanted else None) or "chronological"
        return {"order": order, "total_count": total, "can_comment": True}

    def _comment_node(self, ctx: _Ctx, comment: Item, post: Item,
                      parent: Item | None = None) -> Node:
        world, state = ctx.world, ctx.req.state
        if parent is None and world.parent(comment.thread, comment.slot) not in (None, 0):
            top = comment.slot
            while (up := world.parent(comment.thread, top)) not in (None, 0):
                top = up
            parent = world.item_at(comment.thread, top, state)
        hidden = comment.id in hidden_comment_ids(world, state)
        by_page = comment.account.index == post.account.index
        link = f"{WWW}/{post.account.username}/posts/{post.id}?comment_id=" + (
            f"{parent.id}&reply_comment_id={comment.id}" if parent else comment.id)
        replies = [] if parent else [c for c, p in self._comments_of(ctx, post)
                                     if p is not None and p.id == comment.id]
        author = Node("User", {"id": comment.account.id, "name": comment.account.display_name},
                      default=("name", "id"))
        photo = [m for m in comment.media if m.kind == "image"]
        values: dict[str, Any] = {
            "id": f"{post.id}_{comment.id}", "message": comment.text,
            "created_time": graph_time(comment.created_at), "from": author,
            "parent": Node("Comment", {"id": f"{post.id}_{parent.id}", "message": parent.text,
                                       "created_time": graph_time(parent.created_at)},
                           default=("created_time", "message", "id")) if parent else None,
            "attachment": self._media_attachment(ctx, comment, photo[0]) if photo else None,
            "is_hidden": hidden, "can_hide": not by_page, "can_remove": True,
            "is_private": False, "can_reply_privately": not by_page and not hidden,
            "comment_count": len(replies), "like_count": comment.favourites_count,
            "permalink_url": link, "message_tags": _message_tags(world, comment.text) or None,
            "comments": lambda f: inline_edge([self._comment_node(ctx, c, post, comment)
                                               for c in replies], f,
                                              {"order": "chronological",
                                               "total_count": len(replies),
                                               "can_comment": True}),
            "reactions": lambda f: _reactions(world, comment, f),
        }
        return Node("Comment", values, default=("created_time", "from", "message", "id"))

    # -- edges -----------------------------------------------------------------------------

    def _list_edge(self, ctx: _Ctx, node: Node, name: str) -> Listing | Response | None:
        """The entries of edge ``name`` of ``node``, how to make each a node, and the edge's
        summary; None when the node type has no such edge."""
        req = ctx.req
        if node.type == "Page" and name in ("feed", "posts"):
            page = _page(ctx.world, str(node.values["id"]))
            if page is None or page.index != ctx.page.index:
                return graph_error(403, 10, NO_PERMISSION)
            posts = [p for p in ctx.world.posts(page, req.state)
                     if self._post(ctx, p.id) is not None
                     and f"{page.id}_{p.id}" not in self.access.restricted]
            return posts, lambda post: self._post_node(ctx, post), None
        if node.type == "Page" and name == "conversations":
            return self._conversations(ctx)
        if node.type == "Post" and name == "comments":
            post = self._post(ctx, str(node.values["id"]).partition("_")[2])
            assert post is not None
            wanted = Field("comments", {"filter": req.arg("filter") or "toplevel",
                                        "order": req.arg("order") or "chronological"})
            return (self._comment_nodes(ctx, post, wanted), _same,
                    self._summary(ctx, post, wanted))
        if node.type in ("Comment", "Conversation") and name in ("comments", "messages") \
                and name in node.values:
            return node.values[name](Field(name, {"limit": "100000"}))["data"], _same, None
        return None

    def _conversations(self, ctx: _Ctx) -> Listing | Response:
        if "pages_messaging" not in ctx.caller.scopes:
            return graph_error(403, 230, NO_MESSAGING)
        threads = self.inbox.threads(ctx.world, ctx.req.state, ctx.page.index,
                                     ctx.req.arg("user_id"))
        return ([c for c, _messages in threads],
                lambda c: self.inbox.conversation_node(ctx.world, ctx.req.state, c, ctx.page.id),
                None)


def _same(node: Node) -> Node:
    return node


def _page(world: Any, ident: str) -> Account | None:
    """The official account whose Page id or username is ``ident``."""
    for account in (world.city, world.mayor):
        if ident in (account.id, account.username):
            return account
    return None


def _owner_page(ctx: _Ctx, item: Item) -> Account:
    root = ctx.world.item(item.root_id, ctx.req.state)
    return root.account if root is not None and root.account.index < 2 else ctx.page


def _status_type(post: Item, original: Item | None) -> str:
    if original is not None or (post.card and not post.media):
        return "shared_story"
    kinds = {m.kind for m in post.media}
    if kinds & {"video", "gifv"}:
        return "added_video"
    if kinds & {"image"}:
        return "added_photos"
    return "mobile_status_update"


def _message_tags(world: Any, text: str) -> list[dict[str, Any]]:
    tags = []
    for found in _MENTION.finditer(text):
        account = world.account(found.group(1))
        if account is not None:
            tags.append({"id": account.id, "name": account.display_name,
                         "type": "page" if account.index < 2 else "user",
                         "offset": found.start(), "length": found.end() - found.start()})
    return tags


def _reactions(world: Any, item: Item, wanted: Field) -> dict[str, Any]:
    """A reactions edge: no list of people (their names are not the city's record), the
    total, or the total of one ``type``."""
    total = item.favourites_count
    kind = wanted.params.get("type")
    if kind:
        shares = [world.key % 7 + 60, 12, 3, 6, 8, 5, 2]
        weights = dict(zip(REACTIONS, shares, strict=True))
        others = sum(total * weights[k] // 100 for k in REACTIONS[1:])
        count = total - others if kind == "LIKE" else total * weights.get(kind, 0) // 100
    else:
        count = total
    out: dict[str, Any] = {"data": []}
    if wanted.params.get("summary") not in (None, "false", "0"):
        out["summary"] = {"total_count": count, "viewer_reaction": "NONE"}
    return out
