"""The world's records as X API v2 objects: Tweet, User, Media, Poll, DM event.

Field names, nesting and formats follow what ``api.x.com/2`` sends (see
tests/corpora/x): ids and counts as X writes them, timestamps ``2026-03-04T05:06:07.000Z``,
``text`` with every link wrapped as ``https://t.co/...`` and the originals in
``entities.urls`` (``expanded_url``, ``display_url``, code-point ``start``/``end``), mentions
as ``@username`` with ``entities.mentions``, a ``pic.x.com`` link at the end of tweets with
media, ``note_tweet`` for posts longer than 280 characters, every edit a tweet of its own
(``edit_history_tweet_ids`` oldest first, ``edit_controls``) and media keys
``3_`` (photo), ``7_`` (video), ``16_`` (animated GIF) with ``variants`` for videos.

Builders return every field; ``select`` trims an object to the default fields plus the
ones a request asked for, as X does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from civicrecords.archiver.sample.ids import hex_name, mix
from civicrecords.archiver.sample.media import EXT, LIBRARY
from civicrecords.archiver.sample.model import Account, Item, Media, State, Version
from civicrecords.archiver.sample.world import World

TEXT_LIMIT: Final = 280
EDIT_WINDOW: Final = timedelta(hours=1)
MAX_EDITS: Final = 5
TWEET_DEFAULTS: Final = ("id", "text", "edit_history_tweet_ids")
USER_DEFAULTS: Final = ("id", "name", "username")
MEDIA_DEFAULTS: Final = ("media_key", "type")
POLL_DEFAULTS: Final = ("id", "options")
DM_DEFAULTS: Final = ("id", "event_type", "text")
MEDIA_KEY_PREFIX: Final = {"image": "3", "video": "7", "gifv": "16"}
_TOKEN: Final = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?<![\w/@])@(?P<acct>[A-Za-z0-9_]+(?:@[A-Za-z0-9.\-]+[A-Za-z0-9])?)"
    r"|(?<![\w/&#])#(?P<tag>\w+)"
)
_LEADING_MENTIONS: Final = re.compile(r"^(?:@[A-Za-z0-9_]+(?:@[A-Za-z0-9.\-]+[A-Za-z0-9])?\s+)+")


def escape(text: str) -> str:
    """X escapes ``&``, ``<`` and ``>`` in tweet and message text as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def stamp(value: datetime) -> str:
    """X's timestamp format (whole seconds): ``2026-03-04T05:06:07.000Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def on_x(item: Item | None) -> bool:
    """Whether ``item`` is a tweet anyone may read (public or unlisted, not a message)."""
    return item is not None and item.visibility in ("public", "unlisted") \
        and item.kind != "message"


def select(obj: dict[str, Any], defaults: Iterable[str], wanted: set[str]) -> dict[str, Any]:
    """``obj`` with only its default fields and the requested ones, in X's key order."""
    keep = set(defaults) | wanted
    return {k: v for k, v in obj.items() if k in keep}


def tco(url: str) -> str:
    """The t.co short link X substitutes for ``url`` (stable)."""
    return f"https://t.co/{hex_name('t.co', url, length=10)}"


def encode_id(value: int) -> str:
    """An integer id as the 11-character URL-safe base64 X uses in media file names."""
    return base64.urlsafe_b64encode(value.to_bytes(8, "big")).decode().rstrip("=")


def decode_id(name: str) -> int | None:
    """Inverse of ``encode_id``; None when ``name`` is not one."""
    if len(name) != 11:
        return None
    try:
        raw = base64.urlsafe_b64decode(name + "=")
    except ValueError:
        return None
    return int.from_bytes(raw, "big") if len(raw) == 8 else None


def media_name(seed: int | str, media_id: str) -> str:
    """The 15-character file name of a photo or GIF: the id, then a 4-character check."""
    return encode_id(int(media_id)) + hex_name(seed, "x-media", media_id, length=4)


