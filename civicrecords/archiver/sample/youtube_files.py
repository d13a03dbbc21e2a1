"""YouTube's file hosts for the sample world: video thumbnails and channel pictures.

``/i.ytimg.com/vi/<video id>/{default,mqdefault,hqdefault,sddefault,maxresdefault}.jpg`` (the
post's first photo, or a default picture) and ``/yt3.ggpht.com/ytc/<name>=s88-...`` (the
account's avatar). Registered as a renderer of its own, so faults and throttling on these
paths are a CDN's plain answers, not the Data API's JSON errors.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from civicrecords.archiver.sample.ids import hex_name
from civicrecords.archiver.sample.media import LIBRARY
from civicrecords.archiver.sample.model import Account
from civicrecords.archiver.sample.routing import Request, Response, Route

if TYPE_CHECKING:
    from civicrecords.archiver.sample.youtube import YouTubePlatform


class YouTubeFiles:
    """Thumbnail and channel-picture routes of a ``YouTubePlatform``."""

    name = "youtube-files"

    def __init__(self, api: YouTubePlatform) -> None:
        self.api = api
        self._avatars: dict[int, dict[str, Account]] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """Both file routes."""
        return [
            Route("GET", r"/i\.ytimg\.com/vi/(?P<id>[A-Za-z0-9_-]{11})/(?P<size>default|"
                  r"mqdefault|hqdefault|sddefault|maxresdefault)\.jpg", self.thumbnail,
                  "youtube.thumbnail", api=False),
            Route("GET", r"/yt3\.ggpht\.com/ytc/(?P<name>[0-9a-f]{16})=s88-c-k-c0x00ffffff-no-rj",
                  self.avatar, "youtube.avatar", api=False),
        ]

    def thumbnail(self, req: Request) -> Response:
        """A video's thumbnail (JPEG): the post's first picture, or the city's default."""
        item = self.api.video(req.site.world, req.params["id"], req.state)
        if item is None:
            return Response(404, b"", "text/plain", api=False)
        pictures = [m.asset for m in item.media if m.kind == "image"
                    and LIBRARY.get(m.asset).spec.fmt == "jpeg"]
        asset = LIBRARY.get(pictures[0] if pictures else "lake")
        large = req.params["size"] in ("sddefault", "maxresdefault")
        data = asset.original if large else asset.small
        return Response(200, data, "image/jpeg",
                        [("Cache-Control", "public, max-age=7200"),
                         ("ETag", f'"{hex_name("yt-thumb", item.id, large)}"')],
                        api=False, compressible=False)

    def avatar(self, req: Request) -> Response:
        """A channel's picture."""
        world = req.site.world
        with self._lock:
            names = self._avatars.get(id(world))
            if names is None:
                names = {hex_name(world.seed, "yt-avatar", a.id): a for a in world.accounts()}
                self._avatars[id(world)] = names
        account = names.get(req.params["name"])
        if account is None:
            return Response(404, b"", "text/plain", api=False)
        asset = LIBRARY.get(account.avatar or "avatar-missing")
        return Response(200, asset.original, asset.mime, [("Cache-Control", "max-age=86400")],
                        api=False, compressible=False)
