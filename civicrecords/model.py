"""The shared vocabulary: items as platforms show them, and what a capture observed.

An ``Item`` is one post, comment, direct message or media attachment, identified by
(platform, account, platform_id). Sources map platform responses to Items; the capture job
stores each as an ``Observation`` (a WARC metadata record that refers to the response it came
from); the catalog turns observations into item versions. ``Sweep`` records say which items a
complete walk of some scope (an account's timeline, one thread) returned, so items that
stopped appearing can be marked removed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from civicrecords import jsonio

ITEM_SCHEMA = "civicrecords.item/1"
SWEEP_SCHEMA = "civicrecords.sweep/1"

# "page": an HTML page from an imported web archive (platform "web"; see archiver.importer)
ItemKind = Literal["post", "comment", "message", "media", "page"]
ItemStatus = Literal["live", "edited", "removed"]


def media_scope(parent_id: str) -> str:
    """The scope of an item's media attachments: every current observation of the parent is
    a complete sweep of it (attachments it no longer lists are removed)."""
    return f"media:{parent_id}"


@dataclass(frozen=True)
class MediaRef:
    """A media attachment as its parent item lists it."""

    platform_id: str
    url: str
    media_type: str = "image"
    description: str = ""


@dataclass
class Item:
    """One platform object, normalized. ``versioned`` holds extra platform fields whose
    change makes a new version (e.g. a content warning); ``extra`` holds the rest
    (counts, flags) and never makes a version on its own."""

    platform: str
    account: str
    platform_id: str
    kind: ItemKind
    author: str = ""
    author_id: str = ""
    author_name: str = ""
    created_at: str | None = None
    edited_at: str | None = None
    url: str | None = None
    text: str = ""
    title: str = ""
    parent_id: str | None = None
    thread_id: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    visibility: str | None = None
    language: str | None = None
    hidden: bool = False
    versioned: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        """(platform, account, platform_id): the item's identity."""
        return (self.platform, self.account, self.platform_id)

    def content(self) -> dict[str, Any]:
        """The fields whose change makes a new version, in canonical form."""
        return {
            "text": self.text,
            "title": self.title,
            "edited_at": self.edited_at,
            "media": [[m.platform_id, m.description] for m in self.media],
            "versioned": self.versioned,
        }

    def content_hash(self) -> str:
        """Hex SHA-256 of ``content()`` as canonical JSON: equal content, equal hash."""
        canonical = json.dumps(self.content(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def version_time(self) -> str | None:
        """The platform's time for this version: the edit time, else the creation time."""
        return self.edited_at or self.created_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the form stored in WARC metadata records). Shallow: nested
        ``versioned``/``extra`` values are shared with the item, not copied."""
        data = {name: getattr(self, name) for name in _ITEM_FIELDS}
        data["media"] = [{"platform_id": m.platform_id, "url": m.url,
                          "media_type": m.media_type, "description": m.description}
                         for m in self.media]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        """Inverse of ``to_dict``; unknown keys are ignored (newer writers)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["media"] = [MediaRef(**m) for m in known.get("media", [])]
        return cls(**known)


_ITEM_FIELDS = tuple(Item.__dataclass_fields__)


def item_to_json(item: Item) -> bytes:
    """The item as compact JSON, as stored in metadata records and catalog versions."""
    return jsonio.dumps(item.to_dict())


@dataclass(frozen=True)
class RecordRef:
    """Where a WARC record is: archive-relative file, byte offset and length of its
    (compressed) member, and its WARC-Record-ID."""

    warc_file: str
    offset: int
    length: int
    record_id: str


@dataclass
class Observation:
    """An item as seen by one job: ``current`` (what the platform shows now) or ``history``
    (a past version the platform reports, e.g. Mastodon edit history)."""

    item: Item
    job_id: str
    captured_at: str
    observed: Literal["current", "history"] = "current"
    scope: str | None = None
    response_record_id: str | None = None
    response_uri: str | None = None
    payload_digest: str | None = None
    record: RecordRef | None = None
    response: RecordRef | None = None
    item_json: str | None = None  # the item as JSON, as written in the metadata record

    def encode(self) -> tuple[bytes, str]:
        """The metadata record body and, inside it, the item's JSON (serialized once)."""
        item_json = item_to_json(self.item)
        body = jsonio.dumps(self._head())[:-1] + b',"item":' + item_json + b"}"
        return body, item_json.decode("utf-8")

    def _head(self) -> dict[str, Any]:
        return {
            "schema": ITEM_SCHEMA,
            "observed": self.observed,
            "job_id": self.job_id,
            "captured_at": self.captured_at,
            "scope": self.scope,
            "response_record_id": self.response_record_id,
            "response_uri": self.response_uri,
            "payload_digest": self.payload_digest,
        }


@dataclass
class Sweep:
    """A complete walk of ``scope`` by one job and the ids it returned. Only complete
    sweeps (no gaps inside them) are written; items of that scope not in ``seen`` are
    marked removed with ``reason``."""

    platform: str
    account: str
    scope: str
    seen: list[str]
    job_id: str
    reason: str = "not-returned"
    reasons: dict[str, str] = field(default_factory=dict)

    def reason_for(self, platform_id: str) -> str:
        """Why ``platform_id`` is missing: what the platform reported for it (``deleted``,
        ``hidden``, ``unavailable``...) when the source asked, else the sweep's reason."""
        return self.reasons.get(platform_id, self.reason)

    def to_json(self) -> dict[str, Any]:
        """The metadata record body."""
        return {
            "schema": SWEEP_SCHEMA,
            "platform": self.platform,
            "account": self.account,
            "scope": self.scope,
            "seen": self.seen,
            "job_id": self.job_id,
            "reason": self.reason,
            "reasons": self.reasons,
        }


@dataclass(frozen=True)
class Gap:
    """A fetch that still failed after retries: nothing is lost silently."""

    account: str
    url: str
    reason: str
    attempts: int = 1
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (manifests, ``capture --format json``)."""
        return asdict(self)
