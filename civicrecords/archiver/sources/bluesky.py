"""Bluesky (AT Protocol): the public AppView for posts and threads, the PDS for blobs and chat.

Configure an account with ``platform = "bluesky"``, ``api_base`` = the AppView
(``https://public.api.bsky.app``), ``handle`` (``lakesidemn.gov``) or ``account_id`` (its
DID), and optionally ``plc_directory`` and ``token_env`` (an access token for the account's
PDS, needed only for direct messages).

Walk: the handle is resolved to a DID (``com.atproto.identity.resolveHandle``) and checked
against the DID document, which also names the account's PDS; ``app.bsky.actor.getProfile``
records the profile. ``app.bsky.feed.getAuthorFeed`` (``filter=posts_with_replies``, cursor
paging) lists the account's posts, replies and reposts; for each of its own posts
``app.bsky.feed.getPostThread`` returns the replies under it (everyone's, any depth; the
account's own replies are walked from their own position). Replies the AppView shows as
``blockedPost`` are fetched as threads of their own; branches cut off by the depth limit are
fetched from where they were cut. Images and videos are fetched as the original blobs
(``com.atproto.sync.getBlob`` on the author's PDS, whose bytes are checked against the blob's
CID), or from the AppView's image CDN when the author's PDS cannot be found. With a token,
``chat.bsky.convo.listConvos`` / ``getMessages`` through the account's PDS (``atproto-proxy``
to the chat service) give the direct messages; without one a gap says they were not captured.

Removals: a complete walk that no longer returns an item marks it removed with what the
network says: a reply shown as ``notFoundPost`` is ``deleted``; otherwise the AppView is asked
(``app.bsky.feed.getPosts``) and, when it no longer serves the post, the author's repository
(``com.atproto.repo.getRecord``): no record is ``deleted`` (by its author), a record the
AppView will not show is ``unavailable`` (moderation takedown, deactivated account), a post
still served but gone from the walk is ``no-longer-listed``. A repost whose repost record is
gone was undone (``deleted``); one whose original is gone is ``unavailable``. Replies the
thread's author hid (threadgate) stay present with ``hidden`` set. Bluesky has no edits
(see ``bluesky_records``).

Scopes: ``timeline``, ``thread:<post uri>``, ``messages``, ``identity``, ``media:<item id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Final
from urllib.parse import urlencode

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.ratelimit import RateLimitPolicy
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.archiver.sources.bluesky_identity import (
    did_document_handles,
    did_document_pds,
    did_document_url,
    jwt_expiry,
    profile_summary,
)
from civicrecords.archiver.sources.bluesky_records import (
    PLATFORM,
    Actor,
    as_object,
    as_objects,
    at_uri_parts,
    feed_item,
    message_item,
    next_cursor,
    raw_cid,
    record_item,
    thread_walk,
    xrpc_error,
)
from civicrecords.config import AccountConfig
from civicrecords.model import Item, MediaRef, media_scope

TIMELINE: Final = "timeline"
MESSAGES: Final = "messages"
IDENTITY: Final = "identity"
CHAT_PROXY: Final = "did:web:api.bsky.chat#bsky_chat"
THREAD_DEPTH: Final = 1000
GET_POSTS_BATCH: Final = 25
_GONE_REPO: Final = ("RepoDeactivated", "RepoTakendown", "RepoSuspended", "AccountTakedown",
                     "AccountDeactivated")


def thread_scope(uri: str) -> str:
    """Scope name for the replies under one of the account's posts."""
    return f"thread:{uri}"


