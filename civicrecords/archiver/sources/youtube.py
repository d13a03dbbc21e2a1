"""YouTube (Data API v3): a channel's videos, their comments and replies, thumbnails and
caption tracks.

Account config: ``api_base`` (``https://www.googleapis.com``), ``account_id`` (the channel
id, ``UC...``) or ``handle`` (``@name``), ``token_env`` (an API key, sent as the ``key=``
query parameter the way YouTube requires; the scrubber removes it from every URL, record and
log before anything is written).

Walk:
1. ``channels`` (``part=snippet,contentDetails,statistics,status``) finds the uploads
   playlist and checks the key (400 ``keyInvalid``/``API key not valid`` = rejected).
2. ``playlistItems`` of the uploads playlist (``pageToken``), newest first; each page's
   videos through ``videos`` (snippet, contentDetails, statistics, status); for videos with
   captions, ``captions`` (track metadata: downloading the text needs the channel owner's
   OAuth authorization, which an API key is not, so each new track is archived as metadata
   and recorded once as a gap).
3. Per video: ``commentThreads`` (``part=snippet,replies``, ``pageToken``); a thread whose
   ``totalReplyCount`` exceeds the replies it carries is read with ``comments?parentId=``.
   Comments turned off (403 ``commentsDisabled``) hide what was there: swept as
   ``comments-disabled``.
4. Removals: videos and comments a complete walk missed are looked up by id (``videos``,
   ``comments``); found ones stay (a video found but unlisted is ``unlisted``), the rest are
   ``unavailable`` (the API does not say whether they were deleted, hidden or made private).
5. The largest thumbnail of every video.

Quota: every call spends the key's daily units. ``quotaExceeded`` is not retried: the
capture stops with one gap saying so (the quota resets at midnight Pacific time), and no
sweep runs on an incomplete walk. ``rateLimitExceeded`` is retried with back-off.

Scopes: ``timeline`` (videos), ``thread:<video id>`` (comments), ``media:<video id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from civicrecords.archiver.ratelimit import RETRY_STATUSES, Answer, RateLimitPolicy
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.archiver.sources.youtube_items import (
    comment_item,
    error_message,
    is_bad_key,
    is_quota_exhausted,
    is_throttled,
    items_of,
    media_child,
    next_page,
    reply_count,
    thread_items,
    video_id_of,
    video_item,
)
from civicrecords.config import AccountConfig
from civicrecords.model import Item, MediaRef, media_scope

TIMELINE = "timeline"
VIDEO_PARTS = "snippet,contentDetails,statistics,status"
BATCH = 50
CAPTION_NOTE = ("caption text not captured: captions.download needs the channel owner's "
                "OAuth authorization (an API key is not enough); the track's metadata is "
                "archived")


def thread_scope(video_id: str) -> str:
    """Scope of the comments under one video."""
    return f"thread:{video_id}"


class QuotaExhausted(Exception):
    """The key's daily quota is spent; nothing more can be fetched in this job."""


@dataclass
class YouTubeRateLimitPolicy(RateLimitPolicy):
    """YouTube has no rate-limit headers; it throttles with 403 ``rateLimitExceeded`` /
    ``userRateLimitExceeded`` (retried with back-off) and ends the day with 403
    ``quotaExceeded`` (never retried: waiting hours inside a job helps nobody)."""

    def retry_after(self, answer: Answer, attempt: int) -> float | None:
        """Back off on throttling and on 429/5xx; never retry a spent quota."""
        if answer.status == 403:
            body = answer.json_or_none()
            return self.backoff(attempt) if is_throttled(body) else None
        if answer.status in RETRY_STATUSES:
            return super().retry_after(answer, attempt)
        return None


