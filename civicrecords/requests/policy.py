"""Who may see what in a response: the export policy of public and data-subject requests.

An ``ExportPolicy`` answers three questions for the exporter, the review list and the letter:
``withhold`` (the statute to withhold a whole item under, or None), ``release`` (whether a PII
candidate belongs to the requester and is released to them) and ``needs_look`` (whether a
media item must be looked at by a person before release: software never reads images).

* **public** (Minn. Stat. § 13.03): public items only; not-public items are withheld under
  their classification's basis; a clerk's decision about a whole item wins either way.
* **data subject** (§ 13.04, subd. 3): additionally the subject's own private data — private
  items they wrote, replies to them and the messages of their conversations — and the PII in
  what they wrote is released to them. Everybody else's private data is still redacted or
  withheld, and confidential or nonpublic items are never released to a subject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from civicrecords.catalog import Catalog, ItemRow
from civicrecords.config import Config
from civicrecords.errors import RefusedError
from civicrecords.requests.gather import author_refs
from civicrecords.requests.review import Decision, PiiCandidate, item_key
from civicrecords.requests.store import Request


@dataclass
class ExportPolicy:
    """Who may see what in this export. ``withhold`` returns a basis to withhold a whole
    item (None to include it); ``release`` exempts a candidate from redaction;
    ``needs_look`` is True for media a person must review before release."""

    withhold: Callable[[ItemRow], str | None]
    release: Callable[[PiiCandidate], bool] | None = None
    needs_look: Callable[[ItemRow], bool] | None = None


def _needs_look(catalog: Catalog, config: Config, own: Callable[[ItemRow], bool]
                ) -> Callable[[ItemRow], bool]:
    """Media a person must look at: every attachment ("all"), attachments of anything but
    the city's own posts ("contributed"), or none; never the requester's own media."""
    mode = config.redaction.review_images

    def check(row: ItemRow) -> bool:
        if row.kind != "media" or mode == "none" or own(row):
            return False
        if mode == "all" or not row.parent_id:
            return True
        rows = list(catalog.iter_items("platform = ? AND account = ? AND platform_id = ?",
                                       (row.platform, row.account, row.parent_id), limit=1))
        return not rows or rows[0].kind != "post"

    return check


def public_policy(decisions: dict[str, Decision], catalog: Catalog | None = None,
                  config: Config | None = None) -> ExportPolicy:
    """Public requesters get public data only: not-public items are withheld under their
    classification's basis; a clerk's item decision overrides either way. With ``catalog``
    and ``config``, media are flagged for a person's look per ``[redaction] review_images``."""

    def withhold(item: ItemRow) -> str | None:
        decision = decisions.get(item_key(item.ref))
        if decision is not None:
            return decision.basis if decision.action == "withhold" else None
        if not item.is_public:
            return item.legal_basis or "not public data"
        return None

    look = _needs_look(catalog, config, lambda row: False) if catalog and config else None
    return ExportPolicy(withhold=withhold, needs_look=look)


def subject_policy(request: Request, decisions: dict[str, Decision], catalog: Catalog,
                   config: Config) -> ExportPolicy:
    """The data subject's policy (see module docstring). Raises ``RefusedError`` when the
    request names no handle of the subject."""
    if not request.subject_handles:
        raise RefusedError(f"request {request.id} names no handle of the data subject; add "
                           f"one with 'civicrecords request identity {request.id} --handle'")
    handles = set(request.subject_handles)
    connected = set(author_refs(catalog, sorted(handles)))

    def own(row: ItemRow) -> bool:
        return (row.author or "").lower() in handles

    owned: dict[str, bool] = {}

    def owns(ref: str) -> bool:
        if ref not in owned:
            owned[ref] = own(catalog.find(ref))
        return owned[ref]

    def withhold(item: ItemRow) -> str | None:
        decision = decisions.get(item_key(item.ref))
        if decision is not None:
            return decision.basis if decision.action == "withhold" else None
        if item.is_public or (item.classification == "private" and item.ref in connected):
            return None
        return item.legal_basis or "not public data"

    return ExportPolicy(withhold=withhold, release=lambda c: owns(c.item_ref),
                        needs_look=_needs_look(catalog, config, own))


def policy_for(request: Request, decisions: dict[str, Decision], catalog: Catalog,
               config: Config) -> ExportPolicy:
    """The policy of a request: the data subject's, the public one with media looks, or for
    discovery the one its productions apply (``public_policy`` without media looks)."""
    if request.kind == "subject":
        return subject_policy(request, decisions, catalog, config)
    if request.kind == "public":
        return public_policy(decisions, catalog, config)
    return public_policy(decisions)


def require_data_practices(request: Request) -> None:
    """Raise ``RefusedError`` for a discovery request: response bundles, letters and fees
    are for public and data subject requests (discovery is produced in volumes)."""
    if request.kind not in ("public", "subject"):
        raise RefusedError(f"request {request.id} is a {request.kind} request; produce it "
                           f"with 'civicrecords request export {request.id}' (volumes), not "
                           "a response bundle, letter or fee")


def require_verified(request: Request) -> None:
    """Raise ``RefusedError`` unless the requester may receive the response: a public or
    data subject request, and a data subject's identity verified (and how recorded)."""
    require_data_practices(request)
    if request.kind == "subject" and not request.identity.get("method"):
        raise RefusedError(f"the identity of the data subject of {request.id} has not been "
                           f"verified; record how with 'civicrecords request identity "
                           f"{request.id} --identity-method ... --verified-by ...'")
