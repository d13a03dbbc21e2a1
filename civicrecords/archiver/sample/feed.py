"""The city's website on the sample server: news feeds (RSS 2.0, Atom), article pages, images.

Routes (all ``GET``, under ``/city/``, never rate limited; faults apply when a plan's ``paths``
include ``/city/``):

- ``/city/news/rss.xml``: RSS 2.0 with the newest 20 news posts (a window, no paging), each
  with ``guid`` = its page URL, ``pubDate``, ``dc:creator``, ``category``, ``description``
  (a summary), ``content:encoded`` (the full HTML with ``<img>``), the first attachment as
  ``enclosure`` and every attachment as ``media:content``. ``?encoding=windows-1252`` sends
  the same feed in Windows-1252 (characters outside it as character references).
- ``/city/news/atom.xml``: Atom with every news post, 25 per document, paged with
  ``?page=N`` and ``rel="next"`` links (RFC 5005); ``updated`` is the last edit.
- ``/city/news/<id>.html``: the article page (title, time, text, figures inside
  ``<article>``, with site navigation around it); 404 once the post is removed.
- ``/city/news.html``: the news index, which advertises both feeds with ``<link
  rel="alternate">``.
- ``/city/media/<attachment id>.<ext>``: attachment files.

News posts are the city account's public top-level posts (not reposts) as of the current
state, showing their current version: edits in state "later" change the text, the page and the
Atom ``updated`` time; removed posts leave the feeds and their pages answer 404.
"""

from __future__ import annotations

import re
import threading
from email.utils import format_datetime
from html import escape
from typing import Final
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from civicrecords.archiver.sample.media import EXT, LIBRARY, MIME
from civicrecords.archiver.sample.model import Item, Media, State
from civicrecords.archiver.sample.routing import Request, Response, Route
from civicrecords.archiver.sample.world import World

RSS_WINDOW: Final = 20
ATOM_PAGE: Final = 25
SITE: Final = "lakesidemn.example"
_URL: Final = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def entry_title(item: Item) -> str:
    """A news post's headline: its first sentence or line, at most 90 characters."""
    first = item.text.strip().split("\n")[0]
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return sentence if len(sentence) <= 90 else sentence[:89].rstrip() + "\u2026"


def page_url(base: str, item: Item) -> str:
    """The article page of a news post."""
    return f"{base}/city/news/{item.id}.html"


def media_url(base: str, media: Media) -> str:
    """The file URL of an attachment."""
    return f"{base}/city/media/{media.id}.{EXT[LIBRARY.get(media.asset).spec.fmt]}"


def atom_id(item: Item) -> str:
    """The Atom ``id`` of a news post (a tag URI)."""
    return f"tag:{SITE},2026:news/{item.id}"


def _xml(text: str) -> str:
    return xml_escape(_NOT_XML.sub("", text))


def _attr(text: str) -> str:
    return quoteattr(_NOT_XML.sub("", text))


