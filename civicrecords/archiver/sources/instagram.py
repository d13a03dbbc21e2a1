"""Instagram professional accounts (Instagram Graph API; ``api_base`` e.g.
``https://graph.facebook.com/v21.0`` or ``https://graph.instagram.com/v21.0``).

Walk: the token (``/debug_token``); the account (``account_id`` is the Instagram user id;
with only a ``handle``, ``/me`` must be that account); its ``/media`` (images, carousels
with their children, videos and reels; cursor paging), each file fetched at once because
``media_url`` expires; per media its ``/comments`` with one level of ``replies`` (hidden
ones included; a reply list that pages is followed through ``/{comment-id}/replies``);
current ``/stories`` (kept before they expire); with ``instagram_manage_messages``, the
account's conversations and messages (a gap saying so otherwise).

Scopes: ``timeline``, ``thread:<media id>``, ``stories``, ``messages``, ``media:<item id>``.
A story missing from a later walk is ``expired`` when it was over 24 hours old, else probed
like everything else (Graph's 100/33 is ``deleted``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import Session
from civicrecords.archiver.sources.facebook import removal_reason, thread_scope
from civicrecords.archiver.sources.facebook_items import conversation_info, message_item
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
from civicrecords.archiver.sources.instagram_items import (
    PLATFORM,
    comment_item,
    comment_items,
    media_item,
    profile,
)
from civicrecords.config import AccountConfig
from civicrecords.environment import parse_utc

TIMELINE = "timeline"
STORIES = "stories"
MESSAGES = "messages"
MESSAGING_PERMISSION = "instagram_manage_messages"
STORY_LIFETIME = timedelta(hours=24)
_CHILD = "id,media_type,media_url,thumbnail_url,alt_text,permalink,timestamp"
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,media_url,thumbnail_url,alt_text,"
                "permalink,shortcode,timestamp,username,owner,like_count,comments_count,"
                f"is_comment_enabled,children{{{_CHILD}}}")
REPLY_FIELDS = "id,text,timestamp,username,from,hidden,like_count,parent_id"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
USER_FIELDS = "id,username,name,biography,followers_count,media_count,website"
CONVERSATION_FIELDS = "id,updated_time,participants"
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,shares,story,is_unsupported"


class InstagramSource:
    """Captures one Instagram professional account (see module docstring)."""

    platform: ClassVar[str] = PLATFORM

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        self.media = AttachmentCapture()
        self._auth = GraphAuth(None)
        self._owner = ("", "")

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> GraphRateLimits:
        """Graph's usage headers (Instagram reports business-use-case usage) and codes."""
        return GraphRateLimits(backoff_seconds, max_backoff_seconds)

    def _url(self, path: str, **params: str) -> str:
        return self._auth.url(self.base, path, **params)

    def _limit(self, session: Session) -> str:
        return str(session.state.get("page_size", 25))

    # ----- full and incremental capture ---------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture media, comments, stories and (when permitted) messages."""
        started = start_capture(session, self.base)
        if started is None:
            return
        self._auth, token = started
        if not self._account(session):
            return
        user_id = self._owner[0]
        self._media(session, user_id)
        self._stories(session, user_id)
        if token is not None and MESSAGING_PERMISSION not in token.scopes:
            session.gap(public_url(self._url(f"{user_id}/conversations")),
                        "Instagram messages were not captured: the token lacks the "
                        f"{MESSAGING_PERMISSION} permission", scope=MESSAGES)
        elif self._auth.token:
            self._messages(session, user_id)

    def _account(self, session: Session) -> bool:
        handle = (self.account.handle or "").lstrip("@")
        ident = self.account.account_id or "me"
        result = fetch(session, self._url(quote(ident, safe=""), fields=USER_FIELDS),
                       scope=TIMELINE)
        if isinstance(result, GraphError):
            session.gap(self.base, f"the account {ident!r} could not be read: "
                        f"{result.describe()}", scope=TIMELINE)
            return False
        if result is None:
            return False
        found = profile(result.data if isinstance(result.data, dict) else {})
        if not self.account.account_id and handle and found["username"] != handle:
            session.gap(self.base, f"the token belongs to @{found['username']}, not @{handle}; "
                        "set account_id", scope=TIMELINE)
            return False
        self._owner = (found["id"], str(found["username"] or handle))
        return True

    def _media(self, session: Session, user_id: str) -> None:
        known = {} if session.full else session.known(TIMELINE)
        recheck = session.state.get("recheck_after")
        walk = EdgeWalk(session, self._url(f"{user_id}/media", fields=MEDIA_FIELDS,
                                           limit=self._limit(session)), scope=TIMELINE)
        seen: list[str] = []
        stopped = False
        for page in walk:
            listed = edge_items(page.data)
            items = [media_item(m, account_name=self.account.name, owner_id=user_id,
                                owner_username=self._owner[1]) for m in listed]
            threads = [i.platform_id for i in items if session.full
                       or i.platform_id not in known or is_recent(i.created_at, recheck)]
            session.prefetch([self._comments_url(session, t) for t in threads])
            for item in items:
                seen.append(item.platform_id)
                self.media.observe(session, item, page.exchange, TIMELINE)
                if item.platform_id in threads:
                    self._comments(session, item.platform_id)
                session.progress()
            if not session.full and listed and all(str(m.get("id")) in known for m in listed):
                stopped = True
                break
        if walk.complete and not stopped:
            self._sweep(session, TIMELINE, seen)

    def _comments_url(self, session: Session, media_id: str) -> str:
        return self._url(f"{quote(media_id, safe='')}/comments", fields=COMMENT_FIELDS,
                         limit=self._limit(session))

    def _comments(self, session: Session, media_id: str) -> None:
        scope = thread_scope(media_id)
        walk = EdgeWalk(session, self._comments_url(session, media_id), scope=scope)
        seen: list[str] = []
        complete = True
        for page in walk:
            for comment in edge_items(page.data):
                items = comment_items(comment, account_name=self.account.name,
                                      media_id=media_id)
                for item in items:
                    seen.append(item.platform_id)
                    self.media.observe(session, item, page.exchange, scope)
                replies = comment.get("replies") if isinstance(comment.get("replies"), dict) \
                    else {}
                if isinstance(replies.get("paging"), dict) and replies["paging"].get("next"):
                    complete &= self._more_replies(session, items[0].platform_id, media_id,
                                                   scope, seen)
        if walk.complete and complete:
            self._sweep(session, scope, seen)

    def _more_replies(self, session: Session, comment_id: str, media_id: str, scope: str,
                      seen: list[str]) -> bool:
        walk = EdgeWalk(session, self._url(f"{comment_id}/replies", fields=REPLY_FIELDS,
                                           limit=self._limit(session)), scope=scope)
        for page in walk:
            for reply in edge_items(page.data):
                item = comment_item(reply, account_name=self.account.name, media_id=media_id,
                                    parent_id=comment_id)
                if item.platform_id not in seen:
                    seen.append(item.platform_id)
                    self.media.observe(session, item, page.exchange, scope)
        return walk.complete

    def _stories(self, session: Session, user_id: str) -> None:
        walk = EdgeWalk(session, self._url(f"{user_id}/stories", fields=MEDIA_FIELDS,
                                           limit=self._limit(session)), scope=STORIES)
        seen: list[str] = []
        fetched_at = None
        for page in walk:
            fetched_at = page.exchange.fetched_at
            for story in edge_items(page.data):
                item = media_item(story, account_name=self.account.name, owner_id=user_id,
                                  owner_username=self._owner[1])
                item.extra["product"] = "STORY"
                seen.append(item.platform_id)
                self.media.observe(session, item, page.exchange, STORIES)
        if not walk.complete or fetched_at is None:
            return
        known = session.known(STORIES)
        expired = {}
        for story_id in session.missing(STORIES, seen):
            created = known.get(story_id)
            if created and parse_utc(created) + STORY_LIFETIME <= fetched_at:
                expired[story_id] = "expired"
        self._sweep(session, STORIES, seen, decided=expired)

    def _sweep(self, session: Session, scope: str, seen: list[str], *,
               decided: dict[str, str] | None = None) -> None:
        reasons = dict(decided or {})
        for missing in session.missing(scope, seen):
            if missing in reasons:
                continue
            reason = removal_reason(fetch(session, self._url(quote(missing, safe=""),
                                                             fields="id"),
                                          scope=f"probe:{missing}"))
            if reason is not None:
                reasons[missing] = reason
        session.sweep(scope, seen, reasons=reasons)

    # ----- messages ---------------------------------------------------------------------
    def _messages(self, session: Session, user_id: str) -> None:
        known = {} if session.full else session.known(MESSAGES)
        recheck = session.state.get("recheck_after")
        walk = EdgeWalk(session, self._url(f"{user_id}/conversations", platform="instagram",
                                           fields=CONVERSATION_FIELDS,
                                           limit=self._limit(session)),
                        scope=MESSAGES, explain="Instagram messages were not captured")
        seen: list[str] = []
        complete = True
        for page in walk:
            for raw in edge_items(page.data):
                conversation = conversation_info(raw)
                if not session.full and not is_recent(conversation.updated_time, recheck):
                    continue
                messages = EdgeWalk(session, self._url(
                    f"{quote(conversation.id, safe='')}/messages", fields=MESSAGE_FIELDS,
                    limit=self._limit(session)), scope=MESSAGES)
                for part in messages:
                    listed = edge_items(part.data)
                    for message in listed:
                        item = message_item(message, account_name=self.account.name,
                                            conversation=conversation, platform=PLATFORM)
                        seen.append(item.platform_id)
                        self.media.observe(session, item, part.exchange, MESSAGES)
                    if known and listed and all(str(m.get("id")) in known for m in listed):
                        break
                complete &= messages.complete
                session.progress()
        if session.full and walk.complete and complete:
            self._sweep(session, MESSAGES, seen)

    # ----- targeted capture (listen) ------------------------------------------------------
    def capture_objects(self, session: Session, targets: list[ChangeTarget]) -> None:
        """Fetch and archive the comments, media and messages that Instagram change
        notifications named, at once (an object already gone is a gap)."""
        started = start_capture(session, self.base)
        if started is None:
            return
        self._auth = started[0]
        self._owner = (self.account.account_id or "", (self.account.handle or "").lstrip("@"))
        done: set[tuple[str, str]] = set()
        for target in targets:
            if (target.kind, target.object_id) in done:
                continue
            done.add((target.kind, target.object_id))
            if target.kind == "comment":
                media_id = target.parent_id or ""
                if media_id and media_id not in session.known(TIMELINE):
                    self._capture_media(session, media_id)
                found = self._object(session, target.object_id, REPLY_FIELDS,
                                     thread_scope(media_id))
                if found is not None:
                    item = comment_item(found[0], account_name=self.account.name,
                                        media_id=media_id)
                    self.media.observe(session, item, found[1], thread_scope(media_id))
            elif target.kind == "post":
                self._capture_media(session, target.object_id)
            elif target.kind == "message":
                found = self._object(session, target.object_id, MESSAGE_FIELDS, MESSAGES)
                if found is not None:
                    item = message_item(found[0], account_name=self.account.name,
                                        platform=PLATFORM)
                    self.media.observe(session, item, found[1], MESSAGES)

    def _capture_media(self, session: Session, media_id: str) -> None:
        found = self._object(session, media_id, MEDIA_FIELDS, TIMELINE)
        if found is not None:
            item = media_item(found[0], account_name=self.account.name,
                              owner_id=self._owner[0], owner_username=self._owner[1])
            self.media.observe(session, item, found[1], TIMELINE)

    def _object(self, session: Session, object_id: str, fields: str,
                scope: str) -> tuple[dict[str, Any], Exchange] | None:
        return fetch_object(session, self._url(quote(object_id, safe=""), fields=fields),
                            scope=scope)
