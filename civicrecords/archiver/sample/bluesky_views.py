"""AppView objects for the sample world: profiles, records, ``postView``, feeds and threads.

``BlueskyWorld`` wraps one ``World`` with what Bluesky adds to it: identities, which residents
block the official accounts (their replies show as ``blockedPost`` in official threads), which
replies the officials hid in state "later" (threadgate ``hiddenReplies``: the planted hostile
replies), which posts were deleted and posted again, and the author feeds in Bluesky order.
``Views`` renders one request's answers (one state, one base URL). See ``bluesky_entities``
for the mapping rules.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from civicrecords.archiver.sample.bluesky_entities import (
    Identities,
    Shown,
    asset_blob,
    bluesky_text,
    embeds,
    facets,
    iso,
    parse_rkey,
    post_uri,
    record_cid,
    shown,
    status_rkey,
)
from civicrecords.archiver.sample.ids import mix
from civicrecords.archiver.sample.model import Account, Item, State
from civicrecords.archiver.sample.world import World

THREAD_VIEW: Final = "app.bsky.feed.defs#threadViewPost"


class BlueskyWorld:
    """Bluesky's view of a world, shared by every request (thread-safe, cached)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.ids = Identities(world)
        plan = world.plan
        self.reposted = frozenset(plan.later_edits | plan.media_changes)
        self.blocking = self._blockers()
        self._feeds: dict[tuple[int, State], list[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        self.record = lru_cache(maxsize=1 << 14)(self._record)

    def _blockers(self) -> frozenset[int]:
        """Residents who block both official accounts: one with a public reply to a city
        post (so every world of a few dozen posts has one), plus about one in 29."""
        w = self.world
        chosen = {a.index for a in w.accounts()[2:] if mix(w.key, 812, a.index) % 29 == 0}
        for t in w.structure.post_threads():
            sk = w.skeleton(t)
            if sk.kind == "post" and sk.author == 0 and sk.k and t not in w.plan.removed_posts:
                shape = w.shape(t)
                first = next((j for j in range(1, sk.k + 1) if shape.authors[j] >= 2
                              and shape.vis[j] < 2 and shape.parents[j] == 0
                              and w.exists(t, j, "initial") and (t, j) not in w.plan.hostile
                              and (t, j) not in w.plan.removed_comments), None)
                if first is not None:
                    chosen.add(shape.authors[first])
                    break
        return frozenset(chosen)

    def hidden(self, item: Item, state: State) -> bool:
        """True when the official author of ``item``'s thread hid this reply (in "later",
        the planted hostile replies)."""
        return (state == "later" and item.slot > 0
                and (item.thread, item.slot) in self.world.plan.hostile
                and self.world.skeleton(item.thread).author < 2)

    def blocked(self, item: Item) -> bool:
        """True when ``item`` is a reply in an official thread by a resident who blocks it."""
        return item.slot > 0 and item.account.index in self.blocking and \
            self.world.skeleton(item.thread).author < 2

    def shown(self, item: Item, state: State) -> Shown:
        """How ``item`` appears in ``state``."""
        return shown(self.world, item, state, self.reposted)

    def find(self, did: str, rkey: str, state: State) -> Shown | None:
        """The post a (repo DID, record key) names in ``state``, or None when it does not
        exist there (never written, deleted, followers-only, or a direct message)."""
        decoded = parse_rkey(rkey)
        account = self.ids.by_did.get(did)
        if decoded is None or account is None:
            return None
        status_id, version = decoded
        item = self.world.item(status_id, state)
        if item is None or item.account.index != account.index or item.kind == "message" \
                or item.visibility not in ("public", "unlisted") or item.kind == "reblog":
            return None
        s = self.shown(item, state)
        return s if s.version == version else None

    def original(self, item: Item) -> Shown:
        """The first version of a post: what replies (made before any re-post) point at."""
        version = item.versions[0]
        return Shown(item, 0, version.text, version.created_at, version.media)

    def _record(self, status_id: str, version: int, state: State) -> dict[str, Any]:
        ref = self.world.decode(status_id)
        assert ref is not None
        item = self.world.item_at(*ref, state)
        s = self.shown(item, state) if version else self.original(item)
        text = bluesky_text(self.ids, s.text, item.mentions)
        did = self.ids.did(item.account)
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(s.created_at)}
        record_embed, _view = embeds("", did, s.media, item.card)
        if record_embed is not None:
            record["embed"] = record_embed
        found = facets(self.ids, text)
        if found:
            record["facets"] = found
        if item.sensitive:
            record["labels"] = {"$type": "com.atproto.label.defs#selfLabels",
                                "values": [{"val": "graphic-media"}]}
        record["langs"] = [item.language or "en"]
        if item.slot > 0:
            w = self.world
            parent = w.item_at(item.thread, w.parent(item.thread, item.slot) or 0, state)
            root = w.item_at(item.thread, 0, state)
            record["reply"] = {"parent": self.strong_ref(parent, state),
                               "root": self.strong_ref(root, state)}
        record["text"] = text
        return record

    def strong_ref(self, item: Item, state: State) -> dict[str, str]:
        """``{uri, cid}`` of the first version of ``item`` (what a reply records)."""
        s = self.original(item)
        return {"cid": record_cid(self.record(item.id, 0, state)), "uri": post_uri(self.ids, s)}

    def feed(self, account: Account, state: State) -> list[tuple[int, str]]:
        """(sort time ms, status id) of everything ``account``'s author feed shows, newest
        first: public posts (by their shown version's time), replies and reposts."""
        key = (account.index, state)
        with self._lock:
            cached = self._feeds.get(key)
        if cached is not None:
            return cached
        w = self.world
        entries: list[tuple[int, str]] = []
        for status_id in w.timeline(account, state, viewer=None):
            item = w.item(status_id, state)
            if item is None or item.kind == "message":
                continue
            if item.kind == "reblog":
                original = w.item(item.reblog_of or "", state)
                if original is None or original.visibility not in ("public", "unlisted"):
                    continue
            stamp = self.shown(item, state).created_at if item.slot == 0 else item.created_at
            entries.append((int(stamp.timestamp() * 1000), status_id))
        entries.sort(reverse=True)
        unique: list[tuple[int, str]] = []
        for stamp, status_id in entries:  # nudge ties apart: cursors are times
            if unique and stamp >= unique[-1][0]:
                stamp = unique[-1][0] - 1
            unique.append((stamp, status_id))
        with self._lock:
            self._feeds[key] = unique
        return unique


class Views:
    """AppView JSON for one request."""

    def __init__(self, bsky: BlueskyWorld, state: State, base: str) -> None:
        self.b = bsky
        self.w = bsky.world
        self.ids = bsky.ids
        self.state = state
        self.base = base

    def profile_basic(self, account: Account) -> dict[str, Any]:
        """``app.bsky.actor.defs#profileViewBasic``."""
        did = self.ids.did(account)
        data: dict[str, Any] = {"did": did, "handle": self.ids.handle(account),
                                "displayName": account.display_name}
        if account.avatar:
            cid = asset_blob(account.avatar)[0]
            data["avatar"] = f"{self.base}/img/avatar/plain/{did}/{cid}@jpeg"
        data.update(associated={"chat": {"allowIncoming": "all" if account.index < 2
                                         else "following"}},
                    viewer={"muted": False, "blockedBy": False}, labels=[],
                    createdAt=iso(account.created_at))
        return data

    def profile(self, account: Account) -> dict[str, Any]:
        """``app.bsky.actor.defs#profileViewDetailed``."""
        data = self.profile_basic(account)
        posts = sum(1 for _stamp, sid in self.b.feed(account, self.state)
                    if (item := self.w.item(sid, self.state)) and item.slot == 0
                    and item.kind != "reblog") if account.index < 2 else 1
        data.update(description=account.note, indexedAt=iso(account.created_at),
                    followersCount=account.followers_count,
                    followsCount=account.following_count, postsCount=posts)
        return data

    def uri(self, s: Shown) -> str:
        """The shown post's ``at://`` URI."""
        return post_uri(self.ids, s)

    def record(self, s: Shown) -> dict[str, Any]:
        """The post record as its repository holds it."""
        return self.b.record(s.item.id, s.version, self.state)

    def replies(self, s: Shown) -> list[Item]:
        """Existing public replies to the shown post (none for a re-post, whose replies
        stayed with the deleted original)."""
        if s.version:
            return []
        item = s.item
        children = self.w.children(item.thread, item.slot, self.state)
        out = []
        for slot in children:
            child = self.w.item_at(item.thread, slot, self.state)
            if child.visibility in ("public", "unlisted"):
                out.append(child)
        return out

    def post_view(self, s: Shown) -> dict[str, Any]:
        """``app.bsky.feed.defs#postView``."""
        item = s.item
        record = self.record(s)
        _record_embed, view_embed = embeds(self.base, self.ids.did(item.account), s.media,
                                           item.card)
        data: dict[str, Any] = {"uri": self.uri(s), "cid": record_cid(record),
                                "author": self.profile_basic(item.account), "record": record}
        if view_embed is not None:
            data["embed"] = view_embed
        data.update(replyCount=len(self.replies(s)), repostCount=item.reblogs_count,
                    likeCount=item.favourites_count, quoteCount=0,
                    indexedAt=iso(s.created_at),
                    viewer={"threadMuted": False, "embeddingDisabled": False}, labels=[])
        gate = self.threadgate(s)
        if gate is not None:
            data["threadgate"] = gate
        data["$type"] = "app.bsky.feed.defs#postView"
        return data

    def threadgate(self, s: Shown) -> dict[str, Any] | None:
        """The threadgate of a root post whose author hid replies, else None."""
        if s.item.slot != 0 or s.version or self.state != "later":
            return None
        hidden = [self.uri(self.b.original(self.w.item_at(t, j, self.state)))
                  for (t, j) in sorted(self.w.plan.hostile) if t == s.item.thread
                  and self.w.exists(t, j, self.state)
                  and self.w.item_at(t, j, self.state).visibility in ("public", "unlisted")]
        if not hidden or s.item.account.index >= 2:
            return None
        did = self.ids.did(s.item.account)
        rkey = status_rkey(s.item.id)
        record = {"$type": "app.bsky.feed.threadgate", "post": self.uri(s),
                  "createdAt": iso(datetime.fromtimestamp(self.w.now("initial") + 86400, UTC)),
                  "hiddenReplies": hidden}
        return {"uri": f"at://{did}/app.bsky.feed.threadgate/{rkey}",
                "cid": record_cid(record), "record": record, "lists": []}

    def feed_entry(self, status_id: str, owner: Account) -> dict[str, Any] | None:
        """One ``feedViewPost`` of ``owner``'s author feed."""
        item = self.w.item(status_id, self.state)
        if item is None:
            return None
        if item.kind == "reblog":
            original = self.w.item(item.reblog_of or "", self.state)
            if original is None:
                return None
            repost = {"$type": "app.bsky.feed.repost",
                      "subject": {"cid": record_cid(self.record(self.b.shown(original,
                                                                              self.state))),
                                  "uri": self.uri(self.b.shown(original, self.state))},
                      "createdAt": iso(item.created_at)}
            did = self.ids.did(owner)
            return {"post": self.post_view(self.b.shown(original, self.state)),
                    "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                               "by": self.profile_basic(owner),
                               "uri": f"at://{did}/app.bsky.feed.repost/{status_rkey(item.id)}",
                               "cid": record_cid(repost), "indexedAt": iso(item.created_at)}}
        s = self.b.shown(item, self.state)
        entry: dict[str, Any] = {"post": self.post_view(s)}
        if item.slot > 0:
            parent = self.w.item_at(item.thread, self.w.parent(item.thread, item.slot) or 0,
                                    self.state)
            root = self.w.item_at(item.thread, 0, self.state)
            entry["reply"] = {"root": self._ref_view(root), "parent": self._ref_view(parent)}
        return entry

    def _ref_view(self, item: Item) -> dict[str, Any]:
        original = self.b.original(item)
        found = self.b.find(self.ids.did(item.account), status_rkey(item.id), self.state)
        if found is None:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": self.uri(original),
                    "notFound": True}
        return self.post_view(found)

    def feed_filter_accepts(self, status_id: str, flag: str) -> bool:
        """Whether an author-feed entry passes the ``filter`` named ``flag``."""
        item = self.w.item(status_id, self.state)
        if item is None:
            return False
        if flag == "posts_no_replies":
            return item.slot == 0
        if flag == "posts_with_media":
            return item.kind != "reblog" and bool(item.media)
        if flag == "posts_and_author_threads":
            parent = self.w.parent(item.thread, item.slot)
            return item.slot == 0 or (parent is not None and self.w.item_at(
                item.thread, parent, self.state).account.index == item.account.index)
        return True

    def thread(self, s: Shown, depth: int, parent_height: int,
               anchor: bool = True) -> dict[str, Any]:
        """``threadViewPost`` for ``s``: replies to ``depth`` (omitted at the limit) and
        parents up to ``parent_height``; replies by blockers of an official thread's author
        are ``blockedPost`` nodes (their branches are not shown)."""
        node: dict[str, Any] = {"$type": THREAD_VIEW, "post": self.post_view(s)}
        if anchor and parent_height > 0 and s.item.slot > 0:
            node["parent"] = self._parents(s.item, parent_height)
        if depth > 0:
            replies = []
            for child in self.replies(s):
                if self.b.blocked(child):
                    replies.append({"$type": "app.bsky.feed.defs#blockedPost",
                                    "uri": self.uri(self.b.original(child)), "blocked": True,
                                    "author": {"did": self.ids.did(child.account),
                                               "viewer": {"blockedBy": False}}})
                else:
                    replies.append(self.thread(self.b.shown(child, self.state), depth - 1,
                                               0, anchor=False))
            node["replies"] = replies
        if anchor:
            node["threadContext"] = {}
        return node

    def _parents(self, item: Item, height: int) -> dict[str, Any]:
        slot = self.w.parent(item.thread, item.slot) or 0
        parent = self.w.item_at(item.thread, slot, self.state)
        found = self.b.find(self.ids.did(parent.account), status_rkey(parent.id), self.state)
        if found is None:
            return {"$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": self.uri(self.b.original(parent)), "notFound": True}
        node: dict[str, Any] = {"$type": THREAD_VIEW, "post": self.post_view(found)}
        if height > 1 and slot > 0:
            node["parent"] = self._parents(parent, height - 1)
        return node


