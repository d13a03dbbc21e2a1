"""Build the full content of one item (post, reblog, comment, message) on demand.

``ItemFactory`` turns the structure (``threads``) plus the world's plan of planted data and
state changes into ``model.Item`` records. Each item draws from its own
``random.Random(f"{seed}:{kind}:{thread}:{slot}")``, so any item can be built alone, in any
order, and always comes out the same.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import TYPE_CHECKING, Final

from civicrecords.archiver.sample import content, pii
from civicrecords.archiver.sample.ids import LATER_END, LATER_START, mix, to_datetime
from civicrecords.archiver.sample.media import GRAPHIC_KEYS, PHOTO_KEYS, RESIDENT_PHOTO_KEYS
from civicrecords.archiver.sample.model import (
    Account,
    Card,
    Item,
    Media,
    Poll,
    State,
    Version,
)
from civicrecords.archiver.sample.threads import (
    MEDIA_AUDIO,
    MEDIA_GIFV,
    MEDIA_GRAPHIC,
    MEDIA_VIDEO,
    VISIBILITIES,
    Skeleton,
)

if TYPE_CHECKING:
    from civicrecords.archiver.sample.world import World

ALT_TEXT: Final = {
    "snowplow": "A city plow truck clearing snow from a residential street at night",
    "oak-street": "Oak Street torn up for reconstruction, with orange barrels and an excavator",
    "park": "Children on the new playground equipment at Lakeside Park",
    "water-main": "Public works crew repairing a water main in a trench",
    "library": "The front entrance of the Lakeside Public Library",
    "lake": "Sunset over the lake from the public dock",
    "pothole": "A deep pothole filled with water",
    "ice-rink": "The outdoor ice rink at dusk",
    "flyer": "Flyer announcing a public hearing at City Hall",
    "detour-map": "Map of the Oak Street detour route via Maple Avenue",
    "plow-timelapse": "Time-lapse video of plows clearing Main Street",
    "ducks": "Ducks walking across Heron Way",
    "council-clip": "Audio clip from the City Council meeting",
}
SPOILERS: Final = ("Road closure details", "Storm damage photos", "Long post: budget details")
_HASHTAG: Final = re.compile(r"(?<![\w/&])#(\w+)")
_URL: Final = re.compile(r"https?://[^\s<>\"]+")


def hashtags_of(text: str) -> tuple[str, ...]:
    """Return the hashtags in ``text`` as written, without '#', first occurrence order."""
    seen: dict[str, None] = {}
    for tag in _HASHTAG.findall(text):
        seen.setdefault(tag, None)
    return tuple(seen)


class ItemFactory:
    """Builds items for ``world``; stateless apart from the world it reads."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.s = world.structure

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.w.seed, *parts)))

    def topic(self, t: int, sec: int) -> content.Topic:
        """The topic of post thread ``t`` (also what its replies talk about)."""
        choices = content.TOPICS_BY_MONTH[to_datetime(sec * 1000).month]
        return choices[mix(self.w.key, 71, t) % len(choices)]

    # -- posts ---------------------------------------------------------------------------

    def post(self, t: int, state: State) -> Item:
        """Build post thread ``t``'s top-level status as of ``state``."""
        w, sk = self.w, self.s.skeleton(t)
        sid = w.status_id(t, 0)
        account = w.account_at(sk.author)
        created = to_datetime(w.status_millis(t, 0))
        counts = mix(w.key, 41, t)
        if sk.kind == "reblog":
            empty = Version("", "", False, created, (), None)
            return Item(sid, "reblog", t, 0, account, created, "public", None, "", "", False, (),
                        None, None, None, None, (), (), (empty,), None,
                        w.status_id(sk.target, 0), sid, 0, 0, 0)
        rng = self._rng("post", t)
        topic = self.topic(t, sk.sec)
        text = content.city_post_text(rng, topic, created.month, mayor=sk.author == 1)
        language = "en"
        if rng.random() < 0.06:
            language = rng.choice(tuple(content.TRANSLATIONS))
            text = content.TRANSLATIONS[language].format(site=content.CITY_SITE)
        mentions: tuple[Account, ...] = ()
        other = w.account_at(1 - sk.author)
        if rng.random() < 0.12:
            text = f"{text} cc @{other.acct}"
            mentions = (other,)
        media = self._post_media(t, sk, rng)
        poll = self._poll(t, sk, rng, topic) if sk.poll else None
        spoiler = rng.choice(SPOILERS) if sk.cw else ""
        sensitive = sk.cw or (bool(media) and rng.random() < 0.03)
        versions = self._post_versions(t, sk, state, text, spoiler, sensitive, media, poll,
                                       created)
        current = versions[-1]
        links = _URL.findall(current.text)
        card = None
        if links and not media:
            card = Card(links[0], f"{topic.tags[0]} | City of Lakeside",
                        "Official news and services from the City of Lakeside, Minnesota.",
                        "City of Lakeside")
        return Item(
            sid, "post", t, 0, account, created, VISIBILITIES[sk.vis], language, current.text,
            current.spoiler_text, current.sensitive, current.media, poll, card, None, None,
            mentions, hashtags_of(current.text), versions,
            current.created_at if len(versions) > 1 else None, None, sid,
            w.replies_count(t, 0, state), counts % 31, (counts >> 8) % 121,
            pinned=t in w.plan.pinned_threads,
        )

    def _post_media(self, t: int, sk: Skeleton, rng: random.Random) -> tuple[Media, ...]:
        if not sk.n_media:
            return ()
        base = self.w.status_int(t, 0)
        if sk.media_kind == MEDIA_GRAPHIC:
            keys = [rng.choice(GRAPHIC_KEYS)]
        elif sk.media_kind in (MEDIA_VIDEO, MEDIA_GIFV, MEDIA_AUDIO):
            keys = [{MEDIA_VIDEO: "plow-timelapse", MEDIA_GIFV: "ducks",
                     MEDIA_AUDIO: "council-clip"}[sk.media_kind]]
        else:
            keys = rng.sample(PHOTO_KEYS, sk.n_media)
        kinds = {MEDIA_VIDEO: "video", MEDIA_GIFV: "gifv", MEDIA_AUDIO: "audio"}
        out = []
        for a, key in enumerate(keys):
            description = ALT_TEXT[key] if rng.random() < 0.8 else None
            focus = (round(rng.uniform(-1, 1), 2), round(rng.uniform(-1, 1), 2)) \
                if rng.random() < 0.2 else None
            out.append(Media(str(base - ((1000 + a) << 16)), kinds.get(sk.media_kind, "image"),
                             key, description, focus))
        return tuple(out)

    def _poll(self, t: int, sk: Skeleton, rng: random.Random, topic: content.Topic) -> Poll:
        options = topic.poll or ("Yes", "No", "Not sure")
        votes = tuple(rng.randint(0, 80) for _ in options)
        multiple = rng.random() < 0.3
        expires = to_datetime((sk.sec + rng.choice((1, 3, 7)) * 86400) * 1000)
        voters = sum(votes) if not multiple else max(votes, default=0) + rng.randint(0, 10)
        return Poll(str(t + 1), tuple(options), votes, multiple, expires, voters)

    def _post_versions(self, t: int, sk: Skeleton, state: State, text: str, spoiler: str,
                       sensitive: bool, media: tuple[Media, ...], poll: Poll | None,
                       created: datetime) -> tuple[Version, ...]:
        w = self.w
        options = poll.options if poll else None
        versions = [Version(text, spoiler, sensitive, created, media, options)]
        for v in range(1, w.plan.initial_edits.get(t, 1)):
            text = content.edited_text(self._rng("edit", t, v), text, v)
            at = sk.sec + v * (600 + mix(w.key, 32, t, v) % 7200)
            versions.append(Version(text, spoiler, sensitive, to_datetime(at * 1000 + 250),
                                    media, options))
        if state == "later" and (t in w.plan.later_edits or t in w.plan.media_changes):
            at = LATER_START + 600 + mix(w.key, 31, t) % (LATER_END - LATER_START - 86400)
            if t in w.plan.later_edits:
                text = content.edited_text(self._rng("edit", t, len(versions)), text,
                                           len(versions))
            else:
                media = self.changed_media(media)
            versions.append(Version(text, spoiler, sensitive, to_datetime(at * 1000 + 500),
                                    media, options))
        return tuple(versions)

    @staticmethod
    def changed_media(media: tuple[Media, ...]) -> tuple[Media, ...]:
        """Return ``media`` with the first attachment's description rewritten (a later edit)."""
        first = media[0]
        if first.description is None:
            after = f"{ALT_TEXT[first.asset]} (description added)"
        else:
            after = f"{first.description}. Updated: crew and truck number visible."
        return (Media(first.id, first.kind, first.asset, after, first.focus, first.remote_name),
                *media[1:])

    # -- comments ------------------------------------------------------------------------

    def comment(self, t: int, j: int, state: State) -> Item:
        """Build reply ``j`` (>= 1) of post thread ``t`` as of ``state``."""
        w, sk = self.w, self.s.skeleton(t)
        shape = w.shape(t)
        account = w.account_at(shape.authors[j])
        parent = shape.parents[j]
        parent_account = w.account_at(shape.authors[parent])
        rng = self._rng("comment", t, j)
        city = account.index == sk.author
        if city:
            text = (content.fill(rng, rng.choice(self.topic(t, sk.sec).posts))
                    if parent == 0 else content.city_reply_text(rng))
        else:
            text = content.comment_text(rng, self.topic(t, sk.sec), nested=parent != 0)
        raw_html = False
        category = w.plan.pii.get((t, j))
        if category is not None:
            value = w.pii_value(t, j, category, account)
            text = pii.pii_sentence(rng, category, value, message=False)
        hostile = w.plan.hostile.get((t, j))
        if hostile is not None:
            if hostile.startswith("raw_html"):
                text, raw_html = pii.RAW_HTML_TEXTS[int(hostile[-1])], True
            else:
                text = pii.HOSTILE_TEXTS[hostile]
        # Mastodon carries the replied-to account over a run of one's own replies
        # (Status#carried_over_reply_to_account_id): only a thread continued from its top
        # counts as a self-reply.
        up = parent
        while up != 0 and shape.authors[up] == account.index:
            up = shape.parents[up]
        replied_to = w.account_at(shape.authors[up])
        mentions: list[Account] = []
        for candidate in (parent_account, replied_to):
            if candidate.index != account.index and candidate not in mentions:
                mentions.append(candidate)
        root_account = w.account_at(sk.author)
        if parent != 0 and root_account not in mentions and root_account != account \
                and rng.random() < 0.4:
            mentions.append(root_account)
        if mentions and not raw_html:
            text = " ".join(f"@{m.acct}" for m in mentions) + " " + text
        media = self._comment_media(t, j, account, rng) if shape.photo[j] else ()
        spoiler = "<b>CW</b> <script>alert('cw')</script>" if (t, j) in w.plan.hostile_spoiler \
            else ""
        sid = w.status_id(t, j)
        created = to_datetime(w.status_millis(t, j))
        version = Version(text, spoiler, bool(spoiler), created, media, None)
        counts = mix(w.key, 42, t, j)
        return Item(
            sid, "comment", t, j, account, created, VISIBILITIES[shape.vis[j]],
            None if raw_html else "en", text, spoiler, bool(spoiler), media, None, None,
            w.status_id(t, parent), replied_to, tuple(mentions),
            hashtags_of(text),
            (version,), None, None, w.status_id(t, 0), w.replies_count(t, j, state), counts % 3,
            (counts >> 8) % 16, raw_html=raw_html,
        )

    def _comment_media(self, t: int, j: int, account: Account,
                       rng: random.Random) -> tuple[Media, ...]:
        w = self.w
        key = rng.choice(RESIDENT_PHOTO_KEYS)
        description: str | None = None if rng.random() < 0.6 else ALT_TEXT[key]
        hostile = w.plan.hostile_media.get((t, j))
        if hostile is not None:
            description = pii.HOSTILE_MEDIA_DESCRIPTIONS[hostile]
        remote_name = None
        if not account.local:
            remote_name = pii.ODD_FILE_NAMES[mix(w.key, 43, t, j) % len(pii.ODD_FILE_NAMES)]
        mid = str(w.status_int(t, j) - (1000 << 16))
        return (Media(mid, "image", key, description, None, remote_name),)

    # -- direct messages -----------------------------------------------------------------

    def message(self, c: int, j: int, state: State) -> Item:
        """Build message ``j`` of direct conversation ``c`` as of ``state``."""
        w = self.w
        cs = self.s.conversation(c)
        t = cs.thread
        account = w.account_at(cs.author(j))
        rng = self._rng("message", c, j)
        text = content.message_text(rng, j, from_city=cs.from_city(j))
        category = w.plan.pii.get((t, j))
        if category is not None:
            text = pii.pii_sentence(rng, category, w.pii_value(t, j, category, account),
                                    message=True)
        participants = [cs.city, *cs.residents]
        mentions = tuple(w.account_at(i) for i in participants if i != account.index)
        text = " ".join(f"@{m.acct}" for m in mentions) + " " + text
        sid = w.status_id(t, j)
        created = to_datetime(w.status_millis(t, j))
        parent = w.status_id(t, j - 1) if j else None
        parent_account = w.account_at(cs.author(j - 1)) if j else None
        version = Version(text, "", False, created, (), None)
        return Item(
            sid, "message", t, j, account, created, "direct", "en", text, "", False, (), None,
            None, parent, parent_account, mentions, (), (version,), None, None,
            w.status_id(t, 0), 1 if j + 1 < w.present_messages(cs, state) else 0, 0, 0,
            conversation=c,
        )
