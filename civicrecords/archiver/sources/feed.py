"""RSS 2.0 and Atom feeds (city news, agency posts), the pages they link to, and their images.

Configure an account with ``platform = "feed"`` and ``api_base`` = the feed's URL (an HTML
page that advertises a feed with ``<link rel="alternate">`` works too). If the feed needs a
key, put ``{token}`` where it goes in the URL (``...?key={token}``) and name the variable in
``token_env``; without a ``{token}`` placeholder the token is sent as a Bearer token, to the
feed's own host only. The token value is scrubbed from everything written.

Walk: the feed document is fetched through the recording client and parsed with feedparser
(which never fetches anything itself); paged feeds are followed through ``rel="next"`` and
``rel="prev-archive"`` links (RFC 5005). Every entry becomes a ``post`` item (title, text of
its content or summary, link, author, categories; ``published`` is the creation time and an
``updated`` later than it is the edit time). The page each entry links to is fetched and kept
as a ``media`` item (``media_type`` page: its title and main text; id ``<URL>#page``);
the entry's images (enclosures, ``media:content``, ``<img>`` in its HTML) are fetched as
``media`` items.

What a sweep means for a feed: a feed is a window (the newest N entries), so an entry that is
no longer in it has not been removed by that alone. A full capture therefore asks the site
about the page of every archived entry that left the window: a page that still answers is
captured again (edits to it become versions), a page that answers 404 or 410 was taken down,
and then the page and its entry are marked removed (``deleted``). Entries without a page
are never marked removed. Entries still in the feed whose page is gone keep the entry and mark
only the page removed.

Scopes: ``feed`` (entries), ``page:<entry id>`` (the entry's page), ``media:<entry id>``.
"""

from __future__ import annotations

from typing import ClassVar, Final
from urllib.parse import quote, urlsplit

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.ratelimit import RateLimitPolicy
from civicrecords.archiver.sources.base import Session
from civicrecords.archiver.sources.feed_entries import (
    PLATFORM,
    ParsedFeed,
    entry_item,
    media_item,
    page_id,
    page_item,
    page_url,
    parse_feed,
)
from civicrecords.config import AccountConfig
from civicrecords.model import Item, media_scope

FEED: Final = "feed"
MAX_PAGES: Final = 1000  # feed documents followed in one walk (paged and archived feeds)
FEED_ACCEPT: Final = ("application/atom+xml, application/rss+xml;q=0.9, application/xml;q=0.8, "
                      "text/xml;q=0.8, */*;q=0.5")
PAGE_ACCEPT: Final = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
GONE: Final = (404, 410)
_PROBE_OK: Final = (200, 301, 302, 303, 307, 308, 401, 403, 404, 410)


def page_scope(entry_id: str) -> str:
    """Scope of the page one entry links to."""
    return f"page:{entry_id}"


