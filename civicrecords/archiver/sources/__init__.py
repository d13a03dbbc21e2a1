"""Platform sources, all behind the ``Source`` protocol (see ``base``).

``source_for(account)`` returns the source that captures an account's platform.
"""

from __future__ import annotations

from civicrecords.archiver.sources.base import Source
from civicrecords.archiver.sources.bluesky import BlueskySource
from civicrecords.archiver.sources.facebook import FacebookSource
from civicrecords.archiver.sources.feed import FeedSource
from civicrecords.archiver.sources.instagram import InstagramSource
from civicrecords.archiver.sources.mastodon import MastodonSource
from civicrecords.archiver.sources.x import XSource
from civicrecords.archiver.sources.youtube import YouTubeSource
from civicrecords.config import AccountConfig
from civicrecords.errors import ConfigError

SOURCES: dict[str, type] = {
    MastodonSource.platform: MastodonSource,
    XSource.platform: XSource,
    YouTubeSource.platform: YouTubeSource,
    BlueskySource.platform: BlueskySource,
    FeedSource.platform: FeedSource,
    FacebookSource.platform: FacebookSource,
    InstagramSource.platform: InstagramSource,
}


def source_for(account: AccountConfig) -> Source:
    """A new source instance for ``account``; ``ConfigError`` for an unsupported platform."""
    try:
        cls = SOURCES[account.platform]
    except KeyError:
        raise ConfigError(
            f"account {account.name!r}: platform {account.platform!r} is not supported yet"
        ) from None
    source: Source = cls(account)
    return source
