"""Fast JSON for the capture's hot path: ``orjson`` where it can, the standard library where
it cannot (integers beyond 64 bits, lone surrogates, NaN, a byte-order mark), so every input
the standard library accepts is still accepted and decodes to the same values.

orjson reads an integer beyond 64 bits as an imprecise float instead of refusing it, so text
with a number of 19 or more digits (a string that merely looks like one costs only speed)
goes to the standard library, which keeps every digit."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_LONG_NUMBER = re.compile(rb"(?:^|[:\[,])\s*-?[0-9]{19}")


def _has_long_number(data: bytes) -> bool:
    """True when a JSON number in ``data`` has 19 or more digits. The quick test (any run of
    19 digits, with ``bytes.translate``) is ten times faster than the regular expression,
    which then only runs on text that has such a run (ids in strings, as X sends them)."""
    return b"0" * 19 in data.translate(_DIGITS) and _LONG_NUMBER.search(data) is not None


def loads(data: bytes | str) -> Any:
    """Parse JSON text; raises ``ValueError`` exactly when ``json.loads`` would."""
    if _has_long_number(data.encode("utf-8", "surrogatepass") if isinstance(data, str)
                        else data):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact JSON (no spaces) as UTF-8. Values orjson refuses (huge integers, lone
    surrogates, non-string keys) are written by the standard library with non-ASCII
    escaped, which always encodes; either way ``loads`` gives the value back, except NaN and
    infinities (JSON has no such numbers), which are written as ``null``."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")
