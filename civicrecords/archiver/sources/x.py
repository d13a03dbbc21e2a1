"""X (API v2): an account's posts, the replies to them, edits, media and direct messages.

Account config: ``api_base`` (``https://api.x.com``), ``account_id`` (user id) or ``handle``,
``token_env`` (a bearer token: a user-context OAuth 2.0 token of the account reads direct
messages too; an app-only token reads public data) and ``access_tier`` (the app's X access
level: ``basic`` finds replies with recent search, which reaches back 7 days, so capture at
least weekly; ``pro``/``enterprise`` use full-archive search; ``free`` cannot read).

Walk:
1. ``/2/users/me`` checks the token (user context, app-only or rejected; ``x-access-level``
   says whether direct messages are readable); ``/2/users/by/username/:handle`` finds the id.
2. ``/2/users/:id/tweets`` (``pagination_token`` = ``meta.next_token``) with every field and
   expansion an archive needs (``tweet_params``): posts, retweets and the account's own
   replies. Each post is one item across its edits (see ``x_items``); earlier versions that
   ``includes.tweets`` carries are recorded as history versions. X lists only the latest
   3,200 posts, so posts the walk no longer returns are looked up before being called removed.
3. Replies: ``/2/tweets/search/recent`` or ``/search/all`` (by tier) for ``conversation_id:``
   of the post and of each of its edits. Where the tier has no search, X answers 403 (client
   not enrolled): a gap records X's explanation once and the token report repeats it.
4. Removals: every item a complete walk missed is looked up (``/2/tweets?ids=``, 100 at a
   time): still there (listed no more: kept, and re-observed), ``errors[]`` entries (deleted,
   suspended, not authorized) or ``withheld`` become the removal reason.
5. Media: photos, and the highest-bit-rate MP4 of each video or GIF.
6. With a user-context token that may read them: ``/2/dm_events`` (X keeps 30 days; capture
   at least monthly). A message one side deletes stays visible to the other, so message
   removals are not inferred.

Scopes: ``timeline``, ``thread:<post id>`` (replies by others), ``messages``.
Throttling: ``x-rate-limit-remaining``/``-reset`` pause the capture until the window resets
(X windows are 15 minutes, longer than the generic back-off cap); a 429 waits for the reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar
from urllib.parse import quote, urlencode

from civicrecords.archiver.ratelimit import Answer, RateLimitPolicy, seconds_until
from civicrecords.archiver.sources.attachments import AttachmentCapture
from civicrecords.archiver.sources.base import JsonPage, Session
from civicrecords.archiver.sources.x_items import (
    XPage,
    dm_item,
    history_items,
    media_item,
    parse_page,
    problem_message,
    tweet_item,
    withheld_here,
)
from civicrecords.config import AccountConfig
from civicrecords.environment import utc_iso
from civicrecords.model import Item, MediaRef

TIMELINE = "timeline"
MESSAGES = "messages"
WINDOW_SECONDS = 15 * 60
RECENT_SEARCH_DAYS = 7
LOOKUP_BATCH = 100
TWEET_FIELDS = ("attachments", "author_id", "conversation_id", "created_at", "edit_controls",
                "edit_history_tweet_ids", "entities", "geo", "in_reply_to_user_id", "lang",
                "note_tweet", "possibly_sensitive", "public_metrics", "referenced_tweets",
                "reply_settings", "withheld")
EXPANSIONS = ("author_id", "attachments.media_keys", "attachments.poll_ids",
              "referenced_tweets.id", "referenced_tweets.id.author_id", "in_reply_to_user_id",
              "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id")
MEDIA_FIELDS = ("url", "preview_image_url", "variants", "alt_text", "type", "duration_ms",
                "width", "height", "public_metrics")
USER_FIELDS = ("created_at", "description", "location", "name", "username", "protected",
               "profile_image_url", "public_metrics", "url", "verified", "verified_type",
               "withheld")
POLL_FIELDS = ("options", "voting_status", "end_datetime", "duration_minutes")
PLACE_FIELDS = ("full_name", "country_code", "geo", "place_type", "name", "id")
DM_FIELDS = ("id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id",
             "participant_ids", "referenced_tweets", "attachments", "entities")
DM_EXPANSIONS = ("sender_id", "participant_ids", "attachments.media_keys")


def reads_messages(access_level: str) -> bool:
    """Whether a token with this ``x-access-level`` may read direct messages (an absent
    header is tried: X then answers for itself)."""
    return not access_level or "directmessages" in access_level


def thread_scope(post_id: str) -> str:
    """Scope of the replies (by others) under one post."""
    return f"thread:{post_id}"


def tweet_params() -> dict[str, str]:
    """The fields and expansions every tweet request asks for."""
    return {"tweet.fields": ",".join(TWEET_FIELDS), "expansions": ",".join(EXPANSIONS),
            "media.fields": ",".join(MEDIA_FIELDS), "user.fields": ",".join(USER_FIELDS),
            "poll.fields": ",".join(POLL_FIELDS), "place.fields": ",".join(PLACE_FIELDS)}


def dm_params() -> dict[str, str]:
    """The fields and expansions the direct-message request asks for."""
    return {"dm_event.fields": ",".join(DM_FIELDS), "expansions": ",".join(DM_EXPANSIONS),
            "user.fields": ",".join(USER_FIELDS), "media.fields": ",".join(MEDIA_FIELDS)}


@dataclass
class XRateLimitPolicy(RateLimitPolicy):
    """X's signals: ``x-rate-limit-*`` with the reset in epoch seconds. A 429 waits until
    the reset and an exhausted window pauses until it, each up to one 15-minute window even
    when that is longer than the configured back-off cap."""

    def _cap(self) -> float:
        return max(self.max_backoff_seconds, WINDOW_SECONDS + 5)

    def retry_after(self, answer: Answer, attempt: int) -> float | None:
        """429: until ``x-rate-limit-reset`` (+1 s); others as the default policy."""
        if answer.status == 429:
            wait = seconds_until(answer.headers.get("x-rate-limit-reset", ""),
                                 answer.fetched_at)
            if wait is not None:
                return min(self._cap(), wait + 1)
        return super().retry_after(answer, attempt)

    def pause_after(self, answer: Answer) -> float:
        """When the window is used up, wait until ``x-rate-limit-reset``."""
        if answer.headers.get("x-rate-limit-remaining", "").strip() == "0":
            wait = seconds_until(answer.headers.get("x-rate-limit-reset", ""),
                                 answer.fetched_at)
            return min(self._cap(), (wait if wait is not None else 1.0) + 1)
        return 0.0


class XSource:
    """Captures one X account (see module docstring)."""

    platform: ClassVar[str] = "x"

    def __init__(self, account: AccountConfig) -> None:
        self.account = account
        self.base = account.api_base.rstrip("/")
        self.tier = account.access_tier
        self._attachments = AttachmentCapture()
        self._identities: dict[str, str] = {}  # any tweet id -> its post's original id
        self._notes: list[str] = []
        self._search_refused = False
        self._search_works = False  # prefetch searches only once one has succeeded
        self._token_verified = False

    def rate_limits(self, backoff_seconds: float, max_backoff_seconds: float) -> RateLimitPolicy:
        """X's 15-minute windows (see ``XRateLimitPolicy``)."""
        return XRateLimitPolicy(backoff_seconds, max_backoff_seconds)

    # ----- walk ----------------------------------------------------------------------------
    def run(self, session: Session) -> None:
        """Capture posts, replies, edits, media and (user context) direct messages; full
        mode walks everything and sweeps, incremental mode stops at the first page already
        archived and searches replies only of new and recent posts."""
        if not session.token:
            if not self.account.token_env:
                session.gap(self.base, "X answers only authenticated requests: set token_env "
                            "to the variable holding the account's bearer token", scope="token")
            return
        headers = {"Authorization": f"Bearer {session.token}"}
        checked = self._check_token(session, headers)
        if checked is None:
            return
        user_context, can_dm = checked
        owner = self._owner(session, headers)
        if owner is not None:
            self._timeline(session, owner, headers)
            if user_context and can_dm:
                self._messages(session, owner, headers)
        if self._token_verified:
            session.report_token(valid=True, detail="; ".join(self._notes))

    def _check_token(self, session: Session, headers: dict[str, str]
                     ) -> tuple[bool, bool] | None:
        """(user context?, may read DMs?); None when X rejected the token (nothing more to
        do: every request would fail the same way)."""
        page = session.get_json(f"{self.base}/2/users/me", scope="token", headers=headers,
                                ok=(200, 401, 403))
        if page is None:
            return False, False  # unknown: go on with what an app-only token may read
        status = page.exchange.status
        self._token_verified = status in (200, 403)
        if status == 200:
            user = (page.data or {}).get("data") or {}
            level = page.exchange.headers.get("x-access-level", "")
            can_dm = reads_messages(level)
            self._notes.append(f"user-context token for @{user.get('username')}"
                               + (f" (access level {level})" if level else ""))
            if not can_dm:
                self._notes.append("this token may not read direct messages")
            return True, can_dm
        body = page.data if isinstance(page.data, dict) else {}
        if status == 403 and str(body.get("type", "")).endswith("unsupported-authentication"):
            self._notes.append("application-only bearer token: public posts and replies only; "
                               "direct messages need a user-context token")
            return False, False
        message = problem_message(body, status)
        self._token_verified = False
        session.report_token(valid=False, detail=message)
        session.gap(page.exchange.url, f"X rejected the token: {message}", scope="token")
        return None

    def _owner(self, session: Session, headers: dict[str, str]) -> str | None:
        if self.account.account_id:
            return self.account.account_id
        handle = (self.account.handle or "").lstrip("@")
        page = self._get(session, f"{self.base}/2/users/by/username/{quote(handle)}",
                         TIMELINE, headers)
        if page is None:
            return None
        found = parse_page(page.data).data
        if not found:
            session.gap(page.exchange.url, f"X has no user @{handle}", scope=TIMELINE)
            return None
        return str(found[0]["id"])

    def _get(self, session: Session, url: str, scope: str, headers: dict[str, str]
             ) -> JsonPage | None:
        """GET a JSON page; a refusal (400/401/403/404) becomes a gap naming X's reason."""
        page = session.get_json(url, scope=scope, headers=headers, ok=(200, 400, 401, 403, 404))
        if page is None or page.exchange.status == 200:
            return page
        message = problem_message(page.data, page.exchange.status)
        session.gap(page.exchange.url, f"X refused: {message}", scope=scope)
        return None

    def _pages(self, session: Session, url: str, scope: str, headers: dict[str, str],
               token_name: str) -> Iterator[tuple[XPage, JsonPage] | None]:
        """Each page following ``meta.next_token``; None once if a page failed."""
        seen_tokens: set[str] = set()
        while True:
            page = self._get(session, url, scope, headers)
            if page is None:
                yield None
                return
            parsed = parse_page(page.data)
            yield parsed, page
            token = parsed.next_token
            if token is None or token in seen_tokens:
                return
            seen_tokens.add(token)
            url = f"{url.split('&' + token_name + '=')[0]}&{urlencode({token_name: token})}"

    def _learn(self, page: XPage) -> None:
        for tweet in page.tweets.values():
            history = [str(i) for i in tweet.get("edit_history_tweet_ids") or []]
            for version_id in history:
                self._identities[version_id] = history[0]

    def _timeline(self, session: Session, owner: str, headers: dict[str, str]) -> None:
        query = {"max_results": str(max(5, min(100, int(session.state.get("page_size", 40))))),
                 **tweet_params()}
        url = f"{self.base}/2/users/{quote(owner)}/tweets?{urlencode(query)}"
        archived = session.known(TIMELINE)
        known = {} if session.full else archived
        recheck_after = session.state.get("recheck_after") or ""
        seen: list[str] = []
        complete = True
        replied: list[Item] = []  # posts with replies, for the Basic-access note
        cutoff = ""
        for result in self._pages(session, url, TIMELINE, headers, "pagination_token"):
            if result is None:
                complete = False
                break
            page, raw = result
            if not cutoff:
                cutoff = utc_iso(raw.exchange.fetched_at - timedelta(days=RECENT_SEARCH_DAYS))
            self._learn(page)
            posts = []
            items = [tweet_item(tweet, page, account_name=self.account.name, owner_id=owner,
                                known=self._identities) for tweet in page.data]
            for item in items:
                seen.append(item.platform_id)
                self._observe(session, item, page, raw, TIMELINE)
            self._histories(session, items, TIMELINE, owner, headers)
            for item in items:
                fresh = item.platform_id not in known or \
                    (item.created_at or "") >= recheck_after
                if "retweet_of" not in item.extra and item.parent_id is None:
                    if (item.extra.get("public_metrics") or {}).get("reply_count"):
                        replied.append(item)
                    if session.full or fresh:
                        posts.append(item)
                session.progress()
            if self._search_works:
                session.prefetch([self._search_url(p, None) for p in posts
                                  if self._wants_search(session, p)], headers=headers)
            for post in posts:
                self._thread(session, post, owner, headers)
            if not session.full and page.data and all(
                    self._identities.get(str(t.get("id")), str(t.get("id"))) in known
                    for t in page.data):
                complete = False  # the rest is already archived; no sweep from a partial walk
                break
        if complete:
            self._sweep(session, TIMELINE, seen, owner, headers)
        if not archived and self.tier == "basic":
            self._older_replies_gap(session, [p for p in replied
                                              if (p.created_at or "") < cutoff], cutoff)

    def _wants_search(self, session: Session, post: Item) -> bool:
        metrics = post.extra.get("public_metrics") or {}
        if self._search_refused or self.tier == "free":
            return False
        return bool(metrics.get("reply_count", 1)) or bool(
            session.known(thread_scope(post.platform_id)))

    def _search_url(self, post: Item, token: str | None) -> str:
        ids = post.extra.get("edit_history_tweet_ids") or [post.platform_id]
        query = {"query": " OR ".join(f"conversation_id:{i}" for i in ids),
                 "max_results": "100", **tweet_params()}
        if token:
            query["next_token"] = token
        endpoint = "all" if self.tier in ("pro", "enterprise") else "recent"
        return f"{self.base}/2/tweets/search/{endpoint}?{urlencode(query)}"

    def _thread(self, session: Session, post: Item, owner: str,
                headers: dict[str, str]) -> None:
        """Search the replies under ``post``, then sweep them (known replies the search
        did not return are looked up one by one, so the sweep holds even where search
        reaches back only days, or not at all)."""
        scope = thread_scope(post.platform_id)
        seen: list[str] = []
        url = self._search_url(post, None) if self._wants_search(session, post) else None
        while url is not None:
            page = session.get_json(url, scope=scope, headers=headers,
                                    ok=(200, 400, 401, 403))
            if page is None:
                return  # a gap in this scope: no sweep from an incomplete walk
            if page.exchange.status != 200:
                self._refused_search(session, page)
                break
            self._search_works = True
            parsed = parse_page(page.data)
            self._learn(parsed)
            replies = []
            for tweet in parsed.data:
                item = tweet_item(tweet, parsed, account_name=self.account.name,
                                  owner_id=owner, known=self._identities)
                if item.kind == "post":
                    continue  # the account's own tweets come from its timeline
                item.thread_id = post.platform_id
                seen.append(item.platform_id)
                self._observe(session, item, parsed, page, scope)
                replies.append(item)
            self._histories(session, replies, scope, owner, headers)
            token = parsed.next_token
            url = self._search_url(post, token) if token else None
        if session.known(scope):
            self._sweep(session, scope, seen, owner, headers)

    def _refused_search(self, session: Session, page: JsonPage) -> None:
        message = problem_message(page.data, page.exchange.status)
        if not self._search_refused:
            self._search_refused = True
            reason = (f"replies not captured: X refused reply search for this app's access "
                      f"level ({message}); configured access_tier is {self.tier!r}")
            session.gap(page.exchange.url, reason, scope="search")
            self._notes.append(reason)

    def _older_replies_gap(self, session: Session, older: list[Item], cutoff: str) -> None:
        """First capture with Basic access: replies older than recent search reaches could
        not be captured; say so once, naming how many posts had replies then."""
        if self._search_refused or not older:
            return
        session.gap(f"{self.base}/2/tweets/search/recent",
                    f"X Basic access searches only the last {RECENT_SEARCH_DAYS} days: replies "
                    f"posted before {cutoff[:10]} to {len(older)} earlier posts with replies "
                    "could not be captured (access_tier 'pro' searches the full archive)",
                    scope="search:history")

    def _histories(self, session: Session, items: list[Item], scope: str, owner: str,
                   headers: dict[str, str]) -> None:
        """Record the earlier versions of edited items as history versions, looked up by
        their own ids (a response's ``includes`` lack the media of earlier versions)."""
        edited = {item.platform_id: item for item in items
                  if len(item.extra.get("edit_history_tweet_ids") or []) > 1}
        ids = sorted({version for item in edited.values()
                      for version in item.extra["edit_history_tweet_ids"]
                      if version != item.extra.get("tweet_id")}, key=int)
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start:start + LOOKUP_BATCH]
            query = {"ids": ",".join(batch), **tweet_params()}
            page = self._get(session, f"{self.base}/2/tweets?{urlencode(query)}", scope,
                             headers)
            if page is None:
                continue
            parsed = parse_page(page.data)
            for item in edited.values():
                for version in history_items(item, parsed, owner_id=owner,
                                             known=self._identities):
                    if version.extra.get("tweet_id") in batch:
                        session.observe(version, page.exchange, scope=scope,
                                        observed="history")

    def _sweep(self, session: Session, scope: str, seen: list[str], owner: str,
               headers: dict[str, str]) -> None:
        """Sweep ``scope`` after looking up every item the walk missed: found ones are
        kept (and observed again), the rest are removed with the reason X gives."""
        missing = session.missing(scope, seen)
        reasons: dict[str, str] = {}
        present = list(seen)
        for start in range(0, len(missing), LOOKUP_BATCH):
            batch = missing[start:start + LOOKUP_BATCH]
            query = {"ids": ",".join(batch), **tweet_params()}
            page = session.get_json(f"{self.base}/2/tweets?{urlencode(query)}", scope=scope,
                                    headers=headers)
            if page is None:
                return  # the gap blocks this sweep
            parsed = parse_page(page.data)
            self._learn(parsed)
            returned = {self._identities.get(str(t.get("id")), str(t.get("id"))): t
                        for t in parsed.data}
            for wanted in batch:
                tweet = returned.get(wanted)
                if tweet is None:
                    errors = parsed.errors_about(wanted)
                    reasons[wanted] = errors[0].reason if errors else "not-returned"
                    continue
                history = [str(i) for i in tweet.get("edit_history_tweet_ids") or []]
                latest = parsed.tweets.get(history[-1], tweet) if history else tweet
                item = tweet_item(latest, parsed, account_name=self.account.name,
                                  owner_id=owner, known=self._identities)
                if scope != TIMELINE:
                    item.thread_id = scope.split(":", 1)[1]
                if withheld_here(latest.get("withheld")):
                    reasons[wanted] = "withheld"
                else:
                    present.append(wanted)
                self._observe(session, item, parsed, page, scope)
        session.sweep(scope, present, reasons=reasons)

    def _observe(self, session: Session, item: Item, page: XPage, raw: JsonPage,
                 scope: str) -> None:
        def child(ref: MediaRef, parent: Item) -> Item:
            media = page.media.get(ref.platform_id, {"media_key": ref.platform_id,
                                                     "url": ref.url, "type": ref.media_type})
            return media_item(media, parent=parent)

        self._attachments.observe(session, item, raw.exchange, scope, child)

    def _messages(self, session: Session, owner: str, headers: dict[str, str]) -> None:
        url = f"{self.base}/2/dm_events?{urlencode({'max_results': '100', **dm_params()})}"
        known = {} if session.full else session.known(MESSAGES)
        for result in self._pages(session, url, MESSAGES, headers, "pagination_token"):
            if result is None:
                return
            page, raw = result
            items = [dm_item(event, page, account_name=self.account.name, owner_id=owner)
                     for event in page.data]
            for item in items:
                if item is not None:
                    self._observe(session, item, page, raw, MESSAGES)
                    session.progress()
            if not session.full and items and all(
                    i is None or i.platform_id in known for i in items):
                return

