"""Facebook Graph API objects as ``Item``s: pure functions, tested against real responses.

Posts (``/{page-id}/feed``, ``/{post-id}``), comments and replies (``/{object-id}/comments``
in ``stream`` or ``toplevel`` order, inline ``comments`` edges, ``parent``), Page messages
(``/{conversation-id}/messages``, ``/{message-id}``) and media nodes (Photo, Video,
LiveVideo, Album). What Graph changes on its own (``updated_time`` moves with every new
comment; CDN URLs are re-signed on every read; link previews are re-scraped) never makes a
new version: only the text, the attachments (which objects or links) and their captions do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from civicrecords.model import Item, MediaRef

PLATFORM = "facebook"
LINK_TYPES = frozenset({"share", "link", "native_templates", "event", "note", "map", "offer",
                        "multi_share", "multi_share_no_end_card", "fundraiser_for_story"})
REACTION_TYPES = ("like", "love", "care", "wow", "haha", "sad", "angry")
HIDDEN_AUDIENCE = "the commenter and the commenter's friends (hidden by the Page)"
PRIVATE_AUDIENCE = "the commenter and the Page"
_HASHTAG = re.compile(r"(?<![\w&/])#(\w+)")
_PRIVACY = {"EVERYONE": "public", "ALL_FRIENDS": "friends", "FRIENDS_OF_FRIENDS": "friends",
            "SELF": "private", "CUSTOM": "custom"}


def _author(obj: dict[str, Any]) -> tuple[str, str, str]:
    frm = obj.get("from")
    if not isinstance(frm, dict):
        return "", "", ""
    name = str(frm.get("name") or frm.get("username") or "")
    return name, str(frm.get("id") or ""), name


def _data(edge: Any) -> list[dict[str, Any]]:
    if isinstance(edge, dict):
        edge = edge.get("data")
    return [d for d in edge if isinstance(d, dict)] if isinstance(edge, list) else []


def hashtags(text: str) -> list[str]:
    """Hashtags in ``text`` without '#', first occurrence order."""
    return list(dict.fromkeys(_HASHTAG.findall(text)))


def reaction_counts(obj: dict[str, Any]) -> dict[str, int]:
    """Reaction totals an object carries: ``reactions``/``likes`` summaries and per-type
    aliases (``reactions.type(LOVE).summary(total_count).as(love)``)."""
    counts: dict[str, int] = {}
    for name in ("reactions", "likes", *REACTION_TYPES):
        edge = obj.get(name)
        summary = edge.get("summary") if isinstance(edge, dict) else None
        if isinstance(summary, dict) and isinstance(summary.get("total_count"), int):
            counts[name] = summary["total_count"]
    return counts


def _comment_total(obj: dict[str, Any]) -> int | None:
    edge = obj.get("comments")
    summary = edge.get("summary") if isinstance(edge, dict) else None
    return summary.get("total_count") if isinstance(summary, dict) else None


# ----- attachments ---------------------------------------------------------------------------

def attachment_ref(attachment: dict[str, Any]) -> MediaRef | None:
    """The media file of one attachment (photo, video, animated image, sticker), or None
    for link previews and attachments without a file. The id is the Graph object's
    (``target.id``) when there is one, else derived from the file's path (stable across
    re-signed CDN URLs)."""
    kind = str(attachment.get("type") or attachment.get("media_type") or "")
    if kind in LINK_TYPES or attachment.get("media_type") == "link":
        return None
    media = attachment.get("media") if isinstance(attachment.get("media"), dict) else {}
    image = media.get("image") if isinstance(media.get("image"), dict) else {}
    url = media.get("source") or image.get("src")
    if not url:
        return None
    target = attachment.get("target") if isinstance(attachment.get("target"), dict) else {}
    media_type = "video" if ("video" in kind or media.get("source")) else \
        "gifv" if "animated" in kind else "image"
    return MediaRef(platform_id=str(target.get("id") or _file_id(str(url))), url=str(url),
                    media_type=media_type, description=str(attachment.get("description") or ""))


def _file_id(url: str) -> str:
    return "file-" + hashlib.sha256(urlsplit(url).path.encode()).hexdigest()[:20]


def attachment_media(attachments: Any) -> list[MediaRef]:
    """Every media file of a post's ``attachments`` (album sub-attachments included)."""
    refs: list[MediaRef] = []
    for attachment in _data(attachments):
        subs = _data(attachment.get("subattachments"))
        for part in subs or [attachment]:
            ref = attachment_ref(part)
            if ref is not None and all(r.platform_id != ref.platform_id for r in refs):
                refs.append(ref)
    return refs


