"""The world's records as Mastodon 4.x REST entities (Status, Account, MediaAttachment...).

Field names, key order, nesting and ``null`` conventions follow what a Mastodon 4.5 server
sends (see shared/corpora/mastodon/statuses.json), including what depends on the viewer:
``favourited``, ``reblogged``, ``muted``, ``bookmarked`` and ``filtered`` appear only for
authenticated requests, ``pinned`` only when the viewer wrote the status; ``application`` is
absent for statuses of remote accounts; ``noindex`` and ``roles`` appear only for local
accounts. Content HTML is what Mastodon's text formatter makes of plain text (escaped text,
``<p>``/``<br />``, linked URLs, mentions and hashtags), except for the few items a remote
server relayed as raw HTML (``Item.raw_html``), which are passed through untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

from civicrecords.archiver.sample.ids import hex_name, mix
from civicrecords.archiver.sample.media import EXT, LIBRARY
from civicrecords.archiver.sample.model import Account, Card, Item, Media, Poll, State, Version
from civicrecords.archiver.sample.world import World

_TOKEN: Final = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?<![\w/@])@(?P<acct>[A-Za-z0-9_]+(?:@[A-Za-z0-9.\-]+[A-Za-z0-9])?)"
    r"|(?<![\w/&#])#(?P<tag>\w+)"
)


def escape(text: str) -> str:
    """HTML-escape like Ruby's ``ERB::Util.html_escape`` (``'`` becomes ``&#39;``)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def iso(value: datetime) -> str:
    """Mastodon's timestamp format: ``2026-03-04T05:06:07.089Z``."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def partition(object_id: str) -> str:
    """Paperclip's id partition: the id, zero-padded to a multiple of 3, in 3-digit folders."""
    padded = object_id.rjust(-(-len(object_id) // 3) * 3, "0")
    return "/".join(padded[i:i + 3] for i in range(0, len(padded), 3))


def account_url(a: Account, base: str) -> str:
    """The account's profile page."""
    return f"{base}/@{a.username}" if a.local else f"https://{a.domain}/@{a.username}"


def account_uri(a: Account, base: str) -> str:
    """The account's ActivityPub id."""
    return f"{base}/ap/users/{a.id}" if a.local else f"https://{a.domain}/users/{a.username}"


def _link(url: str, rel: str = "nofollow noopener") -> str:
    scheme, _, rest = url.partition("://")
    prefix = f"{scheme}://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    shown, hidden = (rest, "") if len(rest) <= 30 else (rest[:30], rest[30:])
    cls = "" if not hidden else "ellipsis"
    return (f'<a href="{escape(url)}" target="_blank" rel="{rel}" translate="no">'
            f'<span class="invisible">{escape(prefix)}</span>'
            f'<span class="{cls}">{escape(shown)}</span>'
            f'<span class="invisible">{escape(hidden)}</span></a>')


@lru_cache(maxsize=1 << 14)
def format_text(text: str, mentions: tuple[tuple[str, str, str], ...], base: str) -> str:
    """Render plain text as Mastodon does; ``mentions`` holds (acct, username, profile url)."""
    known = {acct.lower(): (username, url) for acct, username, url in mentions}
    out: list[str] = []
    pos = 0
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for found in _TOKEN.finditer(text):
        out.append(escape(text[pos:found.start()]))
        pos = found.end()
        if found.group("url"):
            out.append(_link(found.group("url")))
        elif found.group("acct"):
            target = known.get(found.group("acct").lower())
            if target is None:
                out.append(escape(found.group(0)))
            else:
                out.append(f'<span class="h-card" translate="no"><a href="{target[1]}" '
                           f'class="u-url mention">@<span>{escape(target[0])}</span></a>'
                           "</span>")
        else:
            tag = found.group("tag")
            out.append(f'<a href="{base}/tags/{quote(tag)}" class="mention hashtag" '
                       f'rel="tag">#<span>{escape(tag)}</span></a>')
    out.append(escape(text[pos:]))
    paragraphs = re.split(r"\n\s*\n", "".join(out).strip("\n"))
    return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs if p)


@dataclass
class Render:
    """Everything one response's entities depend on."""

    world: World
    state: State
    base: str
    viewer: Account | None
    accounts: dict[tuple[str, int, State], dict[str, Any]]  # shared cache

    def content(self, item: Item | Version, account_mentions: tuple[Account, ...]) -> str:
        """The HTML content of an item or one of its versions."""
        if isinstance(item, Item) and item.raw_html:
            return item.text
        mentions = tuple((m.acct, m.username, account_url(m, self.base))
                         for m in account_mentions)
        return format_text(item.text, mentions, self.base)


def _field_value(value: str) -> str:
    if value.startswith("https://"):
        return _link(value, "nofollow noopener me")
    return escape(value)


def account_json(r: Render, a: Account) -> dict[str, Any]:
    """REST::AccountSerializer output for ``a`` (cached per base URL and state)."""
    key = (r.base, a.index, r.state)
    cached = r.accounts.get(key)
    if cached is not None:
        return cached
    w = r.world
    if a.index < 2:
        timeline = w.account_timeline(a, r.state)
        count = len(timeline)
        newest = timeline.newest()
        last = iso(w.item(str(newest), r.state).created_at)[:10] if newest else None  # type: ignore[union-attr]
    else:
        h = mix(w.key, 51, a.index)
        count, last = 1 + h % 400, f"2026-{1 + (h >> 12) % 10:02d}-{1 + (h >> 20) % 28:02d}"
    avatar = _picture_url(r, a, "avatars", a.avatar)
    header = _picture_url(r, a, "headers", a.header)
    note = "".join(f"<p>{escape(line)}</p>" for line in a.note.split("\n\n") if line)
    data: dict[str, Any] = {
        "id": a.id, "username": a.username, "acct": a.acct, "display_name": a.display_name,
        "locked": a.locked, "bot": a.bot, "discoverable": a.index < 2 or a.index % 3 != 0,
        "indexable": a.index < 2, "group": False, "created_at": iso(a.created_at),
        "note": note, "url": account_url(a, r.base), "uri": account_uri(a, r.base),
        "avatar": avatar, "avatar_static": avatar, "avatar_description": "",
        "header": header, "header_static": header, "header_description": "",
        "followers_count": a.followers_count, "following_count": a.following_count,
        "statuses_count": count, "last_status_at": last, "hide_collections": False,
        "show_media": True, "show_media_replies": True, "show_featured": True,
    }
    if a.local:
        data["noindex"] = False
    data["feature_approval"] = {"automatic": [], "manual": [], "current_user": "denied"}
    data["emojis"] = []
    if a.local:
        data["roles"] = []
    data["fields"] = [{"name": name, "value": _field_value(value),
                       "verified_at": "2024-01-15T18:02:11.000+00:00"
                       if value.startswith("https://") and a.index < 2 else None}
                      for name, value in a.fields]
    r.accounts[key] = data
    return data


def _picture_url(r: Render, a: Account, what: str, asset: str | None) -> str:
    if asset is None:
        return f"{r.base}/{what}/original/missing.png"
    ext = EXT[LIBRARY.get(asset).spec.fmt] if asset else "png"
    cache = "" if a.local else "cache/"
    name = hex_name(r.world.seed, what, a.id)
    return f"{r.base}/system/{cache}accounts/{what}/{partition(a.id)}/original/{name}.{ext}"


def media_json(r: Render, m: Media, author: Account) -> dict[str, Any]:
    """REST::MediaAttachmentSerializer output."""
    asset = LIBRARY.get(m.asset)
    spec = asset.spec
    cache = "" if author.local else "cache/"
    root = f"{r.base}/system/{cache}media_attachments"
    part = partition(m.id)
    name = hex_name(r.world.seed, "media", m.id)
    ext = EXT[spec.fmt]
    url = f"{root}/files/{part}/original/{name}.{ext}"
    preview: str | None = None
    if spec.fmt in ("jpeg", "png"):
        preview = f"{root}/files/{part}/small/{name}.{ext}"
    elif spec.fmt == "mp4":
        preview = f"{root}/thumbnails/{part}/original/{hex_name(r.world.seed, 'thumb', m.id)}.jpg"
    remote = None
    if not author.local:
        remote = (f"https://{author.domain}/system/media_attachments/files/{part}/original/"
                  f"{quote(m.remote_name or name + '.' + ext)}")
    meta: dict[str, Any] = {}
    if spec.fmt == "mp3":
        meta = {"length": "0:00:02.01", "duration": 2.01, "audio_encode": "mp3",
                "audio_bitrate": "44100 Hz", "audio_channels": "mono",
                "original": {"duration": 2.01, "bitrate": 128000}}
    else:
        sw, sh = asset.small_size
        small = {"width": sw, "height": sh, "size": f"{sw}x{sh}", "aspect": sw / sh}
        if spec.fmt == "mp4":
            bitrate = len(asset.original) * 8 * spec.fps // max(1, spec.frames)
            meta["original"] = {"width": spec.width, "height": spec.height,
                                "frame_rate": f"{spec.fps}/1",
                                "duration": spec.frames / spec.fps, "bitrate": bitrate}
        else:
            meta["original"] = {"width": spec.width, "height": spec.height,
                                "size": f"{spec.width}x{spec.height}",
                                "aspect": spec.width / spec.height}
        meta["small"] = small
        if m.focus is not None:
            meta["focus"] = {"x": m.focus[0], "y": m.focus[1]}
    kind = {"mp3": "audio"}.get(spec.fmt, m.kind)
    return {"id": m.id, "type": kind, "url": url, "preview_url": preview, "remote_url": remote,
            "preview_remote_url": None, "text_url": None, "meta": meta,
            "description": m.description, "blurhash": asset.blurhash}


def poll_json(r: Render, poll: Poll) -> dict[str, Any]:
    """REST::PollSerializer output (``voted``/``own_votes`` only when authenticated)."""
    expired = poll.expires_at.timestamp() < r.world.now(r.state)
    data: dict[str, Any] = {"id": poll.id, "expires_at": iso(poll.expires_at), "expired": expired,
                            "multiple": poll.multiple, "votes_count": sum(poll.votes),
                            "voters_count": poll.voters_count}
    if r.viewer is not None:
        data["voted"] = False
        data["own_votes"] = []
    data["options"] = [{"title": t, "votes_count": v} for t, v in zip(poll.options, poll.votes,
                                                                       strict=True)]
    data["emojis"] = []
    return data


def card_json(card: Card) -> dict[str, Any]:
    """REST::PreviewCardSerializer output for a link card."""
    return {"url": card.url, "title": card.title, "description": card.description,
            "language": "en", "type": "link", "author_name": "", "author_url": "",
            "provider_name": card.provider_name, "provider_url": "", "html": "", "width": 0,
            "height": 0, "image": None, "image_description": "", "embed_url": "",
            "blurhash": None, "published_at": None, "missing_attribution": False, "authors": []}


def _quote_approval(r: Render, item: Item) -> dict[str, Any]:
    automatic = {"public": ["public"], "unlisted": ["public"], "private": ["followers"]}.get(
        item.visibility, [])
    viewer = r.viewer
    if viewer is None or item.visibility == "direct":
        current = "denied"
    elif viewer.index == item.account.index or automatic == ["public"]:
        current = "automatic"
    else:
        current = "automatic" if viewer.index < 2 and item.account.index < 2 else "denied"
    return {"automatic": automatic, "manual": [], "current_user": current}


def _uri_url(r: Render, item: Item) -> tuple[str, str | None]:
    a = item.account
    if item.kind == "reblog":
        return (f"{r.base}/ap/users/{a.id}/statuses/{item.id}/activity",
                f"{r.base}/users/{a.username}/statuses/{item.id}/activity")
    if a.local:
        return f"{r.base}/ap/users/{a.id}/statuses/{item.id}", f"{r.base}/@{a.username}/{item.id}"
    return (f"https://{a.domain}/users/{a.username}/statuses/{item.id}",
            f"https://{a.domain}/@{a.username}/{item.id}")


def status_json(r: Render, item: Item, reblogger: Account | None = None) -> dict[str, Any]:
    """REST::StatusSerializer output for ``item`` as seen by ``r.viewer``."""
    viewer, a = r.viewer, item.account
    original = r.world.item(item.reblog_of, r.state) if item.reblog_of else None
    uri, url = _uri_url(r, item)
    data: dict[str, Any] = {
        "id": item.id, "created_at": iso(item.created_at), "in_reply_to_id": item.in_reply_to_id,
        "in_reply_to_account_id": item.in_reply_to_account.id if item.in_reply_to_account
        else None,
        "sensitive": item.sensitive, "spoiler_text": item.spoiler_text,
        "visibility": item.visibility, "language": item.language, "uri": uri, "url": url,
        "replies_count": item.replies_count, "reblogs_count": item.reblogs_count,
        "favourites_count": item.favourites_count, "quotes_count": 0,
        "edited_at": iso(item.edited_at) if item.edited_at else None,
    }
    if viewer is not None:
        reblogged = viewer.index == (reblogger or a).index if (reblogger or original) else False
        data.update(favourited=False, reblogged=reblogged, muted=False, bookmarked=False)
        if viewer.index == a.index and item.kind != "reblog" and item.visibility != "direct":
            data["pinned"] = item.pinned
    data["content"] = r.content(item, item.mentions)
    if viewer is not None:
        data["filtered"] = []
    data["reblog"] = status_json(r, original, a) if original is not None else None
    if item.kind == "reblog":
        data["application"] = None
    elif a.local or (viewer is not None and viewer.index == a.index):
        scheduled = a.index == 0 and mix(r.world.key, 52, item.thread, item.slot) % 10 < 3
        data["application"] = ({"name": "Lakeside Social Scheduler",
                                "website": "https://www.lakesidemn.example"} if scheduled
                               else {"name": "Web", "website": None})
    data["account"] = account_json(r, a)
    data["media_attachments"] = [media_json(r, m, a) for m in item.media]
    data["mentions"] = [{"id": m.id, "username": m.username, "url": account_url(m, r.base),
                         "acct": m.acct} for m in item.mentions]
    data["tags"] = [{"name": t.lower(), "url": f"{r.base}/tags/{quote(t.lower())}"}
                    for t in item.hashtags]
    data["emojis"] = []
    data["tagged_collections"] = []
    data["quote"] = None
    data["card"] = card_json(item.card) if item.card else None
    data["poll"] = poll_json(r, item.poll) if item.poll else None
    data["quote_approval"] = _quote_approval(r, original or item)
    return data


def edit_json(r: Render, item: Item, version: Version) -> dict[str, Any]:
    """REST::StatusEditSerializer output for one version of ``item``."""
    data: dict[str, Any] = {
        "content": r.content(version, item.mentions) if not item.raw_html else item.text,
        "spoiler_text": version.spoiler_text, "sensitive": version.sensitive,
        "created_at": iso(version.created_at), "account": account_json(r, item.account),
    }
    if version.poll_options:
        data["poll"] = {"options": [{"title": t} for t in version.poll_options]}
    data["media_attachments"] = [media_json(r, m, item.account) for m in version.media]
    data["emojis"] = []
    return data


def credential_json(r: Render, a: Account) -> dict[str, Any]:
    """REST::CredentialAccountSerializer output: the account plus ``source`` and ``role``."""
    data = dict(account_json(r, a))
    data["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": a.note,
                      "fields": [{"name": n, "value": v, "verified_at": None}
                                 for n, v in a.fields],
                      "follow_requests_count": 0, "hide_collections": False,
                      "discoverable": True, "indexable": a.index < 2,
                      "attribution_domains": [], "quote_policy": "public"}
    data["role"] = {"id": "-99", "name": "", "permissions": "0", "color": "",
                    "highlighted": False}
    return data
