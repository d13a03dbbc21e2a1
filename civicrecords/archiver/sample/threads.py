"""The structure of the sample world, computed per thread on demand.

A *thread* is one top-level post with its replies, or one direct conversation. Thread indexes:
``[0, posts)`` are the initial state's posts, ``[posts, posts + conversations)`` the direct
conversations, and the rest posts that appear only in the "later" state. A *slot* numbers the
statuses of a thread in creation order (0 = the post or the first message).

Two levels keep the world lazy:

- ``Skeleton`` (cheap integer hashing, a few microseconds): author, time, visibility, how many
  replies, where the city answers. Enough to build an account's timeline without text.
- ``Shape`` (a seeded ``random.Random`` per thread): who replies to whom, with what visibility.

Guarantees: a slot's time is at least 30 s after the previous slot's, so replies always come
after their parent and ids increase with slots; the same (seed, posts, index) always gives the
same skeleton and shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from civicrecords.archiver.sample.ids import (
    LATER_END,
    LATER_START,
    WORLD_END,
    WORLD_START,
    mix,
    unit,
)

SLOTS: Final = 256  # statuses per thread at most; thread * SLOTS + slot is an item's reference
VISIBILITIES: Final = ("public", "unlisted", "private", "direct")
MEDIA_NONE, MEDIA_PHOTO, MEDIA_GRAPHIC, MEDIA_VIDEO, MEDIA_GIFV, MEDIA_AUDIO = range(6)


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Cheap facts about a post thread."""

    thread: int
    kind: str  # "post" | "reblog"
    author: int  # account index (0 city, 1 mayor)
    sec: int  # creation time of the post, unix seconds
    vis: int  # index into VISIBILITIES
    n_media: int
    media_kind: int
    poll: bool
    cw: bool
    k: int  # number of replies ever (some may be created after a state's cut-off)
    spacing: int  # seconds between replies, roughly
    self_slot: bool  # slot 1 is the author continuing their own thread
    answer_slot: int  # slot where the author answers a resident (0 = none)
    deep: bool  # replies form a long chain (depth beyond 20)
    target: int  # for reblogs: the reblogged post's thread, else -1


