"""Mastodon (REST API v1, Mastodon 3.5+ for edit history).

Walk: the account's statuses (``/api/v1/accounts/:id/statuses``, newest first, following the
``Link: rel="next"`` header); for each status its edit history when ``edited_at`` is set and
its ``/context`` (replies by anyone become comment items, a complete context is a sweep of that
thread); every media attachment's file; with a token, ``/api/v1/conversations`` and each
conversation's context (direct messages become ``message`` items).

Scopes: ``timeline`` (the account's own statuses), ``thread:<status id>`` (replies by others
under one status), ``messages`` (every direct message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from civicrecords.archiver.ratelimit import RateLimitPolicy
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.config import AccountConfig
from civicrecords.htmltext import html_to_text
from civicrecords.model import Item, MediaRef

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')

TIMELINE = "timeline"
# markers of the timeline walk: the next page is not read yet; the walk stopped before the
# timeline's end (a page failed, or an incremental walk reached what the archive holds)
_NOT_READ, _INCOMPLETE = object(), object()
MESSAGES = "messages"


def thread_scope(status_id: str) -> str:
    """Scope name for the replies under one status."""
    return f"thread:{status_id}"


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a Link header (None when there is none)."""
    for url, rel in _LINK.findall(header or ""):
        if rel == "next":
            return url
    return None


def _author(account: dict[str, Any]) -> tuple[str, str, str]:
    return (str(account.get("acct") or account.get("username") or ""),
            str(account.get("id") or ""), str(account.get("display_name") or ""))


def status_item(status: dict[str, Any], *, account_name: str, owner_id: str,
                thread_id: str | None = None) -> Item:
    """Map one Mastodon Status (or StatusEdit, which lacks ``id``) to an Item.

    Kind: ``message`` for direct visibility, ``post`` when the account wrote it (reblogs
    included, with ``extra.reblog_of``), ``comment`` otherwise.
    """
    author, author_id, author_name = _author(status.get("account") or {})
    reblog = status.get("reblog")
    shown = reblog or status
    visibility = status.get("visibility")
    if visibility == "direct":
        kind = "message"
    elif author_id == owner_id:
        kind = "post"
    else:
        kind = "comment"
    poll = shown.get("poll")
    versioned: dict[str, Any] = {}
    if shown.get("spoiler_text"):
        versioned["spoiler_text"] = shown["spoiler_text"]
    if poll:
        versioned["poll"] = [option.get("title") for option in poll.get("options", [])]
    extra: dict[str, Any] = {
        "sensitive": bool(shown.get("sensitive")),
        "replies_count": status.get("replies_count"),
        "reblogs_count": status.get("reblogs_count"),
        "favourites_count": status.get("favourites_count"),
        "in_reply_to_account_id": status.get("in_reply_to_account_id"),
        "uri": status.get("uri"),
    }
    if reblog:
        r_author, r_author_id, r_name = _author(reblog.get("account") or {})
        extra["reblog_of"] = {"id": str(reblog.get("id")), "url": reblog.get("url"),
                              "author": r_author, "author_id": r_author_id, "author_name": r_name}
    quote_obj = shown.get("quote")
    if isinstance(quote_obj, dict) and isinstance(quote_obj.get("quoted_status"), dict):
        quoted = quote_obj["quoted_status"]
        extra["quote_of"] = {"id": str(quoted.get("id")), "url": quoted.get("url"),
                             "author": _author(quoted.get("account") or {})[0]}
    if poll:
        extra["poll"] = {"expires_at": poll.get("expires_at"),
                         "votes_count": poll.get("votes_count"), "options": poll.get("options")}
    card = shown.get("card")
    if isinstance(card, dict):
        extra["card"] = {"url": card.get("url"), "title": card.get("title")}
    status_id = str(status.get("id", ""))
    parent = status.get("in_reply_to_id")
    item = Item(
        platform="mastodon", account=account_name, platform_id=status_id, kind=kind,
        author=author, author_id=author_id, author_name=author_name,
        created_at=status.get("created_at"), edited_at=shown.get("edited_at"),
        url=status.get("url") or status.get("uri"),
        text=html_to_text(shown.get("content") or ""),
        parent_id=str(parent) if parent else None,
        thread_id=thread_id,
        tags=[t.get("name", "") for t in shown.get("tags") or []],
        mentions=[m.get("acct", "") for m in shown.get("mentions") or []],
        visibility=visibility, language=shown.get("language"),
        versioned=versioned, extra=extra,
    )
    item.media = [MediaRef(platform_id=str(m["id"]), url=m.get("url") or m.get("remote_url") or "",
                           media_type=m.get("type") or "unknown",
                           description=m.get("description") or "")
                  for m in shown.get("media_attachments") or []]
    return item


