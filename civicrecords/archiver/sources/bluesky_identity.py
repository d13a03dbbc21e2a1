"""Who a Bluesky account is: DID documents, handles, profiles and access tokens (pure).

A handle (``lakesidemn.example``) resolves to a DID (``com.atproto.identity.resolveHandle``);
the DID's document (from the PLC directory for ``did:plc``, from the host for ``did:web``)
names the account's PDS (where its original blobs and records live, and through which chat
is proxied) and the handles it claims, so a handle is trusted only when both directions
agree.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from civicrecords.archiver.sources.bluesky_records import actor


def did_document_pds(doc: Any) -> str | None:
    """The ``#atproto_pds`` service endpoint of a DID document (no trailing slash)."""
    if not isinstance(doc, dict):
        return None
    for service in doc.get("service") or []:
        if not isinstance(service, dict):
            continue
        if str(service.get("id", "")).endswith("#atproto_pds") or \
                service.get("type") == "AtprotoPersonalDataServer":
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    return None


def did_document_handles(doc: Any) -> list[str]:
    """The handles a DID document claims (``alsoKnownAs`` ``at://`` entries)."""
    if not isinstance(doc, dict):
        return []
    return [a[5:] for a in doc.get("alsoKnownAs") or [] if isinstance(a, str)
            and a.startswith("at://")]


def did_document_url(did: str, plc_directory: str) -> str | None:
    """Where a DID's document lives: the PLC directory for ``did:plc``, the host's
    ``/.well-known/did.json`` for ``did:web``; None for other methods."""
    if did.startswith("did:plc:"):
        return f"{plc_directory.rstrip('/')}/{did}"
    if did.startswith("did:web:"):
        host = did[8:].replace("%3A", ":").replace("%3a", ":")
        return f"https://{host}/.well-known/did.json" if "/" not in host else None
    return None


def profile_summary(profile: Any) -> dict[str, Any]:
    """What a capture keeps of ``app.bsky.actor.getProfile``: identity, counts, labels."""
    who = actor(profile)
    data = profile if isinstance(profile, dict) else {}
    return {"did": who.did, "handle": who.handle, "display_name": who.name,
            "posts_count": data.get("postsCount"), "followers_count": data.get("followersCount"),
            "follows_count": data.get("followsCount"), "labels": list(who.labels),
            "created_at": data.get("createdAt")}


def jwt_expiry(token: str) -> str | None:
    """The ``exp`` claim of a JWT access token as an ISO time (unverified: for reporting
    when the token runs out); None when the token is not a JWT or has no ``exp``."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
        stamp = int(claims["exp"])
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError):
        return None
    try:
        moment = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
