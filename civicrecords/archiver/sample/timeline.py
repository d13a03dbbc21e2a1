"""Per-account indexes of statuses, for paging through an account's timeline.

A ``Timeline`` holds the ids (ascending) and a flags byte for everything one account wrote
that exists in one state: posts, reblogs, replies and direct messages. The two official
accounts' timelines are built from thread skeletons alone (about 3 microseconds a thread, so
well under a second at 100,000 posts); residents' timelines need every thread's shape and are
built together, once per state, the first time any resident's timeline is asked for.

``Timeline.select`` implements Mastodon's account-statuses semantics: newest first; ``max_id``
and ``since_id`` bound the range and ``min_id`` returns the page just above it (still newest
first); ``exclude_replies`` keeps self-replies; ``only_media`` drops reblogs; anonymous viewers
see public and unlisted statuses only, others also what they are mentioned in (and the two
official accounts see each other's followers-only posts).
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import TYPE_CHECKING

from civicrecords.archiver.sample.model import Account, State

if TYPE_CHECKING:
    from civicrecords.archiver.sample.world import World

REPLY, SELF_REPLY, REBLOG, MEDIA, PINNED = 1, 2, 4, 8, 64
VIS_SHIFT = 4
PRIVATE = 2 << VIS_SHIFT
DIRECT = 3 << VIS_SHIFT


class Timeline:
    """Everything one account wrote that exists in one state, ascending by id."""

    def __init__(self, world: World, account: Account, state: State,
                 entries: list[tuple[int, int]]) -> None:
        entries.sort()
        self.world = world
        self.account = account
        self.state = state
        self.ids = array("q", (e[0] for e in entries))
        self.flags = bytes(e[1] for e in entries)

    def __len__(self) -> int:
        return len(self.ids)

    def newest(self) -> int | None:
        """The newest id, or None when the account wrote nothing."""
        return self.ids[-1] if self.ids else None

    def _accept(self, i: int, viewer: Account | None, exclude_replies: bool,
                exclude_reblogs: bool, only_media: bool, pinned: bool,
                tagged: str | None) -> bool:
        f = self.flags[i]
        if pinned and not f & PINNED:
            return False
        if exclude_replies and f & REPLY and not f & SELF_REPLY:
            return False
        if (exclude_reblogs or only_media) and f & REBLOG:
            return False
        if only_media and not f & MEDIA:
            return False
        restricted = (f >> VIS_SHIFT) & 3 >= 2
        if (restricted and (viewer is None or viewer.index != self.account.index)) or tagged:
            if restricted and viewer is None:
                return False
            item = self.world.item(str(self.ids[i]), self.state)
            if item is None or not self.world.visible_to(item, viewer):
                return False
            if tagged and tagged.lower() not in (t.lower() for t in item.hashtags):
                return False
        return True

    def select(self, viewer: Account | None = None, *, max_id: int | None = None,
               since_id: int | None = None, min_id: int | None = None,
               limit: int | None = None, exclude_replies: bool = False,
               exclude_reblogs: bool = False, only_media: bool = False, pinned: bool = False,
               tagged: str | None = None) -> list[int]:
        """Return matching ids, newest first, at most ``limit`` (None: all)."""
        ids, out = self.ids, []
        cap = len(ids) if limit is None else limit
        hi = len(ids) if max_id is None else bisect_left(ids, max_id)
        args = (viewer, exclude_replies, exclude_reblogs, only_media, pinned, tagged)
        if min_id is not None:
            i = bisect_right(ids, min_id)
            while i < hi and len(out) < cap:
                if self._accept(i, *args):
                    out.append(ids[i])
                i += 1
            out.reverse()
            return out
        lo = 0 if since_id is None else bisect_right(ids, since_id)
        i = hi - 1
        while i >= lo and len(out) < cap:
            if self._accept(i, *args):
                out.append(ids[i])
            i -= 1
        return out


class TimelineBuilder:
    """Builds and caches timelines for one world."""

    def __init__(self, world: World) -> None:
        self.w = world
        self._cache: dict[tuple[int, State], Timeline] = {}
        self._lock = threading.Lock()

    def get(self, index: int, state: State) -> Timeline:
        """Return the timeline of account ``index`` in ``state``."""
        key = (index, state)
        timeline = self._cache.get(key)
        if timeline is not None:
            return timeline
        with self._lock:
            timeline = self._cache.get(key)
            if timeline is None:
                if index < 2:
                    self._cache[key] = Timeline(self.w, self.w.account_at(index), state,
                                                self._official(index, state))
                else:
                    self._build_residents(state)
                timeline = self._cache[key]
        return timeline

    def _official(self, index: int, state: State) -> list[tuple[int, int]]:
        w, plan, s = self.w, self.w.plan, self.w.structure
        now = w.now(state)
        removed = plan.removed_posts if state == "later" else set()
        pinned = set(plan.pinned.get(index, ()))
        entries: list[tuple[int, int]] = []
        for t in s.post_threads():
            if s.author_of(t) != index:
                continue
            sk = s.skeleton(t)
            if sk.sec >= now:
                continue
            if t not in removed:
                flags = sk.vis << VIS_SHIFT
                flags |= REBLOG if sk.kind == "reblog" else 0
                flags |= MEDIA if sk.n_media else 0
                flags |= PINNED if t in pinned else 0
                entries.append((w.status_int_at(t, 0, sk.sec), flags))
            if sk.kind != "post":
                continue
            for slot, flags in ((1 if sk.self_slot else 0, REPLY | SELF_REPLY |
                                 sk.vis << VIS_SHIFT), (sk.answer_slot, REPLY)):
                if slot:
                    sec = s.slot_sec(t, sk.sec, sk.spacing, slot)
                    if sec < now:
                        entries.append((w.status_int_at(t, slot, sec), flags))
        for c in range(s.conversations):
            cs = w.conversation(c)
            if cs.city != index:
                continue
            for j in range(cs.k):
                if cs.from_city(j) and w.exists(cs.thread, j, state):
                    entries.append((w.status_int(cs.thread, j), DIRECT | (REPLY if j else 0)))
        return entries

    def _build_residents(self, state: State) -> None:
        w = self.w
        now = w.now(state)
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for t in w.structure.post_threads():
            sk = w.skeleton(t)
            if sk.kind != "post" or not sk.k or sk.sec >= now:
                continue
            shape = w.structure.shape(t, sk)  # uncached on purpose: a full sweep
            for j in range(1, sk.k + 1):
                author = shape.authors[j]
                if author >= 2 and w.exists(t, j, state):
                    flags = REPLY | shape.vis[j] << VIS_SHIFT | (MEDIA if shape.photo[j] else 0)
                    found[author].append((w.status_int(t, j), flags))
        for c in range(w.structure.conversations):
            cs = w.conversation(c)
            for j in range(cs.k):
                if not cs.from_city(j) and w.exists(cs.thread, j, state):
                    found[cs.author(j)].append((w.status_int(cs.thread, j),
                                                DIRECT | (REPLY if j else 0)))
        for account in w.accounts()[2:]:
            self._cache[(account.index, state)] = Timeline(w, account, state,
                                                           found.get(account.index, []))
