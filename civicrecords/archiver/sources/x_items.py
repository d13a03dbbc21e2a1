"""X API v2 responses mapped to items: pure functions, tested against tests/corpora/x.

Identity of an edited post: X gives every edit its own tweet id and lists them, oldest first,
in ``edit_history_tweet_ids``. civicrecords keeps ONE item per post, identified by the
original id (``edit_history_tweet_ids[0]``); each edit is a version of it whose
``extra["tweet_id"]`` is the id X gave that edit, whose ``edited_at`` is the edit's
``created_at``, and whose ``created_at`` stays the original post's. Replies and conversations
that point at an edit's id are mapped back to the original id (through the response's
``includes.tweets`` and the ids the capture has already seen), so a thread hangs together
however often its first post was edited.

Text: ``note_tweet.text`` for long posts, HTML entities undone (X sends ``&amp;``), every
``t.co`` link replaced by the address it stands for, and the trailing media link dropped.
Partial errors (``errors[]`` beside ``data``) never fail a page: they are attached to the
items whose references they concern (``extra["api_errors"]``) and read for removal reasons.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from civicrecords.model import Item, MediaRef

PLATFORM = "x"


@dataclass(frozen=True)
class PartialError:
    """One entry of a 200 response's ``errors[]``: something X could not return."""

    resource_id: str
    resource_type: str
    parameter: str
    title: str
    detail: str
    kind: str  # the problem type's last segment, e.g. resource-not-found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PartialError:
        """Read one ``errors[]`` entry (every field optional)."""
        kind = str(data.get("type") or "")
        return cls(resource_id=str(data.get("resource_id") or data.get("value") or ""),
                   resource_type=str(data.get("resource_type") or ""),
                   parameter=str(data.get("parameter") or ""),
                   title=str(data.get("title") or data.get("message") or ""),
                   detail=str(data.get("detail") or data.get("message") or ""),
                   kind=kind.rsplit("/", 1)[-1] if kind else "")

    @property
    def reason(self) -> str:
        """What the error says happened to the resource, as a removal reason: ``deleted``
        (not found), ``suspended`` (its account was suspended) or ``unavailable`` (the
        caller may not see it: protected account, withheld, other)."""
        if "suspended" in self.detail.lower():
            return "suspended"
        if self.kind == "resource-not-found":
            return "deleted"
        return "unavailable"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (kept in ``Item.extra``)."""
        return {"resource_id": self.resource_id, "resource_type": self.resource_type,
                "parameter": self.parameter, "title": self.title, "detail": self.detail,
                "kind": self.kind}


@dataclass
class XPage:
    """One X API v2 response body, indexed."""

    data: list[dict[str, Any]]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)  # includes.tweets + data
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[PartialError] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def next_token(self) -> str | None:
        """``meta.next_token``: the next page's ``pagination_token``/``next_token``."""
        token = self.meta.get("next_token")
        return str(token) if token else None

    def errors_about(self, resource_id: str) -> list[PartialError]:
        """The partial errors concerning ``resource_id``."""
        return [e for e in self.errors if e.resource_id == resource_id]


def parse_page(body: Any) -> XPage:
    """Index a response body: ``data`` (object or list; absent for an empty or failed
    result), ``includes.users/tweets/media/polls/places`` by id, ``errors[]`` and ``meta``.
    A body that is not a JSON object gives an empty page."""
    if not isinstance(body, dict):
        return XPage(data=[])
    raw = body.get("data")
    data = [raw] if isinstance(raw, dict) else [d for d in raw or [] if isinstance(d, dict)]
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    page = XPage(data=data, meta=body.get("meta") if isinstance(body.get("meta"), dict)
                 else {},
                 errors=[PartialError.from_json(e) for e in body.get("errors") or []
                         if isinstance(e, dict)])
    for key, target, id_field in (("users", page.users, "id"), ("tweets", page.tweets, "id"),
                                  ("media", page.media, "media_key"),
                                  ("polls", page.polls, "id"), ("places", page.places, "id")):
        for entry in includes.get(key) or []:
            if isinstance(entry, dict) and entry.get(id_field) is not None:
                target[str(entry[id_field])] = entry
    for tweet in data:
        if "id" in tweet and "text" in tweet:
            page.tweets.setdefault(str(tweet["id"]), tweet)
    return page


