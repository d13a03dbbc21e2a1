"""The world's records as YouTube Data API v3 resources: channel, video, comment, caption.

Field names, nesting and formats follow what ``www.googleapis.com/youtube/v3`` sends (see
tests/corpora/youtube): ids in YouTube's alphabets (channels ``UC`` + 22 characters, uploads
playlists ``UU`` + the same, videos 11 characters, top-level comments 26 characters ending in
``4AaABAg``, replies ``<thread id>.<22 characters>``), counts as strings, timestamps
``2026-03-04T05:06:07Z``, ``kind``/``etag`` on every resource, thumbnails in five sizes, the
error envelope ``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}],
"status"}}``. Every id decodes back to the world's record without a table.

A post of an official account is a video (its text the description, its first sentence the
title); its replies are comments: replies to the post are top-level comments, everything
deeper is a reply in the thread of its top-level ancestor (YouTube threads are one level
deep). Followers-only replies are comments held for review (invisible to an API key);
direct messages do not exist on YouTube.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime
from typing import Any, Final

from civicrecords.archiver.sample.ids import hex_name, mix
from civicrecords.archiver.sample.model import Account, Item
from civicrecords.archiver.sample.world import World
from civicrecords.archiver.sample.x_entities import decode_id, encode_id

THUMBNAILS: Final = (("default", "default", 120, 90), ("medium", "mqdefault", 320, 180),
                     ("high", "hqdefault", 480, 360), ("standard", "sddefault", 640, 480),
                     ("maxres", "maxresdefault", 1280, 720))
_URL: Final = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_SENTENCE: Final = re.compile(r"^(.+?[.!?])(\s|$)")
STATUS_TEXT: Final = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                      404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                      503: "UNAVAILABLE"}


def stamp(value: datetime) -> str:
    """YouTube's timestamp format: ``2026-03-04T05:06:07Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def etag(*parts: object) -> str:
    """A stable etag for a resource (the unquoted form YouTube sends since 2020)."""
    return base64.urlsafe_b64encode(bytes.fromhex(hex_name("etag", *parts, length=40))
                                    ).decode()[:27]


def error_body(code: int, message: str, reason: str, domain: str = "global",
               location: str | None = None) -> dict[str, Any]:
    """Google's error envelope."""
    detail: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        detail.update(location=location, locationType="parameter")
    return {"error": {"code": code, "message": message, "errors": [detail],
                      "status": STATUS_TEXT.get(code, "UNKNOWN")}}


# -- ids ---------------------------------------------------------------------------------------

def channel_id(world: World, account: Account) -> str:
    """``UC`` + 22 characters carrying the account id and a check."""
    raw = int(account.id).to_bytes(8, "big") + bytes.fromhex(
        hex_name(world.seed, "yt-channel", account.id))
    return "UC" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def account_of_channel(world: World, value: str) -> Account | None:
    """The account whose channel (``UC...``) or uploads playlist (``UU...``) id this is."""
    if len(value) != 24 or value[:2] not in ("UC", "UU"):
        return None
    try:
        raw = base64.urlsafe_b64decode(value[2:] + "==")
    except ValueError:
        return None
    account = world.account_by_id(str(int.from_bytes(raw[:8], "big"))) if len(raw) == 16 \
        else None
    if account is None or channel_id(world, account)[2:] != value[2:]:
        return None
    return account


def video_id(item: Item) -> str:
    """The 11-character id of the video a post is."""
    return encode_id(int(item.id))


def thread_id(world: World, item: Item) -> str:
    """The id of a top-level comment (and of its thread)."""
    return f"Ugz{encode_id(int(item.id))}{hex_name(world.seed, 'yt-c', item.id, length=5)}" \
        "4AaABAg"


def reply_id(world: World, top: Item, item: Item) -> str:
    """The id of a reply: its thread's id, a dot, 22 characters."""
    return f"{thread_id(world, top)}.9{encode_id(int(item.id))}" \
        f"{hex_name(world.seed, 'yt-r', item.id, length=10)}"


def decode_comment(world: World, value: str) -> str | None:
    """The world id of the comment (top-level or reply) with YouTube id ``value``."""
    if "." in value:
        thread, _, tail = value.partition(".")
        number = decode_id(tail[1:12]) if len(tail) == 22 else None
    else:
        thread, number = value, decode_id(value[3:14]) if len(value) == 26 else None
    if number is None or len(thread) != 26:
        return None
    return str(number)


def handle(account: Account) -> str:
    """The account's YouTube handle (without ``@``)."""
    base = account.username if account.local else \
        f"{account.username}-{(account.domain or 'x').split('.')[0]}"
    return base.lower()


# -- resources ---------------------------------------------------------------------------------

def title_of(text: str) -> str:
    """A video title from a post's text: its first sentence, at most 100 characters."""
    first_line = text.strip().split("\n", 1)[0]
    match = _SENTENCE.match(first_line)
    title = match.group(1) if match else first_line
    return title if len(title) <= 100 else title[:99] + "\u2026"


def thumbnails(base: str, vid: str) -> dict[str, Any]:
    """The five thumbnail sizes of a video."""
    return {name: {"url": f"{base}/i.ytimg.com/vi/{vid}/{file}.jpg", "width": w, "height": h}
            for name, file, w, h in THUMBNAILS}


