"""The sample world as the YouTube Data API v3 (``/youtube/v3/...``) with thumbnails.

Routes (``GET``; resources in ``youtube_entities``), each needing ``key=`` (an API key: any
site token) and ``part=``:

- ``channels`` (``id=``, ``forHandle=@handle``, ``forUsername=``)
- ``playlistItems`` (``playlistId=UU...``: the channel's public uploads, newest first;
  ``maxResults`` 0-50, default 5; ``pageToken`` like ``CAoQAA``)
- ``videos`` (``id=`` up to 50)
- ``commentThreads`` (``videoId=`` or ``id=``; ``part=snippet,replies``; ``maxResults``
  1-100, default 20; ``order=time|relevance``; ``textFormat=html|plainText``; at most 5
  replies inline, ``totalReplyCount`` says how many there are; 403 ``commentsDisabled`` for
  videos whose comments are off, 404 ``videoNotFound``)
- ``comments`` (``parentId=`` or ``id=``; ``maxResults`` 1-100)
- ``captions`` (``videoId=``; track metadata only: the text needs the owner's OAuth)

Thumbnails and channel pictures are ``youtube_files.YouTubeFiles`` (``files``), registered as
a renderer of their own: a CDN throttles with a plain 429, not the API's JSON 403.

Errors are Google's envelope (``keyInvalid``-style 400 for a bad key, 403 ``forbidden`` without
one, ``invalidPageToken``, ``missingRequiredParameter``...). Quota: every call costs units
(1 for list calls, 50 for ``captions``) from ``quota`` per key (default 10,000, YouTube's
daily allowance); when it is spent every call answers 403 ``quotaExceeded`` until
``reset_quota``. There are no rate-limit headers; throttling is 403 ``rateLimitExceeded``.
``comments_turned_off`` holds video ids whose channel has since turned comments off (their
comments then vanish from the API, as on YouTube).
"""

from __future__ import annotations

import base64
import threading
from typing import Any, Final

from civicrecords.archiver.sample import youtube_entities as ent
from civicrecords.archiver.sample.ids import mix
from civicrecords.archiver.sample.model import Account, Item, State
from civicrecords.archiver.sample.routing import Request, Response, Route
from civicrecords.archiver.sample.world import World
from civicrecords.archiver.sample.youtube_files import YouTubeFiles

DAILY_QUOTA: Final = 10_000
COSTS: Final = {"captions": 50}
INLINE_REPLIES: Final = 5
PARTS: Final = {
    "channels": {"id", "snippet", "contentDetails", "statistics", "status", "brandingSettings",
                 "topicDetails", "localizations"},
    "playlistItems": {"id", "snippet", "contentDetails", "status"},
    "videos": {"id", "snippet", "contentDetails", "statistics", "status", "player",
               "topicDetails", "recordingDetails", "liveStreamingDetails", "localizations"},
    "commentThreads": {"id", "snippet", "replies"},
    "comments": {"id", "snippet"},
    "captions": {"id", "snippet"},
}
QUOTA_MESSAGE: Final = ("The request cannot be completed because you have exceeded your "
                        '<a href="/youtube/v3/getting-started#quota">quota</a>.')


class _Refusal(Exception):
    def __init__(self, status: int, message: str, reason: str, domain: str = "global",
                 location: str | None = None) -> None:
        super().__init__(message)
        self.response = Response.json(ent.error_body(status, message, reason, domain, location),
                                      status)


def _visible(item: Item | None) -> bool:
    return item is not None and item.visibility in ("public", "unlisted")


def page_token(offset: int) -> str:
    """YouTube's list page token for ``offset`` (a protobuf varint, base64)."""
    varint = bytearray()
    value = offset
    while True:
        byte, value = value & 0x7F, value >> 7
        varint.append(byte | (0x80 if value else 0))
        if not value:
            break
    return base64.urlsafe_b64encode(b"\x08" + bytes(varint) + b"\x10\x00").decode().rstrip("=")


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raw = b""
    offset, shift = 0, 0
    for index, byte in enumerate(raw[1:], start=1):
        offset |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if raw[:1] == b"\x08" and raw[index + 1:] == b"\x10\x00" and \
                    page_token(offset) == token:
                return offset
            break
    raise _Refusal(400, "The request specifies an invalid page token.", "invalidPageToken",
                   "youtube.parameter", "pageToken")