def problem_message(body: Any, status: int) -> str:
    """One line saying why X refused a request (title, detail, reason, required access)."""
    if not isinstance(body, dict):
        return f"HTTP {status}"
    parts = [str(body.get("title") or f"HTTP {status}")]
    if body.get("detail") and body.get("detail") != body.get("title"):
        parts.append(str(body["detail"]))
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            parts.append(str(error["message"]))
    extra = [f"{name.replace('_', ' ')}: {body[name]}"
             for name in ("reason", "required_enrollment") if body.get(name)]
    line = ": ".join(parts)
    return f"{line} ({'; '.join(extra)})" if extra else line


def withheld_here(withheld: Mapping[str, Any] | None) -> bool:
    """True when X withholds the post from viewers in the United States (``US``), everywhere
    (``XX``) or for a copyright claim; a post withheld only elsewhere is still public here."""
    if not withheld:
        return False
    codes = {str(c).upper() for c in withheld.get("country_codes") or []}
    return bool(withheld.get("copyright")) or bool(codes & {"US", "XX"})


def original_id(tweet: Mapping[str, Any]) -> str:
    """The id that identifies the post across its edits (the first of its edit history)."""
    history = tweet.get("edit_history_tweet_ids") or []
    return str(history[0]) if history else str(tweet.get("id", ""))


def identity_of(tweet_id: str, page: XPage, known: Mapping[str, str] | None = None) -> str:
    """Map any tweet id (maybe an edit's) to its post's original id, using the page's
    tweets and ``known`` (edit id -> original id seen earlier in the capture)."""
    if known and tweet_id in known:
        return known[tweet_id]
    found = page.tweets.get(tweet_id)
    return original_id(found) if found is not None else tweet_id


def author_of(user: Mapping[str, Any] | None, user_id: str = "") -> tuple[str, str, str]:
    """(username, id, display name) of a User object (only the id when it is absent)."""
    if not user:
        return "", user_id, ""
    return (str(user.get("username") or ""), str(user.get("id") or user_id),
            str(user.get("name") or ""))


def clean_text(text: str, entities: Mapping[str, Any] | None) -> str:
    """Tweet text for reading and search: ``t.co`` links expanded, the media link dropped,
    HTML entities undone."""
    for url in (entities or {}).get("urls") or []:
        short = url.get("url")
        if not short:
            continue
        if url.get("media_key") or "/photo/" in str(url.get("expanded_url") or "") or \
                "/video/" in str(url.get("expanded_url") or ""):
            text = text.replace(short, "")
        else:
            text = text.replace(short, str(url.get("unwound_url") or url.get("expanded_url")
                                           or short))
    return html.unescape(text).strip()


def best_media_url(media: Mapping[str, Any]) -> str:
    """The file to keep for a Media object: a photo's ``url``; for a video or GIF the MP4
    variant with the highest bit rate (the HLS playlist is skipped); else the preview."""
    if media.get("type") == "photo" and media.get("url"):
        return str(media["url"])
    mp4 = [v for v in media.get("variants") or []
           if isinstance(v, dict) and v.get("content_type") == "video/mp4" and v.get("url")]
    if mp4:
        return str(max(mp4, key=lambda v: int(v.get("bit_rate") or 0))["url"])
    return str(media.get("url") or media.get("preview_image_url") or "")


