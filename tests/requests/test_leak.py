"""Leak test: for every kind of response bundle, no redacted or withheld string appears in any
byte of it — HTML, JSON, CSV, the letter's PDF (text layer and raw bytes), image metadata,
file names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.bag import verify_bag
from civicrecords.catalog import Catalog
from civicrecords.environment import utc_iso
from civicrecords.errors import NotFoundError
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.gather import author_refs, thread_refs
from civicrecords.requests.policy import policy_for
from civicrecords.requests.prepare import prepare
from civicrecords.requests.review import Ledger
from civicrecords.requests.store import Request, RequestStore
from civicrecords.requests.worklist import decide, worklist
from tests.requests.bundle_bytes import digits, readable
from tests.requests.conftest import open_with

NUMBER_CATEGORIES = ("ssn", "card", "phone", "mn_dl", "aba_routing", "bank_account")


def _secrets(archive: Archive, request: Request) -> tuple[dict[str, str], set[str]]:
    """(redacted value -> category, withheld texts) of the response as exported, taken from
    the original text in the catalog. Values released to the requester are not secrets."""
    decisions = Ledger(RequestStore(archive).path(request.id)).latest()
    with Catalog(archive.catalog_path) as catalog:
        policy = policy_for(request, decisions, catalog, archive.config)
        prepared = prepare(catalog, archive.config, request, policy, decisions,
                           unreviewed="redact")
        rows = [row for row, _ in prepared.rows]
        versions = catalog.versions_of(row.id for row in rows)
    texts = {(row.ref, v.id, name): getattr(v.item(), name)
             for row in rows for v in versions[row.id] for name in ("text", "title")}
    released = {texts[(c.item_ref, c.version_id, c.field)][c.start:c.end]
                for c in prepared.plan.released_to_requester}
    categories = {(e.item_ref, e.version_id, e.field): e.category for e in prepared.plan.log}
    redacted: dict[str, str] = {}
    for key, spans in prepared.plan.spans.items():
        for span in spans:
            value = texts[key][span.start:span.end]
            if value not in released:
                redacted[value] = categories[key]
    provided = "\n".join(text for (ref, _, _), text in texts.items()
                         if ref not in prepared.withheld)
    withheld = {text for (ref, _, _), text in texts.items()
                if ref in prepared.withheld and len(text) >= 12 and text not in provided}
    return redacted, withheld


def _accept_contact_details(archive: Archive, request: Request) -> None:
    store = RequestStore(archive)
    ledger = Ledger(store.path(request.id))
    with Catalog(archive.catalog_path) as catalog:
        decisions = ledger.latest()
        policy = policy_for(request, decisions, catalog, archive.config)
        entries = worklist(catalog, archive.config, request, policy, decisions)
    chosen = [e for e in entries if e.category in ("phone", "email") and e.status == "undecided"]
    if chosen:
        ledger.record(decide(entries, "accept", categories=["phone", "email"],
                             reason="private contact details", by="test-clerk",
                             at=utc_iso(archive.env.now()), config=archive.config))


def _public_request(archive: Archive, world: object) -> Request:
    with Catalog(archive.catalog_path) as catalog:
        refs: list[str] = []
        for seeded in world.seeded_pii():  # type: ignore[attr-defined]
            try:
                refs += thread_refs(catalog, seeded.item_ref)
            except NotFoundError:  # an item the city's tokens cannot see
                continue
        refs += [row.ref for row in catalog.iter_items("kind = 'media'", limit=12)]
    return open_with(archive, "public", list(dict.fromkeys(refs)))


def _subject_request(archive: Archive) -> Request:
    with Catalog(archive.catalog_path) as catalog:
        refs = author_refs(catalog, ["kia_her"])
        refs += thread_refs(catalog, "116637171008455070")  # two other residents' cards
        refs += author_refs(catalog, ["carlos72"])  # someone else's messages
    return open_with(archive, "subject", list(dict.fromkeys(refs)), handles=["kia_her"],
                     verified=True)


@pytest.mark.parametrize("kind", ["public", "subject"])
def test_no_redacted_or_withheld_string_is_anywhere_in_the_bundle(
        kind: str, sample_copy: Archive, captured: dict, tmp_path: Path) -> None:
    archive = sample_copy
    request = (_public_request(archive, captured["world"]) if kind == "public"
               else _subject_request(archive))
    _accept_contact_details(archive, request)
    out = tmp_path / "bundle"
    export_bundle(archive, request, out, unreviewed="redact")
    request = RequestStore(archive).get(request.id)
    redacted, withheld = _secrets(archive, request)
    assert len(redacted) >= (5 if kind == "public" else 2) and withheld, (redacted, withheld)
    assert {"ssn", "card", "phone", "email"} <= set(redacted.values()) or kind == "subject"
    everything = readable(out)
    assert "Response to" in everything and "[REDACTED" in everything
    for value, category in redacted.items():
        assert value not in everything, (category, value)
        if category in NUMBER_CATEGORIES and len(digits(value)) >= 9:
            assert digits(value) not in everything, (category, value)
    for text in withheld:
        assert text not in everything, text
    for seeded in captured["world"].seeded_pii():
        if seeded.category in ("ssn", "card") and seeded.value in redacted:
            assert digits(seeded.value) not in everything
    assert "CivicCam" not in everything  # the sample photos' EXIF camera make
    media = sorted((out / "data" / "media").glob("*"))
    assert media and all(re.fullmatch(r"\d{5}\.(jpg|png|gif|webp|mp4)", p.name) for p in media)
    assert verify_bag(out, trusted_key=archive.public_key_pem()).ok


def test_the_subject_sees_their_own_data_and_not_others_in_the_same_thread(
        sample_copy: Archive, captured: dict, tmp_path: Path) -> None:
    archive = sample_copy
    request = _subject_request(archive)
    out = tmp_path / "bundle"
    export_bundle(archive, request, out, unreviewed="redact")
    everything = readable(out)
    with Catalog(archive.catalog_path) as catalog:
        authors = {seeded.value: catalog.find(seeded.item_ref).author
                   for seeded in captured["world"].seeded_pii()
                   if _cataloged(catalog, seeded.item_ref)}
        rows = [catalog.find(ref) for ref in request.items]
        asked = "\n".join(v.item().text for vs in catalog.versions_of(r.id for r in rows).values()
                          for v in vs)
    own = [value for value, author in authors.items() if author == "kia_her"]
    others = [value for value, author in authors.items()
              if author != "kia_her" and value in asked]
    assert len(own) == 2  # a phone number in a comment and another in a message
    for value in own:
        assert value in everything, value
    assert len(others) >= 4  # two residents' cards in the thread; carlos72's SSN, card, phone
    for value in others:
        assert value not in everything, value
        assert digits(value) not in everything or len(digits(value)) < 9, value
    with Catalog(archive.catalog_path) as catalog:
        carlos = [catalog.latest(row).item().text
                  for row in map(catalog.find, author_refs(catalog, ["carlos72"]))
                  if row.kind == "message"]  # private: not the subject's conversation
        theirs = {catalog.latest(catalog.find(ref)).item().text
                  for ref in author_refs(catalog, ["kia_her"])}
    distinct = [text for text in carlos if len(text) >= 12 and text not in theirs]
    assert len(distinct) >= 3 and all(text not in everything for text in distinct)
    letter = (out / "data" / "letter.html").read_text()
    assert "identity was verified" in letter and "Minn. Stat. § 13.04, subd. 4" in letter


def _cataloged(catalog: Catalog, item_id: str) -> bool:
    return bool(list(catalog.iter_items("platform_id = ?", (item_id,), limit=1)))