def _cdata(text: str) -> str:
    return "<![CDATA[" + _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def body_html(base: str, item: Item) -> str:
    """The post as HTML: paragraphs, linked URLs, and its images as ``<img>``."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", item.text.strip()):
        escaped = escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    for media in item.media:
        if media.kind == "image":
            paragraphs.append(f'<img src="{media_url(base, media)}" '
                              f'alt="{escape(media.description or "")}">')
    return "".join(paragraphs)


class FeedSite:
    """Renders the city's news website. Register it on a ``SamplePlatform``."""

    name = "feed"

    def __init__(self) -> None:
        self._news: dict[tuple[int, State], list[str]] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """The news feeds, pages, index and media files."""
        return [
            Route("GET", "/city/news/rss[.]xml", self.rss, "feed.rss", api=False),
            Route("GET", "/city/news/atom[.]xml", self.atom, "feed.atom", api=False),
            Route("GET", r"/city/news/(?P<id>\d+)[.]html", self.page, "feed.page", api=False),
            Route("GET", "/city/news[.]html", self.index, "feed.index", api=False),
            Route("GET", r"/city/media/(?P<id>\d+)[.](?P<ext>\w+)", self.media, "feed.media",
                  api=False),
        ]

    def news(self, world: World, state: State) -> list[Item]:
        """The city's news posts in ``state``, newest first."""
        key = (id(world), state)
        with self._lock:
            ids = self._news.get(key)
        if ids is None:
            ids = []
            for status_id in world.timeline(world.city, state, viewer=None,
                                            exclude_replies=True):
                item = world.item(status_id, state)
                if item is not None and item.kind == "post" and item.slot == 0:
                    ids.append(status_id)
            with self._lock:
                self._news[key] = ids
        return [item for sid in ids if (item := world.item(sid, state)) is not None]

    # -- feeds -------------------------------------------------------------------------------

    def rss(self, req: Request) -> Response:
        """RSS 2.0: the newest ``RSS_WINDOW`` posts."""
        base = req.base_url
        encoding = (req.arg("encoding") or "utf-8").lower()
        if encoding not in ("utf-8", "windows-1252"):
            return Response(400, b"unsupported encoding", "text/plain", api=False)
        items = []
        for item in self.news(req.site.world, req.state)[:RSS_WINDOW]:
            parts = [f"<title>{_xml(entry_title(item))}</title>",
                     f"<link>{_xml(page_url(base, item))}</link>",
                     f'<guid isPermaLink="true">{_xml(page_url(base, item))}</guid>',
                     f"<pubDate>{format_datetime(item.created_at, usegmt=True)}</pubDate>",
                     "<dc:creator>Communications Office</dc:creator>",
                     *(f"<category>{_xml(tag)}</category>" for tag in item.hashtags),
                     f"<description>{_xml(escape(item.text[:200]))}</description>",
                     f"<content:encoded>{_cdata(body_html(base, item))}</content:encoded>"]
            for index, media in enumerate(item.media):
                asset = LIBRARY.get(media.asset)
                url, mime = media_url(base, media), MIME[asset.spec.fmt]
                if index == 0:
                    parts.append(f"<enclosure url={_attr(url)} length="
                                 f'"{len(asset.original)}" type="{mime}"/>')
                medium = {"image": "image", "audio": "audio"}.get(media.kind, "video")
                parts.append(f"<media:content url={_attr(url)} type=\"{mime}\" "
                             f'medium="{medium}"/>')
            items.append("<item>" + "".join(parts) + "</item>")
        xml = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
               '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
               'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/" '
               'xmlns:media="http://search.yahoo.com/mrss/">\n<channel>'
               "<title>City of Lakeside, MN \u2013 News</title>"
               f"<link>{base}/city/news.html</link>"
               "<description>News and notices from the City of Lakeside</description>"
               "<language>en-us</language>"
               f'<atom:link href="{base}/city/news/rss.xml" rel="self" '
               'type="application/rss+xml"/>' + "".join(items) + "</channel></rss>\n")
        data = xml.encode(encoding, errors="xmlcharrefreplace")
        return Response(200, data, f"application/rss+xml; charset={encoding}", api=False)

    def atom(self, req: Request) -> Response:
        """Atom: every post, ``ATOM_PAGE`` per document, ``?page=N``."""
        base = req.base_url
        try:
            page = max(1, int(req.arg("page") or "1"))
        except ValueError:
            return Response(400, b"bad page", "text/plain", api=False)
        news = self.news(req.site.world, req.state)
        chunk = news[(page - 1) * ATOM_PAGE:page * ATOM_PAGE]
        if page > 1 and not chunk:
            return Response(404, b"Not Found", "text/plain", api=False)
        updated = max((self._updated(i) for i in chunk), default="2026-01-01T00:00:00Z")
        links = [f'<link rel="self" href="{base}/city/news/atom.xml?page={page}"/>',
                 f'<link rel="alternate" type="text/html" href="{base}/city/news.html"/>']
        if len(news) > page * ATOM_PAGE:
            links.append(f'<link rel="next" href="{base}/city/news/atom.xml?page={page + 1}"/>')
        entries = []
        for item in chunk:
            parts = [f"<id>{atom_id(item)}</id>",
                     f"<title type=\"text\">{_xml(entry_title(item))}</title>",
                     f'<link rel="alternate" type="text/html" href={_attr(page_url(base, item))}/>',
                     f"<published>{item.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')}</published>",
                     f"<updated>{self._updated(item)}</updated>",
                     "<author><name>Communications Office</name></author>",
                     *(f"<category term={_attr(tag)}/>" for tag in item.hashtags),
                     f'<summary type="html">{_xml(escape(item.text[:200]))}</summary>',
                     f'<content type="html">{_xml(body_html(base, item))}</content>']
            for media in item.media:
                asset = LIBRARY.get(media.asset)
                parts.append(f'<link rel="enclosure" href={_attr(media_url(base, media))} '
                             f'type="{MIME[asset.spec.fmt]}" length="{len(asset.original)}"/>')
            entries.append("<entry>" + "".join(parts) + "</entry>")
        xml = ('<?xml version="1.0" encoding="utf-8"?>\n'
               '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
               f"<id>tag:{SITE},2026:news</id><title>City of Lakeside, MN \u2013 News</title>"
               f"<updated>{updated}</updated>" + "".join(links) + "".join(entries) + "</feed>\n")
        return Response(200, xml.encode(), "application/atom+xml; charset=utf-8", api=False)

    @staticmethod
    def _updated(item: Item) -> str:
        return (item.edited_at or item.created_at).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- pages and files -----------------------------------------------------------------------

    def page(self, req: Request) -> Response:
        """An article page; 404 when the post does not exist (or is not news)."""
        world = req.site.world
        item = world.item(req.params["id"], req.state)
        if item is None or item.account.index != 0 or item.kind != "post" or item.slot != 0 \
                or item.visibility not in ("public", "unlisted"):
            return self._html(404, "Page not found", "<p>The page you requested was not "
                              "found. It may have been moved or removed.</p>")
        figures = "".join(
            f'<figure><img src="{media_url(req.base_url, m)}" alt="{escape(m.description or "")}">'
            f"<figcaption>{escape(m.description or '')}</figcaption></figure>"
            for m in item.media if m.kind == "image")
        when = item.created_at.strftime("%B %d, %Y")
        article = (f"<article><h1>{escape(entry_title(item))}</h1>"
                   f'<p class="meta">Posted <time datetime="{item.created_at.isoformat()}">'
                   f"{when}</time> by Communications Office</p>"
                   f"{body_html(req.base_url, item)}{figures}</article>")
        return self._html(200, entry_title(item), article,
                          [("Last-Modified", format_datetime(item.edited_at or item.created_at,
                                                             usegmt=True))])

    def index(self, req: Request) -> Response:
        """The news index page (advertises the feeds)."""
        items = "".join(f'<li><a href="{page_url(req.base_url, i)}">{escape(entry_title(i))}'
                        "</a></li>" for i in self.news(req.site.world, req.state)[:10])
        return self._html(200, "News", f"<ul>{items}</ul>")

    @staticmethod
    def _html(status: int, title: str, main: str,
              headers: list[tuple[str, str]] | None = None) -> Response:
        html = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{escape(title)} | City of Lakeside, MN</title>"
                '<link rel="alternate" type="application/atom+xml" title="News (Atom)" '
                'href="/city/news/atom.xml">'
                '<link rel="alternate" type="application/rss+xml" title="News (RSS)" '
                'href="/city/news/rss.xml">'
                "<script>window.analytics = 'tracking';</script></head><body>"
                '<header><nav><a href="/city/">Home</a> | <a href="/city/news.html">News</a> | '
                "Council | Contact</nav></header>"
                f"<main>{main}</main><footer>City of Lakeside \u00b7 100 Main Street \u00b7 "
                "Lakeside, MN</footer></body></html>\n")
        return Response(status, html.encode(), "text/html; charset=utf-8", headers or [],
                        api=False)

    def media(self, req: Request) -> Response:
        """An attachment file of a news post that exists in this state."""
        world = req.site.world
        media_id = int(req.params["id"])
        for a in range(4):
            ref = world.decode(media_id + ((1000 + a) << 16))
            if ref is None or not world.exists(*ref, req.state):
                continue
            for m in world.item_at(*ref, req.state).media:
                asset = LIBRARY.get(m.asset)
                if m.id == req.params["id"] and req.params["ext"] == EXT[asset.spec.fmt]:
                    return Response(200, asset.original, asset.mime,
                                    [("Cache-Control", "public, max-age=86400")], api=False,
                                    compressible=False)
        return Response(404, b"Not Found", "text/plain", api=False)
