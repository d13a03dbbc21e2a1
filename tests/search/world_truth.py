"""What the sample archive holds, worked out from the sample world alone (no catalog, no index).

The ``captured`` fixture captures the world's two official accounts in state "initial" and
then "later". ``archive_truth`` derives, from the world's own ground truth, every item that
capture must have produced, as the archive names it: kind (the account's own replies are
posts; direct-visibility statuses are messages), author, text of the latest version and of
every version, tags, status (removed when the later capture could no longer reach it, edited
when it has more than one version), classification and thread. The golden search tests
compute their expected answers from these records with the small word matcher below, which
shares no code with civicrecords' analyzer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from civicrecords.archiver.sample.model import Account, Item
from civicrecords.archiver.sample.world import World

ACCOUNTS = {"lakeside-mastodon": 0, "lakeside-mayor": 1}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_MENTION_DOMAIN = re.compile(r"(@[\w.]+)@[\w.-]+\w")
_HIDDEN_HTML = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


@dataclass
class Truth:
    """One archived item as the world says it must be."""

    account: str
    platform_id: str
    kind: str
    author: str
    author_name: str
    created: datetime
    text: str
    texts: list[str]
    tags: tuple[str, ...]
    status: str
    classification: str
    thread: str
    parent: str | None
    edited: bool = False
    children: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.platform_id)

    @property
    def month(self) -> str:
        return f"{self.created:%Y-%m}"


def tokens(text: str) -> list[str]:
    """Lower-cased words (hashtags stay one word: ``#SnowEmergency`` → ``snowemergency``)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def has_any(text: str, family: set[str]) -> bool:
    """True when one of ``family`` (exact lower-case words) is a word of ``text``."""
    return any(t in family for t in tokens(text))


def has_sequence(text: str, families: list[set[str]]) -> bool:
    """True when consecutive words of ``text`` belong to ``families`` in order."""
    words = tokens(text)
    size = len(families)
    return any(all(words[i + j] in families[j] for j in range(size))
               for i in range(len(words) - size + 1))


def _shown(world: World, item: Item, state: str) -> Item:
    if item.kind == "reblog" and item.reblog_of:
        return world.item(item.reblog_of, state) or world.item(item.reblog_of, "initial") or item
    return item


def displayed(item: Item, text: str) -> str:
    """``text`` as the platform shows it: remote mentions as ``@user``; a remote server's
    raw HTML with its markup gone (script and style content included)."""
    if item.raw_html:
        return _TAG.sub("", _HIDDEN_HTML.sub("", text))
    return _MENTION_DOMAIN.sub(r"\1", text).replace("\r\n", "\n")


def _kind(item: Item, owner: Account) -> str:
    if item.visibility == "direct":
        return "message"
    return "post" if item.account.index == owner.index else "comment"


def _reachable(world: World, owner: Account, state: str) -> dict[str, tuple[Item, str | None]]:
    """Items the capture of ``owner`` reaches in ``state``: id -> (item, parent id)."""
    out: dict[str, tuple[Item, str | None]] = {}
    for post in world.posts(owner, state):
        out[post.id] = (post, None)
        if post.kind == "reblog":
            continue
        for comment in world.comments_of(post, state):
            if world.visible_to(comment, owner):
                out[comment.id] = (comment, comment.in_reply_to_id)
    for message in world.messages(state, owner):
        out[message.id] = (message, message.in_reply_to_id)
    return out


def archive_truth(world: World) -> dict[tuple[str, str], Truth]:
    """Every item of the sample archive after the initial and later captures."""
    changes = world.changes()
    edited_posts = set(changes.edited_post_ids) | set(changes.initially_edited_post_ids)
    edited_media = {m.media_id for m in changes.media_description_changes}
    truth: dict[tuple[str, str], Truth] = {}
    for name, index in ACCOUNTS.items():
        owner = world.account_at(index)
        initial = _reachable(world, owner, "initial")
        later = _reachable(world, owner, "later")
        for status_id in dict.fromkeys([*initial, *later]):
            item, parent = later.get(status_id) or initial[status_id]
            state = "later" if status_id in later else "initial"
            removed = status_id not in later
            shown = _shown(world, item, state)
            texts = [v.text for v in shown.versions] if item.kind != "reblog" else [shown.text]
            if status_id in initial and status_id not in later:
                texts = texts or [shown.text]
            kind = _kind(item, owner)
            edited = status_id in edited_posts or (
                item.kind == "reblog" and item.reblog_of in changes.edited_post_ids)
            status = "removed" if removed else ("edited" if edited else "live")
            record = Truth(
                account=name, platform_id=status_id, kind=kind, author=item.account.acct,
                author_name=item.account.display_name, created=item.created_at.astimezone(UTC),
                text=displayed(shown, shown.text),
                texts=list(dict.fromkeys(displayed(shown, t) for t in texts or [shown.text])),
                tags=tuple(t.lower() for t in shown.hashtags), status=status,
                classification="private" if kind == "message" else "public",
                thread=item.root_id if parent else status_id, parent=parent, edited=edited)
            truth[record.key] = record
            for media in shown.media:
                media_status = "removed" if removed else (
                    "edited" if media.id in edited_media else "live")
                truth[(name, media.id)] = Truth(
                    account=name, platform_id=media.id, kind="media", author=item.account.acct,
                    author_name=item.account.display_name, created=record.created,
                    text=media.description or "", texts=[media.description or ""], tags=(),
                    status=media_status, classification="public", thread=record.thread,
                    parent=status_id, edited=media.id in edited_media)
    for record in truth.values():
        if record.parent and (record.account, record.parent) in truth:
            truth[(record.account, record.parent)].children.append(record.platform_id)
    return truth
