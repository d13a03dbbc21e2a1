"""Feed documents, entries and linked pages mapped to ``Item``s: parsing only, no fetching.

``parse_feed`` reads RSS 2.0 / Atom bytes with feedparser from memory (it is never given a URL,
so it never fetches anything itself); ``entry_item``, ``page_item`` and ``media_item`` turn an
entry, the page it links to and its images into items. HTML (entry content, pages) is only
ever reduced to text: nothing in it is executed or kept as markup.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import feedparser

from civicrecords.archiver.http import Exchange
from civicrecords.htmltext import html_title, html_to_text
from civicrecords.model import Item, MediaRef

PLATFORM: Final = "feed"
MAX_IMAGES: Final = 20  # images fetched per entry
_HARMLESS: Final = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_MAIN: Final = (re.compile(r"<article\b.*?</article>", re.I | re.S),
                re.compile(r"<main\b.*?</main>", re.I | re.S))
_CHARSET: Final = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)


@dataclass
class ParsedFeed:
    """A parsed feed document: feed facts, entries, paging links, and what was wrong."""

    version: str
    title: str
    link: str | None
    entries: list[Any]
    next_urls: list[str] = field(default_factory=list)
    problem: str | None = None  # the document is not well-formed (entries may be partial)
    alternate: str | None = None  # an HTML page's advertised feed
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def is_feed(self) -> bool:
        """True when the document is RSS or Atom at all."""
        return bool(self.version) or bool(self.entries)


def parse_feed(data: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    """Parse feed bytes (encoding from the XML declaration, a BOM or ``content_type``).

    Never fetches anything; relative links resolve against ``url``. A document that is not
    well-formed XML still yields what the lenient parser recovered, with ``problem`` set.
    """
    parsed = feedparser.parse(io.BytesIO(data), response_headers={
        "content-location": url, "content-type": content_type or "application/xml"},
        resolve_relative_uris=True, sanitize_html=False)
    problem = None
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _HARMLESS):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    feed = parsed.get("feed", {})
    links = feed.get("links") or []
    result = ParsedFeed(
        version=str(parsed.get("version") or ""),
        title=_plain(feed.get("title") or "", _detail_type(feed, "title")),
        link=feed.get("link"), entries=list(parsed.get("entries") or []),
        next_urls=[str(link["href"]) for link in links
                   if link.get("rel") in ("next", "prev-archive") and link.get("href")],
        problem=problem,
        info={"title": _plain(feed.get("title") or "", _detail_type(feed, "title")),
              "link": feed.get("link"),
              "subtitle": _plain(feed.get("subtitle") or "", _detail_type(feed, "subtitle")),
              "language": feed.get("language"),
              "author": (feed.get("author_detail") or {}).get("name") or feed.get("author"),
              "encoding": parsed.get("encoding"), "format": parsed.get("version")})
    if not result.is_feed:
        result.alternate = _advertised_feed(_decode_html(data, content_type), url)
    return result


def _plain(value: str, kind: str = "text/html") -> str:
    """A title or subtitle as text: markup reduced to text when the feed says it is HTML,
    kept literally (it is data, shown escaped) when the feed says it is plain text."""
    if kind in ("text/html", "application/xhtml+xml"):
        return html_to_text(value)
    return " ".join(value.split())


def _detail_type(node: Any, key: str) -> str:
    return str((node.get(f"{key}_detail") or {}).get("type") or "text/html")


class _Links(HTMLParser):
    """Collects ``<img>`` sources and ``<link rel=alternate>`` feeds of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []
        self.feeds: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "img" and values.get("src"):
            self.images.append((values["src"], values.get("alt") or values.get("title", "")))
        elif tag == "link" and "alternate" in values.get("rel", "").lower().split() and \
                values.get("type", "").lower() in ("application/rss+xml", "application/atom+xml"):
            self.feeds.append(values.get("href", ""))


def _scan(markup: str) -> _Links:
    found = _Links()
    found.feed(markup)
    found.close()
    return found


def _advertised_feed(markup: str, base: str) -> str | None:
    href = next((h for h in _scan(markup).feeds if h), None)
    return urljoin(base, href) if href else None


def _decode_html(data: bytes, content_type: str | None) -> str:
    """HTML bytes as text: charset from Content-Type, else ``<meta charset>``, else UTF-8
    (undecodable bytes replaced)."""
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'")
    if charset is None:
        found = _CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _iso(parsed: Any) -> str | None:
    if not parsed:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)
    except (TypeError, ValueError):
        return None


def entry_id(entry: Any) -> str:
    """An entry's identity: its Atom id / RSS guid, else its link, else a hash of what it
    says (title, date, summary)."""
    for key in ("id", "link"):
        value = str(entry.get(key) or "").strip()
        if value:
            return value
    basis = "|".join(str(entry.get(k) or "") for k in ("title", "published", "summary"))
    return "sha256:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _media_type(mime: str, medium: str = "") -> str:
    kind = (medium or mime.split("/")[0]).lower()
    return kind if kind in ("image", "video", "audio") else ""


