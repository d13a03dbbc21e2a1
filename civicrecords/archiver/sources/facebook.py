"""Facebook Pages (Graph API, any version; ``api_base`` is e.g. ``https://graph.facebook.com/v21.0``).

Walk: the token (``/debug_token``: validity, expiry, permissions); the Page (``account_id``,
or ``handle`` looked up as a Page username); the Page's ``/feed`` (its own posts and
visitors' posts, with attachments, reaction and comment counts, cursor paging); for each
post its comments in ``stream`` order (top-level comments and replies, hidden ones included,
each with its parent); for each photo or video attachment its node, for the full-size file;
with ``pages_messaging``, the Page's conversations and their messages (without it, a gap
that says so). The token travels as the ``access_token`` query parameter (with
``appsecret_proof`` when the job has an app secret); the recording client scrubs it.

Scopes: ``timeline`` (the Page's feed), ``thread:<post id>`` (comments on one post),
``messages`` (every Page message), ``media:<item id>`` (attachments).

Incremental captures stop the feed at the first page the archive already holds and re-read
the comments of new posts and of posts whose ``updated_time`` (Graph moves it on every new
comment) or creation is within ``recheck_days``. Removals are probed: Graph's error 100/33
means deleted, a permission error unavailable, a post still readable but hidden ``hidden``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.archiver.sources.facebook_items import (
    Conversation,
    comment_item,
    conversation_info,
    media_object_item,
    message_item,
    page_profile,
    post_item,
)
from civicrecords.archiver.sources.graph import (
    GraphAuth,
    GraphError,
    GraphRateLimits,
    edge_items,
    is_recent,
    public_url,
)
from civicrecords.archiver.sources.graph_fetch import (
    ChangeTarget,
    EdgeWalk,
    fetch,
    fetch_object,
    start_capture,
)
from civicrecords.config import AccountConfig
from civicrecords.model import Item, MediaRef

TIMELINE = "timeline"
MESSAGES = "messages"
MESSAGING_PERMISSION = "pages_messaging"
_REACTIONS = ",".join(f"reactions.type({kind.upper()}).limit(0).summary(total_count).as({kind})"
                      for kind in ("like", "love", "care", "wow", "haha", "sad", "angry"))
POST_FIELDS = (
    "id,message,story,created_time,updated_time,permalink_url,status_type,is_hidden,"
    "is_published,privacy,from{id,name},message_tags,parent_id,shares,full_picture,"
    "attachments{type,media_type,url,unshimmed_url,title,description,target,media,"
    "subattachments},comments.summary(true).limit(0),reactions.summary(total_count).limit(0),"
    + _REACTIONS)
COMMENT_FIELDS = ("id,message,created_time,from{id,name},parent{id},attachment,is_hidden,"
                  "can_hide,can_remove,is_private,comment_count,like_count,permalink_url,"
                  "message_tags")
PHOTO_FIELDS = "id,images,alt_text,name,width,height,link,created_time"
VIDEO_FIELDS = ("id,source,picture,title,description,length,permalink_url,created_time,"
                "thumbnails{uri,is_preferred,width,height}")
PAGE_FIELDS = "id,name,username,link,category,followers_count,fan_count,verification_status"
CONVERSATION_FIELDS = "id,updated_time,message_count,participants,link"
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,sticker,shares,tags"
PROBE_FIELDS = {TIMELINE: "id,is_hidden,is_published", MESSAGES: "id"}


def thread_scope(post_id: str) -> str:
    """Scope name for the comments on one post."""
    return f"thread:{post_id}"


def removal_reason(result: JsonPage | GraphError | None) -> str | None:
    """Why an object a walk no longer returned is gone, from a lookup of it: ``deleted``
    (Graph's 100/33), ``unavailable`` (a permission error), ``hidden`` / ``unpublished``
    (still readable but hidden from the Page), ``no-longer-listed`` (readable); None when
    the lookup proved nothing (transport failure, throttling, token trouble)."""
    if result is None:
        return None
    if isinstance(result, GraphError):
        return {"missing": "deleted", "permission": "unavailable"}.get(result.kind)
    data = result.data if isinstance(result.data, dict) else {}
    if data.get("is_hidden"):
        return "hidden"
    if data.get("is_published") is False:
        return "unpublished"
    return "no-longer-listed"


class FacebookSource:
    """Captures one Facebook Page (see module docstring)."""

    platform: ClassVar[str] = "facebook"

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        self.media = AttachmentCapture(resolve=self._full_size)
        self._auth = GraphAuth(None)

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> GraphRateLimits:
        """Graph's usage headers and throttling error codes (see ``graph``)."""
        return GraphRateLimits(backoff_seconds, max_backoff_seconds)

    # ----- full and incremental capture ---------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture the Page's feed, comments, media and (when permitted) messages."""
        started = start_capture(session, self.base)
        if started is None:
            return
        self._auth, token = started
        page_id = self._page_id(session)
        if page_id is None:
            return
        self._feed(session, page_id)
        if token is not None and MESSAGING_PERMISSION not in token.scopes:
            session.gap(public_url(self._url(f"{page_id}/conversations")),
                        f"Page messages were not captured: the token lacks the "
                        f"{MESSAGING_PERMISSION} permission", scope=MESSAGES)
        elif self._auth.token:
            self._messages(session, page_id)

    def _url(self, path: str, **params: str) -> str:
        return self._auth.url(self.base, path, **params)

    def _page_id(self, session: Session) -> str | None:
        """The Page's id; the Page node is fetched either way, as a record of who it is."""
        ident = self.account.account_id or (self.account.handle or "").lstrip("@")
        result = fetch(session, self._url(quote(ident, safe=""), fields=PAGE_FIELDS),
                       scope=TIMELINE)
        if isinstance(result, GraphError):
            session.gap(self.base, f"the Page {ident!r} could not be read: {result.describe()}",
                        scope=TIMELINE)
            return None
        if result is None:
            return None
        profile = page_profile(result.data if isinstance(result.data, dict) else {})
        return profile["id"] or self.account.account_id

    def _feed(self, session: Session, page_id: str) -> None:
        known = {} if session.full else session.known(TIMELINE)
        recheck = session.state.get("recheck_after")
        walk = EdgeWalk(session, self._url(f"{page_id}/feed", fields=POST_FIELDS,
                                           limit=str(session.state.get("page_size", 25))),
                        scope=TIMELINE)
        seen: list[str] = []
        stopped = False
        for page in walk:
            posts = edge_items(page.data)
            items = [post_item(p, account_name=self.account.name, page_id=page_id)
                     for p in posts]
            threads = [i.platform_id for i in items if session.full
                       or i.platform_id not in known or is_recent(i.created_at, recheck)
                       or is_recent(i.extra.get("updated_time"), recheck)]
            session.prefetch([self._comments_url(session, t) for t in threads])
            for item in items:
                seen.append(item.platform_id)
                self.media.observe(session, item, page.exchange, TIMELINE)
                if item.platform_id in threads:
                    self._comments(session, item.platform_id)
                session.progress()
            if not session.full and posts and all(str(p.get("id")) in known for p in posts):
                stopped = True  # the rest is archived; a partial walk is no sweep
                break
        if walk.complete and not stopped:
            self._sweep(session, TIMELINE, seen)

    def _comments_url(self, session: Session, post_id: str) -> str:
        return self._url(f"{quote(post_id, safe='')}/comments", filter="stream",
                         order="chronological", fields=COMMENT_FIELDS,
                         limit=str(session.state.get("page_size", 25)))

    def _comments(self, session: Session, post_id: str) -> None:
        scope = thread_scope(post_id)
        walk = EdgeWalk(session, self._comments_url(session, post_id), scope=scope)
        seen: list[str] = []
        for page in walk:
            for comment in edge_items(page.data):
                item = comment_item(comment, account_name=self.account.name, post_id=post_id)
                if item.platform_id:
                    seen.append(item.platform_id)
                    self.media.observe(session, item, page.exchange, scope)
        if walk.complete:
            self._sweep(session, scope, seen)

    def _sweep(self, session: Session, scope: str, seen: list[str]) -> None:
        """Sweep ``scope`` after asking Graph about each item that went missing."""
        fields = PROBE_FIELDS.get(scope, "id,is_hidden")
        reasons: dict[str, str] = {}
        for missing in session.missing(scope, seen):
            result = fetch(session, self._url(quote(missing, safe=""), fields=fields),
                           scope=f"probe:{missing}")
            reason = removal_reason(result)
            if reason is not None:
                reasons[missing] = reason
        session.sweep(scope, seen, reasons=reasons)

    def _full_size(self, session: Session, ref: MediaRef) -> MediaRef:
        """Replace an attachment's preview URL with its Photo/Video node's original file."""
        if ref.platform_id.startswith("file-") or ref.media_type not in ("image", "video"):
            return ref
        fields = VIDEO_FIELDS if ref.media_type == "video" else PHOTO_FIELDS
        result = fetch(session, self._url(quote(ref.platform_id, safe=""), fields=fields),
                       scope=f"media:{ref.platform_id}")
        if not isinstance(result, JsonPage) or not isinstance(result.data, dict):
            return ref
        node = media_object_item(result.data, account_name=self.account.name,
                                 node_type=ref.media_type)
        return replace(ref, url=node.url or ref.url,
                       description=ref.description or node.text)

    # ----- messages ---------------------------------------------------------------------
    def _messages(self, session: Session, page_id: str) -> None:
        known = {} if session.full else session.known(MESSAGES)
        recheck = session.state.get("recheck_after")
        walk = EdgeWalk(session, self._url(f"{page_id}/conversations", platform="messenger",
                                           fields=CONVERSATION_FIELDS,
                                           limit=str(session.state.get("page_size", 25))),
                        scope=MESSAGES, explain="Page messages were not captured")
        seen: list[str] = []
        complete = True
        for page in walk:
            for raw in edge_items(page.data):
                conversation = conversation_info(raw)
                if not session.full and not is_recent(conversation.updated_time, recheck):
                    continue  # incremental: nothing new in this conversation
                complete &= self._conversation(session, conversation, known, seen)
                session.progress()
        if session.full and walk.complete and complete:
            self._sweep(session, MESSAGES, seen)

    def _conversation(self, session: Session, conversation: Conversation,
                      known: dict[str, str | None], seen: list[str]) -> bool:
        walk = EdgeWalk(session, self._url(f"{quote(conversation.id, safe='')}/messages",
                                           fields=MESSAGE_FIELDS,
                                           limit=str(session.state.get("page_size", 25))),
                        scope=MESSAGES)
        for page in walk:
            messages = edge_items(page.data)
            for message in messages:
                item = message_item(message, account_name=self.account.name,
                                     conversation=conversation)
                seen.append(item.platform_id)
                self.media.observe(session, item, page.exchange, MESSAGES)
            if known and messages and all(str(m.get("id")) in known for m in messages):
                return True  # incremental: older messages are archived
        return walk.complete

    # ----- targeted capture (listen) ------------------------------------------------------
    def capture_objects(self, session: Session, targets: list[ChangeTarget]) -> None:
        """Fetch and archive the objects change notifications named, at once: a new or
        edited post or comment, a comment that was hidden or unhidden, a message. When a
        notification says a comment was removed, the comments of its post are walked and
        swept, so the removal is recorded (with Graph's reason) and the archived text
        stays. An object already gone when fetched is a gap."""
        started = start_capture(session, self.base)
        if started is None:
            return
        self._auth = started[0]
        done: set[tuple[str, str, bool]] = set()
        for target in targets:
            key = (target.kind, target.object_id, target.verb == "remove")
            if key in done:
                continue
            done.add(key)
            if target.kind == "comment" and target.verb == "remove" and target.parent_id:
                self._comments(session, target.parent_id)
            elif target.kind == "comment":
                self._capture_comment(session, target)
            elif target.kind == "post" and target.verb != "remove":
                self._capture_post(session, target.object_id)
            elif target.kind == "message":
                self._capture_message(session, target)

    def _object(self, session: Session, object_id: str, fields: str,
                scope: str) -> tuple[dict[str, Any], Exchange] | None:
        return fetch_object(session, self._url(quote(object_id, safe=""), fields=fields),
                            scope=scope)

    def _capture_post(self, session: Session, post_id: str) -> None:
        found = self._object(session, post_id, POST_FIELDS, TIMELINE)
        if found is None:
            return
        page_id = post_id.split("_", 1)[0] if "_" in post_id else (self.account.account_id
                                                                    or "")
        item = post_item(found[0], account_name=self.account.name, page_id=page_id)
        self.media.observe(session, item, found[1], TIMELINE)

    def _capture_comment(self, session: Session, target: ChangeTarget) -> None:
        post_id = target.parent_id or ""
        if post_id and post_id not in session.known(TIMELINE):
            self._capture_post(session, post_id)
        found = self._object(session, target.object_id, COMMENT_FIELDS, thread_scope(post_id))
        if found is None:
            return
        item = comment_item(found[0], account_name=self.account.name, post_id=post_id)
        self.media.observe(session, item, found[1], thread_scope(post_id))

    def _capture_message(self, session: Session, target: ChangeTarget) -> None:
        conversation: Conversation | None = None
        page_id = self.account.account_id or ""
        if target.sender_id and page_id:
            result = fetch(session, self._url(f"{page_id}/conversations", platform="messenger",
                                              user_id=target.sender_id,
                                              fields=CONVERSATION_FIELDS), scope=MESSAGES)
            listed = edge_items(result.data) if isinstance(result, JsonPage) else []
            conversation = conversation_info(listed[0]) if listed else None
        found = self._object(session, target.object_id, MESSAGE_FIELDS, MESSAGES)
        if found is None:
            return
        item: Item = message_item(found[0], account_name=self.account.name,
                                  conversation=conversation)
        self.media.observe(session, item, found[1], MESSAGES)
