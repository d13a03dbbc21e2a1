"""The sample world as Bluesky sees it: DIDs, handles, record keys, CIDs and AppView views.

Mapping rules (the ground truth tests compare against):

- Every account has a ``did:plc`` (derived from the seed and its id) and a handle: the city
  is ``lakesidemn.example``, the mayor ``mayor.lakesidemn.example``, residents
  ``<name>.bsky.example`` or ``<name>.<their server>``.
- Only public and unlisted posts and replies exist (Bluesky has no followers-only posts);
  direct messages are chat messages; reblogs are reposts.
- Posts are immutable: a post shows its first version. A post the world edits in state
  "later" is deleted and posted again (``Shown.version`` > 0: a new record key, the new text,
  created at the edit time) and the replies of the deleted post are orphaned (no longer in any
  thread). Edits made before the initial state are ignored (the first text stands).
- Record keys are TIDs that encode the world's status id and the shown version, so any URI
  decodes back to its item without a table. Blob CIDs are real (CIDv1 raw, SHA-256 of the
  file's bytes); record CIDs are derived from the record's JSON.
- Text: mentions are rewritten to ``@handle``; chat messages drop the leading ``@mentions``
  Mastodon needs for addressing. Facets mark mentions, links and hashtags by UTF-8 offsets.
- Media: a video or GIF becomes a video embed (the first one only); otherwise up to four
  images; audio has no Bluesky form and is left out. Sensitive posts carry the self-label
  ``graphic-media``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from civicrecords.archiver.sample.ids import mix
from civicrecords.archiver.sample.media import LIBRARY, MIME
from civicrecords.archiver.sample.model import Account, Item, Media, State, Version
from civicrecords.archiver.sample.world import World

CITY_HANDLE: Final = "lakesidemn.example"
_TID_CHARS: Final = "234567abcdefghijklmnopqrstuvwxyz"
_B32: Final = "abcdefghijklmnopqrstuvwxyz234567"
_MENTION: Final = re.compile(r"(?<![\w/])@([a-z0-9][a-z0-9.\-]*[a-z0-9])", re.I)
_URL: Final = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_TAG: Final = re.compile(r"(?<![\w/&#])#(\w+)")
_LEADING_MENTIONS: Final = re.compile(r"^(?:@\S+\s+)+")


def iso(value: datetime) -> str:
    """AT Protocol datetime: ``2026-03-04T05:06:07.089Z``."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tid(value: int) -> str:
    """A 64-bit integer as a 13-character TID (base32-sortable)."""
    return "".join(_TID_CHARS[(value >> (60 - 5 * i)) & 31] for i in range(13))


def untid(text: str) -> int | None:
    """The integer of a TID, or None when ``text`` is not one."""
    if len(text) != 13 or any(c not in _TID_CHARS for c in text):
        return None
    value = 0
    for char in text:
        value = (value << 5) | _TID_CHARS.index(char)
    return value if value >> 63 == 0 else None


def status_rkey(status_id: str, version: int = 0) -> str:
    """The record key of a world status (``version`` > 0: posted again after an edit)."""
    value = int(status_id)
    millis, low = value >> 16, value & 0xFFFF
    micros = millis * 1000 + (low >> 10) + 64 * version
    return tid((micros << 10) | (low & 1023))


def parse_rkey(rkey: str) -> tuple[str, int] | None:
    """(status id, version) of a record key made by ``status_rkey``."""
    value = untid(rkey)
    if value is None:
        return None
    micros, lo = value >> 10, value & 1023
    millis, rest = divmod(micros, 1000)
    version, hi = divmod(rest, 64)
    if version > 14:
        return None
    return str((millis << 16) | (hi << 10) | lo), version


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").lower().rstrip("=")


def blob_cid(data: bytes) -> str:
    """The real CID of a blob: CIDv1, raw codec, SHA-256."""
    return "b" + _b32(bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest())


def record_cid(record: dict[str, Any]) -> str:
    """A dag-cbor-style CID for a record (SHA-256 of its canonical JSON)."""
    data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return "b" + _b32(bytes([0x01, 0x71, 0x12, 0x20]) + hashlib.sha256(data).digest())


@lru_cache(maxsize=64)
def asset_blob(asset: str) -> tuple[str, str, int]:
    """(CID, MIME type, size) of a media asset's original file."""
    original = LIBRARY.get(asset).original
    return blob_cid(original), MIME[LIBRARY.get(asset).spec.fmt], len(original)


@dataclass(frozen=True)
class Shown:
    """An item as Bluesky shows it in one state: which version, its text, time and key."""

    item: Item
    version: int
    text: str
    created_at: datetime
    media: tuple[Media, ...]


