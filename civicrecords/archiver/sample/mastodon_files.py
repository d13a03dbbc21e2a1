"""Mastodon's file URLs for the sample world: attachments, previews, avatars and headers.

Paths follow Mastodon's Paperclip layout: ``/system/[cache/]media_attachments/files/<id in
3-digit folders>/{original,small}/<16 hex>.<ext>``, video thumbnails under ``thumbnails/``,
account pictures under ``/system/[cache/]accounts/{avatars,headers}/`` (``cache/`` for remote
accounts), and the defaults ``/avatars/original/missing.png`` and
``/headers/original/missing.png``. A path answers only if every part matches (id, style, hex
name, extension, cache prefix), with the right ``Content-Type``, a ``Content-Length``, an
``ETag`` and long-lived ``Cache-Control``; anything else is a plain 404. Attachments of
statuses that do not exist in the current state are gone too.
"""

from __future__ import annotations

import hashlib

from civicrecords.archiver.sample.ids import hex_name, parse_id
from civicrecords.archiver.sample.media import EXT, LIBRARY, MIME
from civicrecords.archiver.sample.model import Item, Media
from civicrecords.archiver.sample.routing import Request, Response


def _not_found() -> Response:
    return Response(404, b"Not Found", "text/plain", api=False)


class MastodonFiles:
    """Handlers for the file routes of ``MastodonPlatform``."""

    def __init__(self) -> None:
        self._etags: dict[tuple[str, str], str] = {}

    def _file(self, key: str, variant: str, data: bytes, mime: str) -> Response:
        tag_key = (key, variant)
        etag = self._etags.get(tag_key)
        if etag is None:
            etag = self._etags.setdefault(tag_key, f'"{hashlib.md5(data).hexdigest()}"')
        return Response(200, data, mime, [("Cache-Control", "public, max-age=315576000, "
                                           "immutable"), ("ETag", etag)], api=False,
                        compressible=False)

    def _find_media(self, req: Request, media_id: int) -> tuple[Item, Media] | None:
        world = req.site.world
        for a in range(4):
            ref = world.decode(media_id + ((1000 + a) << 16))
            if ref is None or not world.exists(*ref, req.state):
                continue
            item = world.item_at(*ref, req.state)
            for m in item.media:
                if m.id == str(media_id):
                    return item, m
        return None

    def media_file(self, req: Request) -> Response:
        """Attachment files: original, small preview, or video thumbnail."""
        p = req.params
        media_id = parse_id(p["part"].replace("/", "").lstrip("0") or "0")
        found = self._find_media(req, media_id) if media_id is not None else None
        if found is None:
            return _not_found()
        item, m = found
        asset = LIBRARY.get(m.asset)
        fmt = asset.spec.fmt
        thumb = p["kind"] == "thumbnails"
        name = hex_name(req.site.world.seed, "thumb" if thumb else "media", m.id)
        if thumb:
            ok, variant, data, mime = (fmt == "mp4" and p["style"] == "original"
                                       and p["ext"] == "jpg"), "thumb", asset.small, "image/jpeg"
        elif p["style"] == "small":
            ok, variant, data = fmt in ("jpeg", "png") and p["ext"] == EXT[fmt], "small", \
                asset.small
            mime = MIME[fmt]
        else:
            ok, variant, data, mime = p["ext"] == EXT[fmt], "original", asset.original, MIME[fmt]
        if not ok or p["name"] != name or bool(p["cache"]) == item.account.local:
            return _not_found()
        return self._file(m.asset, variant, data, mime)

    def picture_file(self, req: Request) -> Response:
        """Avatars and header images of accounts."""
        p = req.params
        account = req.site.world.account_by_id(p["part"].replace("/", "").lstrip("0"))
        if account is None:
            return _not_found()
        key = account.avatar if p["what"] == "avatars" else account.header
        if key is None or p["name"] != hex_name(req.site.world.seed, p["what"], account.id) \
                or bool(p["cache"]) == account.local:
            return _not_found()
        asset = LIBRARY.get(key)
        if p["ext"] != EXT[asset.spec.fmt]:
            return _not_found()
        return self._file(key, "original", asset.original, asset.mime)

    def missing(self, req: Request) -> Response:
        """The server's default avatar and header pictures."""
        key = "avatar-missing" if req.params["what"] == "avatars" else "header-missing"
        return self._file(key, "original", LIBRARY.get(key).original, "image/png")
