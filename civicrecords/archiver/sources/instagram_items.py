"""Instagram Graph API objects (professional accounts) as ``Item``s: pure functions.

Media (``IMAGE``, ``VIDEO`` incl. reels, ``CAROUSEL_ALBUM`` with ``children``, stories,
``BROADCAST`` live media) become ``post`` items whose files are ``media`` children;
comments and their one level of ``replies`` become ``comment`` items (``hidden`` kept);
direct messages share Facebook's message shape (``facebook_items.message_item``).
``media_url``/``thumbnail_url`` are short-lived CDN URLs: they never make a new version,
only the caption, the children and their alt text do.
"""

from __future__ import annotations

import re
from typing import Any

from civicrecords.archiver.sources.facebook_items import hashtags
from civicrecords.model import Item, MediaRef

PLATFORM = "instagram"
_MENTION = re.compile(r"(?<![\w.])@([A-Za-z0-9_.]+)")
_KIND = {"VIDEO": "video", "REELS": "video", "IMAGE": "image", "CAROUSEL_ALBUM": "album"}


def mentions_in(text: str) -> list[str]:
    """``@username`` mentions in a caption or comment, first occurrence order."""
    return list(dict.fromkeys(m.rstrip(".") for m in _MENTION.findall(text)))


def _data(edge: Any) -> list[dict[str, Any]]:
    if isinstance(edge, dict):
        edge = edge.get("data")
    return [d for d in edge if isinstance(d, dict)] if isinstance(edge, list) else []


def media_refs(media: dict[str, Any]) -> list[MediaRef]:
    """The files of one media object: each carousel child, else the object's own file
    (``<id>-media``) and, for videos, its cover frame (``<id>-thumbnail``). A child listed
    by id only (no ``media_url`` requested) keeps its id with no URL."""
    children = _data(media.get("children"))
    if children:
        return [MediaRef(platform_id=str(c.get("id") or ""), url=str(c.get("media_url") or ""),
                         media_type=_KIND.get(str(c.get("media_type")), "unknown"),
                         description=str(c.get("alt_text") or ""))
                for c in children]
    media_id = str(media.get("id") or "")
    kind = _KIND.get(str(media.get("media_type")), "image")
    refs = []
    if media.get("media_url") or media.get("media_type") not in ("BROADCAST", None):
        refs.append(MediaRef(platform_id=f"{media_id}-media", url=str(media.get("media_url") or ""),
                             media_type=kind, description=str(media.get("alt_text") or "")))
    if media.get("thumbnail_url"):
        refs.append(MediaRef(platform_id=f"{media_id}-thumbnail", url=str(media["thumbnail_url"]),
                             media_type="image"))
    return refs


def media_item(media: dict[str, Any], *, account_name: str, owner_id: str = "",
               owner_username: str = "") -> Item:
    """One media object as a ``post`` item (another account's, for tagged or mentioned
    media). Stories carry ``extra['product'] == 'STORY'``."""
    media_id = str(media.get("id") or "")
    owner = media.get("owner") if isinstance(media.get("owner"), dict) else {}
    username = str(media.get("username") or "")
    author_id = str(owner.get("id") or "")
    if not author_id and (not username or username == owner_username):
        author_id, username = owner_id, username or owner_username
    caption = str(media.get("caption") or "")
    product = media.get("media_product_type") or (
        "STORY" if "/stories/" in str(media.get("permalink") or "") else None)
    extra: dict[str, Any] = {
        "media_type": media.get("media_type"), "product": product,
        "shortcode": media.get("shortcode"), "like_count": media.get("like_count"),
        "comments_count": media.get("comments_count"),
        "is_comment_enabled": media.get("is_comment_enabled"), "ig_id": media.get("ig_id"),
    }
    return Item(
        platform=PLATFORM, account=account_name, platform_id=media_id, kind="post",
        author=username, author_id=author_id, author_name=username,
        created_at=media.get("timestamp"), url=media.get("permalink"), text=caption,
        thread_id=media_id, media=media_refs(media), tags=hashtags(caption),
        mentions=mentions_in(caption), visibility="public",
        extra={k: v for k, v in extra.items() if v is not None})


def comment_item(comment: dict[str, Any], *, account_name: str, media_id: str = "",
                 parent_id: str | None = None) -> Item:
    """A comment (or a reply, when ``parent_id`` or the comment's own ``parent_id`` names
    the comment it answers) on ``media_id`` (else the comment's ``media.id``)."""
    media = comment.get("media") if isinstance(comment.get("media"), dict) else {}
    thread = media_id or str(media.get("id") or "")
    user = comment.get("from") if isinstance(comment.get("from"), dict) else \
        comment.get("user") if isinstance(comment.get("user"), dict) else {}
    username = str(comment.get("username") or user.get("username") or "")
    text = str(comment.get("text") or "")
    parent = parent_id or comment.get("parent_id")
    return Item(
        platform=PLATFORM, account=account_name, platform_id=str(comment.get("id") or ""),
        kind="comment", author=username, author_id=str(user.get("id") or ""),
        author_name=username, created_at=comment.get("timestamp"), text=text,
        parent_id=str(parent) if parent else thread or None, thread_id=thread or None,
        tags=hashtags(text), mentions=mentions_in(text), visibility="public",
        hidden=bool(comment.get("hidden")),
        extra={k: v for k, v in {"like_count": comment.get("like_count")}.items()
               if v is not None})


def comment_items(comment: dict[str, Any], *, account_name: str,
                  media_id: str = "") -> list[Item]:
    """A comment followed by the replies it carries inline (``replies{...}``)."""
    item = comment_item(comment, account_name=account_name, media_id=media_id)
    replies = [comment_item(reply, account_name=account_name,
                            media_id=item.thread_id or media_id, parent_id=item.platform_id)
               for reply in _data(comment.get("replies"))]
    return [item, *replies]


def inline_comments(media: dict[str, Any], *, account_name: str) -> list[Item]:
    """The comments (and replies) a media object carries inline (``comments{...}``)."""
    media_id = str(media.get("id") or "")
    return [item for comment in _data(media.get("comments"))
            for item in comment_items(comment, account_name=account_name, media_id=media_id)]


def profile(user: dict[str, Any]) -> dict[str, Any]:
    """What identifies a professional account: id, username, name, audience, website."""
    return {"id": str(user.get("id") or ""), "username": user.get("username"),
            "name": user.get("name"), "followers": user.get("followers_count"),
            "media_count": user.get("media_count"), "website": user.get("website")}
