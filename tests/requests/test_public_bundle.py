"""A public request from open to verified bundle: redaction, withholding, BagIt, signature."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import bagit
import pytest
from PIL import Image

from civicrecords.archive import Archive
from civicrecords.bag import verify_bag
from civicrecords.catalog import Catalog
from civicrecords.errors import RefusedError
from civicrecords.requests.bundle import export_bundle
from civicrecords.requests.gather import add_items, query_refs
from civicrecords.requests.store import RequestStore
from civicrecords.search.backend import SearchQuery
from civicrecords.search.service import open_backend
from tests.support.sample_archive import every_byte


@pytest.fixture
def archive(captured: dict, tmp_path: Path) -> Archive:
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    return Archive.open(root, captured["env"])


def _request_with(archive: Archive, refs: list[str]):
    store = RequestStore(archive)
    request = store.create(kind="public", received=archive.env.now(), requester={},
                           channel="email", description="test", details={})
    add_items(request, refs, {"type": "test"}, "test-clerk", archive.env.now())
    store.save(request, "request.add", added=len(refs))
    return request


def _pii_refs(archive: Archive, world, categories: set[str]) -> list[str]:
    with Catalog(archive.catalog_path) as catalog:
        refs = []
        for seeded in world.seeded_pii():
            if seeded.category in categories:
                try:
                    item = catalog.find(seeded.item_ref)
                except Exception:  # an item the city's token cannot see
                    continue
                refs.extend(r.ref for r in catalog.thread(item))
    return list(dict.fromkeys(refs))


def test_export_refuses_while_candidates_are_undecided(archive: Archive, captured: dict,
                                                       tmp_path: Path) -> None:
    request = _request_with(archive, _pii_refs(archive, captured["world"], {"phone", "email"}))
    with pytest.raises(RefusedError, match="await review"):
        export_bundle(archive, request, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_public_bundle_has_no_ssn_or_card_and_validates(archive: Archive, captured: dict,
                                                        tmp_path: Path) -> None:
    world = captured["world"]
    refs = _pii_refs(archive, world, {"ssn", "card", "phone", "email"})
    with Catalog(archive.catalog_path) as catalog:
        backend = open_backend(archive.root, archive.config)
        refs += query_refs(catalog, backend, SearchQuery(text="*", kinds=("media",)),
                           archive.audit)[:10]
        backend.close()
    request = _request_with(archive, refs)
    out = tmp_path / "bundle"
    result = export_bundle(archive, request, out, unreviewed="release")
    assert result.redactions > 0
    everything = every_byte(out)
    for seeded in world.seeded_pii():
        if seeded.category in ("ssn", "card"):
            assert seeded.value.encode() not in everything, seeded
            digits = "".join(ch for ch in seeded.value if ch.isdigit())
            assert digits.encode() not in everything
    bag = bagit.Bag(str(out))
    bag.validate()  # bagit-python's own validator, with checksums
    assert verify_bag(out).ok
    log = list(csv.DictReader(io.StringIO((out / "data" / "redactions.csv").read_text())))
    assert {row["category"] for row in log if row["action"] == "redacted"} >= {"ssn"}
    assert all(row["basis"].startswith("Minn. Stat.") for row in log)
    items = [json.loads(line) for line in (out / "data" / "items.jsonl").read_text().splitlines()]
    assert len(items) == len(set(refs)) and any("[REDACTED – Minn. Stat. § 13.355]" in
                                           v["text"] for i in items for v in i.get("versions", []))
    index = (out / "data" / "index.html").read_text()
    assert "<script" not in index and "Content-Security-Policy" in index
    images = list((out / "data" / "media").glob("*.jpg"))
    assert images
    for image in images:
        with Image.open(image) as opened:
            assert not opened.getexif(), image.name


def test_private_messages_are_withheld_from_public_bundles(archive: Archive, tmp_path: Path
                                                          ) -> None:
    with Catalog(archive.catalog_path) as catalog:
        messages = [row for row in catalog.iter_items("kind='message'", limit=5)]
        texts = [catalog.latest(row).item().text for row in messages]
    request = _request_with(archive, [row.ref for row in messages])
    out = tmp_path / "bundle"
    result = export_bundle(archive, request, out, unreviewed="redact")
    assert result.withheld == len(messages)
    everything = every_byte(out)
    for text in texts:
        assert text.encode() not in everything


def test_any_changed_byte_fails_bundle_verify(archive: Archive, captured: dict,
                                              tmp_path: Path) -> None:
    request = _request_with(archive, _pii_refs(archive, captured["world"], {"ssn"})[:5])
    out = tmp_path / "bundle"
    export_bundle(archive, request, out, unreviewed="redact")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 0x20]))
        report = verify_bag(out)
        assert not report.ok, path
        relative = path.relative_to(out).as_posix()
        assert any(p.path == relative or relative.startswith("tagmanifest-sha256.txt")
                   or p.path == "tagmanifest-sha256.txt.sig" for p in report.problems), relative
        path.write_bytes(original)
    assert verify_bag(out).ok
