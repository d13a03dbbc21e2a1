"""Platform-neutral records of the sample world: accounts, items, versions, ground truth.

These are what every platform renderer (Mastodon today; Facebook, X, Bluesky... later) turns
into its own API shapes, and what tests compare captures against. Ids are Mastodon-style
snowflakes (decimal strings that increase with ``created_at``); text is plain text in which
mentions are ``@username`` / ``@username@domain``, hashtags ``#Tag`` and links bare URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

State = Literal["initial", "later"]
STATES: Final[tuple[State, ...]] = ("initial", "later")
Visibility = Literal["public", "unlisted", "private", "direct"]
ItemKind = Literal["post", "reblog", "comment", "message"]


@dataclass(frozen=True, slots=True)
class Account:
    """A person or office with a profile. ``index`` 0 is the city, 1 the mayor's office."""

    index: int
    id: str
    username: str
    domain: str | None  # None for accounts of this server; else their home server
    display_name: str
    note: str  # plain-text biography
    created_at: datetime  # midnight UTC, as Mastodon reports it
    role: Literal["city", "official", "resident"]
    locked: bool
    bot: bool
    avatar: str | None  # media asset key; None = the server's default picture
    header: str | None
    fields: tuple[tuple[str, str], ...]
    followers_count: int
    following_count: int
    first_name: str = ""
    last_name: str = ""

    @property
    def acct(self) -> str:
        """``username`` for local accounts, ``username@domain`` for remote ones."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"

    @property
    def local(self) -> bool:
        """True for accounts that live on the sample server itself."""
        return self.domain is None


@dataclass(frozen=True, slots=True)
class Media:
    """One attachment. ``asset`` names the file in ``media.LIBRARY``."""

    id: str
    kind: Literal["image", "gifv", "video", "audio"]
    asset: str
    description: str | None
    focus: tuple[float, float] | None = None
    remote_name: str | None = None  # the file name on a remote origin server, if any


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll attached to a post; ``votes`` align with ``options``."""

    id: str
    options: tuple[str, ...]
    votes: tuple[int, ...]
    multiple: bool
    expires_at: datetime
    voters_count: int


@dataclass(frozen=True, slots=True)
class Card:
    """A link preview."""

    url: str
    title: str
    description: str
    provider_name: str


@dataclass(frozen=True, slots=True)
class Version:
    """The content of one revision of an item (an edit creates a new one)."""

    text: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    media: tuple[Media, ...]
    poll_options: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Item:
    """A post, reblog, comment (reply in a post's thread) or direct message, as of one state.

    ``versions`` holds the edit history oldest first; the last entry is the current content,
    mirrored in ``text``/``spoiler_text``/``sensitive``/``media``. ``raw_html`` marks text that
    a remote server delivered as unsanitized HTML (the sample's hostile fixture).
    """

    id: str
    kind: ItemKind
    thread: int
    slot: int
    account: Account
    created_at: datetime
    visibility: Visibility
    language: str | None
    text: str
    spoiler_text: str
    sensitive: bool
    media: tuple[Media, ...]
    poll: Poll | None
    card: Card | None
    in_reply_to_id: str | None
    in_reply_to_account: Account | None
    mentions: tuple[Account, ...]
    hashtags: tuple[str, ...]
    versions: tuple[Version, ...]
    edited_at: datetime | None
    reblog_of: str | None
    root_id: str
    replies_count: int
    reblogs_count: int
    favourites_count: int
    pinned: bool = False
    raw_html: bool = False
    conversation: int | None = None


@dataclass(frozen=True, slots=True)
class SeededPII:
    """A piece of personal data planted in the world, and the item whose text contains it."""

    category: Literal["ssn", "phone", "email", "card"]
    value: str  # exactly as it appears in the item's text
    item_ref: str  # the item's id
    item_kind: ItemKind


@dataclass(frozen=True, slots=True)
class HostileItem:
    """A planted hostile value: which item (or account) and which field holds it."""

    kind: str
    item_ref: str
    field: str  # text | display_name | media.description | media.remote_url | spoiler_text


@dataclass(frozen=True, slots=True)
class MediaChange:
    """An attachment whose description differs between the two states."""

    media_id: str
    post_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class Changes:
    """Everything that differs between state "initial" and state "later".

    ``removed_*`` items exist in "initial" and answer 404 in "later"; removed comments are
    always leaves, so nothing else becomes unreachable. ``edited_post_ids`` gained a version
    (``media_description_changes`` are edits too, and are listed in both). ``new_*`` items
    exist only in "later" (created after the initial state's cut-off).
    """

    removed_comment_ids: tuple[str, ...]
    removed_post_ids: tuple[str, ...]
    edited_post_ids: tuple[str, ...]
    media_description_changes: tuple[MediaChange, ...]
    new_post_ids: tuple[str, ...]
    new_comment_ids: tuple[str, ...]
    new_message_ids: tuple[str, ...]
    initially_edited_post_ids: tuple[str, ...]