def media_refs(keys: list[str], page: XPage) -> list[MediaRef]:
    """The media attached by ``keys`` (only those the page's includes describe)."""
    refs = []
    for key in keys:
        media = page.media.get(str(key))
        if media is None:
            continue
        refs.append(MediaRef(platform_id=str(key), url=best_media_url(media),
                             media_type=str(media.get("type") or "unknown"),
                             description=str(media.get("alt_text") or "")))
    return refs


def media_item(media: Mapping[str, Any], *, parent: Item) -> Item:
    """A media attachment (Media object) as its own item, child of the post carrying it."""
    return Item(
        platform=PLATFORM, account=parent.account, platform_id=str(media.get("media_key")),
        kind="media", author=parent.author, author_id=parent.author_id,
        author_name=parent.author_name, created_at=parent.created_at,
        url=best_media_url(media) or None, text=str(media.get("alt_text") or ""),
        parent_id=parent.platform_id, thread_id=parent.thread_id or parent.platform_id,
        visibility=parent.visibility,
        extra={key: media[key] for key in ("type", "preview_image_url", "variants",
                                           "duration_ms", "width", "height", "public_metrics")
               if key in media},
    )


def _reference(tweet: Mapping[str, Any], kind: str) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == kind and ref.get("id"):
            return str(ref["id"])
    return None


def tweet_item(tweet: Mapping[str, Any], page: XPage, *, account_name: str, owner_id: str,
               known: Mapping[str, str] | None = None) -> Item:
    """Map one Tweet (any version) to an Item (see the module docstring for identity).

    Kind: ``post`` when the account wrote it (its replies and retweets too), ``comment``
    otherwise. ``parent_id`` is the replied-to post's original id; ``thread_id`` the
    conversation's.
    """
    identity = original_id(tweet)
    own_id = str(tweet.get("id", ""))
    author, author_id, author_name = author_of(page.users.get(str(tweet.get("author_id"))),
                                               str(tweet.get("author_id") or ""))
    edited = own_id != identity
    first = page.tweets.get(identity)
    created = (first or {}).get("created_at") if edited else tweet.get("created_at")
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else None
    source = note or tweet
    text = clean_text(str(source.get("text") or ""), source.get("entities"))
    extra: dict[str, Any] = {
        "tweet_id": own_id,
        "edit_history_tweet_ids": [str(i) for i in tweet.get("edit_history_tweet_ids") or []],
        "conversation_id": tweet.get("conversation_id"),
        "in_reply_to_user_id": tweet.get("in_reply_to_user_id"),
        "public_metrics": tweet.get("public_metrics"),
        "possibly_sensitive": tweet.get("possibly_sensitive"),
        "reply_settings": tweet.get("reply_settings"),
        "edit_controls": tweet.get("edit_controls"),
    }
    if note is not None:
        extra["long_post"] = True
    if tweet.get("withheld"):
        extra["withheld"] = tweet["withheld"]
    versioned: dict[str, Any] = {}
    retweeted = _reference(tweet, "retweeted")
    if retweeted:
        original = page.tweets.get(retweeted)
        r_author = author_of(page.users.get(str((original or {}).get("author_id"))),
                             str((original or {}).get("author_id") or ""))
        extra["retweet_of"] = {"id": identity_of(retweeted, page, known),
                               "author": r_author[0], "author_id": r_author[1]}
        if original is not None:
            shown = original.get("note_tweet") or original
            text = f"RT @{r_author[0]}: " + clean_text(str(shown.get("text") or ""),
                                                       shown.get("entities"))
    quoted = _reference(tweet, "quoted")
    if quoted:
        extra["quote_of"] = {"id": identity_of(quoted, page, known)}
    poll_ids = (tweet.get("attachments") or {}).get("poll_ids") or []
    if poll_ids and str(poll_ids[0]) in page.polls:
        poll = page.polls[str(poll_ids[0])]
        versioned["poll"] = [o.get("label") for o in poll.get("options") or []]
        extra["poll"] = poll
    place_id = (tweet.get("geo") or {}).get("place_id")
    if place_id:
        extra["place"] = page.places.get(str(place_id), {"id": place_id})
    references = [str(r.get("id")) for r in tweet.get("referenced_tweets") or []
                  if isinstance(r, dict)]
    api_errors = [e.to_dict() for ref in references for e in page.errors_about(ref)]
    if api_errors:
        extra["api_errors"] = api_errors
    replied = _reference(tweet, "replied_to")
    conversation = tweet.get("conversation_id")
    entities = source.get("entities") or {}
    item = Item(
        platform=PLATFORM, account=account_name, platform_id=identity,
        kind="post" if author_id == owner_id else "comment",
        author=author, author_id=author_id, author_name=author_name,
        created_at=created or tweet.get("created_at"),
        edited_at=tweet.get("created_at") if edited else None,
        url=f"https://x.com/{author or 'i'}/status/{identity}",
        text=text, parent_id=identity_of(replied, page, known) if replied else None,
        thread_id=identity_of(str(conversation), page, known) if conversation else identity,
        tags=[str(h.get("tag")) for h in entities.get("hashtags") or [] if h.get("tag")],
        mentions=[str(m.get("username")) for m in entities.get("mentions") or []
                  if m.get("username")],
        visibility="public", language=tweet.get("lang"), versioned=versioned, extra=extra)
    item.media = media_refs([str(k) for k in (tweet.get("attachments") or {})
                             .get("media_keys") or []], page)
    return item