def media_urls(data: Any, *, skip_author: str | None = None) -> list[str]:
    """The attachment URLs a timeline page (a list of statuses) or a ``/context`` (its
    descendants but those by ``skip_author``: the walk takes the account's own replies from
    its timeline) lists, in the order the walk fetches them."""
    statuses = data.get("descendants") if isinstance(data, dict) else data
    urls: list[str] = []
    for status in statuses if isinstance(statuses, list) else []:
        if not isinstance(status, dict) or (
                skip_author and _author(status.get("account") or {})[1] == skip_author):
            continue
        shown = status.get("reblog") or status
        for media in shown.get("media_attachments") or []:
            url = isinstance(media, dict) and (media.get("url") or media.get("remote_url"))
            if url:
                urls.append(str(url))
    return urls


def conversation_root(status: dict[str, Any], context: JsonPage | None) -> str | None:
    """The id of the post a status's conversation starts from: the first ancestor its
    ``/context`` lists, the status itself when it replies to nothing, else None (a reply
    whose context was not read: unknown, so the archive keeps what it knew)."""
    ancestors = context.data.get("ancestors") if context is not None else None
    if ancestors:
        return str(ancestors[0]["id"])
    if context is not None or status.get("in_reply_to_id") is None:
        return str(status["id"])
    return None


def history_items(edits: list[dict[str, Any]], current: Item) -> list[Item]:
    """Past versions from ``/history`` (oldest first). Each gets the current item's identity
    and its own ``created_at`` as the version time; the last entry (the current version)
    is included so its version time matches ``edited_at``."""
    items: list[Item] = []
    for index, edit in enumerate(edits):
        version = status_item({**edit, "id": current.platform_id, "visibility": current.visibility,
                               "in_reply_to_id": current.parent_id},
                              account_name=current.account, owner_id="")
        version.kind = current.kind
        version.author, version.author_id = current.author, current.author_id
        version.author_name = current.author_name
        version.created_at = current.created_at
        version.edited_at = edit.get("created_at") if index > 0 else None
        version.url, version.thread_id = current.url, current.thread_id
        version.extra = {"history_index": index}
        items.append(version)
    return items


