"""Bluesky (AT Protocol) responses mapped to ``Item``s: pure functions, no I/O.

Inputs are what the public AppView, a PDS and the chat service send: ``postView`` and
``feedViewPost`` objects (``app.bsky.feed.defs``), ``threadViewPost`` trees with their
``notFoundPost`` / ``blockedPost`` nodes, raw ``app.bsky.feed.post`` records
(``com.atproto.repo.getRecord`` / ``listRecords``), chat ``messageView`` /
``deletedMessageView`` objects (``chat.bsky.convo.defs``), DID documents and XRPC error
envelopes.

Identity: a post's platform id is its ``at://`` URI (the network's own, permanent name for it);
a repost is the account's own action and is identified by its repost record URI (or, from
AppViews that do not report it, ``<post uri>#repost``); media are ``<post uri>#<blob CID>``;
chat messages keep the chat service's message id.

Bluesky has no edits: a post record is immutable once written, and "editing" in any client is
a delete and a new post (a new URI, so a new item, while the old one is marked removed). A
record replaced through ``com.atproto.repo.putRecord`` keeps its URI but gets a new CID; the
CID is a versioned field, so such a replacement is still archived as a new version.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Final

from civicrecords.model import Item, MediaRef

PLATFORM: Final = "bluesky"
POST_VIEW: Final = "app.bsky.feed.defs#postView"
THREAD_VIEW: Final = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND: Final = "app.bsky.feed.defs#notFoundPost"
BLOCKED: Final = "app.bsky.feed.defs#blockedPost"
REASON_REPOST: Final = "app.bsky.feed.defs#reasonRepost"
DELETED_MESSAGE: Final = "chat.bsky.convo.defs#deletedMessageView"
HIDING_LABELS: Final = frozenset({"!hide", "!takedown", "!suspend"})
_RAW_CID_PREFIX: Final = bytes([0x01, 0x55, 0x12, 0x20])  # CIDv1, raw codec, sha2-256, 32 bytes



def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else {} (answers are data: shapes are checked)."""
    return value if isinstance(value, dict) else {}


def as_objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in a JSON list (anything else contributes nothing)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# ----- identifiers ------------------------------------------------------------------------
def at_uri_parts(uri: str) -> tuple[str, str, str] | None:
    """(repo DID, collection, record key) of an ``at://`` URI; None when it is not one."""
    if not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def web_url(uri: str) -> str | None:
    """The bsky.app address of a post (by DID, which never changes); None for non-posts."""
    parts = at_uri_parts(uri)
    if parts is None or parts[1] != "app.bsky.feed.post":
        return None
    return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"


def blob_cid(blob: Any) -> str | None:
    """The CID of a blob reference (``{"$type": "blob", "ref": {"$link": ...}}`` or the
    legacy ``{"cid": ...}`` form)."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    if isinstance(ref, dict) and isinstance(ref.get("$link"), str):
        return str(ref["$link"])
    cid = blob.get("cid")
    return cid if isinstance(cid, str) else None


def raw_cid(sha256_hex: str) -> str:
    """The CIDv1 (raw codec, SHA-256, base32) that names a blob with this SHA-256: what
    ``com.atproto.sync.getBlob`` bytes must hash to."""
    data = _RAW_CID_PREFIX + bytes.fromhex(sha256_hex)
    return "b" + base64.b32encode(data).decode("ascii").lower().rstrip("=")


def next_cursor(data: Any) -> str | None:
    """The ``cursor`` of a paginated XRPC answer (None on the last page)."""
    if isinstance(data, dict) and isinstance(data.get("cursor"), str) and data["cursor"]:
        return str(data["cursor"])
    return None


def xrpc_error(data: Any) -> tuple[str, str]:
    """(error name, message) of an XRPC error envelope (``("", "")`` when it is not one)."""
    if isinstance(data, dict):
        return str(data.get("error") or ""), str(data.get("message") or "")
    return "", ""


# ----- authors --------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who wrote something: handle, DID and display name."""

    handle: str
    did: str
    name: str = ""
    labels: tuple[str, ...] = ()


def actor(data: Any) -> Actor:
    """An ``actor.defs#profileView*`` (or a bare ``{"did": ...}``) as an ``Actor``."""
    if not isinstance(data, dict):
        return Actor("", "")
    labels = tuple(str(label["val"]) for label in as_objects(data.get("labels"))
                   if label.get("val"))
    return Actor(str(data.get("handle") or ""), str(data.get("did") or ""),
                 str(data.get("displayName") or ""), labels)