def avatar_url(base: str, world: World, account: Account) -> str:
    """A channel's profile picture (88 px)."""
    return f"{base}/yt3.ggpht.com/ytc/{hex_name(world.seed, 'yt-avatar', account.id)}" \
        "=s88-c-k-c0x00ffffff-no-rj"


def channel_json(world: World, base: str, account: Account, videos: int) -> dict[str, Any]:
    """A channel resource (every part)."""
    cid = channel_id(world, account)
    return {
        "kind": "youtube#channel", "etag": etag(cid), "id": cid,
        "snippet": {"title": account.display_name, "description": account.note,
                    "customUrl": f"@{handle(account)}", "publishedAt": stamp(account.created_at),
                    "thumbnails": {"default": {"url": avatar_url(base, world, account),
                                               "width": 88, "height": 88}},
                    "localized": {"title": account.display_name,
                                  "description": account.note},
                    "country": "US"},
        "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU" + cid[2:]}},
        "statistics": {"viewCount": str(mix(world.key, 81, account.index) % 10**6),
                       "subscriberCount": str(account.followers_count),
                       "hiddenSubscriberCount": False, "videoCount": str(videos)},
        "status": {"privacyStatus": "public", "isLinked": True,
                   "longUploadsStatus": "longUploadsUnspecified", "madeForKids": False},
    }


def duration(item: Item) -> str:
    """An ISO 8601 duration for a video (stable per post)."""
    seconds = 30 + mix(int(item.id), 82) % 3600
    minutes, seconds = divmod(seconds, 60)
    return f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"


def video_json(world: World, base: str, item: Item, *, comments: int | None,
               captions: bool) -> dict[str, Any]:
    """A video resource for post ``item`` (every part); ``comments`` None means comments
    are turned off (YouTube then omits ``commentCount``)."""
    vid = video_id(item)
    text = item.text
    account = item.account
    counts = mix(world.key, 83, int(item.id))
    statistics = {"viewCount": str(40 + counts % 20000), "likeCount": str(item.favourites_count),
                  "favoriteCount": "0"}
    if comments is not None:
        statistics["commentCount"] = str(comments)
    return {
        "kind": "youtube#video", "etag": etag(vid, text), "id": vid,
        "snippet": {"publishedAt": stamp(item.created_at),
                    "channelId": channel_id(world, account), "title": title_of(text),
                    "description": text, "thumbnails": thumbnails(base, vid),
                    "channelTitle": account.display_name, "tags": list(item.hashtags),
                    "categoryId": "25", "liveBroadcastContent": "none",
                    "defaultLanguage": item.language or "en",
                    "localized": {"title": title_of(text), "description": text},
                    "defaultAudioLanguage": "en"},
        "contentDetails": {"duration": duration(item), "dimension": "2d", "definition": "hd",
                           "caption": "true" if captions else "false",
                           "licensedContent": False, "contentRating": {},
                           "projection": "rectangular"},
        "status": {"uploadStatus": "processed", "privacyStatus": item.visibility,
                   "license": "youtube", "embeddable": True, "publicStatsViewable": True,
                   "madeForKids": False},
        "statistics": statistics,
    }


def text_display(text: str, plain: bool) -> str:
    """``textDisplay``: the text itself for ``textFormat=plainText``, else YouTube's HTML
    (escaped, links as anchors, line breaks as ``<br>``)."""
    if plain:
        return text
    out, pos = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[pos:match.start()], quote=True))
        url = match.group(0)
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        pos = match.end()
    out.append(html.escape(text[pos:], quote=True))
    return "".join(out).replace("\n", "<br>")


def comment_json(world: World, base: str, item: Item, cid: str, *, vid: str,
                 channel: str, parent: str | None, plain: bool,
                 listed: bool = False) -> dict[str, Any]:
    """A comment resource (``parent``: the thread's id, for replies; ``listed``: as
    ``comments.list`` returns a reply, without ``videoId``)."""
    author = item.account
    snippet: dict[str, Any] = {
        "channelId": channel, "videoId": vid, "textDisplay": text_display(item.text, plain),
        "textOriginal": item.text, "authorDisplayName": f"@{handle(author)}",
        "authorProfileImageUrl": avatar_url(base, world, author),
        "authorChannelUrl": f"http://www.youtube.com/@{handle(author)}",
        "authorChannelId": {"value": channel_id(world, author)},
        "canRate": True, "viewerRating": "none", "likeCount": item.favourites_count,
        "publishedAt": stamp(item.created_at), "updatedAt": stamp(item.created_at)}
    if parent is not None:
        snippet["parentId"] = parent
    if listed:
        del snippet["videoId"]
    return {"kind": "youtube#comment", "etag": etag(cid, item.text), "id": cid,
            "snippet": snippet}


def caption_json(world: World, item: Item, kind: str) -> dict[str, Any]:
    """A caption track of video ``item``: ``standard`` (uploaded) or ``asr`` (automatic)."""
    cid = "AUieDa" + hex_name(world.seed, "yt-caption", item.id, kind, length=40)
    return {"kind": "youtube#caption", "etag": etag(cid), "id": cid,
            "snippet": {"videoId": video_id(item), "lastUpdated": stamp(item.created_at)
                        .replace("Z", ".123456Z"),
                        "trackKind": kind, "language": "en",
                        "name": "English" if kind == "standard" else "",
                        "audioTrackType": "unknown", "isCC": kind == "standard",
                        "isLarge": False, "isEasyReader": False, "isDraft": False,
                        "isAutoSynced": False, "status": "serving"}}