class YouTubePlatform:
    """Renders the world as the YouTube Data API v3. Register it on a ``SamplePlatform``."""

    name = "youtube"

    def __init__(self, quota: int = DAILY_QUOTA) -> None:
        self.quota = quota
        self.comments_turned_off: set[str] = set()  # video ids whose channel turned them off
        self.files = YouTubeFiles(self)
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """Every route."""
        api = "/youtube/v3"
        return [
            Route("GET", f"{api}/channels", self.channels, "youtube.channels"),
            Route("GET", f"{api}/playlistItems", self.playlist_items, "youtube.playlistItems"),
            Route("GET", f"{api}/videos", self.videos, "youtube.videos"),
            Route("GET", f"{api}/commentThreads", self.comment_threads,
                  "youtube.commentThreads"),
            Route("GET", f"{api}/comments", self.comments, "youtube.comments"),
            Route("GET", f"{api}/captions", self.captions, "youtube.captions"),
            Route("GET", f"{api}/.*", self.unknown, "youtube.unknown"),
        ]

    # -- the server's dialect hooks --------------------------------------------------------

    @staticmethod
    def rate_headers(limit: int, remaining: int, reset: float) -> list[tuple[str, str]]:
        """YouTube sends no rate-limit headers."""
        return []

    @staticmethod
    def error_response(status: int, retry_after: int) -> Response | None:
        """Throttling is 403 ``rateLimitExceeded``; outages are Google's ``backendError``."""
        if status == 429:
            return Response.json(ent.error_body(403, "Rate Limit Exceeded",
                                                "rateLimitExceeded", "usageLimits"), 403)
        if status in (500, 503):
            message = "Internal error encountered." if status == 500 else \
                "The service is currently unavailable."
            return Response.json(ent.error_body(status, message, "backendError"), status)
        return None

    def reset_quota(self) -> None:
        """Start a new quota day for every key."""
        with self._lock:
            self._used.clear()

    # -- ground truth (what an API key can see) ----------------------------------------------

    @staticmethod
    def uploads(world: World, account: Account, state: State) -> list[Item]:
        """The account's public videos, newest first (its uploads playlist)."""
        return [p for p in world.posts(account, state)
                if p.kind == "post" and p.visibility == "public"]

    @staticmethod
    def video(world: World, vid: str, state: State) -> Item | None:
        """The post that video ``vid`` is, if it exists and may be watched."""
        number = ent.decode_id(vid) if len(vid) == 11 else None
        item = world.item(str(number), state) if number is not None else None
        if item is None or item.kind != "post" or item.account.index > 1 or \
                not _visible(item) or ent.video_id(item) != vid:
            return None
        return item

    def comments_disabled(self, world: World, item: Item) -> bool:
        """Whether the video's comments are turned off: some posts that never had any, and
        the videos listed in ``comments_turned_off``."""
        return ent.video_id(item) in self.comments_turned_off or (
            world.skeleton(item.thread).k == 0 and mix(world.key, 84, item.thread) % 3 == 0)

    @staticmethod
    def top_of(world: World, item: Item) -> int:
        """The slot of the top-level comment whose thread ``item`` belongs to."""
        slot = item.slot
        while (parent := world.parent(item.thread, slot)) not in (0, None):
            slot = parent
        return slot

    def threads(self, world: World, post: Item, state: State) -> list[tuple[Item, list[Item]]]:
        """The video's visible comment threads, newest first: (top-level, replies oldest
        first). Replies under a comment held for review are not visible."""
        t = post.thread
        by_top: dict[int, list[Item]] = {}
        tops: list[Item] = []
        for slot, _depth in world.descendants(t, 0, state):
            item = world.item_at(t, slot, state)
            if world.parent(t, slot) == 0:
                if _visible(item):
                    tops.append(item)
                    by_top[slot] = []
            elif _visible(item):
                top = self.top_of(world, item)
                if top in by_top:
                    by_top[top].append(item)
        tops.sort(key=lambda i: int(i.id), reverse=True)
        return [(top, sorted(by_top[top.slot], key=lambda i: int(i.id))) for top in tops]

    # -- helpers -----------------------------------------------------------------------------

    def _begin(self, req: Request, resource: str) -> set[str]:
        key = req.arg("key")
        if not key:
            raise _Refusal(403, "The request is missing a valid API key.", "forbidden")
        if key not in req.site.tokens:
            raise _Refusal(400, "API key not valid. Please pass a valid API key.", "badRequest")
        cost = COSTS.get(resource, 1)
        with self._lock:
            used = self._used.get(key, 0)
            if used + cost > self.quota:
                raise _Refusal(403, QUOTA_MESSAGE, "quotaExceeded", "youtube.quota")
            self._used[key] = used + cost
        raw = req.arg("part")
        if not raw:
            raise _Refusal(400, "No filter selected. Expected one of: part",
                           "missingRequiredParameter", "youtube.parameter", "part")
        parts = {p.strip() for p in raw.split(",") if p.strip()}
        unknown = sorted(parts - PARTS[resource])
        if unknown:
            raise _Refusal(400, f"'{unknown[0]}'", "unknownPart", "youtube.part", "part")
        return parts

    @staticmethod
    def _count(req: Request, low: int, high: int, default: int) -> int:
        raw = req.arg("maxResults")
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise _Refusal(400, f"Invalid value '{raw}'. Values must be within the range: "
                           f"[{low}, {high}]", "invalid", "global", "maxResults")
        return int(raw)

    @staticmethod
    def _trim(resource: dict[str, Any], parts: set[str]) -> dict[str, Any]:
        return {k: v for k, v in resource.items() if k in ("kind", "etag", "id") or k in parts}

    @staticmethod
    def _list(kind: str, items: list[dict[str, Any]], *, total: int | None = None,
              per_page: int | None = None, next_token: str | None = None,
              prev_token: str | None = None) -> Response:
        body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse",
                                "etag": ent.etag(kind, *(i.get("id") for i in items))}
        if next_token:
            body["nextPageToken"] = next_token
        if prev_token:
            body["prevPageToken"] = prev_token
        if per_page is not None:
            body["pageInfo"] = ({"totalResults": total} if total is not None else {}) | \
                {"resultsPerPage": per_page}
        body["items"] = items
        return Response.json(body)

    @staticmethod
    def _guarded(handler: Any) -> Response:
        try:
            return handler()
        except _Refusal as refused:
            return refused.response

    # -- channels, uploads, videos -----------------------------------------------------------

    def channels(self, req: Request) -> Response:
        """GET channels?id=|forHandle=|forUsername="""
        def answer() -> Response:
            parts = self._begin(req, "channels")
            world = req.site.world
            found: list[Account] = []
            if req.arg("id"):
                found = [a for v in (req.arg("id") or "").split(",")
                         if (a := ent.account_of_channel(world, v.strip())) is not None]
            elif req.arg("forHandle") or req.arg("forUsername"):
                wanted = (req.arg("forHandle") or req.arg("forUsername") or "").lstrip("@")
                found = [a for a in world.accounts()[:2] if ent.handle(a) == wanted.lower()]
            else:
                raise _Refusal(400, "No filter selected. Expected one of: forHandle, id, "
                               "forUsername, mine, managedByMe, categoryId",
                               "missingRequiredParameter", "youtube.parameter")
            items = [self._trim(ent.channel_json(world, req.base_url, a, len(
                self.uploads(world, a, req.state)) if a.index < 2 else 0), parts) for a in found]
            return self._list("channel", items, total=len(items), per_page=5)
        return self._guarded(answer)

    def playlist_items(self, req: Request) -> Response:
        """GET playlistItems?playlistId=UU... (a channel's public uploads, newest first)."""
        def answer() -> Response:
            parts = self._begin(req, "playlistItems")
            world = req.site.world
            playlist = req.arg("playlistId") or ""
            account = ent.account_of_channel(world, playlist) if playlist.startswith("UU") \
                else None
            if account is None:
                raise _Refusal(404, "The playlist identified with the request's "
                               "<code>playlistId</code> parameter cannot be found.",
                               "playlistNotFound", "youtube.playlistItem", "playlistId")
            count = self._count(req, 0, 50, 5)
            offset = _offset(req.arg("pageToken"))
            videos = self.uploads(world, account, req.state) if account.index < 2 else []
            page = videos[offset:offset + count]
            items = []
            for position, item in enumerate(page, start=offset):
                vid = ent.video_id(item)
                resource = {
                    "kind": "youtube#playlistItem", "etag": ent.etag(playlist, vid),
                    "id": base64.urlsafe_b64encode(f"{playlist}.{vid}".encode()).decode(),
                    "snippet": {"publishedAt": ent.stamp(item.created_at),
                                "channelId": ent.channel_id(world, account),
                                "title": ent.title_of(item.text), "description": item.text,
                                "thumbnails": ent.thumbnails(req.base_url, vid),
                                "channelTitle": account.display_name, "playlistId": playlist,
                                "position": position,
                                "resourceId": {"kind": "youtube#video", "videoId": vid},
                                "videoOwnerChannelTitle": account.display_name,
                                "videoOwnerChannelId": ent.channel_id(world, account)},
                    "contentDetails": {"videoId": vid,
                                       "videoPublishedAt": ent.stamp(item.created_at)},
                    "status": {"privacyStatus": item.visibility}}
                items.append(self._trim(resource, parts))
            more = offset + count < len(videos)
            return self._list("playlistItem", items, total=len(videos), per_page=count,
                              next_token=page_token(offset + count) if more else None,
                              prev_token=page_token(max(0, offset - count)) if offset else None)
        return self._guarded(answer)

    def _video_resource(self, world: World, base: str, item: Item, state: State
                        ) -> dict[str, Any]:
        disabled = self.comments_disabled(world, item)
        count = None if disabled else sum(1 + len(replies) for _top, replies in
                                           self.threads(world, item, state))
        return ent.video_json(world, base, item, comments=count,
                              captions=self._has_captions(item))

    @staticmethod
    def _has_captions(item: Item) -> bool:
        return any(m.kind == "video" for m in item.media)

    def videos(self, req: Request) -> Response:
        """GET videos?id=a,b (up to 50)."""
        def answer() -> Response:
            parts = self._begin(req, "videos")
            ids = [v for v in (req.arg("id") or "").split(",") if v]
            if not ids:
                raise _Refusal(400, "No filter selected. Expected one of: myRating, id, chart",
                               "missingRequiredParameter", "youtube.parameter")
            if len(ids) > 50:
                raise _Refusal(400, "The request specifies too many video ids.",
                               "invalidVideoId", "youtube.parameter", "id")
            world = req.site.world
            items = [self._trim(self._video_resource(world, req.base_url, item, req.state),
                                parts)
                     for vid in ids if (item := self.video(world, vid, req.state)) is not None]
            return self._list("video", items, total=len(items), per_page=len(items))
        return self._guarded(answer)

    def captions(self, req: Request) -> Response:
        """GET captions?videoId= (metadata of the video's caption tracks)."""
        def answer() -> Response:
            parts = self._begin(req, "captions")
            item = self.video(req.site.world, req.arg("videoId") or "", req.state)
            if item is None:
                raise _Refusal(404, "The video identified by the <code><a href=\"/youtube/v3/"
                               "docs/captions/list#videoId\">videoId</a></code> parameter "
                               "could not be found.", "videoNotFound", "youtube.video",
                               "videoId")
            tracks = [ent.caption_json(req.site.world, item, kind) for kind in
                      ("standard", "asr")] if self._has_captions(item) else []
            return self._list("caption", [self._trim(t, parts) for t in tracks])
        return self._guarded(answer)

    # -- comments ----------------------------------------------------------------------------

    def comment_threads(self, req: Request) -> Response:
        """GET commentThreads?videoId=|id= with inline replies."""
        def answer() -> Response:
            parts = self._begin(req, "commentThreads")
            world, state = req.site.world, req.state
            plain = req.arg("textFormat") == "plainText"
            if req.arg("videoId"):
                post = self.video(world, req.arg("videoId") or "", state)
                if post is None:
                    raise _Refusal(404, "The video identified by the <code><a href=\"/youtube/"
                                   "v3/docs/commentThreads/list#videoId\">videoId</a></code> "
                                   "parameter could not be found.", "videoNotFound",
                                   "youtube.commentThread", "videoId")
                if self.comments_disabled(world, post):
                    raise _Refusal(403, "The video identified by the <code><a href=\"/youtube/"
                                   "v3/docs/commentThreads/list#videoId\">videoId</a></code> "
                                   "parameter has disabled comments.", "commentsDisabled",
                                   "youtube.commentThread", "videoId")
                threads = self.threads(world, post, state)
            elif req.arg("id"):
                threads = self._threads_by_id(world, (req.arg("id") or "").split(","), state)
            else:
                raise _Refusal(400, "No filter selected. Expected one of: videoId, id, "
                               "allThreadsRelatedToChannelId", "missingRequiredParameter",
                               "youtube.parameter")
            if req.arg("order") == "relevance":
                threads.sort(key=lambda e: (-len(e[1]), -int(e[0].id)))
            count = self._count(req, 1, 100, 20)
            offset = _offset(req.arg("pageToken"))
            page = threads[offset:offset + count]
            items = [self._thread_resource(req, top, replies, parts, plain)
                     for top, replies in page]
            more = offset + count < len(threads)
            return self._list("commentThread", items, total=len(page), per_page=count,
                              next_token=page_token(offset + count) if more else None)
        return self._guarded(answer)

    def _threads_by_id(self, world: World, ids: list[str], state: State
                       ) -> list[tuple[Item, list[Item]]]:
        out = []
        for value in ids:
            number = ent.decode_comment(world, value.strip())
            item = world.item(number, state) if number else None
            if item is None or not _visible(item) or world.parent(item.thread, item.slot) != 0:
                continue
            post = world.item_at(item.thread, 0, state)
            out.extend(e for e in self.threads(world, post, state) if e[0].id == item.id)
        return out

    def _thread_resource(self, req: Request, top: Item, replies: list[Item], parts: set[str],
                         plain: bool) -> dict[str, Any]:
        world = req.site.world
        post = world.item_at(top.thread, 0, req.state)
        vid, channel = ent.video_id(post), ent.channel_id(world, post.account)
        tid = ent.thread_id(world, top)
        resource: dict[str, Any] = {
            "kind": "youtube#commentThread", "etag": ent.etag(tid, len(replies)), "id": tid,
            "snippet": {"channelId": channel, "videoId": vid,
                        "topLevelComment": ent.comment_json(world, req.base_url, top, tid,
                                                            vid=vid, channel=channel,
                                                            parent=None, plain=plain),
                        "canReply": True, "totalReplyCount": len(replies), "isPublic": True}}
        if replies and "replies" in parts:
            resource["replies"] = {"comments": [
                ent.comment_json(world, req.base_url, r, ent.reply_id(world, top, r), vid=vid,
                                 channel=channel, parent=tid, plain=plain)
                for r in replies[:INLINE_REPLIES]]}
        return self._trim(resource, parts)

    def comments(self, req: Request) -> Response:
        """GET comments?parentId=|id= (replies of a thread, oldest first)."""
        def answer() -> Response:
            parts = self._begin(req, "comments")
            world, state = req.site.world, req.state
            plain = req.arg("textFormat") == "plainText"
            found: list[tuple[Item, Item]] = []  # (comment, its top-level comment)
            if req.arg("parentId"):
                number = ent.decode_comment(world, req.arg("parentId") or "")
                top = world.item(number, state) if number else None
                if top is not None and _visible(top):
                    post = world.item_at(top.thread, 0, state)
                    for thread_top, replies in self.threads(world, post, state):
                        if thread_top.id == top.id:
                            found = [(r, top) for r in replies]
            elif req.arg("id"):
                for value in (req.arg("id") or "").split(","):
                    number = ent.decode_comment(world, value.strip())
                    item = world.item(number, state) if number else None
                    if item is None or not _visible(item) or item.slot == 0:
                        continue
                    top = world.item_at(item.thread, self.top_of(world, item), state)
                    if _visible(top):
                        found.append((item, top))
            else:
                raise _Refusal(400, "No filter selected. Expected one of: parentId, id",
                               "missingRequiredParameter", "youtube.parameter")
            count = self._count(req, 1, 100, 20)
            offset = _offset(req.arg("pageToken"))
            page = found[offset:offset + count]
            items = []
            for item, top in page:
                post = world.item_at(item.thread, 0, state)
                channel = ent.channel_id(world, post.account)
                is_top = item.id == top.id
                cid = ent.thread_id(world, top) if is_top else ent.reply_id(world, top, item)
                items.append(self._trim(ent.comment_json(
                    world, req.base_url, item, cid, vid=ent.video_id(post), channel=channel,
                    parent=None if is_top else ent.thread_id(world, top), plain=plain,
                    listed=True), parts))
            more = offset + count < len(found)
            return self._list("comment", items, per_page=count if req.arg("parentId") else None,
                              next_token=page_token(offset + count) if more else None)
        return self._guarded(answer)

    def unknown(self, req: Request) -> Response:
        """Any other ``/youtube/v3/`` path: Google's 404."""
        return Response.json(ent.error_body(404, "Not Found", "notFound"), 404)