def attachment_links(attachments: Any) -> list[dict[str, Any]]:
    """Link previews of a post or comment: type, the real URL (``unshimmed_url``, not the
    ``l.facebook.com`` redirect), title and description as scraped."""
    links = []
    for attachment in _data(attachments):
        kind = str(attachment.get("type") or attachment.get("media_type") or "")
        if kind not in LINK_TYPES and attachment.get("media_type") != "link":
            continue
        target = attachment.get("target") if isinstance(attachment.get("target"), dict) else {}
        links.append({"type": kind, "url": attachment.get("unshimmed_url")
                      or attachment.get("url") or target.get("url"),
                      "title": attachment.get("title"),
                      "description": attachment.get("description")})
    return links


# ----- posts ---------------------------------------------------------------------------------

def post_item(post: dict[str, Any], *, account_name: str, page_id: str) -> Item:
    """A Page post (or a visitor's post on the Page, or a post that shared the Page's) as
    an Item. The text is ``message``, else the generated ``story``; attachments become
    media; link previews, reactions, shares and comment counts go to ``extra``."""
    post_id = str(post.get("id") or "")
    author, author_id, author_name = _author(post)
    if not author_id and post_id.startswith(f"{page_id}_"):
        author_id = page_id
    message = str(post.get("message") or "")
    text = message or str(post.get("story") or "")
    attachments = post.get("attachments")
    links = attachment_links(attachments)
    for child in _data(post.get("child_attachments")):
        links.append({"type": "multi_share", "url": child.get("link"), "title": child.get("name"),
                      "description": child.get("description")})
    versioned: dict[str, Any] = {}
    if links:
        versioned["links"] = [link["url"] for link in links]
    privacy = post.get("privacy") if isinstance(post.get("privacy"), dict) else {}
    published = post.get("is_published")
    visibility = ("unpublished" if published is False or post.get("scheduled_publish_time")
                  else _PRIVACY.get(str(privacy.get("value") or "EVERYONE"), "public"))
    extra: dict[str, Any] = {
        "status_type": post.get("status_type"), "updated_time": post.get("updated_time"),
        "story": post.get("story"), "shares": (post.get("shares") or {}).get("count"),
        "reactions": reaction_counts(post), "comments_count": _comment_total(post),
        "full_picture": post.get("full_picture"), "links": links,
        "shared_from": post.get("parent_id"),
        "tagged": [t.get("name") for t in _tags(post, "message_tags", "story_tags")],
    }
    for name in ("scheduled_publish_time", "tagged_time", "is_expired", "promotion_status",
                 "admin_creator", "to"):
        if post.get(name) is not None:
            extra[name] = post[name]
    return Item(
        platform=PLATFORM, account=account_name, platform_id=post_id, kind="post",
        author=author, author_id=author_id, author_name=author_name,
        created_at=post.get("created_time") or post.get("tagged_time"),
        url=post.get("permalink_url") or post.get("link"), text=text, thread_id=post_id,
        media=attachment_media(attachments), tags=hashtags(text),
        mentions=[str(t.get("name")) for t in _tags(post, "message_tags")
                  if t.get("type") in ("user", "page")],
        visibility=visibility, hidden=bool(post.get("is_hidden")), versioned=versioned,
        extra={k: v for k, v in extra.items() if v not in (None, [], {})})