def entry_media(entry: Any, eid: str) -> tuple[list[MediaRef], int]:
    """The entry's images, videos and audio (enclosures, ``media:content``, ``<img>`` in its
    HTML), http(s) only, de-duplicated, at most ``MAX_IMAGES``; and how many were left out."""
    found: dict[str, MediaRef] = {}

    def add(url: str, kind: str, description: str) -> None:
        if not kind or urlsplit(url).scheme not in ("http", "https"):
            return
        known = found.get(url)
        if known is not None:
            if description.strip() and not known.description:  # an <img alt> names it
                found[url] = MediaRef(known.platform_id, url, known.media_type,
                                      description.strip())
            return
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        found[url] = MediaRef(f"{eid}#{kind}-{digest}", url, kind, description.strip())

    for link in entry.get("enclosures") or []:
        add(str(link.get("href") or ""), _media_type(str(link.get("type") or "")), "")
    for media in entry.get("media_content") or []:
        add(str(media.get("url") or ""), _media_type(str(media.get("type") or ""),
                                                     str(media.get("medium") or "")) or
            "image", "")
    for html in _entry_html(entry):
        for src, alt in _scan(html).images:
            add(urljoin(str(entry.get("link") or ""), src), "image", alt)
    refs = list(found.values())
    return refs[:MAX_IMAGES], max(0, len(refs) - MAX_IMAGES)


def _entry_html(entry: Any) -> list[str]:
    values = [str(c.get("value") or "") for c in entry.get("content") or []]
    if entry.get("summary"):
        values.append(str(entry["summary"]))
    return values


def entry_item(entry: Any, *, account_name: str, feed: dict[str, Any]) -> Item:
    """One feed entry as a ``post`` item (see module docstring)."""
    eid = entry_id(entry)
    contents = [str(c.get("value") or "") for c in entry.get("content") or []]
    body = max(contents, key=len) if contents else str(entry.get("summary") or "")
    created = _iso(entry.get("published_parsed")) or _iso(entry.get("updated_parsed"))
    updated = _iso(entry.get("updated_parsed"))
    author = entry.get("author_detail") or {}
    name = str(author.get("name") or entry.get("author") or feed.get("author")
               or feed.get("title") or "")
    media, skipped = entry_media(entry, eid)
    summary = html_to_text(str(entry.get("summary") or "")) if contents else ""
    extra: dict[str, Any] = {
        "feed": {"title": feed.get("title"), "link": feed.get("link"), "url": feed.get("url")},
        "published": entry.get("published"), "updated": entry.get("updated"),
        "comments": entry.get("comments"),
        "enclosures": [{"url": e.get("href"), "type": e.get("type"), "length": e.get("length")}
                       for e in entry.get("enclosures") or []],
    }
    if skipped:
        extra["media_left_out"] = skipped
    versioned = {"summary": summary} if summary and summary not in html_to_text(body) else {}
    item = Item(
        platform=PLATFORM, account=account_name, platform_id=eid, kind="post",
        author=name, author_id=str(author.get("email") or author.get("href") or name),
        author_name=name, created_at=created,
        edited_at=updated if created and updated and updated > created else None,
        url=entry.get("link"), text=html_to_text(body),
        title=_plain(str(entry.get("title") or ""), _detail_type(entry, "title")),
        thread_id=eid, tags=[str(t.get("term")) for t in entry.get("tags") or []
                             if t.get("term")],
        visibility="public", language=entry.get("language") or feed.get("language"),
        versioned=versioned, extra=extra)
    item.media = media
    return item


def page_id(url: str) -> str:
    """The item id of a linked page (its URL, marked so it never equals an entry id)."""
    return f"{url}#page"


def page_url(platform_id: str) -> str:
    """The URL of a page item (inverse of ``page_id``)."""
    return platform_id.removesuffix("#page")


def page_item(entry: Item, url: str, exchange: Exchange, data: bytes) -> Item:
    """The page an entry links to (``data``: its body, Content-Encoding undone) as a
    ``media`` item (id ``page_id(url)``): its title and main text (``<article>``, else
    ``<main>``, else the whole page)."""
    markup = _decode_html(data, exchange.headers.get("content-type"))
    main = next((m.group(0) for pattern in _MAIN if (m := pattern.search(markup))), markup)
    return Item(
        platform=PLATFORM, account=entry.account, platform_id=page_id(url), kind="media",
        author=entry.author, author_id=entry.author_id, author_name=entry.author_name,
        created_at=entry.created_at, url=url, title=html_title(markup) or entry.title,
        text=html_to_text(main), parent_id=entry.platform_id, thread_id=entry.platform_id,
        visibility="public",
        extra={"media_type": "page", "last_modified": exchange.headers.get("last-modified"),
               "file": {"record_id": exchange.payload_record_id, "size": exchange.size,
                        "content_type": exchange.headers.get("content-type")}})


def media_item(ref: MediaRef, entry: Item, exchange: Exchange | None) -> Item:
    """One image, video or audio file of an entry as a ``media`` item."""
    item = Item(
        platform=PLATFORM, account=entry.account, platform_id=ref.platform_id, kind="media",
        author=entry.author, author_id=entry.author_id, author_name=entry.author_name,
        created_at=entry.created_at, url=ref.url, text=ref.description,
        parent_id=entry.platform_id, thread_id=entry.platform_id, visibility="public",
        extra={"media_type": ref.media_type})
    if exchange is not None:
        item.versioned["file_sha256"] = exchange.payload_sha256
        item.extra["file"] = {"record_id": exchange.payload_record_id, "size": exchange.size,
                              "content_type": exchange.headers.get("content-type")}
    return item
