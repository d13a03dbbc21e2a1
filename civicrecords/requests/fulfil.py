"""Closing a request by recording what was delivered: which bundle (its signed tag manifest's
SHA-256), how, when, by whom, and the fee.

``fulfil`` refuses unless the bundle on disk verifies completely against the archive's own
public key, is one this request exported, and the request has not changed since (new items
or decisions would make the delivered bundle stale). Audited as ``request.fulfil``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from civicrecords.archive import Archive
from civicrecords.bag import verify_bag
from civicrecords.environment import utc_iso
from civicrecords.errors import IntegrityError, RefusedError
from civicrecords.integrity.hashing import sha256_bytes
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import Request, RequestStore


@dataclass(frozen=True)
class Fulfilment:
    """What was recorded."""

    request_id: str
    bundle: str
    tagmanifest_sha256: str
    delivered_at: str
    via: str
    fee_total: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def decision_count(archive: Archive, request: Request) -> int:
    """How many decisions the request's ledger holds (exports record it to detect change)."""
    return len(Ledger(RequestStore(archive).path(request.id)).entries())


def _export_for(request: Request, bundle: Path | None) -> dict[str, Any]:
    if not request.exports:
        raise RefusedError(f"request {request.id} has no export yet; build the bundle with "
                           f"'civicrecords request export {request.id}'")
    if bundle is None:
        return request.exports[-1]
    target = str(bundle.expanduser().resolve())
    for export in reversed(request.exports):
        if export["path"] == target:
            return export
    digest = _tagmanifest_digest(bundle)
    for export in reversed(request.exports):
        if export["tagmanifest_sha256"] == digest:
            return export
    raise RefusedError(f"{bundle} is not a bundle exported for request {request.id}")


def _tagmanifest_digest(bundle: Path) -> str:
    path = bundle / "tagmanifest-sha256.txt"
    if not path.exists():
        raise RefusedError(f"{bundle}: not a bundle (no tagmanifest-sha256.txt)")
    return sha256_bytes(path.read_bytes())


def fulfil(archive: Archive, request: Request, *, bundle: Path | None = None, via: str,
           delivered_at: datetime | None = None) -> Fulfilment:
    """Record the delivery of ``bundle`` (default: the latest export) and close the request.

    Raises ``RefusedError`` when the request is closed, has no export, the bundle is not
    this request's or is missing, or the request changed after the export;
    ``IntegrityError`` (with every problem) when the bundle does not verify.
    """
    store = RequestStore(archive)
    if not request.is_open:
        raise RefusedError(f"request {request.id} is {request.status}; it cannot change")
    export = _export_for(request, bundle)
    path = Path(export["path"])
    if not path.exists():
        raise RefusedError(f"bundle {path} is gone; give the delivered copy with --bundle")
    if request.status != "ready" or export is not request.exports[-1] or \
            export.get("request_items", len(request.items)) != len(request.items) or \
            export.get("decisions", decision_count(archive, request)) != \
            decision_count(archive, request):
        raise RefusedError(f"request {request.id} changed after bundle {path} was built; "
                           "export it again before recording delivery")
    report = verify_bag(path, trusted_key=archive.public_key_pem())
    if not report.ok:
        raise IntegrityError(f"bundle {path} does not verify ({len(report.problems)} "
                             "problem(s)); it cannot be recorded as delivered",
                             problems=report.problems)
    digest = _tagmanifest_digest(path)
    if digest != export["tagmanifest_sha256"]:
        raise IntegrityError(f"bundle {path} is not the one exported (tag manifest differs)")
    when = utc_iso(delivered_at or archive.env.now())
    result = Fulfilment(request.id, str(path), digest, when, via,
                        str(export.get("fee_total", "")))
    request.status = "fulfilled"
    request.closure = {"status": "fulfilled", **result.to_dict(),
                       "at": utc_iso(archive.env.now()), "by": archive.env.operator_name}
    store.save(request, "request.fulfil", bundle=str(path), tagmanifest_sha256=digest,
               delivered_at=when, via=via, fee_total=result.fee_total)
    return result