@dataclass
class XRender:
    """Everything one response's objects depend on."""

    world: World
    state: State
    base: str
    names: dict[int, str]  # account index -> X username

    def username(self, account: Account) -> str:
        """The account's X username."""
        return self.names[account.index]

    def conversation_root(self, item: Item) -> Item:
        """The post that starts ``item``'s thread."""
        return item if item.slot == 0 else self.world.item_at(item.thread, 0, self.state)

    def current_id(self, item: Item) -> str:
        """The id X shows for ``item`` now: its latest revision's."""
        return self.world.revision_id(item, item.versions[-1])

    def id_at(self, item: Item, when: datetime) -> str:
        """The id of the revision of ``item`` that was current at ``when``."""
        version = item.versions[0]
        for candidate in item.versions:
            if candidate.created_at <= when:
                version = candidate
        return self.world.revision_id(item, version)

    def parent(self, item: Item) -> Item | None:
        """The item ``item`` replies to, if it still exists."""
        if item.in_reply_to_id is None:
            return None
        return self.world.item(item.in_reply_to_id, self.state)


@lru_cache(maxsize=1 << 14)
def _format(text: str, mentions: tuple[tuple[str, str, str], ...]
            ) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """(X text, entities) for world text; ``mentions`` holds (acct, username, id)."""
    known = {acct.lower(): (username, uid) for acct, username, uid in mentions}
    out: list[str] = []
    urls: list[dict[str, Any]] = []
    found_mentions: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    length = 0
    pos = 0
    for match in _TOKEN.finditer(text):
        plain = text[pos:match.start()]
        out.append(plain)
        length += len(plain)
        pos = match.end()
        if match.group("url"):
            original = match.group("url")
            short = tco(original)
            shown = re.sub(r"^https?://(www\.)?", "", original)
            urls.append({"start": length, "end": length + len(short), "url": short,
                         "expanded_url": original,
                         "display_url": shown if len(shown) <= 26 else shown[:26] + "\u2026"})
            token = short
        elif match.group("acct"):
            target = known.get(match.group("acct").lower())
            if target is None:
                token = match.group(0)
            else:
                token = f"@{target[0]}"
                found_mentions.append({"start": length, "end": length + len(token),
                                       "username": target[0], "id": target[1]})
        else:
            token = match.group(0)
            tags.append({"start": length, "end": length + len(token), "tag": match.group("tag")})
        out.append(token)
        length += len(token)
    out.append(text[pos:])
    entities: list[tuple[str, Any]] = []
    for name, values in (("urls", urls), ("mentions", found_mentions), ("hashtags", tags)):
        if values:
            entities.append((name, tuple(tuple(v.items()) for v in values)))
    return "".join(out), tuple(entities)


def format_text(r: XRender, text: str, accounts: Iterable[Account]
                ) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """World plain text as X text and its ``entities`` (mentions only of ``accounts``)."""
    mentions = tuple((a.acct, r.username(a), a.id) for a in accounts)
    formatted, entities = _format(text, mentions)
    return formatted, {name: [dict(v) for v in values] for name, values in entities}


