"""Media attachments captured as child items: the one way every source does it.

``AttachmentCapture.observe`` records a parent item, then each attachment as a ``media``
child in the parent's media scope: the file is streamed into the WARC once per job and URL
(``Session.get_media``: size-capped, deduplicated per WARC file set, failures become gaps),
and the child carries the file's SHA-256 (a new file is a new version) and the record that
holds its bytes. Incremental captures skip attachments the archive already holds. Platforms
differ only through hooks: how a child item is built, which URL holds the original file,
and what else the fetched file tells (e.g. whether its content id matches).
"""

from __future__ import annotations

from collections.abc import Callable

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.sources.base import Session
from civicrecords.model import Item, MediaRef, media_scope

ChildFactory = Callable[[MediaRef, Item], Item]
Resolver = Callable[[Session, MediaRef], MediaRef]
SourceChooser = Callable[[Session, MediaRef, Item], str | None]
Annotator = Callable[[Item, Exchange], None]


def media_child(ref: MediaRef, parent: Item) -> Item:
    """A media attachment as its own item, child of the item that lists it."""
    return Item(platform=parent.platform, account=parent.account, platform_id=ref.platform_id,
                kind="media", author=parent.author, author_id=parent.author_id,
                author_name=parent.author_name, created_at=parent.created_at, url=ref.url,
                text=ref.description, parent_id=parent.platform_id,
                thread_id=parent.thread_id or parent.platform_id, visibility=parent.visibility,
                extra={"media_type": ref.media_type})


def attach_file(child: Item, media: Exchange) -> None:
    """Point a media item at its fetched file: the file's SHA-256 is versioned (a new file
    is a new version) and ``extra.file`` names the record holding the bytes."""
    child.versioned["file_sha256"] = media.payload_sha256
    child.extra["file"] = {"record_id": media.payload_record_id, "size": media.size,
                           "content_type": media.headers.get("content-type")}


class AttachmentCapture:
    """Fetches and records attachments for one source during one job.

    ``child_of`` builds the child item (default ``media_child``); ``resolve`` may replace an
    attachment before anything else (e.g. with its full-size original); ``source`` picks
    the URL to fetch, or None to keep the reference without the file (it may record a gap
    saying why); ``annotate`` adds what the fetched file tells to the child.
    """

    def __init__(self, *, child_of: ChildFactory = media_child, resolve: Resolver | None = None,
                 source: SourceChooser | None = None, annotate: Annotator | None = None
                 ) -> None:
        self._done: dict[str, Exchange | None] = {}
        self._child_of = child_of
        self._resolve = resolve
        self._source = source
        self._annotate = annotate

    def observe(self, session: Session, item: Item, exchange: Exchange, scope: str,
                child_of: ChildFactory | None = None) -> None:
        """Observe ``item`` in ``scope``, then each of its ``media`` as a child (built by
        ``child_of`` when given for this call) in the item's media scope."""
        session.observe(item, exchange, scope=scope)
        if not item.media:
            return
        scope_of_media = media_scope(item.platform_id)
        archived = {} if session.full else session.known(scope_of_media)
        build = child_of or self._child_of
        for ref in item.media:
            if ref.platform_id in archived:
                continue  # incremental: an attachment already archived is not fetched again
            if self._resolve is not None:
                ref = self._resolve(session, ref)
            child = build(ref, item)
            url = self._source(session, ref, item) if self._source else ref.url
            if url and url not in self._done:
                self._done[url] = session.get_media(url, scope=scope_of_media)
            media = self._done.get(url) if url else None
            if media is not None:
                attach_file(child, media)
                if self._annotate is not None:
                    self._annotate(child, media)
            session.observe(child, exchange, scope=scope_of_media)
