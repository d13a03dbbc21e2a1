"""Meta's webhook signatures: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
body keyed with the app secret>``."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def signature(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for ``body``."""
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def problem(app_secret: str, body: bytes, header: str | None) -> str | None:
    """Why ``header`` does not prove that Meta sent ``body`` (None when it does). The
    comparison takes constant time; the reason never repeats the header's value."""
    if not header:
        return f"no {HEADER} header"
    if not header.startswith(PREFIX):
        return f"{HEADER} is not a sha256= signature"
    if not hmac.compare_digest(header.strip().encode(), signature(app_secret, body).encode()):
        return f"{HEADER} does not match the body"
    return None
