"""The City of Lakeside, MN: a deterministic, lazily generated world of official social media.

``World(seed, posts)`` describes two official accounts (the city, ``lakeside``; the mayor's
office, ``mayor``), a few dozen to a few thousand residents, the city's posts with threaded
replies, direct conversations, media, polls, edits and planted personal and hostile data, in
two states: "initial" (everything created before 2026-11-01) and "later" (two weeks on: new
posts, replies and messages; some comments and a post removed; more posts edited).

Nothing is generated up front except the residents' profiles and the plan (see ``plan``):
construction at 100,000 posts takes well under a second and little memory. Items are built on
demand and cached in bounded LRU caches. Every answer is a pure function of (seed, posts).

The world is platform-neutral; ``mastodon`` renders it as the Mastodon REST API.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from functools import lru_cache

from civicrecords.archiver.sample import pii
from civicrecords.archiver.sample.accounts import FIRST_RESIDENT, make_accounts
from civicrecords.archiver.sample.ids import (
    LATER_END,
    REF_SPACE,
    WORLD_END,
    Snowflakes,
    mix,
    parse_id,
    seed_key,
)
from civicrecords.archiver.sample.items import ItemFactory
from civicrecords.archiver.sample.model import (
    Account,
    Changes,
    HostileItem,
    Item,
    MediaChange,
    SeededPII,
    State,
    Version,
)
from civicrecords.archiver.sample.plan import make_plan
from civicrecords.archiver.sample.threads import SLOTS, ConvSkeleton, Shape, Structure
from civicrecords.archiver.sample.timeline import Timeline, TimelineBuilder


class World:
    """The sample city's content for one (seed, posts). Thread-safe for concurrent reads."""

    def __init__(self, seed: int | str = 1, posts: int = 300) -> None:
        if posts < 1:
            raise ValueError("posts must be at least 1")
        self.seed = seed
        self.post_count = posts
        self.key = seed_key(seed)
        residents = min(4000, max(40, posts // 3))
        conversations = max(4, posts // 12)
        self.structure = Structure(self.key, posts, conversations, max(3, posts // 100),
                                   FIRST_RESIDENT, residents)
        if self.structure.total * SLOTS > REF_SPACE:
            raise ValueError(f"posts={posts} is too large (at most about 230,000)")
        self._status_ids = Snowflakes(mix(self.key, 1))
        self._account_ids = Snowflakes(mix(self.key, 2))
        self._accounts = make_accounts(seed, self.key, self._account_ids, residents)
        self._by_acct = {a.acct.lower(): a for a in self._accounts}
        self.relay_index = len(self._accounts) - 2
        self.longform_index = len(self._accounts) - 1
        self.remote_resident_index = next(
            (a.index for a in self._accounts[FIRST_RESIDENT:self.relay_index] if a.domain),
            self.longform_index)
        self.skeleton = lru_cache(maxsize=1 << 16)(self.structure.skeleton)
        self.conversation = lru_cache(maxsize=1 << 14)(self.structure.conversation)
        self._shape = lru_cache(maxsize=1 << 12)(self._shape_uncached)
        self._items = ItemFactory(self)
        self._item = lru_cache(maxsize=1 << 13)(self._item_uncached)
        self.plan = make_plan(self)
        self._pruned_threads = {t for t, _slot in self.plan.removed_comments}
        self._timelines = TimelineBuilder(self)
        self._lock = threading.Lock()
        self._changes: Changes | None = None

    # -- accounts --------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        """Every account: city (index 0), mayor (1), then residents."""
        return list(self._accounts)

    @property
    def city(self) -> Account:
        """The city's official account, ``lakeside``."""
        return self._accounts[0]

    @property
    def mayor(self) -> Account:
        """The mayor's official account, ``mayor``."""
        return self._accounts[1]

    def account_at(self, index: int) -> Account:
        """Return the account with ``index``."""
        return self._accounts[index]

    def account(self, acct: str) -> Account | None:
        """Return the account named ``acct`` (``user`` or ``user@domain``), or None."""
        return self._by_acct.get(acct.lstrip("@").lower())

    def account_by_id(self, account_id: str) -> Account | None:
        """Return the account with id ``account_id``, or None."""
        value = parse_id(account_id)
        if value is None:
            return None
        _sec, index = self._account_ids.decode(value)
        if index < len(self._accounts) and self._accounts[index].id == account_id:
            return self._accounts[index]
        return None

    # -- ids and existence -----------------------------------------------------------------

    def now(self, state: State) -> int:
        """The state's cut-off, unix seconds: items exist when created before it."""
        return WORLD_END if state == "initial" else LATER_END

    def slot_sec(self, t: int, slot: int) -> int:
        """Creation time (unix seconds) of ``slot`` in thread ``t``."""
        if self.structure.is_post_thread(t):
            sk = self.skeleton(t)
            return self.structure.slot_sec(t, sk.sec, sk.spacing, slot)
        cs = self.conversation(t - self.structure.conv_base)
        return self.structure.slot_sec(t, cs.sec, cs.spacing, slot)

    def status_int(self, t: int, slot: int) -> int:
        """The integer id of ``slot`` in thread ``t``."""
        return self._status_ids.encode(self.slot_sec(t, slot), t * SLOTS + slot)

    def status_int_at(self, t: int, slot: int, sec: int) -> int:
        """The integer id of ``slot`` in thread ``t`` created at ``sec`` (already known)."""
        return self._status_ids.encode(sec, t * SLOTS + slot)

    def status_id(self, t: int, slot: int) -> str:
        """The id string of ``slot`` in thread ``t``."""
        return str(self.status_int(t, slot))

    def status_millis(self, t: int, slot: int) -> int:
        """Creation time of ``slot`` in thread ``t``, epoch milliseconds (from its id)."""
        return self.status_int(t, slot) >> 16

    def decode(self, status_id: str | int) -> tuple[int, int] | None:
        """Return (thread, slot) for a status id of this world, or None."""
        value = parse_id(status_id) if isinstance(status_id, str) else status_id
        if value is None:
            return None
        _sec, ref = self._status_ids.decode(value)
        t, slot = divmod(ref, SLOTS)
        if t >= self.structure.total or slot >= self._slot_count(t):
            return None
        return (t, slot) if self.status_int(t, slot) == value else None

    def _slot_count(self, t: int) -> int:
        if self.structure.is_post_thread(t):
            return self.skeleton(t).k + 1
        return self.conversation(t - self.structure.conv_base).k

    def exists(self, t: int, slot: int, state: State) -> bool:
        """True when ``slot`` of thread ``t`` exists in ``state`` (created, not removed)."""
        if slot >= self._slot_count(t) or self.slot_sec(t, slot) >= self.now(state):
            return False
        if state == "later":
            if slot == 0 and t in self.plan.removed_posts:
                return False
            if (t, slot) in self.plan.removed_comments:
                return False
        return True

    def shape(self, t: int) -> Shape:
        """Who replies to whom in post thread ``t``."""
        return self._shape(t)

    def _shape_uncached(self, t: int) -> Shape:
        return self.structure.shape(t, self.skeleton(t))

    def replies_count(self, t: int, slot: int, state: State) -> int:
        """Number of existing direct replies to ``slot`` of post thread ``t`` in ``state``."""
        sk = self.skeleton(t)
        if sk.kind != "post" or not sk.k:
            return 0
        parents = self.shape(t).parents
        complete = self.structure.slot_sec(t, sk.sec, sk.spacing, sk.k) < self.now(state)
        if complete and (state == "initial" or t not in self._pruned_threads):
            return parents.count(slot)  # every reply exists: no need to check each
        return sum(1 for j in range(1, sk.k + 1)
                   if parents[j] == slot and self.exists(t, j, state))

    def present_messages(self, cs: ConvSkeleton, state: State) -> int:
        """Number of messages of conversation ``cs`` that exist in ``state``."""
        return sum(1 for j in range(cs.k) if self.exists(cs.thread, j, state))

    def pii_value(self, t: int, slot: int, category: str, account: Account) -> str:
        """The planted personal data of ``category`` in ``slot`` of thread ``t``."""
        rng = random.Random(f"{self.seed}:pii:{t}:{slot}")
        return pii.pii_value(rng, category, (account.first_name or account.username).lower(),
                             (account.last_name or "resident").lower())

    # -- items -----------------------------------------------------------------------------

    def item(self, status_id: str, state: State = "initial") -> Item | None:
        """Return the item with ``status_id`` as of ``state``, or None when it does not exist."""
        ref = self.decode(status_id)
        if ref is None or not self.exists(*ref, state):
            return None
        return self.item_at(*ref, state)

    def item_at(self, t: int, slot: int, state: State) -> Item:
        """Return ``slot`` of thread ``t`` as of ``state`` (existence not checked)."""
        return self._item(t, slot, state)

    def _item_uncached(self, t: int, slot: int, state: State) -> Item:
        if not self.structure.is_post_thread(t):
            return self._items.message(t - self.structure.conv_base, slot, state)
        if slot == 0:
            return self._items.post(t, state)
        return self._items.comment(t, slot, state)

    def history(self, status_id: str, state: State = "initial") -> tuple[Version, ...]:
        """Every version of an item, oldest first (one entry when never edited)."""
        item = self.item(status_id, state)
        return () if item is None else item.versions

    def revision_id(self, item: Item, version: Version) -> str:
        """The id a platform that gives every edit its own id (X) shows for ``version`` of
        ``item``: the item's own id for its first version; otherwise a distinct id that
        increases with the version's time, never equals any item's id, and decodes back
        with ``revision_of``."""
        if version is item.versions[0]:
            return item.id
        second = int(version.created_at.timestamp())
        return str(self._status_ids.encode(second, item.thread * SLOTS + item.slot))

    def revision_of(self, value: str, state: State = "initial") -> tuple[Item, int] | None:
        """(item, version index) for an id made by ``revision_id`` — the item's own id gives
        index 0 — or None when no existing item in ``state`` has that revision."""
        item = self.item(value, state)
        if item is not None:
            return item, 0
        number = parse_id(value)
        if number is None:
            return None
        _second, ref = self._status_ids.decode(number)
        t, slot = divmod(ref, SLOTS)
        if t >= self.structure.total or slot >= self._slot_count(t) \
                or not self.exists(t, slot, state):
            return None
        item = self.item_at(t, slot, state)
        for index, version in enumerate(item.versions[1:], start=1):
            if self.revision_id(item, version) == value:
                return item, index
        return None

    def children(self, t: int, slot: int, state: State) -> list[int]:
        """Existing direct replies to ``slot`` of thread ``t``, oldest first."""
        if self.structure.is_post_thread(t):
            sk = self.skeleton(t)
            if sk.kind != "post" or not sk.k:
                return []
            parents = self.shape(t).parents
            return [j for j in range(slot + 1, sk.k + 1)
                    if parents[j] == slot and self.exists(t, j, state)]
        nxt = slot + 1
        return [nxt] if self.exists(t, nxt, state) else []

    def parent(self, t: int, slot: int) -> int | None:
        """The slot ``slot`` replies to, or None for a thread's first status."""
        if slot == 0:
            return None
        return self.shape(t).parents[slot] if self.structure.is_post_thread(t) else slot - 1

    def descendants(self, t: int, slot: int, state: State) -> list[tuple[int, int]]:
        """Existing replies below ``slot`` as (slot, depth), depth-first, oldest sibling first."""
        out: list[tuple[int, int]] = []
        stack = [(c, 1) for c in reversed(self.children(t, slot, state))]
        while stack:
            node, depth = stack.pop()
            out.append((node, depth))
            stack.extend((c, depth + 1) for c in reversed(self.children(t, node, state)))
        return out

    def visible_to(self, item: Item, viewer: Account | None) -> bool:
        """Whether ``viewer`` (None: anonymous) may see ``item`` (Mastodon's rules)."""
        if item.visibility in ("public", "unlisted"):
            return True
        if viewer is None:
            return False
        if viewer.index == item.account.index or viewer in item.mentions:
            return True
        return item.visibility == "private" and viewer.index < 2 and item.account.index < 2

    # -- ground truth ------------------------------------------------------------------------

    def posts(self, account: Account, state: State = "initial") -> Iterator[Item]:
        """The account's top-level posts and reblogs in ``state``, newest first (lazy)."""
        for status_id in self.timeline(account, state, viewer=account, exclude_replies=True):
            item = self.item(status_id, state)
            if item is not None and item.kind in ("post", "reblog"):
                yield item

    def comments_of(self, post: Item | str, state: State = "initial") -> list[Item]:
        """Every existing reply under ``post`` (any depth, any visibility), in thread order."""
        ref = self.decode(post.id if isinstance(post, Item) else post)
        if ref is None or not self.exists(*ref, state):
            return []
        t, slot = ref
        return [self.item_at(t, j, state) for j, _depth in self.descendants(t, slot, state)]

    def messages(self, state: State = "initial", account: Account | None = None) -> list[Item]:
        """Every existing direct message (of conversations ``account`` is in), oldest first."""
        out = []
        for c in range(self.structure.conversations):
            cs = self.conversation(c)
            if account is not None and account.index not in (cs.city, *cs.residents):
                continue
            out.extend(self.item_at(cs.thread, j, state) for j in range(cs.k)
                       if self.exists(cs.thread, j, state))
        return sorted(out, key=lambda i: int(i.id))

    def timeline(self, account: Account, state: State = "initial", viewer: Account | None = None,
                 **filters: object) -> list[str]:
        """Ids the account's status list shows ``viewer``, newest first (see ``Timeline``)."""
        return [str(i) for i in self.account_timeline(account, state).select(viewer, **filters)]

    def account_timeline(self, account: Account, state: State) -> Timeline:
        """The (cached) index of everything ``account`` wrote that exists in ``state``."""
        return self._timelines.get(account.index, state)

    def seeded_pii(self) -> list[SeededPII]:
        """Every planted piece of personal data (all exist in "initial"), by item id."""
        out = []
        for (t, slot), category in sorted(self.plan.pii.items()):
            item = self.item_at(t, slot, "initial")
            value = self.pii_value(t, slot, category, item.account)
            out.append(SeededPII(category, value, item.id, item.kind))  # type: ignore[arg-type]
        return out

    def hostile_items(self) -> list[HostileItem]:
        """Every planted hostile value and where it is."""
        out = [HostileItem("display_name", a.id, "display_name")
               for a in self._accounts[FIRST_RESIDENT:FIRST_RESIDENT + len(
                   pii.HOSTILE_DISPLAY_NAMES)]]
        for (t, slot), kind in sorted(self.plan.hostile.items()):
            out.append(HostileItem(kind, self.status_id(t, slot),
                                   "content" if kind.startswith("raw_html") else "text"))
        for t, slot in sorted(self.plan.hostile_media):
            out.append(HostileItem("media_description", self.status_id(t, slot),
                                   "media.description"))
            out.append(HostileItem("odd_file_name", self.status_id(t, slot), "media.remote_url"))
        for t, slot in sorted(self.plan.hostile_spoiler):
            out.append(HostileItem("spoiler", self.status_id(t, slot), "spoiler_text"))
        return out

    def changes(self) -> Changes:
        """What differs between "initial" and "later" (computed once, then cached)."""
        with self._lock:
            if self._changes is None:
                self._changes = self._compute_changes()
            return self._changes

    def _compute_changes(self) -> Changes:
        plan, s = self.plan, self.structure
        media = []
        for t in sorted(plan.media_changes):
            before = self.item_at(t, 0, "initial").media[0]
            after = ItemFactory.changed_media((before,))[0]
            media.append(MediaChange(before.id, self.status_id(t, 0), before.description,
                                     after.description))
        new_comments, new_messages = [], []
        for t in s.post_threads():
            sk = self.skeleton(t)
            if sk.kind != "post" or not sk.k or self.slot_sec(t, sk.k) < WORLD_END:
                continue
            new_comments.extend(self.status_id(t, j) for j in range(1, sk.k + 1)
                                if not self.exists(t, j, "initial")
                                and self.exists(t, j, "later"))
        for c in range(s.conversations):
            cs = self.conversation(c)
            new_messages.extend(self.status_id(cs.thread, j) for j in range(cs.k)
                                if not self.exists(cs.thread, j, "initial")
                                and self.exists(cs.thread, j, "later"))

        def ids(threads: set[int] | dict[int, int]) -> tuple[str, ...]:
            return tuple(self.status_id(t, 0) for t in sorted(threads))

        return Changes(
            removed_comment_ids=tuple(self.status_id(t, j)
                                      for t, j in sorted(plan.removed_comments)),
            removed_post_ids=ids(plan.removed_posts),
            edited_post_ids=ids(plan.later_edits | plan.media_changes),
            media_description_changes=tuple(media),
            new_post_ids=tuple(self.status_id(t, 0) for t in range(s.new_base, s.total)),
            new_comment_ids=tuple(sorted(new_comments, key=int)),
            new_message_ids=tuple(sorted(new_messages, key=int)),
            initially_edited_post_ids=ids(plan.initial_edits),
        )
