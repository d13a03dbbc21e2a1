"""The world's plan: which items carry planted data and which change between the two states.

Chosen once per world from ``random.Random(f"{seed}:plan")`` by sampling threads, so building
a plan costs time proportional to the number of planted items, not to the world's size.
Guarantees (for worlds of at least ~50 posts; smaller worlds get what fits):

- at least 3 posts are already edited in "initial" (2-3 versions), at least 5 more are edited
  in "later", one of them a post edited in both states;
- at least one post changes an attachment's description in "later" (an edit too);
- at least 6 comments are removed in "later", up to half of them holding personal data; removed
  comments are always leaves (no reply ever answers them), so nothing becomes unreachable;
- at least one post with no replies and no reblogs is removed in "later";
- personal data sits in at least 16 comments and 8 direct messages, all public (comments) and
  all existing in "initial"; every hostile text, description and spoiler is placed once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from civicrecords.archiver.sample import pii
from civicrecords.archiver.sample.ids import WORLD_END
from civicrecords.archiver.sample.threads import MEDIA_GRAPHIC, MEDIA_PHOTO, Skeleton

if TYPE_CHECKING:
    from civicrecords.archiver.sample.world import World

Slot = tuple[int, int]


@dataclass
class Plan:
    """Planted data and state changes, keyed by thread index or (thread, slot)."""

    initial_edits: dict[int, int] = field(default_factory=dict)  # thread -> versions (2-3)
    later_edits: set[int] = field(default_factory=set)
    media_changes: set[int] = field(default_factory=set)
    removed_posts: set[int] = field(default_factory=set)
    removed_comments: set[Slot] = field(default_factory=set)
    pinned: dict[int, tuple[int, ...]] = field(default_factory=dict)  # account -> threads
    pinned_threads: frozenset[int] = frozenset()
    pii: dict[Slot, str] = field(default_factory=dict)  # -> category
    hostile: dict[Slot, str] = field(default_factory=dict)  # -> HOSTILE_TEXTS key / raw_htmlN
    hostile_media: dict[Slot, int] = field(default_factory=dict)
    hostile_spoiler: set[Slot] = field(default_factory=set)


def make_plan(world: World) -> Plan:
    """Choose the plan for ``world`` (deterministic for its seed and size)."""
    return _Planner(world).run()


class _Planner:
    def __init__(self, world: World) -> None:
        self.w = world
        self.s = world.structure
        self.rng = random.Random(f"{world.seed}:plan")
        self.used: set[int] = set()
        self.used_slots: set[Slot] = set()
        self.plan = Plan()

    def run(self) -> Plan:
        p, posts = self.plan, self.s.posts
        for account, count in ((0, 2), (1, 1)):
            p.pinned[account] = tuple(self._pick(count, lambda t, a=account: self._normal(t)
                                                 and self._sk(t).author == a
                                                 and self._sk(t).vis == 0))
        p.pinned_threads = frozenset(t for ts in p.pinned.values() for t in ts)
        p.removed_posts = set(self._pick(max(1, posts // 300), self._removable))
        edited = self._pick(max(3, posts // 20), self._normal)
        p.initial_edits = {t: self.rng.choice((2, 2, 3)) for t in edited}
        p.later_edits = set(self._pick(max(5, posts // 50), self._normal))
        if edited:
            p.later_edits.add(edited[0])
        p.media_changes = set(self._pick(max(1, posts // 150), lambda t: self._normal(t) and
                                         self._sk(t).media_kind in (MEDIA_PHOTO, MEDIA_GRAPHIC)
                                         and self._sk(t).n_media > 0))
        self._place_personal_data()
        self._place_hostile()
        self._remove_comments()
        return p

    # -- helpers -----------------------------------------------------------------------------

    def _sk(self, t: int) -> Skeleton:
        return self.w.skeleton(t)

    def _normal(self, t: int) -> bool:
        return self._sk(t).kind == "post" and self._sk(t).sec < WORLD_END - 3 * 86400

    def _removable(self, t: int) -> bool:
        if not self._normal(t) or self._sk(t).k or t in self.plan.pinned_threads:
            return False
        for later in range(t + 1, min(self.s.posts, t + 42)):
            sk = self._sk(later)
            if sk.kind == "reblog" and sk.target == t:
                return False
        return True

    def _pick(self, n: int, pred: Callable[[int], bool]) -> list[int]:
        chosen: list[int] = []
        posts = self.s.posts
        for _ in range(40 * n + 100):
            if len(chosen) == n:
                return chosen
            t = self.rng.randrange(posts)
            if t not in self.used and pred(t):
                chosen.append(t)
                self.used.add(t)
        start = self.rng.randrange(posts)
        for i in range(posts):
            t = (start + i) % posts
            if len(chosen) == n:
                break
            if t not in self.used and pred(t):
                chosen.append(t)
                self.used.add(t)
        return chosen

    def _resident_slots(self, t: int) -> list[int]:
        sk = self._sk(t)
        if sk.kind != "post":
            return []
        out = []
        for j in range(1, sk.k + 1):
            if (sk.self_slot and j == 1) or j == sk.answer_slot or (t, j) in self.used_slots:
                continue
            if self.s.slot_sec(t, sk.sec, sk.spacing, j) < WORLD_END:
                out.append(j)
        return out

    def _comment_slots(self, n: int) -> list[Slot]:
        out: list[Slot] = []
        posts = self.s.posts
        for _ in range(60 * n + 200):
            if len(out) == n:
                break
            t = self.rng.randrange(posts)
            slots = self._resident_slots(t)
            if t in self.plan.removed_posts or not slots:
                continue
            slot = (t, self.rng.choice(slots))
            self.used_slots.add(slot)
            self.s.plant(slot, public=True)
            out.append(slot)
        return out

    def _message_slots(self, n: int) -> list[Slot]:
        out: list[Slot] = []
        convs = self.s.conversations
        for _ in range(40 * n + 100):
            if len(out) == n:
                break
            cs = self.s.conversation(self.rng.randrange(convs))
            slots = [j for j in range(cs.k) if not cs.from_city(j)
                     and (cs.thread, j) not in self.used_slots
                     and self.s.slot_sec(cs.thread, cs.sec, cs.spacing, j) < WORLD_END]
            if slots:
                slot = (cs.thread, self.rng.choice(slots))
                self.used_slots.add(slot)
                out.append(slot)
        return out

    # -- planted data ------------------------------------------------------------------------

    def _place_personal_data(self) -> None:
        cats = pii.PII_CATEGORIES
        comments = self._comment_slots(max(16, self.s.posts // 15))
        messages = self._message_slots(max(8, self.s.conversations // 2))
        for i, slot in enumerate(comments):
            self.plan.pii[slot] = cats[i % len(cats)]
        for i, slot in enumerate(messages):
            self.plan.pii[slot] = cats[(i + 1) % len(cats)]

    def _place_hostile(self) -> None:
        kinds = [*pii.HOSTILE_TEXTS, *(f"raw_html{i}" for i in range(len(pii.RAW_HTML_TEXTS)))]
        slots = self._comment_slots(len(kinds) + len(pii.HOSTILE_MEDIA_DESCRIPTIONS) + 1)
        w = self.w
        for kind, slot in zip(kinds, slots, strict=False):
            self.plan.hostile[slot] = kind
            if kind.startswith("raw_html"):
                self.s.plant(slot, author=w.relay_index)
            elif kind == "long_text":
                self.s.plant(slot, author=w.longform_index)
        rest = slots[len(kinds):]
        for i, slot in enumerate(rest[: len(pii.HOSTILE_MEDIA_DESCRIPTIONS)]):
            self.plan.hostile_media[slot] = i
            self.s.plant(slot, author=w.remote_resident_index, photo=True)
        if len(rest) > len(pii.HOSTILE_MEDIA_DESCRIPTIONS):
            self.plan.hostile_spoiler.add(rest[-1])

    def _remove_comments(self) -> None:
        n = max(6, self.s.posts // 40)
        planted = set(self.plan.hostile) | set(self.plan.hostile_media) | \
            self.plan.hostile_spoiler
        chosen: list[Slot] = []
        for slot, _cat in sorted(self.plan.pii.items()):
            if len(chosen) >= n // 2:
                break
            if self.s.is_post_thread(slot[0]) and self._is_leaf(slot):
                chosen.append(slot)
        posts = self.s.posts
        for _ in range(80 * n + 200):
            if len(chosen) >= n:
                break
            t = self.rng.randrange(posts)
            if t in self.plan.removed_posts or not self._resident_slots(t):
                continue
            slot = (t, self.rng.choice(self._resident_slots(t)))
            if slot not in planted and slot not in chosen and self._is_leaf(slot):
                chosen.append(slot)
        self.plan.removed_comments = set(chosen)

    def _is_leaf(self, slot: Slot) -> bool:
        t, j = slot
        return self.w.shape(t).children_count()[j] == 0