class BlueskySource:
    """Captures one Bluesky account (see module docstring)."""

    platform: ClassVar[str] = PLATFORM

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        self._pds: dict[str, str | None] = {}
        self._attachments = AttachmentCapture(child_of=self._media_child,
                                              source=self._blob_url, annotate=self._check_blob)

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """Bluesky sends IETF ``RateLimit-*`` headers (reset in epoch seconds) and 429
        ``RateLimitExceeded``: the default policy reads both."""
        return RateLimitPolicy(backoff_seconds, max_backoff_seconds)

    # ----- walk ----------------------------------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture identity, posts, reposts, threads, media and (with a token) messages.

        Full mode walks the whole author feed (sweeps find removals). Incremental mode stops
        at the first page the archive already holds completely and walks threads only for
        new posts and posts newer than ``state['recheck_after']``.
        """
        owner = self._owner(session)
        if owner is None:
            return
        token_ok = self._check_token(session, owner) if session.token else False
        self._timeline(session, owner)
        self._messages(session, owner, token_ok)

    def _xrpc(self, method: str, base: str | None = None, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        return f"{(base or self.base)}/xrpc/{method}" + (f"?{query}" if query else "")

    def _owner(self, session: Session) -> Actor | None:
        handle = (self.account.handle or "").lstrip("@") or None
        did = self.account.account_id
        if did and not did.startswith("did:"):
            session.gap(self.base, f"account_id {did!r} is not a DID (did:plc:... or "
                        "did:web:...); use handle for a handle", scope=IDENTITY)
            return None
        if did is None and handle:
            page = session.get_json(self._xrpc("com.atproto.identity.resolveHandle",
                                               handle=handle), scope=IDENTITY, ok=(200, 400))
            if page is None:
                return None
            if page.exchange.status != 200 or not isinstance(as_object(page.data).get("did"),
                                                             str):
                error, message = xrpc_error(page.data)
                session.gap(page.exchange.url, f"handle {handle} does not resolve: "
                            f"{error or page.exchange.status} {message}".strip(),
                            scope=IDENTITY)
                return None
            did = str(page.data["did"])
        if did is None:
            return None
        claimed = self._resolve_pds(session, did)
        if handle and claimed is not None and handle.lower() not in claimed:
            session.gap(self.base, f"handle {handle} is not confirmed by the DID document of "
                        f"{did} (it claims {', '.join(claimed) or 'no handle'})",
                        scope=IDENTITY)
        page = session.get_json(self._xrpc("app.bsky.actor.getProfile", actor=did),
                                scope=IDENTITY, ok=(200, 400))
        if page is None:
            return Actor(handle or did, did)
        if page.exchange.status != 200:
            error, message = xrpc_error(page.data)
            session.gap(page.exchange.url, f"the AppView does not show {handle or did}: "
                        f"{error} {message}".strip(), scope=TIMELINE)
            return None
        summary = profile_summary(page.data)
        return Actor(summary["handle"] or handle or did, did, summary["display_name"])

    def _resolve_pds(self, session: Session, did: str) -> list[str] | None:
        """Fetch ``did``'s document once; remember its PDS; return the handles it claims
        (None when the document could not be read)."""
        if did in self._pds:
            return None
        self._pds[did] = None
        url = did_document_url(did, self.account.plc_directory)
        if url is None:
            session.gap(did, f"cannot resolve DID method of {did}", scope=IDENTITY)
            return None
        page = session.get_json(url, scope=IDENTITY)
        if page is None:
            return None
        self._pds[did] = did_document_pds(page.data)
        return [h.lower() for h in did_document_handles(page.data)]

    def _pds_of(self, session: Session, did: str) -> str | None:
        if did not in self._pds:
            self._resolve_pds(session, did)
        return self._pds.get(did)

    def _check_token(self, session: Session, owner: Actor) -> bool:
        """Ask the account's PDS whose token this is (``com.atproto.server.getSession``)."""
        pds = self._pds_of(session, owner.did)
        expires = jwt_expiry(session.token or "")
        if pds is None:
            return False
        page = session.get_json(self._xrpc("com.atproto.server.getSession", pds),
                                scope="token", headers=self._auth(session),
                                ok=(200, 400, 401, 403))
        if page is None:
            return False
        if page.exchange.status != 200:
            error, message = xrpc_error(page.data)
            session.report_token(valid=False, expires_at=expires,
                                 detail=f"{error or page.exchange.status}: {message}".strip())
            return False
        session_info = as_object(page.data)
        if session_info.get("did") != owner.did:
            session.report_token(valid=False, expires_at=expires,
                                 detail=f"the token belongs to {session_info.get('handle')}, "
                                        f"not {owner.handle}")
            return False
        session.report_token(valid=True, expires_at=expires,
                             detail=f"authenticated as {session_info.get('handle')}")
        return True

    @staticmethod
    def _auth(session: Session) -> dict[str, str]:
        return {"Authorization": f"Bearer {session.token}"} if session.token else {}

    def _pages(self, session: Session, url: str, key: str, scope: str,
               headers: dict[str, str] | None = None) -> Iterator[JsonPage | None]:
        """Yield each page following ``cursor``; yield None once if a page failed."""
        cursors: set[str] = set()
        while True:
            page = session.get_json(url, scope=scope, headers=headers)
            if page is None or not isinstance(page.data, dict) or \
                    not isinstance(page.data.get(key), list):
                if page is not None:
                    session.gap(url, f"answer has no {key!r} list", scope=scope)
                yield None
                return
            yield page
            cursor = next_cursor(page.data)
            if not cursor or not page.data[key] or cursor in cursors:
                return
            cursors.add(cursor)
            base, _, query = url.partition("?")
            params = [p for p in query.split("&") if p and not p.startswith("cursor=")]
            url = f"{base}?{'&'.join([*params, urlencode({'cursor': cursor})])}"

    def _timeline(self, session: Session, owner: Actor) -> None:
        known = {} if session.full else session.known(TIMELINE)
        recheck_after = session.state.get("recheck_after") or ""
        limit = max(1, min(100, int(session.state.get("page_size", 50))))
        url = self._xrpc("app.bsky.feed.getAuthorFeed", actor=owner.did,
                         filter="posts_with_replies", limit=limit)
        seen: list[str] = []
        complete = True
        for page in self._pages(session, url, "feed", TIMELINE):
            if page is None:
                complete = False
                break
            ids = []
            for entry in as_objects(page.data["feed"]):
                item = feed_item(entry, account_name=self.account.name, owner_did=owner.did)
                if item is None:
                    continue
                ids.append(item.platform_id)
                if item.platform_id in seen:
                    continue  # a pinned post shown twice
                seen.append(item.platform_id)
                self._observe_with_media(session, item, page.exchange, TIMELINE)
                fresh = item.platform_id not in known or (item.created_at or "") >= recheck_after
                if "repost_of" not in item.extra and (session.full or fresh):
                    self._thread(session, item, owner)
                session.progress()
            if not session.full and ids and all(i in known for i in ids):
                complete = False  # the rest is archived already; a partial walk proves nothing
                break
        if complete:
            session.sweep(TIMELINE, seen, reasons=self._timeline_reasons(
                session, session.missing(TIMELINE, seen), owner))

    # ----- threads -------------------------------------------------------------------------
    def _thread(self, session: Session, post: Item, owner: Actor) -> None:
        """Every reply by others under ``post`` (not below the account's own replies, which
        are walked from their own position), then a sweep of the thread's scope."""
        scope = thread_scope(post.platform_id)
        seen: list[str] = []
        gone: set[str] = set()
        own: set[str] = set()  # the account's own replies: their subtrees are walked apart
        queue: list[tuple[str, bool]] = [(post.platform_id, False)]
        fetched: set[str] = set()
        while queue:
            anchor, keep_anchor = queue.pop(0)
            if anchor in fetched:
                continue
            fetched.add(anchor)
            page = session.get_json(self._xrpc("app.bsky.feed.getPostThread", uri=anchor,
                                               depth=THREAD_DEPTH, parentHeight=0),
                                    scope=scope, ok=(200, 400))
            if page is None:
                return
            if page.exchange.status != 200:
                error, message = xrpc_error(page.data)
                if anchor == post.platform_id and error == "NotFound":
                    return  # the post itself is gone: the timeline sweep records that
                if keep_anchor and self._raw_reply(session, anchor, scope, page, post):
                    seen.append(anchor)
                    continue
                session.gap(page.exchange.url, f"thread of {anchor}: {error} {message}".strip(),
                            scope=scope)
                return
            walk = thread_walk(as_object(page.data).get("thread"),
                               account_name=self.account.name,
                               owner_did=owner.did, thread_id=post.thread_id)
            gone.update(walk.not_found)
            for index, (item, _depth) in enumerate(walk.items):
                if index == 0 and not keep_anchor:
                    continue
                if item.author_id == owner.did or (index > 0 and item.parent_id in own):
                    own.add(item.platform_id)
                    continue
                if item.platform_id not in seen:
                    if keep_anchor and index == 0:
                        item.extra["blocked_in_thread"] = True
                    seen.append(item.platform_id)
                    self._observe_with_media(session, item, page.exchange, scope)
            queue.extend((uri, False) for uri in walk.truncated if uri not in own)
            queue.extend((uri, True) for uri, _author, parent in walk.blocked
                         if parent not in own)
        reasons = self._reply_reasons(session, session.missing(scope, seen), gone)
        session.sweep(scope, seen, reasons=reasons)

    def _raw_reply(self, session: Session, uri: str, scope: str, page: JsonPage,
                   post: Item) -> bool:
        """A reply the AppView will not show (blocked) read from its author's repository."""
        parts = at_uri_parts(uri)
        pds = self._pds_of(session, parts[0]) if parts else None
        if parts is None or pds is None:
            return False
        record = session.get_json(self._xrpc("com.atproto.repo.getRecord", pds, repo=parts[0],
                                             collection=parts[1], rkey=parts[2]), scope=scope)
        data = as_object(record.data if record is not None else None)
        if record is None or not isinstance(data.get("value"), dict):
            return False
        item = record_item(uri, data.get("cid"), data["value"],
                           author=Actor("", parts[0]), account_name=self.account.name,
                           owner_did="", thread_id=post.thread_id)
        item.extra["blocked_in_thread"] = True
        self._observe_with_media(session, item, record.exchange, scope)
        return True

    # ----- removal reasons -----------------------------------------------------------------
    def _served(self, session: Session, uris: list[str]) -> set[str] | None:
        """Which of ``uris`` the AppView still serves (``getPosts``); None if it failed."""
        served: set[str] = set()
        for start in range(0, len(uris), GET_POSTS_BATCH):
            batch = uris[start:start + GET_POSTS_BATCH]
            page = session.get_json(self._xrpc("app.bsky.feed.getPosts", uris=batch),
                                    scope="probe")
            posts = as_object(page.data if page is not None else None).get("posts")
            if not isinstance(posts, list):
                return None
            served.update(str(p.get("uri")) for p in as_objects(posts))
        return served

    def _in_repo(self, session: Session, uri: str) -> bool | None:
        """Whether the author's repository still holds the record (None: unknown), and
        repositories that are deactivated or taken down count as holding it."""
        parts = at_uri_parts(uri)
        pds = self._pds_of(session, parts[0]) if parts else None
        if parts is None or pds is None:
            return None
        page = session.get_json(self._xrpc("com.atproto.repo.getRecord", pds, repo=parts[0],
                                           collection=parts[1], rkey=parts[2]),
                                scope=f"probe:{uri}", ok=(200, 400, 404))
        if page is None:
            return None
        error, _message = xrpc_error(page.data)
        if page.exchange.status == 200 or error in _GONE_REPO:
            return True
        return False if error in ("RecordNotFound", "NotFound", "InvalidRequest") else None

    def _reply_reasons(self, session: Session, missing: list[str],
                       gone: set[str]) -> dict[str, str]:
        reasons = {uri: "deleted" for uri in missing if uri in gone}
        rest = [uri for uri in missing if uri not in reasons]
        served = self._served(session, rest) if rest else set()
        if served is None:
            return reasons
        for uri in rest:
            if uri in served:
                reasons[uri] = "no-longer-listed"
                continue
            held = self._in_repo(session, uri)
            if held is not None:
                reasons[uri] = "unavailable" if held else "deleted"
        return reasons

    def _timeline_reasons(self, session: Session, missing: list[str],
                          owner: Actor) -> dict[str, str]:
        posts = [u for u in missing if (at_uri_parts(u) or ("", "", ""))[1] ==
                 "app.bsky.feed.post" and "#" not in u]
        reasons = self._reply_reasons(session, posts, set())
        for uri in missing:
            if uri.endswith("#repost"):
                served = self._served(session, [uri.removesuffix("#repost")])
                if served is not None:
                    reasons[uri] = "deleted" if served else "unavailable"
            elif (at_uri_parts(uri) or ("", "", ""))[1] == "app.bsky.feed.repost":
                held = self._in_repo(session, uri)
                if held is not None:
                    reasons[uri] = "unavailable" if held else "deleted"
        return reasons

    # ----- media ---------------------------------------------------------------------------
    def _observe_with_media(self, session: Session, item: Item, exchange: Exchange,
                            scope: str) -> None:
        self._attachments.observe(session, item, exchange, scope)

    @staticmethod
    def _media_child(ref: MediaRef, parent: Item) -> Item:
        """An image or video of a post, with the embed's details (size, alt, aspect)."""
        cid = ref.platform_id.rpartition("#")[2]
        details = dict((parent.extra.get("media") or {}).get(cid) or {"cid": cid})
        return Item(
            platform=PLATFORM, account=parent.account, platform_id=ref.platform_id,
            kind="media", author=parent.author, author_id=parent.author_id,
            author_name=parent.author_name, created_at=parent.created_at, url=ref.url or None,
            text=ref.description, parent_id=parent.platform_id,
            thread_id=parent.thread_id or parent.platform_id, visibility=parent.visibility,
            extra={"media_type": ref.media_type, **details})

    def _blob_url(self, session: Session, ref: MediaRef, parent: Item) -> str | None:
        """The original blob from the author's PDS; else the CDN copy of an image; else a
        gap (a video's original is only on the PDS)."""
        owner = str((parent.extra.get("repost_of") or {}).get("author_id") or parent.author_id)
        cid = ref.platform_id.rpartition("#")[2]
        pds = self._pds_of(session, owner)
        if pds:
            return self._xrpc("com.atproto.sync.getBlob", pds, did=owner, cid=cid)
        if ref.media_type == "image" and ref.url:
            return ref.url
        session.gap(ref.url or ref.platform_id, f"{ref.media_type} {cid}: the author's PDS is "
                    "unknown, so the original cannot be fetched",
                    scope=media_scope(parent.platform_id))
        return None

    @staticmethod
    def _check_blob(child: Item, media: Exchange) -> None:
        """Where the file came from, and whether its bytes hash to the CID the post cites."""
        cid = child.platform_id.rpartition("#")[2]
        from_pds = "com.atproto.sync.getBlob" in media.url
        encoded = bool(media.headers.get("content-encoding"))
        child.extra["file"]["source"] = "pds" if from_pds else "cdn"
        child.extra["file"]["cid_matches"] = (raw_cid(media.payload_sha256) == cid
                                              if from_pds and not encoded else None)

    # ----- chat ----------------------------------------------------------------------------
    def _messages(self, session: Session, owner: Actor, token_ok: bool) -> None:
        pds = self._pds.get(owner.did)
        where = self._xrpc("chat.bsky.convo.listConvos", pds or self.base)
        if not session.token:
            return  # no token configured: public data only, by choice (a configured but
            # unset token variable is already a gap, recorded by the job)
        if pds is None or not token_ok:
            session.gap(where, "direct messages were not captured: "
                        + ("the account's PDS is unknown" if pds is None
                           else "the PDS did not accept the token"), scope=MESSAGES)
            return
        headers = {**self._auth(session), "atproto-proxy": CHAT_PROXY}
        known = {} if session.full else session.known(MESSAGES)
        seen: list[str] = []
        deleted: dict[str, str] = {}
        complete = True
        for page in self._pages(session, self._xrpc("chat.bsky.convo.listConvos", pds,
                                                    limit=100), "convos", MESSAGES, headers):
            if page is None:
                complete = False
                break
            for convo in as_objects(page.data["convos"]):
                last = as_object(convo.get("lastMessage")).get("id")
                if not session.full and last in known:
                    continue  # incremental: nothing new in this conversation
                complete &= self._conversation(session, owner, convo, pds, headers, known,
                                               seen, deleted)
                session.progress()
        if session.full and complete:
            session.sweep(MESSAGES, seen, reasons=deleted)

    def _conversation(self, session: Session, owner: Actor, convo: dict[str, Any], pds: str,
                      headers: dict[str, str], known: dict[str, str | None], seen: list[str],
                      deleted: dict[str, str]) -> bool:
        url = self._xrpc("chat.bsky.convo.getMessages", pds, convoId=convo.get("id"), limit=100)
        for page in self._pages(session, url, "messages", MESSAGES, headers):
            if page is None:
                return False
            ids = []
            for message in as_objects(page.data["messages"]):
                item = message_item(message, convo=convo, account_name=self.account.name,
                                    owner_did=owner.did)
                if item is None:
                    deleted[str(message.get("id"))] = "deleted"
                    continue
                ids.append(item.platform_id)
                if item.platform_id not in seen:
                    seen.append(item.platform_id)
                    session.observe(item, page.exchange, scope=MESSAGES)
            if not session.full and ids and all(i in known for i in ids):
                return True
        return True
