"""Meta's change notifications for the sample world, and their delivery.

The builders return payloads shaped as Meta sends them (``object``, ``entry[].id`` the Page
or Instagram user id, ``changes[]`` with ``field``/``value``, or ``messaging[]`` for
direct messages) for an item of the world; ``deliver_webhook`` POSTs one signed with
``X-Hub-Signature-256`` the way Meta does (or with any signature, to forge one).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from civicrecords.archiver.sample.facebook import WWW
from civicrecords.archiver.sample.instagram import ig_user_id
from civicrecords.archiver.sample.meta import Inbox
from civicrecords.archiver.sample.model import Item
from civicrecords.archiver.sample.world import World


def _top_level(world: World, comment: Item) -> Item | None:
    slot = comment.slot
    while (up := world.parent(comment.thread, slot)) not in (None, 0):
        slot = up
    return None if slot == comment.slot else world.item_at(comment.thread, slot, "initial")


def page_comment_change(world: World, comment: Item, verb: str = "add") -> dict[str, Any]:
    """A Page ``feed`` notification: ``comment`` was added, edited, hidden, unhidden or
    removed (``verb``)."""
    post = world.item(comment.root_id, "initial") or world.item(comment.root_id, "later")
    assert post is not None
    page = post.account
    post_id = f"{page.id}_{post.id}"
    parent = _top_level(world, comment)
    value: dict[str, Any] = {
        "from": {"id": comment.account.id, "name": comment.account.display_name},
        "post": {"status_type": "added_photos" if post.media else "mobile_status_update",
                 "is_published": True, "id": post_id,
                 "permalink_url": f"{WWW}/{page.username}/posts/{post.id}"},
        "post_id": post_id, "comment_id": f"{post.id}_{comment.id}",
        "created_time": int(comment.created_at.timestamp()), "item": "comment",
        "parent_id": f"{post.id}_{parent.id}" if parent else post_id, "verb": verb}
    if verb != "remove":
        value["message"] = comment.text
    return _envelope("page", page.id, comment, {"field": "feed", "value": value})


def page_post_change(world: World, post: Item, verb: str = "add") -> dict[str, Any]:
    """A Page ``feed`` notification about the Page's own post."""
    value = {"item": "photo" if post.media else "status", "verb": verb,
             "post_id": f"{post.account.id}_{post.id}", "published": 1,
             "created_time": int(post.created_at.timestamp()), "message": post.text,
             "from": {"id": post.account.id, "name": post.account.display_name}}
    return _envelope("page", post.account.id, post, {"field": "feed", "value": value})


def page_message_event(world: World, message: Item) -> dict[str, Any]:
    """A Messenger ``messages`` notification for a direct message a resident sent."""
    cs = world.conversation(message.conversation or 0)
    page = world.account_at(cs.city)
    millis = int(message.created_at.timestamp() * 1000)
    return {"object": "page", "entry": [{"id": page.id, "time": millis, "messaging": [{
        "sender": {"id": message.account.id}, "recipient": {"id": page.id},
        "timestamp": millis, "message": {"mid": Inbox("facebook").message_id(message),
                                         "text": message.text}}]}]}


def instagram_comment_change(world: World, comment: Item) -> dict[str, Any]:
    """An Instagram ``comments`` notification for a new comment or reply."""
    post = world.item(comment.root_id, "initial") or world.item(comment.root_id, "later")
    assert post is not None
    parent = _top_level(world, comment)
    value: dict[str, Any] = {
        "from": {"id": comment.account.id, "username": comment.account.username},
        "media": {"id": post.id, "media_product_type": "FEED"}, "id": comment.id,
        "text": comment.text}
    if parent is not None:
        value["parent_id"] = parent.id
    return _envelope("instagram", ig_user_id(post.account), comment,
                     {"field": "comments", "value": value})


def _envelope(kind: str, account_id: str, item: Item, change: dict[str, Any]
              ) -> dict[str, Any]:
    return {"object": kind, "entry": [{"id": account_id, "time": int(
        item.created_at.timestamp()), "changes": [change]}]}


def deliver_webhook(callback_url: str, payload: Mapping[str, Any], app_secret: str, *,
                    signature: str | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    """POST ``payload`` to ``callback_url`` as Meta delivers change notifications: JSON,
    ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body keyed with the app secret>``
    (``signature`` replaces it, to forge one; "" sends none). Returns (status, body)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    mac = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature != "":
        headers["X-Hub-Signature-256"] = signature if signature is not None else f"sha256={mac}"
    parts = urlsplit(callback_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                            timeout=timeout)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
