"""YouTube Data API v3 responses mapped to items: pure functions, tested against
tests/corpora/youtube.

A video is a ``post`` (``title`` its title, ``text`` its description, ``created_at`` its
``publishedAt``; YouTube keeps no edit time, so a changed title or description is a new
version found by content). Comments are ``comment`` items (``post`` when the channel itself
wrote them): top-level comments hang under the video, replies under their top-level comment
(``snippet.parentId``); all share the video as ``thread_id``. The video's largest thumbnail
and its caption tracks are its attachments.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from civicrecords.htmltext import html_to_text
from civicrecords.model import Item, MediaRef

PLATFORM = "youtube"
THUMBNAIL_ORDER = ("maxres", "standard", "high", "medium", "default")
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})


def items_of(body: Any) -> list[dict[str, Any]]:
    """The ``items`` of a list response (empty for anything else)."""
    if not isinstance(body, dict):
        return []
    return [i for i in body.get("items") or [] if isinstance(i, dict)]


def next_page(body: Any) -> str | None:
    """``nextPageToken`` of a list response, or None on the last page."""
    token = body.get("nextPageToken") if isinstance(body, dict) else None
    return str(token) if token else None


def error_reasons(body: Any) -> list[str]:
    """Every ``reason`` of an error envelope (``errors[].reason`` and ``details[].reason``)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []
    reasons = [str(e.get("reason")) for e in error.get("errors") or []
               if isinstance(e, dict) and e.get("reason")]
    reasons += [str(d.get("reason")) for d in error.get("details") or []
                if isinstance(d, dict) and d.get("reason")]
    return reasons


def error_message(body: Any, status: int) -> str:
    """One line from an error envelope: its message (markup removed) and reasons."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"HTTP {status}"
    message = html_to_text(str(error.get("message") or f"HTTP {status}")).strip()
    reasons = error_reasons(body)
    return f"{message} ({', '.join(reasons)})" if reasons else message


def is_quota_exhausted(body: Any) -> bool:
    """The daily quota is spent: nothing more can be fetched today (not worth retrying)."""
    return bool(QUOTA_REASONS & set(error_reasons(body)))


def is_throttled(body: Any) -> bool:
    """A short-term rate limit: worth retrying after a pause."""
    return bool(THROTTLE_REASONS & set(error_reasons(body)))


def is_bad_key(body: Any) -> bool:
    """The API key was rejected (invalid or expired)."""
    reasons = set(error_reasons(body))
    message = str(((body or {}).get("error") or {}).get("message") or "") \
        if isinstance(body, dict) else ""
    return bool(KEY_REASONS & reasons) or "API key not valid" in message


def largest_thumbnail(thumbnails: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The biggest thumbnail offered (maxres, standard, high, medium, default)."""
    for name in THUMBNAIL_ORDER:
        entry = (thumbnails or {}).get(name)
        if isinstance(entry, dict) and entry.get("url"):
            return {"name": name, **entry}
    return None


def caption_ref(track: Mapping[str, Any], api_base: str) -> MediaRef:
    """A caption track as an attachment reference (its text is behind captions.download)."""
    snippet = track.get("snippet") or {}
    label = snippet.get("name") or snippet.get("language") or "captions"
    return MediaRef(platform_id=str(track.get("id")),
                    url=f"{api_base}/youtube/v3/captions/{track.get('id')}",
                    media_type="caption",
                    description=f"{label} ({snippet.get('language')}, "
                                f"{snippet.get('trackKind')})")


def video_id_of(resource: Mapping[str, Any]) -> str:
    """A video's id: ``id`` of a video resource, ``id.videoId`` of a search result,
    ``contentDetails.videoId`` of a playlist item."""
    value = resource.get("id")
    if isinstance(value, dict):
        return str(value.get("videoId") or "")
    if resource.get("kind") == "youtube#playlistItem":
        return str((resource.get("contentDetails") or {}).get("videoId") or
                   ((resource.get("snippet") or {}).get("resourceId") or {}).get("videoId")
                   or "")
    return str(value or "")


def video_item(video: Mapping[str, Any], *, account_name: str, owner_channel: str,
               handle: str = "", captions: list[dict[str, Any]] | None = None,
               api_base: str = "https://www.googleapis.com") -> Item:
    """Map a video resource (any parts) to a ``post`` item with its thumbnail and caption
    tracks as media."""
    snippet = video.get("snippet") or {}
    status = video.get("status") or {}
    details = video.get("contentDetails") or {}
    vid = video_id_of(video)
    channel = str(snippet.get("channelId") or owner_channel)
    item = Item(
        platform=PLATFORM, account=account_name, platform_id=vid,
        kind="post" if channel == owner_channel else "comment",
        author=handle.lstrip("@") or str(snippet.get("channelTitle") or ""), author_id=channel,
        author_name=str(snippet.get("channelTitle") or ""), created_at=snippet.get("publishedAt"),
        url=f"https://www.youtube.com/watch?v={vid}", title=str(snippet.get("title") or ""),
        text=str(snippet.get("description") or ""), thread_id=vid,
        tags=[str(t) for t in snippet.get("tags") or []],
        visibility=status.get("privacyStatus"),
        language=snippet.get("defaultLanguage") or snippet.get("defaultAudioLanguage"),
        extra={"statistics": video.get("statistics"), "duration": details.get("duration"),
               "definition": details.get("definition"), "caption": details.get("caption"),
               "category_id": snippet.get("categoryId"),
               "live_broadcast": snippet.get("liveBroadcastContent"),
               "upload_status": status.get("uploadStatus"),
               "made_for_kids": status.get("madeForKids"), "license": status.get("license"),
               "etag": video.get("etag")})
    thumbnail = largest_thumbnail(snippet.get("thumbnails"))
    if thumbnail is not None:
        item.media.append(MediaRef(platform_id=f"{vid}-thumbnail", url=str(thumbnail["url"]),
                                   media_type="image",
                                   description=f"thumbnail ({thumbnail['name']})"))
    item.media.extend(caption_ref(track, api_base) for track in captions or [])
    return item


