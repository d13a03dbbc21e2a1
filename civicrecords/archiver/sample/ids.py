"""Deterministic numbers for the sample world: hashing, snowflake ids and the world's clock.

Every decision the world makes is a pure function of the seed and an index, so nothing has
to be stored: ``mix`` is a SplitMix64 hash over integers, and ``Snowflakes`` turns a
(second, reference) pair into a Mastodon-style id and back.

Ids look and sort like Mastodon's: ``(milliseconds since the epoch << 16) | 16 low bits``, as
decimal strings. The millisecond part and the low 16 bits together (26 bits) carry a scrambled
*reference* (which thread and which slot of it), so an id decodes back to its item in O(1)
without any table. Guarantees: ids strictly increase with the item's ``created_at`` (same
second: arbitrary but fixed order), distinct references give distinct ids, and
``Snowflakes.decode(Snowflakes.encode(s, r)) == (s, r)``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

MASK64 = (1 << 64) - 1
REF_SPACE = 1000 * 65536  # milliseconds x low 16 bits
_MULT = 2_654_435_761 % REF_SPACE  # odd and not a multiple of 5, so invertible mod REF_SPACE
_MULT_INV = pow(_MULT, -1, REF_SPACE)

#: The initial state's posts fall in [WORLD_START, WORLD_END); the "later" state adds items after.
WORLD_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
WORLD_END = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
LATER_START = WORLD_END
LATER_END = int(datetime(2026, 11, 15, tzinfo=UTC).timestamp())


def mix(*values: int) -> int:
    """Return a well-spread 64-bit hash of ``values`` (SplitMix64 folded over them)."""
    x = 0x243F6A8885A308D3
    for value in values:
        x = (x ^ (value & MASK64)) + 0x9E3779B97F4A7C15 & MASK64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & MASK64
        x ^= x >> 31
    return x


def unit(value: int) -> float:
    """Map a 64-bit hash to a float in [0, 1)."""
    return (value >> 11) * (1.0 / (1 << 53))


def seed_key(seed: int | str) -> int:
    """Return a 64-bit key for ``seed`` (any int or string; stable across runs and platforms)."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def hex_name(*parts: object, length: int = 16) -> str:
    """Return ``length`` lowercase hex digits derived from ``parts`` (file names, request ids)."""
    data = "|".join(str(p) for p in parts).encode()
    return hashlib.blake2b(data, digest_size=(length + 1) // 2).hexdigest()[:length]


class Snowflakes:
    """Encode and decode (unix second, reference) pairs as Mastodon-style snowflake ids.

    ``salt`` makes different worlds (seeds) and different id spaces (statuses, accounts) give
    different ids for the same reference. References must be in ``[0, REF_SPACE)``.
    """

    def __init__(self, salt: int) -> None:
        self._salt = salt % REF_SPACE

    def encode(self, second: int, ref: int) -> int:
        """Return the integer id for ``ref`` created at unix time ``second``."""
        if not 0 <= ref < REF_SPACE:
            raise ValueError(f"reference {ref} outside the id space")
        scrambled = (ref * _MULT + self._salt) % REF_SPACE
        millis, low = divmod(scrambled, 65536)
        return ((second * 1000 + millis) << 16) | low

    def decode(self, value: int) -> tuple[int, int]:
        """Return ``(second, ref)`` for an id made by ``encode`` (garbage in, garbage out)."""
        stamp, low = value >> 16, value & 0xFFFF
        second, millis = divmod(stamp, 1000)
        ref = ((millis * 65536 + low - self._salt) * _MULT_INV) % REF_SPACE
        return second, ref

    @staticmethod
    def millis(value: int) -> int:
        """Return the creation time of an id in milliseconds since the epoch."""
        return value >> 16


def parse_id(text: str | None) -> int | None:
    """Return the integer in a decimal id string, or None when it is absent or not an id."""
    if not text or not text.isdigit() or len(text) > 19:
        return None
    return int(text)


def iso_millis(millis: int) -> str:
    """Format epoch milliseconds the way Mastodon's API does: ``2026-03-04T05:06:07.089Z``."""
    second, ms = divmod(millis, 1000)
    stamp = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms:03d}Z"


def to_datetime(millis: int) -> datetime:
    """Return an aware UTC datetime for epoch milliseconds."""
    return datetime.fromtimestamp(millis / 1000, UTC)
