"""A discovery production of the sample archive: two volumes of one matter, read-only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.discovery.production import export_volume
from civicrecords.requests.gather import add_items
from civicrecords.requests.store import Request, RequestStore

MATTER = "2026-CV-0142"
PREFIX = "LAKESIDE"
LEGEND = "CONFIDENTIAL – SUBJECT TO PROTECTIVE ORDER"


def configure(archive_root: Path, **settings: str) -> None:
    """Change ``[discovery]`` settings in an archive's config (keys already present)."""
    path = archive_root / "civicrecords.toml"
    text = path.read_text("utf-8")
    lines = text.splitlines()
    start = lines.index("[discovery]")
    for key, value in settings.items():
        for index in range(start, len(lines)):
            if lines[index].startswith(f"{key} ="):
                lines[index] = f"{key} = {value}"
                break
        else:
            raise AssertionError(f"{key} not in [discovery]")
    path.write_text("\n".join(lines) + "\n", "utf-8")


def discovery_request(archive: Archive, refs: list[str], *, matter: str = MATTER,
                      prefix: str = PREFIX, legend: str = LEGEND) -> Request:
    store = RequestStore(archive)
    request = store.create(kind="discovery", received=archive.env.now(), requester={},
                           channel="subpoena", description="test",
                           details={"matter": matter, "bates_prefix": prefix,
                                    "confidentiality": legend})
    add_items(request, refs, {"type": "test"}, "test-clerk", archive.env.now())
    store.save(request, "request.add", added=len(refs))
    return request


def pii_threads(archive: Archive, world, categories: set[str]) -> list[str]:
    refs: list[str] = []
    with Catalog(archive.catalog_path) as catalog:
        for seeded in world.seeded_pii():
            if seeded.category not in categories:
                continue
            rows = catalog.iter_items("platform_id = ?", (seeded.item_ref,))
            for row in rows:
                refs.extend(r.ref for r in catalog.thread(row))
    return list(dict.fromkeys(refs))


@pytest.fixture(scope="module")
def production(captured: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two volumes of one matter: VOL001 (PII threads, direct messages, posts with media),
    VOL002 (more posts, a later request of the same matter). Read-only."""
    tmp = tmp_path_factory.mktemp("production")
    root = tmp / "archive"
    shutil.copytree(captured["archive"].root, root)
    configure(root, edrm_xml="true")
    archive = Archive.open(root, captured["env"])
    world = captured["world"]
    first_refs = pii_threads(archive, world, {"ssn", "card", "phone", "email"})
    with Catalog(archive.catalog_path) as catalog:
        messages = [r.ref for r in catalog.iter_items("kind='message'", limit=4)]
        media_posts = [r.ref for row in catalog.iter_items(
            "kind='media' AND parent_id IS NOT NULL", limit=3)
            for r in catalog.thread(catalog.find(f"{row.platform}:{row.account}:"
                                                 f"{row.parent_id}"))]
        later = [r.ref for r in catalog.iter_items("kind='post'", limit=60)][-12:]
    first = discovery_request(archive, list(dict.fromkeys(first_refs + messages + media_posts)))
    out = tmp / "production"
    volume1 = export_volume(archive, first, out, unreviewed="redact")
    second = discovery_request(archive, later)
    volume2 = export_volume(archive, second, out, unreviewed="redact")
    return {"archive": archive, "world": world, "out": out, "volumes": [volume1, volume2],
            "requests": [first, second], "messages": messages}