class Identities:
    """DIDs and handles of a world's accounts (both directions)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_did: dict[str, Account] = {}
        self.by_handle: dict[str, Account] = {}
        self._did: dict[int, str] = {}
        self._handle: dict[int, str] = {}
        for account in world.accounts():
            did, handle = self._make(account)
            while handle in self.by_handle:
                handle = f"{handle.split('.')[0]}{account.index}.{handle.split('.', 1)[1]}"
            self._did[account.index], self._handle[account.index] = did, handle
            self.by_did[did], self.by_handle[handle] = account, account

    def _make(self, account: Account) -> tuple[str, str]:
        value = mix(self.world.key, 811, account.index)
        raw = hashlib.blake2b(f"{self.world.seed}:{account.id}:{value}".encode(),
                              digest_size=24).digest()
        did = "did:plc:" + "".join(_B32[b % 32] for b in raw)
        name = re.sub(r"[^a-z0-9-]", "-", account.username.lower()).strip("-") or "user"
        if account.index == 0:
            return did, CITY_HANDLE
        if account.index == 1:
            return did, f"mayor.{CITY_HANDLE}"
        return did, f"{name}.{account.domain or 'bsky.example'}"

    def did(self, account: Account) -> str:
        """The account's DID."""
        return self._did[account.index]

    def handle(self, account: Account) -> str:
        """The account's handle."""
        return self._handle[account.index]

    def lookup(self, actor: str) -> Account | None:
        """The account named by a DID or a handle (``@`` allowed)."""
        actor = actor.strip().lstrip("@").lower()
        return self.by_did.get(actor) or self.by_handle.get(actor)


def shown(world: World, item: Item, state: State, reposted: frozenset[int]) -> Shown:
    """How ``item`` appears on Bluesky in ``state`` (see module docstring)."""
    versions: tuple[Version, ...] = item.versions
    index = len(versions) - 1 if (item.slot == 0 and state == "later"
                                  and item.thread in reposted) else 0
    version = versions[index]
    return Shown(item, index, version.text, version.created_at, version.media)


def post_uri(ids: Identities, s: Shown) -> str:
    """The ``at://`` URI of a shown post."""
    return (f"at://{ids.did(s.item.account)}/app.bsky.feed.post/"
            f"{status_rkey(s.item.id, s.version)}")


def bluesky_text(ids: Identities, text: str, mentions: tuple[Account, ...],
                 message: bool = False) -> str:
    """World text as a Bluesky post (mentions as ``@handle``) or chat message (no leading
    addressing mentions)."""
    if message:
        return _LEADING_MENTIONS.sub("", text)
    for account in sorted(mentions, key=lambda a: -len(a.acct)):
        text = re.sub(rf"@{re.escape(account.acct)}(?![\w@.\-])", f"@{ids.handle(account)}",
                      text)
    return text


def bluesky_media(media: tuple[Media, ...]) -> tuple[Media, ...]:
    """The attachments Bluesky can show: the first video/GIF, else up to four images."""
    videos = [m for m in media if m.kind in ("video", "gifv")]
    if videos:
        return (videos[0],)
    return tuple(m for m in media if m.kind == "image")[:4]


def facets(ids: Identities, text: str) -> list[dict[str, Any]]:
    """Rich-text facets (mentions, links, tags) with UTF-8 byte offsets."""
    out: list[dict[str, Any]] = []

    def span(start: int, end: int) -> dict[str, int]:
        return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

    for found in _MENTION.finditer(text):
        account = ids.by_handle.get(found.group(1).lower())
        if account is not None:
            out.append({"$type": "app.bsky.richtext.facet", "index": span(*found.span()),
                        "features": [{"$type": "app.bsky.richtext.facet#mention",
                                      "did": ids.did(account)}]})
    for found in _URL.finditer(text):
        out.append({"$type": "app.bsky.richtext.facet", "index": span(*found.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#link",
                                  "uri": found.group(0)}]})
    for found in _TAG.finditer(text):
        out.append({"$type": "app.bsky.richtext.facet", "index": span(*found.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#tag",
                                  "tag": found.group(1)}]})
    return sorted(out, key=lambda f: f["index"]["byteStart"])


def _aspect(media: Media) -> dict[str, int]:
    spec = LIBRARY.get(media.asset).spec
    return {"height": spec.height, "width": spec.width}


def embeds(base: str, did: str, media: tuple[Media, ...], card: Any
           ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(record embed, AppView embed view) for a post's media or link card."""
    shown_media = bluesky_media(media)
    if shown_media and shown_media[0].kind in ("video", "gifv"):
        m = shown_media[0]
        cid, mime, size = asset_blob(m.asset)
        record = {"$type": "app.bsky.embed.video", "alt": m.description or "",
                  "aspectRatio": _aspect(m),
                  "video": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime,
                            "size": size}}
        view = {"$type": "app.bsky.embed.video#view", "cid": cid,
                "playlist": f"{base}/watch/{did}/{cid}/playlist.m3u8",
                "thumbnail": f"{base}/watch/{did}/{cid}/thumbnail.jpg",
                "alt": m.description or "", "aspectRatio": _aspect(m)}
        return record, view
    if shown_media:
        images_record, images_view = [], []
        for m in shown_media:
            cid, mime, size = asset_blob(m.asset)
            images_record.append({"alt": m.description or "", "aspectRatio": _aspect(m),
                                  "image": {"$type": "blob", "ref": {"$link": cid},
                                            "mimeType": mime, "size": size}})
            images_view.append({
                "thumb": f"{base}/img/feed_thumbnail/plain/{did}/{cid}@jpeg",
                "fullsize": f"{base}/img/feed_fullsize/plain/{did}/{cid}@jpeg",
                "alt": m.description or "", "aspectRatio": _aspect(m)})
        return ({"$type": "app.bsky.embed.images", "images": images_record},
                {"$type": "app.bsky.embed.images#view", "images": images_view})
    if card is not None:
        external = {"uri": card.url, "title": card.title, "description": card.description}
        return ({"$type": "app.bsky.embed.external", "external": external},
                {"$type": "app.bsky.embed.external#view", "external": external})
    return None, None
