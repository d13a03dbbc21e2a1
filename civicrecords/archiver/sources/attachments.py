"""Media attachments captured as child items (used by the X and YouTube sources).

``AttachmentCapture.observe`` records a parent item, then each attachment as a ``media``
child in the parent's media scope: the file is streamed into the WARC once per job and URL
(``Session.get_media``: size-capped, deduplicated per WARC file set, failures become gaps),
and the child carries the file's SHA-256 (a new file is a new version) and the record that
holds its bytes. Incremental captures skip attachments the archive already holds.
"""

from __future__ import annotations

from collections.abc import Callable

from civicrecords.archiver.http import Exchange
from civicrecords.archiver.sources.base import Session
from civicrecords.model import Item, MediaRef, media_scope

ChildFactory = Callable[[MediaRef, Item], Item]


class AttachmentCapture:
    """Fetches and records attachments for one source during one job."""

    def __init__(self) -> None:
        self._done: dict[str, Exchange | None] = {}

    def observe(self, session: Session, item: Item, exchange: Exchange, scope: str,
                child_of: ChildFactory, *, fetch: Callable[[MediaRef], bool] | None = None
                ) -> None:
        """Observe ``item`` in ``scope`` and each of its ``media`` as a child built by
        ``child_of(ref, item)``. ``fetch(ref)`` False keeps a reference without fetching the
        file (e.g. a caption track the API will not hand out); by default every file with
        a URL is fetched."""
        session.observe(item, exchange, scope=scope)
        if not item.media:
            return
        scope_of_media = media_scope(item.platform_id)
        archived = {} if session.full else session.known(scope_of_media)
        for ref in item.media:
            if ref.platform_id in archived:
                continue  # incremental: an attachment already archived is not fetched again
            child = child_of(ref, item)
            wanted = bool(ref.url) and (fetch is None or fetch(ref))
            if wanted and ref.url not in self._done:
                self._done[ref.url] = session.get_media(ref.url, scope=scope_of_media)
            media = self._done.get(ref.url) if wanted else None
            if media is not None:
                child.versioned["file_sha256"] = media.payload_sha256
                child.extra["file"] = {"record_id": media.payload_record_id,
                                       "content_type": media.headers.get("content-type"),
                                       "size": media.size}
            session.observe(child, exchange, scope=scope_of_media)