def comment_item(comment: Mapping[str, Any], *, account_name: str, owner_channel: str,
                 video_id: str | None = None, thread: Mapping[str, Any] | None = None) -> Item:
    """Map a comment resource to an item. ``video_id`` is needed for replies fetched with
    ``comments.list`` (they carry none); ``thread`` adds the thread's reply count and
    flags to a top-level comment."""
    snippet = comment.get("snippet") or {}
    channel = str((snippet.get("authorChannelId") or {}).get("value") or "")
    display = str(snippet.get("authorDisplayName") or "")
    channel_url = str(snippet.get("authorChannelUrl") or "")
    handle = channel_url.rsplit("/@", 1)[1] if "/@" in channel_url else display.lstrip("@")
    vid = str(snippet.get("videoId") or video_id or "")
    published, updated = snippet.get("publishedAt"), snippet.get("updatedAt")
    text = snippet.get("textOriginal")
    if text is None:
        text = html_to_text(str(snippet.get("textDisplay") or ""))
    extra: dict[str, Any] = {"like_count": snippet.get("likeCount"),
                             "can_rate": snippet.get("canRate"),
                             "viewer_rating": snippet.get("viewerRating"),
                             "moderation_status": snippet.get("moderationStatus"),
                             "etag": comment.get("etag")}
    if thread is not None:
        thread_snippet = thread.get("snippet") or {}
        extra.update(total_reply_count=thread_snippet.get("totalReplyCount"),
                     can_reply=thread_snippet.get("canReply"),
                     is_public=thread_snippet.get("isPublic"))
    return Item(
        platform=PLATFORM, account=account_name, platform_id=str(comment.get("id")),
        kind="post" if channel and channel == owner_channel else "comment",
        author=handle, author_id=channel, author_name=html.unescape(display),
        created_at=published, edited_at=updated if updated and updated != published else None,
        url=f"https://www.youtube.com/watch?v={vid}&lc={comment.get('id')}" if vid else None,
        text=str(text), parent_id=str(snippet.get("parentId") or vid) or None,
        thread_id=vid or None, visibility="public",
        hidden=snippet.get("moderationStatus") in ("heldForReview", "likelySpam", "rejected"),
        extra=extra)


def thread_items(thread: Mapping[str, Any], *, account_name: str, owner_channel: str
                 ) -> list[Item]:
    """A comment thread's top-level comment and the replies it carries inline."""
    snippet = thread.get("snippet") or {}
    top = snippet.get("topLevelComment")
    if not isinstance(top, dict):
        return []
    vid = str(snippet.get("videoId") or "") or None
    items = [comment_item(top, account_name=account_name, owner_channel=owner_channel,
                          video_id=vid, thread=thread)]
    for reply in (thread.get("replies") or {}).get("comments") or []:
        if isinstance(reply, dict):
            items.append(comment_item(reply, account_name=account_name,
                                      owner_channel=owner_channel, video_id=vid))
    return items


def reply_count(thread: Mapping[str, Any]) -> tuple[int, int]:
    """(replies the thread has, replies it carries inline)."""
    total = int((thread.get("snippet") or {}).get("totalReplyCount") or 0)
    inline = len((thread.get("replies") or {}).get("comments") or [])
    return total, inline


def media_child(ref: MediaRef, parent: Item, track: Mapping[str, Any] | None = None) -> Item:
    """A thumbnail or caption track as a ``media`` item under its video."""
    extra: dict[str, Any] = {"media_type": ref.media_type}
    versioned: dict[str, Any] = {}
    if track is not None:
        snippet = dict(track.get("snippet") or {})
        extra["caption"] = snippet
        versioned["last_updated"] = snippet.get("lastUpdated")
    return Item(platform=PLATFORM, account=parent.account, platform_id=ref.platform_id,
                kind="media", author=parent.author, author_id=parent.author_id,
                author_name=parent.author_name, created_at=parent.created_at, url=ref.url,
                text=ref.description, parent_id=parent.platform_id,
                thread_id=parent.platform_id, visibility=parent.visibility,
                versioned=versioned, extra=extra)