class FeedSource:
    """Captures one RSS/Atom feed with its linked pages and images (see module docstring)."""

    platform: ClassVar[str] = PLATFORM

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self._media_done: dict[str, Exchange | None] = {}
        self._origin = ""

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """Web servers signal overload with 429/503 and ``Retry-After``: the default policy."""
        return RateLimitPolicy(backoff_seconds, max_backoff_seconds)

    def _feed_url(self, session: Session) -> str:
        base = self.account.api_base
        if "{token}" in base:
            return base.replace("{token}", quote(session.token or "", safe=""))
        return base

    def _headers(self, session: Session, url: str, accept: str) -> dict[str, str]:
        headers = {"Accept": accept}
        parts = urlsplit(url)
        same_origin = f"{parts.scheme}://{parts.netloc}".lower() == self._origin
        if session.token and "{token}" not in self.account.api_base and same_origin:
            headers["Authorization"] = f"Bearer {session.token}"
        return headers

    # ----- walk ----------------------------------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture every entry of the feed (every page of a paged feed), each entry's page
        and images; in full mode also ask about the pages of entries that left the feed.

        Incremental mode still records every entry of the documents it reads (their edits
        become versions), but fetches pages and images only for new entries and entries
        created or updated after ``state['recheck_after']``, stops following paging links
        at the first document with nothing new, and sweeps nothing.
        """
        url = self._feed_url(session)
        parts = urlsplit(url)
        self._origin = f"{parts.scheme}://{parts.netloc}".lower()
        known = {} if session.full else session.known(FEED)
        recheck_after = session.state.get("recheck_after") or ""
        seen: list[str] = []
        visited: set[str] = set()
        queue = [url]
        while queue and len(visited) < MAX_PAGES:
            current = queue.pop(0)
            if current in visited:
                continue
            visited.add(current)
            document = self._document(session, current, discover=current == url)
            if document is None:
                continue
            exchange, parsed = document
            fresh_on_page = False
            for entry in parsed.entries:
                item = entry_item(entry, account_name=self.account.name,
                                  feed={**parsed.info, "url": exchange.url})
                if item.platform_id in seen:
                    continue
                seen.append(item.platform_id)
                session.observe(item, exchange, scope=FEED)
                fresh = item.platform_id not in known or \
                    (item.edited_at or item.created_at or "") >= recheck_after
                fresh_on_page |= fresh
                if session.full or fresh:
                    self._attachments(session, item, exchange)
                session.progress()
            if session.full or fresh_on_page or not parsed.entries:
                queue.extend(parsed.next_urls)
        if queue:
            session.gap(queue[0], f"more than {MAX_PAGES} feed documents; the rest were not "
                        "read", scope=FEED)
        if session.full:
            self._sweep(session, seen)

    def _document(self, session: Session, url: str,
                  discover: bool) -> tuple[Exchange, ParsedFeed] | None:
        exchange = session.get_text(url, scope=FEED, headers=self._headers(session, url,
                                                                            FEED_ACCEPT))
        if exchange is None:
            return None
        parsed = parse_feed(exchange.content(), url=exchange.url,
                            content_type=exchange.headers.get("content-type"))
        if not parsed.is_feed:
            if discover and parsed.alternate:
                return self._document(session, parsed.alternate, discover=False)
            session.gap(exchange.url, "not an RSS or Atom feed (Content-Type "
                        f"{exchange.headers.get('content-type') or 'missing'})", scope=FEED)
            return None
        if parsed.problem:
            session.gap(exchange.url, f"feed is not well-formed XML ({parsed.problem}); "
                        "entries the parser recovered were kept", scope=FEED)
        return exchange, parsed

    # ----- pages and images ----------------------------------------------------------------
    def _attachments(self, session: Session, entry: Item, exchange: Exchange) -> None:
        """The entry's page, then its images (observed against the feed response that lists
        them; each item's ``extra.file`` names the record holding the file)."""
        if entry.url and urlsplit(entry.url).scheme in ("http", "https"):
            self._page(session, entry, entry.url)
        scope = media_scope(entry.platform_id)
        if entry.extra.get("media_left_out"):
            session.gap(entry.url or entry.platform_id, f"entry has "
                        f"{len(entry.media) + entry.extra['media_left_out']} images; only the "
                        f"first {len(entry.media)} were fetched", scope=scope)
        for ref in entry.media:
            if ref.url not in self._media_done:
                self._media_done[ref.url] = session.get_media(ref.url, scope=scope)
            session.observe(media_item(ref, entry, self._media_done[ref.url]), exchange,
                            scope=scope)

    def _page(self, session: Session, entry: Item, url: str) -> None:
        """Fetch and observe the entry's page, then sweep its scope (a 404/410 marks an
        archived page ``deleted``; a failed fetch is a gap and proves nothing)."""
        scope = page_scope(entry.platform_id)
        exchange = session.get_text(url, scope=scope, headers=self._headers(
            session, url, PAGE_ACCEPT), ok=(200, *GONE))
        if exchange is not None and exchange.status in GONE:
            session.sweep(scope, [], reason="deleted")
            return
        if exchange is None:
            return
        session.observe(page_item(entry, url, exchange, exchange.content()), exchange,
                        scope=scope)
        session.sweep(scope, [page_id(url)])

    # ----- removals ------------------------------------------------------------------------
    def _sweep(self, session: Session, seen: list[str]) -> None:
        """Entries that left the feed stay unless the site says their page is gone."""
        present = list(seen)
        reasons: dict[str, str] = {}
        for eid in session.known(FEED):
            if eid in seen:
                continue
            gone = False
            for pid in session.known(page_scope(eid)):
                url = page_url(pid)
                exchange = session.get_text(url, scope=page_scope(eid), headers=self._headers(
                    session, url, PAGE_ACCEPT), ok=_PROBE_OK)
                if exchange is not None and exchange.status in GONE:
                    gone = True
                    session.sweep(page_scope(eid), [], reason="deleted")
            if gone:
                reasons[eid] = "deleted"
            else:
                present.append(eid)
        session.sweep(FEED, present, reasons=reasons)