class YouTubeSource:
    """Captures one YouTube channel (see module docstring)."""

    platform: ClassVar[str] = "youtube"

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        # caption tracks are listed, not fetched: their text needs the owner's OAuth
        self._attachments = AttachmentCapture(
            source=lambda _session, ref, _parent: None if ref.media_type == "caption"
            else ref.url)
        self._key = ""

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """YouTube's throttling and quota errors (see ``YouTubeRateLimitPolicy``)."""
        return YouTubeRateLimitPolicy(backoff_seconds, max_backoff_seconds)

    # ----- requests --------------------------------------------------------------------------
    def _url(self, resource: str, **params: str) -> str:
        return f"{self.base}/youtube/v3/{resource}?{urlencode({**params, 'key': self._key})}"

    def _get(self, session: Session, url: str, scope: str) -> JsonPage | None:
        """GET a JSON page. Refusals become gaps with YouTube's reason; a spent quota
        raises ``QuotaExhausted``."""
        page = session.get_json(url, scope=scope, ok=(200, 400, 403, 404))
        if page is None or page.exchange.status == 200:
            return page
        if is_quota_exhausted(page.data):
            raise QuotaExhausted(page.exchange.url)
        session.gap(page.exchange.url, f"YouTube refused: "
                    f"{error_message(page.data, page.exchange.status)}", scope=scope)
        return None

    def _pages(self, session: Session, resource: str, scope: str, **params: str
               ) -> Iterator[JsonPage | None]:
        """Each page following ``nextPageToken``; None once if a page failed."""
        token: str | None = None
        tokens: set[str] = set()
        while True:
            query = dict(params, pageToken=token) if token else params
            page = self._get(session, self._url(resource, **query), scope)
            if page is None:
                yield None
                return
            yield page
            token = next_page(page.data)
            if token is None or token in tokens:
                return
            tokens.add(token)

    # ----- walk ------------------------------------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture videos, comments, thumbnails and caption metadata; full mode walks
        everything and sweeps, incremental mode stops at the first page of uploads already
        archived and re-reads comments only of new and recent videos."""
        if not session.token:
            if not self.account.token_env:
                session.gap(self.base, "YouTube needs an API key: set token_env to the "
                            "variable holding it", scope="token")
            return
        self._key = session.token
        try:
            channel = self._channel(session)
            if channel is not None:
                self._uploads(session, channel)
        except QuotaExhausted as spent:
            session.gap(str(spent), "YouTube API daily quota exhausted (quotaExceeded): the "
                        "capture stopped here and resumes with the next job; the quota "
                        "resets at midnight Pacific time", scope=None)
            session.report_token(valid=True, detail="API key accepted; daily quota exhausted")

    def _channel(self, session: Session) -> dict[str, Any] | None:
        lookup = {"id": self.account.account_id} if self.account.account_id else \
            {"forHandle": "@" + (self.account.handle or "").lstrip("@")}
        url = self._url("channels", part="snippet,contentDetails,statistics,status", **lookup)
        page = session.get_json(url, scope="token", ok=(200, 400, 403))
        if page is None:
            return None
        if page.exchange.status != 200:
            if is_quota_exhausted(page.data):
                raise QuotaExhausted(page.exchange.url)
            message = error_message(page.data, page.exchange.status)
            if is_bad_key(page.data):
                session.report_token(valid=False, detail=message)
            session.gap(page.exchange.url, f"YouTube refused: {message}", scope="token")
            return None
        session.report_token(valid=True, detail="API key accepted (API keys do not expire; "
                             "YouTube's daily quota applies)")
        found = items_of(page.data)
        if not found:
            session.gap(page.exchange.url, f"YouTube has no channel {lookup}", scope=TIMELINE)
            return None
        return found[0]

    def _uploads(self, session: Session, channel: dict[str, Any]) -> None:
        owner = str(channel.get("id"))
        handle = str((channel.get("snippet") or {}).get("customUrl") or "")
        playlist = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
            "uploads") or "UU" + owner[2:]
        known = {} if session.full else session.known(TIMELINE)
        recheck_after = session.state.get("recheck_after") or ""
        seen: list[str] = []
        complete = True
        size = str(max(1, min(BATCH, int(session.state.get("page_size", 40)))))
        for page in self._pages(session, "playlistItems", TIMELINE,
                                part="contentDetails", playlistId=str(playlist),
                                maxResults=size):
            if page is None:
                complete = False
                break
            ids = [vid for i in items_of(page.data) if (vid := video_id_of(i))]
            seen.extend(ids)
            for video in self._videos(session, ids, owner, handle):
                fresh = video.platform_id not in known or \
                    (video.created_at or "") >= recheck_after
                if session.full or fresh:
                    self._comments(session, video, owner)
                session.progress()
            if not session.full and ids and all(v in known for v in ids):
                complete = False  # the rest is already archived; no sweep from a partial walk
                break
        if complete:
            self._sweep_videos(session, seen, owner, handle)

    def _videos(self, session: Session, ids: list[str], owner: str, handle: str
                ) -> list[Item]:
        """Fetch, map and observe videos (with thumbnails and caption tracks)."""
        out: list[Item] = []
        for start in range(0, len(ids), BATCH):
            page = self._get(session, self._url("videos", part=VIDEO_PARTS,
                                                id=",".join(ids[start:start + BATCH])),
                             TIMELINE)
            if page is None:
                continue
            for video in items_of(page.data):
                out.append(self._observe_video(session, video, page, owner, handle, TIMELINE))
        return out

    def _observe_video(self, session: Session, video: dict[str, Any], page: JsonPage,
                       owner: str, handle: str, scope: str) -> Item:
        """Map and observe a video with its attachments. When its caption tracks could not
        be listed (a gap), the video is not observed this time: an observation without
        them would mark the archived tracks as removed."""
        vid = str(video.get("id"))
        tracks: list[dict[str, Any]] = []
        listed_ok = True
        if (video.get("contentDetails") or {}).get("caption") == "true":
            listed = self._get(session, self._url("captions", part="snippet", videoId=vid),
                               media_scope(vid))
            listed_ok = listed is not None
            tracks = items_of(listed.data) if listed is not None else []
        item = video_item(video, account_name=self.account.name, owner_channel=owner,
                          handle=handle, captions=tracks, api_base=self.base)
        if not listed_ok:
            return item
        by_id = {str(t.get("id")): t for t in tracks}
        archived = session.known(media_scope(vid))
        for track_id in by_id:
            if track_id not in archived:
                session.gap(f"{self.base}/youtube/v3/captions/{track_id}", CAPTION_NOTE,
                            scope=f"captions:{vid}")

        def child(ref: MediaRef, parent: Item) -> Item:
            return media_child(ref, parent, by_id.get(ref.platform_id))

        self._attachments.observe(session, item, page.exchange, scope, child)
        return item

    def _comments(self, session: Session, video: Item, owner: str) -> None:
        """Read every comment and reply of ``video``, then sweep them."""
        scope = thread_scope(video.platform_id)
        count = (video.extra.get("statistics") or {}).get("commentCount")
        if count in (None, "0") and not session.known(scope):
            return  # no comments now (or turned off) and none archived: nothing to do
        seen: list[str] = []
        url = self._url("commentThreads", part="snippet,replies", videoId=video.platform_id,
                        maxResults="100", textFormat="plainText")
        token: str | None = None
        while True:
            page = session.get_json(url + (f"&{urlencode({'pageToken': token})}" if token
                                           else ""), scope=scope, ok=(200, 400, 403, 404))
            if page is None:
                return
            if page.exchange.status != 200:
                self._comments_refused(session, page, scope)
                return
            for thread in items_of(page.data):
                items = thread_items(thread, account_name=self.account.name,
                                     owner_channel=owner)
                if not items:
                    continue
                total, inline = reply_count(thread)
                if total > inline:
                    replies = self._replies(session, items[0], video.platform_id, owner, scope)
                    if replies is None:
                        return
                    items = [items[0]]
                    for exchange, reply in replies:
                        seen.append(reply.platform_id)
                        session.observe(reply, exchange, scope=scope)
                for item in items:
                    seen.append(item.platform_id)
                    session.observe(item, page.exchange, scope=scope)
            token = next_page(page.data)
            if token is None:
                break
        self._sweep_comments(session, scope, seen, video.platform_id, owner)

    def _comments_refused(self, session: Session, page: JsonPage, scope: str) -> None:
        data = page.data
        if is_quota_exhausted(data):
            raise QuotaExhausted(page.exchange.url)
        if "commentsDisabled" in str(data):
            session.sweep(scope, [], reason="comments-disabled")
            return
        session.gap(page.exchange.url, f"YouTube refused: "
                    f"{error_message(data, page.exchange.status)}", scope=scope)

    def _replies(self, session: Session, top: Item, video_id: str, owner: str, scope: str
                 ) -> list[tuple[Any, Item]] | None:
        """Every reply of a thread (``comments?parentId=``); None when a page failed."""
        out = []
        for page in self._pages(session, "comments", scope, part="snippet",
                                parentId=top.platform_id, maxResults="100",
                                textFormat="plainText"):
            if page is None:
                return None
            out.extend((page.exchange, comment_item(c, account_name=self.account.name,
                                                    owner_channel=owner, video_id=video_id))
                       for c in items_of(page.data))
        return out

    # ----- removals --------------------------------------------------------------------------
    def _sweep_videos(self, session: Session, seen: list[str], owner: str,
                      handle: str) -> None:
        missing = session.missing(TIMELINE, seen)
        present, reasons = list(seen), {}
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            page = self._get(session, self._url("videos", part=VIDEO_PARTS,
                                                id=",".join(batch)), TIMELINE)
            if page is None:
                return
            found = {str(v.get("id")): v for v in items_of(page.data)}
            for vid in batch:
                video = found.get(vid)
                if video is None:
                    reasons[vid] = "unavailable"
                    continue
                status = video.get("status") or {}
                if status.get("uploadStatus") in ("deleted", "rejected", "failed"):
                    reasons[vid] = str(status["uploadStatus"])
                elif status.get("privacyStatus") != "public":
                    reasons[vid] = str(status.get("privacyStatus") or "unavailable")
                else:
                    present.append(vid)
                self._observe_video(session, video, page, owner, handle, TIMELINE)
        session.sweep(TIMELINE, present, reasons=reasons)

    def _sweep_comments(self, session: Session, scope: str, seen: list[str], video_id: str,
                        owner: str) -> None:
        missing = session.missing(scope, seen)
        present, reasons = list(seen), {}
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            page = self._get(session, self._url("comments", part="snippet",
                                                id=",".join(batch), textFormat="plainText"),
                             scope)
            if page is None:
                return
            found = {str(c.get("id")): c for c in items_of(page.data)}
            for comment_id in batch:
                comment = found.get(comment_id)
                if comment is None:
                    reasons[comment_id] = "unavailable"
                    continue
                present.append(comment_id)
                session.observe(comment_item(comment, account_name=self.account.name,
                                             owner_channel=owner, video_id=video_id),
                                page.exchange, scope=scope)
        session.sweep(scope, present, reasons=reasons)
