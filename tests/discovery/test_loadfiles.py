"""DAT, OPT and EDRM XML as a loader reads them: bytes, delimiters, paths that exist."""

from __future__ import annotations

import hashlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.discovery.loadfiles import DAT_FIELDS, Delimiters, clean_value, dat_bytes
from civicrecords.discovery.production import export_volume
from tests.discovery.conftest import configure, discovery_request
from tests.discovery.loadfile_reader import read_dat, read_opt

REQUIRED = ("BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "PLATFORM",
            "ACCOUNT", "ITEMID", "PARENTID", "AUTHOR", "DATECREATED", "DATECAPTURED", "URL",
            "MD5HASH", "SHA256HASH", "WARCFILE", "WARCRECORDID", "NATIVELINK", "TEXTLINK",
            "CONFIDENTIALITY", "REDACTED", "REDACTIONBASIS")


def _local(payload: Path, link: str) -> Path:
    assert "/" not in link and not link.startswith("\\"), link
    return payload.joinpath(*link.split("\\"))


def test_dat_parses_and_every_link_exists(production: dict) -> None:
    for volume in production["volumes"]:
        payload = volume.path / "data"
        dat = read_dat((payload / "DATA" / f"LAKESIDE_{volume.volume}.dat").read_bytes())
        assert set(REQUIRED) <= set(dat.header)
        assert len(dat.rows) == volume.documents
        for row in dat.rows:
            assert row["CONFIDENTIALITY"] == "CONFIDENTIAL – SUBJECT TO PROTECTIVE ORDER"
            assert _local(payload, row["TEXTLINK"]).is_file()
            assert _local(payload, row["IMAGELINK"]).is_file()
            if row["WITHHELD"] == "Y":
                assert row["NATIVELINK"] == "" and row["AUTHOR"] == ""
                assert row["REDACTIONBASIS"].startswith("Minn. Stat.")
                continue
            native = _local(payload, row["NATIVELINK"])
            assert native.is_file()
            assert hashlib.sha256(native.read_bytes()).hexdigest() == row["SHA256HASH"]
            assert hashlib.md5(native.read_bytes()).hexdigest() == row["MD5HASH"]
            assert row["WARCRECORDID"].startswith("<urn:uuid:")
            assert (production["archive"].root / row["WARCFILE"]).is_file()


def test_opt_has_one_line_per_page_and_breaks_per_document(production: dict) -> None:
    for volume in production["volumes"]:
        payload = volume.path / "data"
        pages = read_opt((payload / "DATA" / f"LAKESIDE_{volume.volume}.opt").read_bytes())
        dat = read_dat((payload / "DATA" / f"LAKESIDE_{volume.volume}.dat").read_bytes())
        assert len(pages) == volume.pages
        assert sum(p.doc_break for p in pages) == volume.documents
        assert all(p.volume == volume.volume for p in pages)
        assert [p.key for p in pages if p.doc_break] == [r["BEGBATES"] for r in dat.rows]
        for page in pages:
            assert _local(payload, page.path).is_file()
            assert (page.page_count is not None) == page.doc_break
        counts = {r["BEGBATES"]: int(r["PAGECOUNT"]) for r in dat.rows}
        assert all(counts[p.key] == p.page_count for p in pages if p.doc_break)


def test_families_link_posts_and_their_comments(production: dict) -> None:
    volume = production["volumes"][0]
    dat = read_dat((volume.path / "data" / "DATA" / "LAKESIDE_VOL001.dat").read_bytes())
    families = [r for r in dat.rows if r["BEGATTACH"]]
    assert families, "the PII threads are families"
    by_begin = {r["BEGBATES"]: r for r in dat.rows}
    for row in families:
        assert row["BEGATTACH"] <= row["BEGBATES"] <= row["ENDBATES"] <= row["ENDATTACH"]
        parent = by_begin[row["BEGATTACH"]]
        assert parent["BEGATTACH"] == row["BEGATTACH"]
        if row is not parent and parent["WITHHELD"] == "N" and row["WITHHELD"] == "N":
            assert row["PARENTID"], row
    xml = ET.parse(volume.path / "data" / "DATA" / "LAKESIDE_VOL001.xml").getroot()
    documents = xml.findall("./Batch/Documents/Document")
    assert len(documents) == volume.documents
    relations = xml.findall("./Batch/Relationships/Relationship")
    assert len(relations) == sum(1 for r in families if r["BEGATTACH"] != r["BEGBATES"])
    for document in documents:
        for external in document.iter("ExternalFile"):
            path = volume.path / "data" / Path(*external.get("FilePath").split("\\")) / \
                external.get("FileName")
            assert path.is_file()


def test_delimiters_inside_values_never_break_a_row() -> None:
    hostile = "a\x14b\u00fec\u00aed\r\ne\nf\x00g"
    row = {"BEGBATES": "X0000001", "URL": hostile}
    data = dat_bytes([row], Delimiters())
    dat = read_dat(data)
    assert dat.rows[0]["URL"] == "abcd\ne\nfg"
    assert clean_value("x\ry", Delimiters()) == "x\u00aey"
    cp = dat_bytes([{"BEGBATES": "X1", "AUTHOR": "Zoë 🌲"}], Delimiters(encoding="cp1252"))
    assert cp.startswith(b"\xfeBEGBATES\xfe\x14") and b"Zo\xeb ?" in cp
    assert len(read_dat(cp, encoding="cp1252").header) == len(DAT_FIELDS)


def test_cp1252_and_custom_delimiters_with_thread_images(captured: dict, tmp_path: Path
                                                         ) -> None:
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    configure(root, dat_encoding='"cp1252"', dat_separator='"|"', dat_qualifier='"^"',
              dat_newline='"~"', images='"thread"', bates_width="5")
    archive = Archive.open(root, captured["env"])
    with Catalog(archive.catalog_path) as catalog:
        post = next(catalog.iter_items("kind='post' AND platform_id IN (SELECT thread_id FROM "
                                       "items WHERE kind='comment')"))
        refs = [r.ref for r in catalog.thread(post)]
    request = discovery_request(archive, refs, matter="M-2", prefix="CITY-")
    volume = export_volume(archive, request, tmp_path / "out", unreviewed="redact")
    payload = volume.path / "data"
    dat = read_dat((payload / "DATA" / "CITY-_VOL001.dat").read_bytes(), encoding="cp1252",
                   separator="|", qualifier="^", newline="~")
    assert dat.rows[0]["BEGBATES"] == "CITY-00001"
    pages = read_opt((payload / "DATA" / "CITY-_VOL001.opt").read_bytes())
    assert len({p.path for p in pages}) == 1, "one PDF per conversation"
    assert sum(p.doc_break for p in pages) == len(refs)