class MastodonSource:
    """Captures one Mastodon account (see module docstring)."""

    platform: ClassVar[str] = "mastodon"

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        self._attachments = AttachmentCapture()

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """Mastodon's signals are the standard ones (Retry-After, X-RateLimit-*)."""
        return RateLimitPolicy(backoff_seconds, max_backoff_seconds)

    # ----- walk ----------------------------------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture timeline, threads, edits, media and (with a token) direct messages.

        Full mode walks the whole timeline (a sweep finds removed posts). Incremental mode
        stops at the first page the archive already holds completely and re-reads threads
        only for new posts and posts newer than ``state['recheck_after']``.
        """
        headers = self._headers(session)
        if session.token:
            self._check_token(session, headers)
        owner_id = self._owner_id(session, headers)
        if owner_id is None:
            return
        known = {} if session.full else session.known(TIMELINE)
        recheck_after = session.state.get("recheck_after") or ""

        def threads_of(page: JsonPage) -> set[str]:
            """The statuses of ``page`` whose threads this job reads."""
            return {str(s["id"]) for s in page.data if not s.get("reblog") and (
                session.full or str(s["id"]) not in known
                or (s.get("created_at") or "") >= recheck_after)}

        seen: list[str] = []
        pages = self._pages(session, self._timeline_url(owner_id, session), TIMELINE, headers)
        # threads read but not swept yet: they are swept a page late, together, because a
        # sweep reads the catalog, which first takes every observation the session holds
        # back for time spent waiting for the platform (fewer sweeps leave it more such work)
        unswept: list[tuple[str, list[str]]] = []
        page = self._next_page(session, pages, threads_of, owner_id, headers)
        while isinstance(page, JsonPage):
            threads = threads_of(page)
            if session.full:  # full mode fetches every attachment: fetch them ahead too
                session.prefetch_media(media_urls(page.data))
            upcoming: JsonPage | object | None = _NOT_READ
            earlier = len(unswept)  # the previous page's threads
            early = len(page.data) // 4 if session.full else -1
            for index, status in enumerate(page.data):
                if index == early:
                    # a full walk reads every page: the next one (asked for when this one
                    # came) is read a quarter of the way through this one, so its threads
                    # are asked for while the rest of this page is recorded
                    upcoming = self._next_page(session, pages, threads_of, owner_id, headers)
                status_id = str(status["id"])
                seen.append(status_id)
                context = session.get_json(
                    self._context_url(status_id), scope=thread_scope(status_id),
                    headers=headers) if status_id in threads else None
                if context is not None and not isinstance(context.data, dict):
                    session.gap(context.exchange.url, "context is not a JSON object",
                                scope=thread_scope(status_id))
                    context = None
                item = status_item(status, account_name=self.account.name, owner_id=owner_id,
                                   thread_id=conversation_root(status, context))
                self._attachments.observe(session, item, page.exchange, TIMELINE)
                if item.edited_at and status_id in threads:
                    self._history(session, item, headers, TIMELINE)
                if context is not None:
                    unswept.append((thread_scope(status_id), self._replies(
                        session, status_id, item, context, owner_id, headers)))
                session.progress()
            unswept = self._sweep_threads(session, unswept, earlier, headers)
            if not session.full and page.data and all(str(s["id"]) in known
                                                       for s in page.data):
                page = _INCOMPLETE  # the rest is already archived: no sweep from a partial walk
                break
            if upcoming is _NOT_READ:
                upcoming = self._next_page(session, pages, threads_of, owner_id, headers)
            page = upcoming
        self._sweep_threads(session, unswept, len(unswept), headers)
        if page is None:  # the walk reached the timeline's end: a complete sweep
            self._sweep(session, TIMELINE, seen, headers)
        if session.token:
            self._messages(session, owner_id, headers)

    def _sweep_threads(self, session: Session, unswept: list[tuple[str, list[str]]],
                       count: int, headers: dict[str, str]) -> list[tuple[str, list[str]]]:
        """Sweep the first ``count`` threads of ``unswept``; return the others."""
        for scope, replies in unswept[:count]:
            self._sweep(session, scope, replies, headers)
        return unswept[count:]

    def _next_page(self, session: Session, pages: Iterator[Any],
                   threads_of: Callable[[JsonPage], set[str]], owner_id: str,
                   headers: dict[str, str]) -> JsonPage | object | None:
        """The timeline's next page, its threads (and in a full walk the page after it)
        asked for ahead; None after the last page, ``_INCOMPLETE`` when a page failed."""
        page = next(pages, _NOT_READ)
        if page is _NOT_READ:
            return None
        if page is None:
            return _INCOMPLETE
        threads = threads_of(page)
        following = next_link(page.exchange.headers.get("link"))
        if following and session.full:
            session.prefetch([following], headers=headers)
        # in the order the walk asks: each thread, then its edit history (full mode fetches
        # every attachment, so the replies' media of each thread are fetched ahead too)
        media_of = partial(media_urls, skip_author=owner_id) if session.full else None
        session.prefetch([url for status in page.data if str(status["id"]) in threads
                          for url in self._thread_urls(status)],
                         headers=headers, media_of=media_of)
        return page

    def _check_token(self, session: Session, headers: dict[str, str]) -> None:
        page = session.get_json(f"{self.base}/api/v1/accounts/verify_credentials",
                                scope="token", headers=headers, ok=(200, 401, 403))
        if page is None:
            return
        if page.exchange.status == 200:
            session.report_token(valid=True, detail=f"authenticated as @{page.data.get('acct')}")
        else:
            detail = page.data.get("error") if isinstance(page.data, dict) else None
            session.report_token(valid=False, detail=str(detail or page.exchange.status))

    def _sweep(self, session: Session, scope: str, seen: list[str],
               headers: dict[str, str]) -> None:
        """Sweep ``scope``, first asking the server about each item that went missing: 404
        means deleted; still readable means it left the walk (visibility or moderation)."""
        reasons: dict[str, str] = {}
        for missing in session.missing(scope, seen):
            url = f"{self.base}/api/v1/statuses/{quote(missing)}"
            page = session.get_json(url, scope=f"probe:{missing}", headers=headers,
                                    ok=(200, 401, 403, 404, 410))
            if page is None:
                continue
            status = page.exchange.status
            reasons[missing] = ("deleted" if status in (404, 410) else
                                "unavailable" if status in (401, 403) else "no-longer-listed")
        session.sweep(scope, seen, reasons=reasons)

    def _headers(self, session: Session) -> dict[str, str]:
        return {"Authorization": f"Bearer {session.token}"} if session.token else {}

    def _owner_id(self, session: Session, headers: dict[str, str]) -> str | None:
        if self.account.account_id:
            return self.account.account_id
        handle = (self.account.handle or "").lstrip("@")
        url = f"{self.base}/api/v1/accounts/lookup?{urlencode({'acct': handle})}"
        page = session.get_json(url, scope=TIMELINE, headers=headers)
        if page is None:
            return None
        return str(page.data["id"])

    def _timeline_url(self, owner_id: str, session: Session) -> str:
        query = urlencode({"limit": session.state.get("page_size", 40)})
        return f"{self.base}/api/v1/accounts/{quote(owner_id)}/statuses?{query}"

    def _pages(self, session: Session, url: str | None, scope: str,
               headers: dict[str, str]) -> Iterator[Any]:
        """Yield each JSON page following Link rel=next; yield None once if a page failed."""
        visited: set[str] = set()
        while url and url not in visited:
            visited.add(url)
            page = session.get_json(url, scope=scope, headers=headers)
            if page is None or not isinstance(page.data, list):
                if page is not None:
                    session.gap(url, "page is not a list of statuses", scope=scope)
                yield None
                return
            yield page
            url = next_link(page.exchange.headers.get("link"))

    def _replies(self, session: Session, status_id: str, post: Item, page: JsonPage,
                 owner_id: str, headers: dict[str, str]) -> list[str]:
        """Observe the replies by others under one of the account's statuses (its
        ``/context``); return their ids (the thread's sweep)."""
        scope = thread_scope(status_id)
        seen: list[str] = []
        for status in page.data.get("descendants", []):
            item = status_item(status, account_name=self.account.name, owner_id=owner_id,
                               thread_id=post.thread_id)
            if item.kind == "post":
                continue  # the account's own replies are captured from its timeline
            seen.append(item.platform_id)
            self._attachments.observe(session, item, page.exchange, scope)
            if item.edited_at:
                self._history(session, item, headers, scope)
        return seen

    def _thread_urls(self, status: dict[str, Any]) -> list[str]:
        status_id = str(status["id"])
        urls = [self._context_url(status_id)]
        if status.get("edited_at"):
            urls.append(self._history_url(status_id))
        return urls

    def _history_url(self, status_id: str) -> str:
        return f"{self.base}/api/v1/statuses/{quote(status_id)}/history"

    def _context_url(self, status_id: str) -> str:
        return f"{self.base}/api/v1/statuses/{quote(status_id)}/context"

    def _history(self, session: Session, item: Item, headers: dict[str, str], scope: str) -> None:
        page = session.get_json(self._history_url(item.platform_id), scope=scope,
                                headers=headers)
        if page is None or not isinstance(page.data, list):
            return
        for version in history_items(page.data, item)[:-1]:
            session.observe(version, page.exchange, scope=scope, observed="history")

    def _messages(self, session: Session, owner_id: str, headers: dict[str, str]) -> None:
        url: str | None = f"{self.base}/api/v1/conversations?limit=40"
        seen: list[str] = []
        known = {} if session.full else session.known(MESSAGES)
        for page in self._pages(session, url, MESSAGES, headers):
            if page is None:
                return
            for conversation in page.data:
                last = conversation.get("last_status")
                if not last or str(last["id"]) in known:
                    continue  # incremental: no new message in this conversation
                context = session.get_json(self._context_url(str(last["id"])), scope=MESSAGES,
                                           headers=headers)
                if context is None or not isinstance(context.data, dict):
                    if context is not None:
                        session.gap(context.exchange.url, "context is not a JSON object",
                                    scope=MESSAGES)
                    continue
                statuses = [*context.data.get("ancestors", []), last,
                            *context.data.get("descendants", [])]
                root = str(statuses[0]["id"])
                recipients = [a.get("acct", "") for a in conversation.get("accounts", [])]
                for status in statuses:
                    if status.get("visibility") != "direct":
                        continue
                    item = status_item(status, account_name=self.account.name,
                                       owner_id=owner_id, thread_id=root)
                    item.recipients = recipients
                    item.extra["conversation_id"] = str(conversation.get("id"))
                    exchange = page.exchange if status is last else context.exchange
                    if item.platform_id not in seen:
                        seen.append(item.platform_id)
                        self._attachments.observe(session, item, exchange, MESSAGES)
                session.progress()
        if session.full:
            self._sweep(session, MESSAGES, seen, headers)

