"""X's media hosts for the sample world: photos, video variants, GIFs, previews, avatars.

Paths mirror X's CDNs with the host folded into the path: ``/pbs.twimg.com/media/<15
chars>.jpg`` (the name carries the media id and a check), ``/pbs.twimg.com/ext_tw_video_thumb/
<id>/pu/img/<name>.jpg``, ``/video.twimg.com/ext_tw_video/<id>/pu/vid/<W>x<H>/<name>.mp4``
(two sizes) and its ``.m3u8`` playlist, ``/pbs.twimg.com/tweet_video_thumb/<name>.jpg`` and
``/video.twimg.com/tweet_video/<name>.mp4`` for GIFs, ``/pbs.twimg.com/profile_images/<user
id>/<name>_normal.<ext>``. A path answers only when every part matches a file of an item that
exists in the current state; anything else is an empty 404.
"""

from __future__ import annotations

from civicrecords.archiver.sample import x_entities as ent
from civicrecords.archiver.sample.ids import hex_name
from civicrecords.archiver.sample.media import EXT, LIBRARY, MIME
from civicrecords.archiver.sample.model import Media
from civicrecords.archiver.sample.routing import Request, Response


class XFiles:
    """Handlers for the media routes of ``XPlatform``."""

    def _media(self, req: Request, media_id: int | None) -> Media | None:
        world = req.site.world
        if media_id is None:
            return None
        for a in range(4):
            ref = world.decode(media_id + ((1000 + a) << 16))
            if ref is None or not world.exists(*ref, req.state):
                continue
            for m in world.item_at(*ref, req.state).media:
                if m.id == str(media_id):
                    return m
        return None

    @staticmethod
    def _file(data: bytes, mime: str, key: str) -> Response:
        return Response(200, data, mime, [("Cache-Control", "max-age=604800, must-revalidate"),
                                          ("ETag", f'"{hex_name("x-file", key)}"')],
                        api=False, compressible=False)

    @staticmethod
    def _gone() -> Response:
        return Response(404, b"", "text/plain", api=False)

    def photo_file(self, req: Request) -> Response:
        """A photo (``pbs.twimg.com/media``)."""
        name = req.params["name"]
        m = self._media(req, ent.decode_id(name[:11]))
        if m is None or m.kind != "image" or ent.media_name(req.site.world.seed, m.id) != name:
            return self._gone()
        asset = LIBRARY.get(m.asset)
        if req.params["ext"] != EXT[asset.spec.fmt]:
            return self._gone()
        return self._file(asset.original, asset.mime, m.asset)

    def video_thumb(self, req: Request) -> Response:
        """The preview image of a video."""
        m = self._media(req, int(req.params["id"]))
        if m is None or m.kind != "video" or \
                req.params["name"] != hex_name(req.site.world.seed, "x-thumb", m.id, length=15):
            return self._gone()
        return self._file(LIBRARY.get(m.asset).small, "image/jpeg", f"{m.asset}:thumb")

    def video_file(self, req: Request) -> Response:
        """One MP4 variant of a video."""
        m = self._media(req, int(req.params["id"]))
        if m is None or m.kind != "video" or \
                req.params["name"] != hex_name(req.site.world.seed, "x-video", m.id, length=16):
            return self._gone()
        asset = LIBRARY.get(m.asset)
        sizes = {f"{asset.spec.width}x{asset.spec.height}",
                 f"{asset.spec.width // 2}x{asset.spec.height // 2}"}
        if req.params["size"] not in sizes:
            return self._gone()
        return self._file(asset.original, MIME["mp4"], f"{m.asset}:{req.params['size']}")

    def video_playlist(self, req: Request) -> Response:
        """The HLS playlist of a video (text)."""
        m = self._media(req, int(req.params["id"]))
        if m is None or m.kind != "video":
            return self._gone()
        spec = LIBRARY.get(m.asset).spec
        body = (f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=832000,RESOLUTION={spec.width}x"
                f"{spec.height}\n/ext_tw_video/{m.id}/pu/pl/{spec.width}x{spec.height}/"
                f"{req.params['name']}.m3u8\n").encode()
        return Response(200, body, "application/x-mpegURL", api=False)

    def gif_thumb(self, req: Request) -> Response:
        """The preview image of an animated GIF."""
        return self._gif(req, thumb=True)

    def gif_file(self, req: Request) -> Response:
        """An animated GIF, as X serves it: an MP4."""
        return self._gif(req, thumb=False)

    def _gif(self, req: Request, thumb: bool) -> Response:
        name = req.params["name"]
        m = self._media(req, ent.decode_id(name[:11]))
        if m is None or m.kind != "gifv" or ent.media_name(req.site.world.seed, m.id) != name:
            return self._gone()
        asset = LIBRARY.get(m.asset)
        if thumb:
            return self._file(asset.small, "image/jpeg", f"{m.asset}:thumb")
        return self._file(asset.original, MIME["mp4"], m.asset)

    def profile_image(self, req: Request) -> Response:
        """An account's profile picture."""
        world = req.site.world
        account = world.account_by_id(req.params["id"])
        if account is None or req.params["name"] != hex_name(world.seed, "x-avatar",
                                                             account.id, length=8):
            return self._gone()
        asset = LIBRARY.get(account.avatar or "avatar-missing")
        if req.params["ext"] != EXT[asset.spec.fmt]:
            return self._gone()
        return self._file(asset.original, asset.mime, asset.spec.key)