def history_items(current: Item, page: XPage, *, owner_id: str,
                  known: Mapping[str, str] | None = None) -> list[Item]:
    """Earlier versions of ``current`` that the page's ``includes.tweets`` holds (from the
    ``edit_history_tweet_ids`` expansion), oldest first, each with ``current``'s identity,
    author and creation time (for ``observed="history"``)."""
    out = []
    history = current.extra.get("edit_history_tweet_ids") or []
    for version_id in history:
        if version_id == current.extra.get("tweet_id") or version_id not in page.tweets:
            continue
        version = tweet_item(page.tweets[version_id], page, account_name=current.account,
                             owner_id=owner_id, known=known)
        version.kind, version.created_at = current.kind, current.created_at
        version.author, version.author_id = current.author, current.author_id
        version.author_name = current.author_name
        version.parent_id, version.thread_id = current.parent_id, current.thread_id
        out.append(version)
    return out


def dm_item(event: Mapping[str, Any], page: XPage, *, account_name: str,
            owner_id: str) -> Item | None:
    """A ``MessageCreate`` DM event as a ``message`` item (None for other event types).
    Recipients are the conversation's other participants (from a one-to-one conversation
    id ``<id>-<id>`` or ``participant_ids``), by username where the page has the user."""
    if event.get("event_type", "MessageCreate") != "MessageCreate":
        return None
    sender = str(event.get("sender_id") or "")
    author, author_id, author_name = author_of(page.users.get(sender), sender)
    conversation = str(event.get("dm_conversation_id") or "")
    people = [str(p) for p in event.get("participant_ids") or []]
    if not people and "-" in conversation:
        people = conversation.split("-")
    recipients = []
    for person in people:
        if person and person != sender:
            name = author_of(page.users.get(person), person)[0]
            recipients.append(name or person)
    item = Item(
        platform=PLATFORM, account=account_name, platform_id=str(event.get("id")),
        kind="message", author=author, author_id=author_id, author_name=author_name,
        created_at=event.get("created_at"),
        text=clean_text(str(event.get("text") or ""), event.get("entities")),
        thread_id=conversation or None, recipients=recipients, visibility="direct",
        extra={"dm_conversation_id": conversation or None, "event_type": "MessageCreate",
               "sent_by_account": sender == owner_id if sender else None})
    item.media = media_refs([str(k) for k in (event.get("attachments") or {})
                             .get("media_keys") or []], page)
    return item