def _tags(obj: dict[str, Any], *names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        value = obj.get(name)
        if isinstance(value, dict):  # the old keyed-by-offset shape
            value = [t for group in value.values() for t in group]
        out.extend(t for t in value or [] if isinstance(t, dict))
    return out


# ----- comments ------------------------------------------------------------------------------

def _permalink_ids(comment: dict[str, Any]) -> tuple[str | None, str | None]:
    """(comment_id, reply_comment_id) from a permalink (ids are not returned to apps using
    Page Public Content Access since v11)."""
    query = parse_qs(urlsplit(str(comment.get("permalink_url") or "")).query)
    return (query.get("comment_id") or [None])[0], (query.get("reply_comment_id") or [None])[0]


def comment_item(comment: dict[str, Any], *, account_name: str, post_id: str,
                 parent_id: str | None = None) -> Item:
    """A comment or reply on ``post_id`` as an Item. Its parent is the comment it answers
    (``parent.id``, the permalink's ``comment_id`` for a reply, or ``parent_id``), else the
    post. Hidden comments keep their text; who can still see them is in ``extra``."""
    object_id = post_id.rsplit("_", 1)[-1]
    top, reply = _permalink_ids(comment)
    comment_id = str(comment.get("id") or (f"{object_id}_{reply or top}" if top else ""))
    parent = comment.get("parent") if isinstance(comment.get("parent"), dict) else None
    if parent and parent.get("id"):
        parent_id = str(parent["id"])
    elif reply and top:
        parent_id = f"{object_id}_{top}"
    author, author_id, author_name = _author(comment)
    text = str(comment.get("message") or "")
    attachment = comment.get("attachment") if isinstance(comment.get("attachment"), dict) else None
    ref = attachment_ref(attachment) if attachment else None
    links = attachment_links({"data": [attachment]}) if attachment else []
    hidden = bool(comment.get("is_hidden"))
    private = bool(comment.get("is_private"))
    extra: dict[str, Any] = {
        "like_count": comment.get("like_count"), "comment_count": comment.get("comment_count"),
        "permalink_url": comment.get("permalink_url"), "can_hide": comment.get("can_hide"),
        "can_remove": comment.get("can_remove"), "is_private": comment.get("is_private"),
        "can_reply_privately": comment.get("can_reply_privately"),
        "reactions": reaction_counts(comment), "links": links,
        "visible_to": HIDDEN_AUDIENCE if hidden else PRIVATE_AUDIENCE if private else None,
    }
    return Item(
        platform=PLATFORM, account=account_name, platform_id=comment_id, kind="comment",
        author=author, author_id=author_id, author_name=author_name,
        created_at=comment.get("created_time"), url=comment.get("permalink_url"), text=text,
        parent_id=parent_id or post_id, thread_id=post_id, media=[ref] if ref else [],
        tags=hashtags(text),
        mentions=[str(t.get("name")) for t in _tags(comment, "message_tags")],
        visibility="private" if private else "public", hidden=hidden,
        versioned={"links": [link["url"] for link in links]} if links else {},
        extra={k: v for k, v in extra.items() if v not in (None, [], {})})


def comments_in(obj: dict[str, Any], *, account_name: str, post_id: str,
                parent_id: str | None = None) -> list[Item]:
    """Comments an object carries inline (``comments{...}`` field expansion), with their own
    inline replies, each answering its container."""
    items: list[Item] = []
    for comment in _data(obj.get("comments")):
        item = comment_item(comment, account_name=account_name, post_id=post_id,
                            parent_id=parent_id)
        items.append(item)
        items.extend(comments_in(comment, account_name=account_name, post_id=post_id,
                                 parent_id=item.platform_id))
    return items


# ----- Page messages -------------------------------------------------------------------------

@dataclass(frozen=True)
class Conversation:
    """A Page inbox thread as ``/{page-id}/conversations`` lists it."""

    id: str
    updated_time: str | None
    message_count: int | None
    participants: tuple[tuple[str, str], ...]  # (id, name or username)
    link: str | None


def conversation_info(conversation: dict[str, Any]) -> Conversation:
    """Read one conversation (participants or senders, counts, last update)."""
    people = _data(conversation.get("participants")) or _data(conversation.get("senders"))
    return Conversation(
        id=str(conversation.get("id") or ""), updated_time=conversation.get("updated_time"),
        message_count=conversation.get("message_count"),
        participants=tuple((str(p.get("id") or ""), str(p.get("name") or p.get("username") or ""))
                           for p in people), link=conversation.get("link"))


def message_attachments(message: dict[str, Any]) -> tuple[list[MediaRef], list[str]]:
    """Files attached to a message (images, GIFs, videos, documents, stickers, template
    images) and the names of attachments Meta withheld (e.g. under EU privacy rules)."""
    refs: list[MediaRef] = []
    withheld: list[str] = []
    for attachment in _data(message.get("attachments")):
        image = attachment.get("image_data") if isinstance(attachment.get("image_data"), dict) \
            else {}
        video = attachment.get("video_data") if isinstance(attachment.get("video_data"), dict) \
            else {}
        template = attachment.get("generic_template") \
            if isinstance(attachment.get("generic_template"), dict) else {}
        url = (video.get("url") or image.get("animated_gif_url") or image.get("url")
               or attachment.get("file_url") or template.get("media_url"))
        if not url:
            withheld.append(str(attachment.get("name") or attachment.get("id") or ""))
            continue
        mime = str(attachment.get("mime_type") or "")
        media_type = ("video" if video or mime.startswith("video/") else
                      "gifv" if mime == "image/gif" else
                      "image" if image or template or mime.startswith("image/") else "file")
        refs.append(MediaRef(platform_id=str(attachment.get("id") or _file_id(str(url))),
                             url=str(url), media_type=media_type,
                             description=str(template.get("title") or "")))
    sticker = message.get("sticker")
    if isinstance(sticker, str) and sticker:
        refs.append(MediaRef(platform_id=_file_id(sticker), url=sticker, media_type="sticker"))
    return refs, withheld


def message_item(message: dict[str, Any], *, account_name: str,
                 conversation: Conversation | None = None, platform: str = PLATFORM) -> Item:
    """A direct message as an Item (``message`` kind), its thread the conversation. The
    recipients are the ``to`` list, else the conversation's other participants."""
    author, author_id, author_name = _author(message)
    recipients = [str(p.get("name") or p.get("username") or p.get("id") or "")
                  for p in _data(message.get("to"))]
    if not recipients and conversation is not None:
        recipients = [name for pid, name in conversation.participants
                      if pid != author_id and name != author_name]
    media, withheld = message_attachments(message)
    shares = [{"link": s.get("link"), "name": s.get("name"), "description": s.get("description")}
              for s in _data(message.get("shares"))]
    story = message.get("story") if isinstance(message.get("story"), dict) else None
    extra: dict[str, Any] = {
        "tags": [t.get("name") for t in _data(message.get("tags"))], "shares": shares,
        "withheld_attachments": withheld, "story": story,
        "conversation_id": conversation.id if conversation else None,
        "is_unsupported": message.get("is_unsupported"),
        "reactions": _data(message.get("reactions")),
    }
    return Item(
        platform=platform, account=account_name, platform_id=str(message.get("id") or ""),
        kind="message", author=author, author_id=author_id, author_name=author_name,
        created_at=message.get("created_time"), text=str(message.get("message") or ""),
        thread_id=conversation.id if conversation else None, media=media,
        recipients=recipients, visibility="direct",
        versioned={"shares": [s["link"] for s in shares]} if shares else {},
        extra={k: v for k, v in extra.items() if v not in (None, [], {})})


# ----- media nodes ---------------------------------------------------------------------------

def largest_image(node: dict[str, Any]) -> str | None:
    """The biggest rendition in a Photo's ``images`` (the original upload), else
    ``picture``."""
    images = [i for i in node.get("images") or [] if isinstance(i, dict) and i.get("source")]
    if images:
        best = max(images, key=lambda i: int(i.get("width") or 0) * int(i.get("height") or 0))
        return str(best["source"])
    picture = node.get("picture")
    if isinstance(picture, dict):
        picture = (picture.get("data") or {}).get("url")
    return str(picture) if picture else None


def thumbnail_urls(node: dict[str, Any]) -> list[str]:
    """A video's thumbnails (``thumbnails`` edge), the preferred one first."""
    thumbs = [t for t in _data(node.get("thumbnails")) if t.get("uri")]
    thumbs.sort(key=lambda t: not t.get("is_preferred"))
    return [str(t["uri"]) for t in thumbs]


def media_object_item(node: dict[str, Any], *, account_name: str,
                      node_type: str | None = None, parent_id: str | None = None) -> Item:
    """A Photo, Video, LiveVideo or Album node as a ``media`` item whose ``url`` is the file
    worth keeping: the largest photo rendition, the video ``source``; none for albums,
    live broadcasts and nodes read without those fields. ``node_type`` (``photo``,
    ``video``, ``live_video``, ``album``) is what was asked for; without it the type is
    inferred from the fields present. Only descriptive fields are kept (never stream URLs,
    which embed the stream key)."""
    author, author_id, author_name = _author(node)
    media_type = node_type or ("video" if "source" in node or "length" in node else
                               "album" if "count" in node else
                               "live_video" if "live_views" in node else "image")
    if media_type == "photo":
        media_type = "image"
    url = (str(node["source"]) if node.get("source") else None) if media_type == "video" \
        else largest_image(node) if media_type == "image" and "images" in node else None
    extra: dict[str, Any] = {k: v for k, v in node.items()
                             if k in ("width", "height", "length", "status", "published",
                                      "count", "link", "album", "live_views",
                                      "content_category", "permalink_url", "updated_time")}
    thumbs = thumbnail_urls(node)
    if thumbs:
        extra["thumbnails"] = thumbs
    extra["media_type"] = media_type
    return Item(
        platform=PLATFORM, account=account_name, platform_id=str(node.get("id") or ""),
        kind="media", author=author, author_id=author_id, author_name=author_name,
        created_at=node.get("created_time") or node.get("creation_time"), url=url,
        text=str(node.get("alt_text") or node.get("description") or node.get("name") or ""),
        title=str(node.get("title") or node.get("name") or ""), parent_id=parent_id,
        extra=extra)


# ----- the Page ------------------------------------------------------------------------------

def page_profile(page: dict[str, Any]) -> dict[str, Any]:
    """What identifies a Page: id, name, username, link, category, audience, verification,
    and the linked Instagram professional account."""
    instagram = page.get("instagram_business_account") or page.get("connected_instagram_account")
    return {"id": str(page.get("id") or ""), "name": page.get("name"),
            "username": page.get("username"), "link": page.get("link"),
            "category": page.get("category"),
            "followers": page.get("followers_count") or page.get("fan_count"),
            "verification": page.get("verification_status"),
            "instagram_account_id": (instagram or {}).get("id") if isinstance(instagram, dict)
            else None}