# ----- posts ------------------------------------------------------------------------------
def _labels(labels: Any) -> list[dict[str, Any]]:
    out = []
    for label in as_objects(labels):
        if label.get("val"):
            out.append({"val": label["val"], "src": label.get("src"),
                        "neg": bool(label.get("neg")), "cts": label.get("cts")})
    return out


def _facets(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(mentioned handles or DIDs, tags, link URIs) from a record's facets and tags."""
    raw = str(record.get("text") or "").encode("utf-8")
    mentions: list[str] = []
    tags: list[str] = [str(t) for t in record.get("tags") or [] if isinstance(t, str)]
    links: list[str] = []
    for facet in as_objects(record.get("facets")):
        index = as_object(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        shown = ""
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(raw):
            shown = raw[start:end].decode("utf-8", "replace")
        for feature in as_objects(facet.get("features")):
            kind = str(feature.get("$type", ""))
            if kind.endswith("#mention"):
                name = shown.lstrip("@") if shown.startswith("@") else ""
                mentions.append(name or str(feature.get("did") or ""))
            elif kind.endswith("#tag") and feature.get("tag"):
                tags.append(str(feature["tag"]))
            elif kind.endswith("#link") and feature.get("uri"):
                links.append(str(feature["uri"]))
    return mentions, list(dict.fromkeys(tags)), links


def _record_media(embed: Any) -> dict[str, Any]:
    """The media part of a record's embed: images or a video (inside recordWithMedia too)."""
    if not isinstance(embed, dict):
        return {}
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _record_media(embed.get("media"))
    if kind.startswith(("app.bsky.embed.images", "app.bsky.embed.video")):
        return embed
    return {}


def _embed_views(view: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(media or link view, quoted-record view) of an AppView embed view; {} for absent."""
    if not isinstance(view, dict):
        return {}, {}
    kind = str(view.get("$type", ""))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        media, record = view.get("media"), view.get("record")
        return (media if isinstance(media, dict) else {},
                record if isinstance(record, dict) else {})
    if kind.startswith("app.bsky.embed.record#"):
        return {}, view
    return view, {}


def _view_part(view: Any, prefix: str) -> dict[str, Any]:
    """The media/link part of an embed view when it is of type ``prefix``, else {}."""
    media, _ = _embed_views(view)
    return media if str(media.get("$type", "")).startswith(prefix) else {}


def _cid_from_cdn(url: str) -> str | None:
    """The blob CID in a CDN or video URL (``.../<did>/<cid>@jpeg``, ``.../<did>/<cid>/...``)."""
    for segment in reversed(url.split("/")):
        candidate = segment.split("@")[0]
        if candidate.startswith("baf") and len(candidate) > 40:
            return candidate
    return None


def media_refs(uri: str, record_embed: Any, view_embed: Any) -> list[MediaRef]:
    """One ``MediaRef`` per image or video of a post: id ``<post uri>#<blob CID>``, the
    alt text, and the AppView's CDN URL (full-size image, or the video's HLS playlist)."""
    record_media = _record_media(record_embed)
    refs: list[MediaRef] = []
    images_view = as_objects(_view_part(view_embed, "app.bsky.embed.images#").get("images"))
    images_record = as_objects(record_media.get("images"))
    for index in range(max(len(images_view), len(images_record))):
        shown = images_view[index] if index < len(images_view) else {}
        stored = images_record[index] if index < len(images_record) else {}
        url = str(shown.get("fullsize") or "")
        cid = blob_cid(stored.get("image")) or _cid_from_cdn(url)
        if cid:
            refs.append(MediaRef(f"{uri}#{cid}", url, "image",
                                 str(shown.get("alt") or stored.get("alt") or "")))
    video_view = _view_part(view_embed, "app.bsky.embed.video#")
    video = record_media.get("video")
    cid = blob_cid(video) or video_view.get("cid")
    if cid and (video_view or str(record_media.get("$type", "")).startswith(
            "app.bsky.embed.video")):
        refs.append(MediaRef(f"{uri}#{cid}", str(video_view.get("playlist") or ""), "video",
                             str(video_view.get("alt") or record_media.get("alt") or "")))
    return refs


def media_details(ref: MediaRef, record_embed: Any, view_embed: Any) -> dict[str, Any]:
    """Blob facts for one media ref: CID, MIME type, size, thumbnail, aspect ratio."""
    cid = ref.platform_id.rpartition("#")[2]
    record_media = _record_media(record_embed)
    blobs = [(i.get("image"), i) for i in as_objects(record_media.get("images"))]
    if record_media.get("video"):
        blobs.append((record_media["video"], record_media))
    details: dict[str, Any] = {"cid": cid, "cdn_url": ref.url or None}
    for blob, holder in blobs:
        if blob_cid(blob) == cid and isinstance(blob, dict):
            details.update(mime_type=blob.get("mimeType"), size=blob.get("size"),
                           aspect_ratio=holder.get("aspectRatio"))
    for image in as_objects(_view_part(view_embed, "app.bsky.embed.images#").get("images")):
        if _cid_from_cdn(str(image.get("fullsize") or "")) == cid:
            details["thumb"] = image.get("thumb")
    video = _view_part(view_embed, "app.bsky.embed.video#")
    if video.get("cid") == cid:
        details["thumb"] = video.get("thumbnail")
    return details


def _quote(view_embed: Any, record_embed: Any) -> dict[str, Any] | None:
    shown = _embed_views(view_embed)[1].get("record")
    if isinstance(shown, dict):
        kind = str(shown.get("$type", "")).rpartition("#")[2]
        quoted = actor(shown.get("author"))
        value = shown.get("value") if isinstance(shown.get("value"), dict) else {}
        return {"uri": shown.get("uri"), "cid": shown.get("cid"), "status": kind,
                "author": quoted.handle, "author_id": quoted.did,
                "text": value.get("text"), "created_at": value.get("createdAt")}
    embed = record_embed if isinstance(record_embed, dict) else {}
    if str(embed.get("$type", "")).startswith("app.bsky.embed.recordWithMedia"):
        embed = as_object(embed.get("record"))
    if str(embed.get("$type", "")).startswith("app.bsky.embed.record"):
        strong = as_object(embed.get("record"))
        return {"uri": strong.get("uri"), "cid": strong.get("cid"), "status": "reference"}
    return None


def _card(view_embed: Any, record_embed: Any) -> dict[str, Any] | None:
    external = _view_part(view_embed, "app.bsky.embed.external#").get("external")
    if not isinstance(external, dict) and isinstance(record_embed, dict) and str(
            record_embed.get("$type", "")).startswith("app.bsky.embed.external"):
        external = record_embed.get("external")
    if not isinstance(external, dict):
        return None
    return {"uri": external.get("uri"), "title": external.get("title"),
            "description": external.get("description")}


def record_item(uri: str, cid: str | None, record: dict[str, Any], *, author: Actor,
                account_name: str, owner_did: str, thread_id: str | None = None,
                view: dict[str, Any] | None = None) -> Item:
    """One post record (raw from a repo, or inside a ``postView`` passed as ``view``).

    Kind: ``post`` when the account wrote it, ``comment`` otherwise. Parent and thread come
    from the record's ``reply`` strong refs. Labels that hide a post (``!hide``,
    ``!takedown``) set ``hidden``; self-labels (content warnings) are versioned.
    """
    view = view or {}
    reply = as_object(record.get("reply"))
    parent = as_object(reply.get("parent")).get("uri")
    root = as_object(reply.get("root")).get("uri")
    mentions, tags, links = _facets(record)
    langs = [str(lang) for lang in record.get("langs") or [] if isinstance(lang, str)]
    self_labels = [v.get("val") for v in as_objects(as_object(record.get("labels")).get("values"))]
    moderation = _labels(view.get("labels"))
    versioned: dict[str, Any] = {"cid": cid}
    if self_labels:
        versioned["self_labels"] = self_labels
    extra: dict[str, Any] = {
        "uri": uri, "indexed_at": view.get("indexedAt"),
        "reply_count": view.get("replyCount"), "repost_count": view.get("repostCount"),
        "like_count": view.get("likeCount"), "quote_count": view.get("quoteCount"),
        "reply_root": root, "langs": langs,
    }
    if links:
        extra["links"] = links
    if moderation:
        extra["labels"] = moderation
    if author.labels:
        extra["author_labels"] = list(author.labels)
    record_embed, view_embed = record.get("embed"), view.get("embed")
    quote = _quote(view_embed, record_embed)
    if quote:
        extra["quote_of"] = quote
    card = _card(view_embed, record_embed)
    if card:
        extra["card"] = card
    gate = view.get("threadgate")
    if isinstance(gate, dict) and isinstance(gate.get("record"), dict):
        extra["threadgate"] = {"allow": gate["record"].get("allow"),
                               "hidden_replies": gate["record"].get("hiddenReplies") or []}
    item = Item(
        platform=PLATFORM, account=account_name, platform_id=uri,
        kind="post" if author.did == owner_did else "comment",
        author=author.handle or author.did, author_id=author.did, author_name=author.name,
        created_at=record.get("createdAt"), url=web_url(uri),
        text=str(record.get("text") or ""), parent_id=parent, thread_id=thread_id or root or uri,
        tags=tags, mentions=mentions, visibility="public",
        language=langs[0] if langs else None,
        hidden=any(label["val"] in HIDING_LABELS and not label["neg"] for label in moderation),
        versioned=versioned, extra=extra,
    )
    item.media = media_refs(uri, record_embed, view_embed)
    if item.media:
        item.extra["media"] = {ref.platform_id.rpartition("#")[2]:
                               media_details(ref, record_embed, view_embed)
                               for ref in item.media}
    return item


def post_view_item(view: dict[str, Any], *, account_name: str, owner_did: str,
                   thread_id: str | None = None) -> Item:
    """An AppView ``postView`` as an Item (see ``record_item``)."""
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    return record_item(str(view.get("uri") or ""), view.get("cid"), record,
                       author=actor(view.get("author")), account_name=account_name,
                       owner_did=owner_did, thread_id=thread_id, view=view)


def feed_item(entry: dict[str, Any], *, account_name: str, owner_did: str) -> Item | None:
    """One ``feedViewPost`` of the account's author feed.

    The account's own posts and replies become ``post`` items. A repost
    (``reason`` = ``reasonRepost``) is the account's action: a ``post`` item by the account,
    with the reposted text and media and ``extra.repost_of``. Anything else (another
    account's post without a repost reason) is not the account's and gives None.
    """
    view = entry.get("post")
    if not isinstance(view, dict):
        return None
    reason = entry.get("reason") if isinstance(entry.get("reason"), dict) else {}
    if reason.get("$type") != REASON_REPOST:
        item = post_view_item(view, account_name=account_name, owner_did=owner_did)
        return item if item.kind == "post" else None
    by = actor(reason.get("by"))
    if by.did != owner_did:
        return None
    shown = post_view_item(view, account_name=account_name, owner_did=owner_did)
    repost_id = str(reason.get("uri") or f"{shown.platform_id}#repost")
    shown.extra["repost_of"] = {"uri": shown.platform_id, "cid": view.get("cid"),
                                "author": shown.author, "author_id": shown.author_id,
                                "author_name": shown.author_name,
                                "created_at": shown.created_at, "url": shown.url,
                                "author_labels": shown.extra.pop("author_labels", [])}
    shown.extra["repost_uri"] = reason.get("uri")
    return Item(
        platform=PLATFORM, account=account_name, platform_id=repost_id, kind="post",
        author=by.handle or by.did, author_id=by.did, author_name=by.name,
        created_at=reason.get("indexedAt") or shown.created_at, url=shown.url,
        text=shown.text, thread_id=repost_id, tags=shown.tags, mentions=shown.mentions,
        visibility="public", language=shown.language, hidden=shown.hidden,
        media=[MediaRef(f"{repost_id}#{m.platform_id.rpartition('#')[2]}", m.url,
                        m.media_type, m.description) for m in shown.media],
        versioned={"repost_of": shown.platform_id, "cid": view.get("cid")},
        extra=shown.extra,
    )


# ----- threads ----------------------------------------------------------------------------
@dataclass
class ThreadWalk:
    """What one ``getPostThread`` answer holds below (and above) its anchor post."""

    items: list[tuple[Item, int]] = field(default_factory=list)  # (item, depth), anchor first
    parents: list[Item] = field(default_factory=list)  # the chain above, nearest first
    not_found: list[str] = field(default_factory=list)  # replies the AppView says are gone
    blocked: list[tuple[str, str, str]] = field(default_factory=list)  # uri, author, parent
    truncated: list[str] = field(default_factory=list)  # replies cut off by the depth limit
    hidden_replies: list[str] = field(default_factory=list)  # hidden by the thread's author


def thread_walk(thread: Any, *, account_name: str, owner_did: str,
                thread_id: str | None = None) -> ThreadWalk:
    """Every post of a ``threadViewPost`` tree, depth first, replies in the order given.

    ``notFoundPost`` and ``blockedPost`` nodes are reported, not mapped; a node whose
    ``replies`` are absent although ``replyCount`` is positive was cut off by the depth
    limit and is listed in ``truncated`` so the caller can fetch it as its own thread.
    Replies the root's author hid (threadgate ``hiddenReplies``) are marked ``hidden``.
    """
    walk = ThreadWalk()
    if not isinstance(thread, dict) or thread.get("$type", THREAD_VIEW) != THREAD_VIEW:
        return walk
    gate = as_object(as_object(thread.get("post")).get("threadgate"))
    hidden = as_object(gate.get("record")).get("hiddenReplies")
    walk.hidden_replies = [str(u) for u in hidden] if isinstance(hidden, list) else []
    stack: list[tuple[dict[str, Any], int, str]] = [(thread, 0, "")]
    while stack:
        node, depth, parent_uri = stack.pop()
        kind = node.get("$type", THREAD_VIEW)
        if kind == NOT_FOUND:
            walk.not_found.append(str(node.get("uri")))
            continue
        if kind == BLOCKED:
            walk.blocked.append((str(node.get("uri")),
                                 str(as_object(node.get("author")).get("did") or ""), parent_uri))
            continue
        if kind != THREAD_VIEW or not isinstance(node.get("post"), dict):
            continue
        item = post_view_item(node["post"], account_name=account_name, owner_did=owner_did,
                              thread_id=thread_id)
        if item.platform_id in walk.hidden_replies:
            item.hidden = True
            item.extra["hidden_by"] = "thread author"
        walk.items.append((item, depth))
        replies = node.get("replies")
        if replies is None:
            if (node["post"].get("replyCount") or 0) > 0 and depth > 0:
                walk.truncated.append(item.platform_id)
            continue
        stack.extend((reply, depth + 1, item.platform_id) for reply in reversed(replies)
                     if isinstance(reply, dict))
    parent = thread.get("parent")
    while isinstance(parent, dict):
        if parent.get("$type", THREAD_VIEW) == THREAD_VIEW and isinstance(parent.get("post"),
                                                                           dict):
            walk.parents.append(post_view_item(parent["post"], account_name=account_name,
                                               owner_did=owner_did, thread_id=thread_id))
        elif parent.get("$type") == NOT_FOUND:
            walk.not_found.append(str(parent.get("uri")))
        parent = parent.get("parent")
    return walk


# ----- chat -------------------------------------------------------------------------------
def message_item(message: dict[str, Any], *, convo: dict[str, Any], account_name: str,
                 owner_did: str) -> Item | None:
    """A chat ``messageView`` as a ``message`` item (None for a ``deletedMessageView``).

    Author handles come from the conversation's members; recipients are every other member;
    the thread is the conversation.
    """
    if message.get("$type") == DELETED_MESSAGE or "text" not in message:
        return None
    members = {m.did: m for m in (actor(x) for x in as_objects(convo.get("members")))}
    sender_did = str(as_object(message.get("sender")).get("did") or "")
    sender = members.get(sender_did, Actor("", sender_did))
    convo_id = str(convo.get("id") or "")
    mentions, tags, links = _facets(message)
    extra: dict[str, Any] = {"conversation_id": convo_id, "rev": message.get("rev"),
                             "reactions": [{"value": r.get("value"),
                                            "sender": as_object(r.get("sender")).get("did"),
                                            "created_at": r.get("createdAt")}
                                           for r in as_objects(message.get("reactions"))],
                             "from_account": sender_did == owner_did}
    if links:
        extra["links"] = links
    quote = _quote(message.get("embed"), None)
    if quote:
        extra["quote_of"] = quote
    return Item(
        platform=PLATFORM, account=account_name, platform_id=str(message.get("id") or ""),
        kind="message", author=sender.handle or sender_did, author_id=sender_did,
        author_name=sender.name, created_at=message.get("sentAt"),
        text=str(message.get("text") or ""), thread_id=convo_id, tags=tags,
        mentions=mentions,
        recipients=[m.handle or m.did for d, m in members.items() if d != sender_did],
        visibility="direct", extra=extra,
    )