class GroundTruth:
    """What a complete capture of an official account on the sample Bluesky must hold."""

    def __init__(self, bsky: BlueskyWorld, state: State) -> None:
        self.b = bsky
        self.w = bsky.world
        self.state = state
        self.views = Views(bsky, state, "")

    def timeline(self, account: Account) -> list[str]:
        """Item ids of the author feed: post URIs and repost record URIs, newest first."""
        out = []
        for _stamp, status_id in self.b.feed(account, self.state):
            item = self.w.item(status_id, self.state)
            assert item is not None
            if item.kind == "reblog":
                out.append(f"at://{self.b.ids.did(account)}/app.bsky.feed.repost/"
                           f"{status_rkey(item.id)}")
            else:
                out.append(self.views.uri(self.b.shown(item, self.state)))
        return out

    def replies(self, account: Account) -> list[Item]:
        """Every public reply by others below the account's posts and replies (a thread
        walk reaches them; replies of deleted or re-posted posts are orphaned and do not
        count, replies under the account's reply to a post Bluesky never had do)."""
        found: dict[str, Item] = {}
        for _stamp, status_id in self.b.feed(account, self.state):
            item = self.w.item(status_id, self.state)
            if item is None or item.kind == "reblog" or self.b.shown(item, self.state).version:
                continue
            stack = self.views.replies(self.b.shown(item, self.state))
            while stack:
                child = stack.pop()
                if child.account.index != account.index:
                    found[child.id] = child
                stack.extend(self.views.replies(self.b.shown(child, self.state)))
        return sorted(found.values(), key=lambda i: int(i.id))

    def uri(self, item: Item) -> str:
        """The URI of ``item`` as shown in this state."""
        return self.views.uri(self.b.shown(item, self.state))

    def messages(self, account: Account) -> list[str]:
        """Chat message ids of every conversation ``account`` is in."""
        return [status_rkey(m.id) for m in self.w.messages(self.state, account)]

    def hidden_replies(self, account: Account) -> list[str]:
        """URIs of replies in the account's threads that it hid (threadgate)."""
        return [self.uri(r) for r in self.replies(account) if self.b.hidden(r, self.state)]

    def blocked_replies(self, account: Account) -> list[str]:
        """URIs of replies the AppView shows as ``blockedPost`` in the account's threads."""
        return [self.uri(r) for r in self.replies(account) if self.b.blocked(r)]