@dataclass(frozen=True, slots=True)
class ConvSkeleton:
    """Cheap facts about a direct conversation between the city (or mayor) and residents."""

    conv: int
    thread: int
    city: int
    residents: tuple[int, ...]
    k: int  # messages ever
    first_from_city: bool
    sec: int
    spacing: int

    def from_city(self, slot: int) -> bool:
        """True when message ``slot`` was written by the city account."""
        return (slot % 2 == 0) == self.first_from_city

    def author(self, slot: int) -> int:
        """Account index of the author of message ``slot``."""
        if self.from_city(slot):
            return self.city
        return self.residents[(slot // 2) % len(self.residents)]


@dataclass(frozen=True, slots=True)
class Shape:
    """Who wrote each slot of a post thread, what it replies to, and its visibility."""

    parents: tuple[int, ...]  # parent slot; -1 for slot 0
    authors: tuple[int, ...]
    vis: tuple[int, ...]
    photo: tuple[bool, ...]  # the reply carries a resident's photo

    def children_count(self) -> list[int]:
        """Number of replies each slot ever gets."""
        counts = [0] * len(self.parents)
        for p in self.parents[1:]:
            counts[p] += 1
        return counts


class Structure:
    """Skeletons and shapes for one world (seed key, sizes and account ranges)."""

    def __init__(self, key: int, posts: int, conversations: int, new_posts: int,
                 first_resident: int, residents: int) -> None:
        self.key = key
        self.posts = posts
        self.conversations = conversations
        self.new_posts = new_posts
        self.first_resident = first_resident
        self.residents = residents
        self.conv_base = posts
        self.new_base = posts + conversations
        self.total = posts + conversations + new_posts
        self._span = WORLD_END - 2 * 86400 - WORLD_START
        self._later_span = LATER_END - LATER_START - 3 * 86400
        self.author_overrides: dict[tuple[int, int], int] = {}
        self.forced_public: set[tuple[int, int]] = set()
        self.forced_photo: set[tuple[int, int]] = set()
        self.planted_threads: set[int] = set()

    def is_post_thread(self, t: int) -> bool:
        """True for post threads (initial or later-only), False for conversations."""
        return 0 <= t < self.conv_base or self.new_base <= t < self.total

    def post_threads(self) -> range | list[int]:
        """Every post thread index, initial ones first."""
        return [*range(self.posts), *range(self.new_base, self.total)]

    def _base(self, t: int) -> tuple[int, bool, int]:
        r = mix(self.key, 11, t)
        author = 1 if r % 100 < 22 else 0
        reblog = (r >> 8) % 100 < 4 and 10 <= t < self.posts
        v = (r >> 16) % 100
        vis = 0 if v < 88 else 1 if v < 97 else 2
        return author, reblog, vis

    def author_of(self, t: int) -> int:
        """Account index (0 or 1) of post thread ``t``'s author (one hash, no skeleton)."""
        return 1 if mix(self.key, 11, t) % 100 < 22 else 0

    def post_sec(self, t: int) -> int:
        """Creation time of post thread ``t``."""
        u = unit(mix(self.key, 12, t))
        if t < self.posts:
            return WORLD_START + int((t + u) * self._span / self.posts)
        i = t - self.new_base
        return LATER_START + 3600 + int((i + u) * self._later_span / max(1, self.new_posts))

    def skeleton(self, t: int) -> Skeleton:
        """Return the skeleton of post thread ``t``."""
        author, reblog, vis = self._base(t)
        sec = self.post_sec(t)
        target = -1
        if reblog:
            for cand in range(t - 1, max(-1, t - 41), -1):
                c_author, c_reblog, c_vis = self._base(cand)
                if c_author != author and not c_reblog and c_vis == 0:
                    target = cand
                    break
        if target >= 0:
            return Skeleton(t, "reblog", author, sec, 0, 0, 0, False, False, 0, 0, False, 0,
                            False, target)
        r2, r3 = mix(self.key, 14, t), mix(self.key, 15, t)
        m = r2 % 100
        n_media, kind = 0, MEDIA_NONE
        if m < 22:
            n_media, kind = (1 + (r2 >> 8) % 4 if (r2 >> 8) % 100 < 25 else 1), MEDIA_PHOTO
        elif m < 27:
            n_media, kind = 1, MEDIA_GRAPHIC
        elif m < 30:
            n_media, kind = 1, MEDIA_VIDEO
        elif m < 32:
            n_media, kind = 1, MEDIA_GIFV
        elif m < 34:
            n_media, kind = 1, MEDIA_AUDIO
        poll = n_media == 0 and (r2 >> 16) % 100 < 5
        cw = (r2 >> 24) % 100 < 4
        c = (r3 >> 8) % 1000
        hot = c < 25
        if hot:
            k = 60 + (r3 >> 20) % 141
            spacing = 60 + (r3 >> 30) % 900
        else:
            k = 0 if c < 300 else 1 + (r3 >> 20) % 10
            spacing = 120 + (r3 >> 30) % 7000
        self_slot = k >= 1 and (r3 >> 40) % 100 < 10
        first_res = 2 if self_slot else 1
        answer = 0
        if k > first_res and (r3 >> 48) % 100 < 35:
            answer = first_res + 1 + (r3 >> 52) % (k - first_res)
        deep = hot and r3 % 3 == 0
        return Skeleton(t, "post", author, sec, vis, n_media, kind, poll, cw, k, spacing,
                        self_slot, answer, deep, -1)

    def slot_sec(self, t: int, sec: int, spacing: int, slot: int) -> int:
        """Creation time of reply/message ``slot`` of thread ``t`` (slot 0: ``sec``)."""
        if slot == 0:
            return sec
        return sec + slot * spacing + mix(self.key, 13, t, slot) % (spacing // 2 + 1)

    def conversation(self, c: int) -> ConvSkeleton:
        """Return the skeleton of direct conversation ``c`` (0-based)."""
        r = mix(self.key, 21, c)
        city = 1 if r % 4 == 0 else 0
        n_res = 2 if (r >> 8) % 10 == 0 else 1
        residents: list[int] = []
        for i in range(8):
            cand = self.first_resident + mix(self.key, 22, c, i) % self.residents
            if cand not in residents:
                residents.append(cand)
            if len(residents) == n_res:
                break
        k = 1 + (r >> 16) % 8
        span = WORLD_END - 3 * 86400 - WORLD_START
        sec = WORLD_START + int((c + unit(mix(self.key, 23, c))) * span / self.conversations)
        spacing = 1800 + (r >> 32) % 172800
        return ConvSkeleton(c, self.conv_base + c, city, tuple(residents), k,
                            (r >> 24) % 6 == 0, sec, spacing)

    def plant(self, slot: tuple[int, int], *, author: int | None = None,
              public: bool = False, photo: bool = False) -> None:
        """Force facts about one reply before any shape is built (used by the plan)."""
        self.planted_threads.add(slot[0])
        if author is not None:
            self.author_overrides[slot] = author
        if public:
            self.forced_public.add(slot)
        if photo:
            self.forced_photo.add(slot)

    def shape(self, t: int, sk: Skeleton) -> Shape:
        """Return who replies to whom in post thread ``t`` (skeleton ``sk``)."""
        rnd = random.Random(mix(self.key, 16, t)).random
        parents, authors, vis, photo = [-1], [sk.author], [sk.vis], [False]
        participants: list[int] = []
        planted = t in self.planted_threads
        first, residents = self.first_resident, self.residents
        for j in range(1, sk.k + 1):
            if sk.self_slot and j == 1:
                parents.append(0)
                authors.append(sk.author)
                vis.append(sk.vis)
                photo.append(False)
                continue
            if j == sk.answer_slot:
                parents.append(self._answer_parent(authors, vis, j))
                authors.append(sk.author)
                vis.append(0)
                photo.append(False)
                continue
            author = self.author_overrides.get((t, j)) if planted else None
            if author is None:
                if participants and rnd() < 0.3:
                    author = participants[int(rnd() * len(participants))]
                else:
                    author = first + int(rnd() * residents)
            participants.append(author)
            if sk.deep and 1 < j <= 32:
                parent = j - 1
            elif j == 1 or rnd() < 0.55:
                parent = 0
            else:
                parent = 1 + int(rnd() * (j - 1))
            roll = rnd()
            v = 0 if roll < 0.85 else 1 if roll < 0.95 else 2
            if planted and (t, j) in self.forced_public:
                v = 0
            parents.append(parent)
            authors.append(author)
            vis.append(v)
            photo.append((planted and (t, j) in self.forced_photo) or rnd() < 0.05)
        return Shape(tuple(parents), tuple(authors), tuple(vis), tuple(photo))

    def _answer_parent(self, authors: list[int], vis: list[int], j: int) -> int:
        for slot in range(j - 1, 0, -1):
            if authors[slot] >= self.first_resident and vis[slot] == 0:
                return slot
        vis[j - 1] = 0  # make the newest resident reply public so the city can answer it
        return j - 1