def user_json(r: XRender, a: Account) -> dict[str, Any]:
    """A User object with every field the sample knows."""
    official = a.index < 2
    avatar = a.avatar or "avatar-missing"
    ext = EXT[LIBRARY.get(avatar).spec.fmt]
    data: dict[str, Any] = {
        "id": a.id, "name": a.display_name, "username": r.username(a),
        "created_at": stamp(a.created_at), "description": a.note, "protected": False,
        "verified": official, "profile_image_url":
            f"{r.base}/pbs.twimg.com/profile_images/{a.id}/"
            f"{hex_name(r.world.seed, 'x-avatar', a.id, length=8)}_normal.{ext}",
        "public_metrics": {"followers_count": a.followers_count,
                           "following_count": a.following_count,
                           "tweet_count": 0, "listed_count": a.followers_count // 40},
        "url": "", "location": "Lakeside, MN" if official else "",
    }
    if official:
        data["verified_type"] = "government"
    return data


def media_json(r: XRender, m: Media) -> dict[str, Any] | None:
    """A Media object for attachment ``m`` (None for kinds X does not carry, e.g. audio)."""
    prefix = MEDIA_KEY_PREFIX.get(m.kind)
    if prefix is None:
        return None
    asset = LIBRARY.get(m.asset)
    spec = asset.spec
    data: dict[str, Any] = {"media_key": f"{prefix}_{m.id}",
                            "type": {"image": "photo", "video": "video",
                                     "gifv": "animated_gif"}[m.kind]}
    pbs, video = f"{r.base}/pbs.twimg.com", f"{r.base}/video.twimg.com"
    if m.kind == "image":
        data["url"] = f"{pbs}/media/{media_name(r.world.seed, m.id)}.{EXT[spec.fmt]}"
    elif m.kind == "video":
        thumb = hex_name(r.world.seed, "x-thumb", m.id, length=15)
        name = hex_name(r.world.seed, "x-video", m.id, length=16)
        data["preview_image_url"] = f"{pbs}/ext_tw_video_thumb/{m.id}/pu/img/{thumb}.jpg"
        data["duration_ms"] = spec.frames * 1000 // max(1, spec.fps)
        small = f"{spec.width // 2}x{spec.height // 2}"
        data["variants"] = [
            {"content_type": "application/x-mpegURL",
             "url": f"{video}/ext_tw_video/{m.id}/pu/pl/{name}.m3u8?tag=12"},
            {"bit_rate": 256000, "content_type": "video/mp4",
             "url": f"{video}/ext_tw_video/{m.id}/pu/vid/{small}/{name}.mp4?tag=12"},
            {"bit_rate": 832000, "content_type": "video/mp4",
             "url": f"{video}/ext_tw_video/{m.id}/pu/vid/{spec.width}x{spec.height}/"
                    f"{name}.mp4?tag=12"},
        ]
        data["public_metrics"] = {"view_count": mix(r.world.key, 91, int(m.id)) % 5000}
    else:
        name = media_name(r.world.seed, m.id)
        data["preview_image_url"] = f"{pbs}/tweet_video_thumb/{name}.jpg"
        data["variants"] = [{"bit_rate": 0, "content_type": "video/mp4",
                             "url": f"{video}/tweet_video/{name}.mp4"}]
    data["width"], data["height"] = spec.width, spec.height
    if m.description:
        data["alt_text"] = m.description
    return data


def poll_json(r: XRender, item: Item) -> dict[str, Any] | None:
    """The Poll object of ``item`` (None without a poll)."""
    poll = item.poll
    if poll is None:
        return None
    now = datetime.fromtimestamp(r.world.now(r.state), tz=poll.expires_at.tzinfo)
    minutes = int((poll.expires_at - item.created_at).total_seconds() // 60)
    return {"id": poll_id(item), "options": [
        {"position": n + 1, "label": label, "votes": votes}
        for n, (label, votes) in enumerate(zip(poll.options, poll.votes, strict=True))],
        "voting_status": "closed" if poll.expires_at <= now else "open",
        "duration_minutes": minutes, "end_datetime": stamp(poll.expires_at)}


def poll_id(item: Item) -> str:
    """The id of the poll attached to ``item``."""
    return str(int(item.id) + 1)


def tweet_json(r: XRender, item: Item, version_index: int = -1) -> dict[str, Any]:
    """A Tweet object for one revision of ``item`` (default: the current one)."""
    versions = item.versions
    index = version_index % len(versions)
    version: Version = versions[index]
    author = item.account
    own_id = r.world.revision_id(item, version)
    history = [r.world.revision_id(item, v) for v in versions]
    data: dict[str, Any] = {"id": own_id}
    references: list[dict[str, str]] = []
    mentions = list(item.mentions)
    if item.kind == "reblog" and item.reblog_of:
        original = r.world.item(item.reblog_of, r.state)
        shown = original.text if original is not None else ""
        name = r.username(original.account) if original is not None else "unknown"
        raw = f"RT @{name}: {shown}"
        if original is not None:
            mentions.append(original.account)
            references.append({"type": "retweeted", "id": r.current_id(original)})
        text, entities = format_text(r, raw, mentions)
        if len(text) > 140:
            text = text[:139] + "\u2026"
    else:
        body = item.text if item.raw_html else version.text
        text, entities = format_text(r, body, mentions)
    attached = [m for m in version.media if m.kind in MEDIA_KEY_PREFIX]
    if attached and item.kind != "reblog":
        link = tco(f"pic:{own_id}")
        shown = f"pic.x.com/{hex_name('pic', own_id, length=10)}"
        start = len(text) + 1
        text = f"{text} {link}"
        entities.setdefault("urls", []).append({
            "start": start, "end": start + len(link), "url": link,
            "expanded_url": f"https://x.com/{r.username(author)}/status/{own_id}/photo/1",
            "display_url": shown, "media_key": f"{MEDIA_KEY_PREFIX[attached[0].kind]}"
                                               f"_{attached[0].id}"})
    note = None
    if len(text) > TEXT_LIMIT:
        note = {"text": escape(text), "entities": entities}
        text = text[:TEXT_LIMIT - 1] + "\u2026"
    data["text"] = escape(text)
    data["edit_history_tweet_ids"] = history
    data["author_id"] = author.id
    data["created_at"] = stamp(version.created_at)
    root = r.conversation_root(item)
    data["conversation_id"] = (own_id if item.slot == 0
                               else r.id_at(root, item.created_at))
    parent = r.parent(item)
    if item.in_reply_to_id is not None:
        parent_author = parent.account if parent is not None else item.in_reply_to_account
        if parent_author is not None:
            data["in_reply_to_user_id"] = parent_author.id
        parent_ref = (r.id_at(parent, item.created_at) if parent is not None
                      else item.in_reply_to_id)
        references.append({"type": "replied_to", "id": parent_ref})
    if references:
        data["referenced_tweets"] = references
    attachments: dict[str, Any] = {}
    if attached and item.kind != "reblog":
        attachments["media_keys"] = [f"{MEDIA_KEY_PREFIX[m.kind]}_{m.id}" for m in attached]
    if item.poll is not None and index == len(versions) - 1:
        attachments["poll_ids"] = [poll_id(item)]
    if attachments:
        data["attachments"] = attachments
    if entities:
        data["entities"] = entities
    if note is not None:
        data["note_tweet"] = note
    editable_until = item.created_at + EDIT_WINDOW
    data["edit_controls"] = {"edits_remaining": max(0, MAX_EDITS - (len(versions) - 1)),
                             "is_edit_eligible": item.poll is None and item.kind != "reblog",
                             "editable_until": stamp(editable_until)}
    data["lang"] = item.language or "und"
    data["possibly_sensitive"] = version.sensitive
    data["reply_settings"] = "everyone"
    counts = mix(r.world.key, 92, int(item.id))
    data["public_metrics"] = {"retweet_count": item.reblogs_count,
                              "reply_count": r.world.replies_count(item.thread, item.slot,
                                                                   r.state),
                              "like_count": item.favourites_count, "quote_count": counts % 3,
                              "bookmark_count": (counts >> 8) % 7,
                              "impression_count": 40 + (counts >> 16) % 4000}
    return data


def dm_conversation_id(world: World, participants: Iterable[Account], group: int) -> str:
    """X's id for a DM conversation: ``<low id>-<high id>`` for two people, else a number."""
    people = sorted({a.id for a in participants}, key=int)
    if len(people) == 2:
        return f"{people[0]}-{people[1]}"
    return str(1_500_000_000_000_000_000 + mix(world.key, 93, group) % 10**17)


def dm_event_json(r: XRender, item: Item, participants: list[Account]) -> dict[str, Any]:
    """A ``MessageCreate`` DM event for direct message ``item``."""
    text = _LEADING_MENTIONS.sub("", item.text)
    text, entities = format_text(r, text, item.mentions)
    data: dict[str, Any] = {"id": item.id, "event_type": "MessageCreate", "text": escape(text),
                            "created_at": stamp(item.created_at), "sender_id": item.account.id,
                            "dm_conversation_id": dm_conversation_id(
                                r.world, participants, item.conversation or 0)}
    if entities:
        data["entities"] = entities
    return data
