"""The bundled sample platform: the fictional City of Lakeside, MN, served over loopback HTTP.

The demo, the tests and the benchmarks capture from it instead of the internet. It has three
layers, each usable alone:

``world``      ``World(seed, posts)``: a deterministic, lazily generated, platform-neutral
               world (accounts, posts, threaded replies, direct messages, media, polls, edits,
               planted personal data and hostile content) in two states, "initial" and
               "later", with ground-truth queries for tests (``posts``, ``comments_of``,
               ``messages``, ``timeline``, ``seeded_pii``, ``hostile_items``, ``changes``).
``mastodon``   ``MastodonPlatform``: the world rendered as the Mastodon 4.x REST API, with
               Mastodon's field names, pagination ``Link`` headers, auth and visibility rules,
               context limits, edit history and media files.
``server``     ``SamplePlatform``: an HTTP/1.1 keep-alive server on 127.0.0.1 in a background
               thread, with state switching, deterministic fault injection (``faults``),
               gzip and chunked responses (``transport.Encoding``), ``X-RateLimit-*`` headers,
               request statistics and ``/_sample/`` admin endpoints.

Adding another platform (Facebook, Instagram, X, YouTube, Bluesky, RSS...): write a renderer
with a ``name`` and a ``routes()`` method returning ``routing.Route`` objects (method, full-match
path regex, handler, name, ``api``), whose handlers take a ``routing.Request`` and return a
``routing.Response``; read the world and the current state from ``request.site.world`` and
``request.state``; then ``platform.register(renderer)``. Routes are tried in registration
order, so give each platform its own path prefix (e.g. ``/v19.0/`` for the Graph API,
``/2/`` for X) or its own distinctive paths. Faults, rate-limit headers (for ``api=True``
routes), compression, chunking and statistics then apply to the new routes unchanged. Keep
the world platform-neutral: ids are snowflake-style decimal strings, text is plain text with
``@user``/``#tag``/URLs; renderers derive their own id formats and markup from them.

Run it by hand with ``python -m civicrecords.archiver.sample --port 8080 --posts 300``.
"""

from civicrecords.archiver.sample.faults import FAULT_KINDS, FaultPlan
from civicrecords.archiver.sample.mastodon import MastodonPlatform
from civicrecords.archiver.sample.model import (
    Account,
    Changes,
    HostileItem,
    Item,
    Media,
    MediaChange,
    Poll,
    SeededPII,
    Version,
)
from civicrecords.archiver.sample.routing import Platform, Request, Response, Route
from civicrecords.archiver.sample.server import MASTODON_RATE_LIMIT, RateLimit, SamplePlatform
from civicrecords.archiver.sample.transport import Encoding
from civicrecords.archiver.sample.world import World

__all__ = [
    "FAULT_KINDS",
    "MASTODON_RATE_LIMIT",
    "Account",
    "Changes",
    "Encoding",
    "FaultPlan",
    "HostileItem",
    "Item",
    "MastodonPlatform",
    "Media",
    "MediaChange",
    "Platform",
    "Poll",
    "RateLimit",
    "Request",
    "Response",
    "Route",
    "SamplePlatform",
    "SeededPII",
    "Version",
    "World",
]
