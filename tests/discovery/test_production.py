"""Production volumes: Bates numbers on the pages, natives byte for byte, WACZ, redaction,
verification by the recipient, and refusals that leave nothing behind."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import bagit
import pytest
from pypdf import PdfReader
from wacz.main import main as wacz_main

from civicrecords.archive import Archive
from civicrecords.bag import verify_bag
from civicrecords.catalog import Catalog
from civicrecords.discovery.bates import MATTERS_DIR
from civicrecords.discovery.natives import verify_wacz_signature
from civicrecords.discovery.production import export_volume
from civicrecords.errors import IntegrityError, RefusedError
from civicrecords.requests import redact
from civicrecords.requests.review import candidates_for
from tests.discovery.conftest import LEGEND, discovery_request, pii_threads
from tests.discovery.loadfile_reader import read_dat, read_opt
from tests.support.warc_reader import check_digests, members, parse


def _opt(volume) -> list:
    return read_opt((volume.path / "data" / "DATA" / f"LAKESIDE_{volume.volume}.opt")
                    .read_bytes())


def test_bates_are_contiguous_unique_and_continue_across_volumes(production: dict) -> None:
    keys = [page.key for volume in production["volumes"] for page in _opt(volume)]
    assert len(keys) == len(set(keys))
    numbers = [int(key.removeprefix("LAKESIDE")) for key in keys]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(len(key) == len("LAKESIDE") + 7 and " " not in key for key in keys)
    first, second = production["volumes"]
    assert int(second.begin_bates[-7:]) == int(first.end_bates[-7:]) + 1
    matter = json.loads((production["archive"].root / MATTERS_DIR / "2026-CV-0142.json")
                        .read_text())
    assert matter["next_number"] == len(keys) + 1
    assert [v["volume"] for v in matter["volumes"]] == ["VOL001", "VOL002"]


def test_every_pdf_page_is_stamped_with_its_bates_number_and_legend(production: dict) -> None:
    for volume in production["volumes"]:
        pages_by_file: dict[str, list[str]] = {}
        for page in _opt(volume):
            pages_by_file.setdefault(page.path, []).append(page.key)
        for path, keys in pages_by_file.items():
            reader = PdfReader(volume.path / "data" / Path(*path.split("\\")))
            assert len(reader.pages) == len(keys), path
            for page, key in zip(reader.pages, keys, strict=True):
                text = page.extract_text()
                assert key in text
                assert LEGEND in text


def test_pdf_shows_the_post_and_its_text_layer(production: dict) -> None:
    volume = production["volumes"][1]
    dat = read_dat((volume.path / "data" / "DATA" / "LAKESIDE_VOL002.dat").read_bytes())
    row = next(r for r in dat.rows if r["DOCTYPE"] == "post")
    with Catalog(production["archive"].catalog_path) as catalog:
        item = catalog.find(row["ITEMREF"])
        text = catalog.latest(item).item().text
    reader = PdfReader(volume.path / "data" / Path(*row["IMAGELINK"].split("\\")))
    layer = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert " ".join(text.split())[:60] in layer
    assert f"@{item.author}" in layer and "Posted:" in layer


def test_natives_warc_is_byte_identical_to_the_archive(production: dict) -> None:
    archive = production["archive"]
    with Catalog(archive.catalog_path) as catalog:
        locations = {row["record_id"]: (row["warc_file"], row["offset"], row["length"])
                     for row in catalog.execute("SELECT record_id, warc_file, offset, length "
                                                "FROM records")}
        locations.update({row["record_id"]: (row["warc_file"], row["offset"], row["length"])
                          for row in catalog.execute("SELECT record_id, warc_file, offset, "
                                                     "length FROM versions")})
    for volume in production["volumes"]:
        warc = volume.path / "data" / "NATIVES" / f"LAKESIDE_{volume.volume}.warc.gz"
        data = warc.read_bytes()
        records = parse(warc)
        assert len(records) == volume.native_records > 0
        types = {r.headers["WARC-Type"] for r in records}
        assert {"warcinfo", "request", "response", "metadata"} <= types
        for (offset, length, _), record in zip(members(data), records, strict=True):
            check_digests(record)
            record_id = record.headers["WARC-Record-ID"]
            if record.headers["WARC-Type"] == "warcinfo":
                source, start = record.headers["WARC-Filename"], 0
                path = next((archive.root / "warcs").rglob(source))
                expected = path.read_bytes()[start:start + length]
            else:
                source, start, size = locations[record_id]
                assert size == length
                expected = (archive.root / source).read_bytes()[start:start + size]
            assert data[offset:offset + length] == expected, record_id


def test_wacz_validates_and_its_signature_verifies(production: dict, tmp_path: Path) -> None:
    volume = production["volumes"][0]
    wacz = volume.path / "data" / "NATIVES" / "LAKESIDE_VOL001.wacz"
    assert wacz_main(["validate", "-f", str(wacz)]) == 0
    assert verify_wacz_signature(wacz)
    with zipfile.ZipFile(wacz) as archive_zip:
        names = set(archive_zip.namelist())
        assert {"archive/data.warc.gz", "indexes/index.cdxj", "pages/pages.jsonl",
                "datapackage.json", "datapackage-digest.json"} <= names
        assert archive_zip.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        assert archive_zip.read("archive/data.warc.gz") == (
            volume.path / "data" / "NATIVES" / "LAKESIDE_VOL001.warc.gz").read_bytes()
        index = archive_zip.read("indexes/index.cdxj").decode().splitlines()
        warc = archive_zip.read("archive/data.warc.gz")
        assert index == sorted(index) and index
        for line in index:
            entry = json.loads(line.split(" ", 2)[2])
            member = warc[int(entry["offset"]):int(entry["offset"]) + int(entry["length"])]
            assert entry["url"].encode() in gzip.decompress(member)
        pages = archive_zip.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(pages[0])["format"] == "json-pages-1.0" and len(pages) > 1
        package = json.loads(archive_zip.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        digest = archive_zip.read("datapackage-digest.json")
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "datapackage-digest.json":
                data = json.loads(digest)
                signed_hash = data["signedData"]["hash"]
                data["signedData"]["hash"] = signed_hash[:-1] + (
                    "1" if signed_hash.endswith("0") else "0")
                content = json.dumps(data).encode()
            target.writestr(info, content)
    assert not verify_wacz_signature(tampered)


def _every_text(root: Path) -> bytes:
    """All bytes of every file, with gzip members, zip entries and PDF text layers opened."""
    chunks: list[bytes] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        chunks.append(data)
        if path.suffix == ".gz":
            chunks.extend(content for _, _, content in members(data))
        if path.suffix == ".wacz":
            with zipfile.ZipFile(path) as archive_zip:
                for name in archive_zip.namelist():
                    entry = archive_zip.read(name)
                    chunks.append(entry)
                    if name.endswith(".gz"):
                        chunks.extend(content for _, _, content in members(entry))
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            chunks.extend(page.extract_text().encode() for page in reader.pages)
            for page in reader.pages:
                contents = page.get_contents()
                if contents is not None:
                    chunks.append(contents.get_data())
    return b"\n".join(chunks)


def test_redacted_and_withheld_content_is_absent_from_every_file(production: dict) -> None:
    archive, world = production["archive"], production["world"]
    everything = _every_text(production["out"])
    request = production["requests"][0]
    with Catalog(archive.catalog_path) as catalog:
        rows = [catalog.find(ref) for ref in request.items]
        public = [row for row in rows if row.is_public]
        plan = redact.plan(candidates_for(catalog, public, archive.config), {}, archive.config,
                           unreviewed="redact")
        assert plan.log, "the request has PII to redact"
        versions = catalog.versions_of(row.id for row in public)
        values = set()
        for row in public:
            for version in versions[row.id]:
                for span in plan.spans.get((row.ref, version.id, "text"), []):
                    values.add(version.item().text[span.start:span.end])
        withheld_texts = [catalog.latest(catalog.find(ref)).item().text
                          for ref in production["messages"]]
    for value in values:
        assert value.encode() not in everything, value
    for seeded in world.seeded_pii():
        if seeded.category in ("ssn", "card"):
            assert seeded.value.encode() not in everything, seeded
    for text in withheld_texts:
        assert text.encode() not in everything
    volume = production["volumes"][0]
    dat = read_dat((volume.path / "data" / "DATA" / "LAKESIDE_VOL001.dat").read_bytes())
    redacted = [r for r in dat.rows if r["REDACTED"] == "Y"]
    assert redacted and all(r["NATIVEWARC"] == "N" for r in redacted)
    pdf = PdfReader(volume.path / "data" / Path(*redacted[0]["IMAGELINK"].split("\\")))
    assert "REDACTED" in "".join(page.extract_text() for page in pdf.pages)


def test_privilege_log_lists_withheld_and_redacted_documents(production: dict) -> None:
    volume = production["volumes"][0]
    data = volume.path / "data" / "DATA"
    dat = read_dat((data / "LAKESIDE_VOL001.dat").read_bytes())
    log = list(csv.DictReader(io.StringIO(
        (data / "LAKESIDE_VOL001_PRIVILEGE_LOG.csv").read_bytes().decode("utf-8-sig"))))
    assert set(log[0]) == {"Bates / control number", "Date", "Type", "Author", "Recipients",
                           "Description", "Privilege claimed", "Basis"}
    logged = {row["Bates / control number"] for row in log}
    for row in dat.rows:
        if row["WITHHELD"] == "Y" or row["REDACTED"] == "Y":
            assert row["BEGBATES"] in logged
    assert all(row["Basis"].startswith("Minn. Stat.") for row in log)
    assert len(PdfReader(data / "LAKESIDE_VOL001_PRIVILEGE_LOG.pdf").pages) >= 1


def test_chain_of_custody_names_job_operator_and_hashes(production: dict) -> None:
    archive = production["archive"]
    volume = production["volumes"][1]
    data = volume.path / "data" / "DATA"
    rows = list(csv.DictReader(io.StringIO((data / "LAKESIDE_VOL002_CUSTODY.csv").read_text())))
    assert rows
    with Catalog(archive.catalog_path) as catalog:
        jobs = {job["job_id"] for job in catalog.jobs()}
        for row in rows:
            assert row["CAPTURE_JOB"] in jobs and row["OPERATOR"] == "test-clerk"
            assert row["TOOL_VERSION"].startswith("civicrecords ")
            version = next(v for v in catalog.versions(catalog.find(row["ITEMREF"]).id)
                           if v.record_id == row["WARC_RECORD_ID"])
            member = (archive.root / version.warc_file).read_bytes()[
                version.offset:version.offset + version.length]
            assert hashlib.sha256(member).hexdigest() == row["RECORD_SHA256"]
            assert hashlib.md5(member).hexdigest() == row["RECORD_MD5"]
            assert zlib.decompress(member, 31).count(row["WARC_BLOCK_DIGEST"].encode()) == 1
    certification = (data / "LAKESIDE_VOL002_CERTIFICATION.txt").read_text()
    assert "902(14)" in certification and volume.begin_bates in certification
    assert hashlib.sha256((data / "LAKESIDE_VOL002_CUSTODY.csv").read_bytes()).hexdigest() \
        in certification
    assert volume.end_bates in PdfReader(data / "LAKESIDE_VOL002_CERTIFICATION.pdf") \
        .pages[0].extract_text()


def test_recipient_verifies_without_civicrecords(production: dict, tmp_path: Path) -> None:
    volume = production["volumes"][0]
    bagit.Bag(str(volume.path)).validate()
    assert verify_bag(volume.path).ok
    readme = (volume.path / "README.txt").read_text()
    assert "sha256sum -c manifest-sha256.txt" in readme and "openssl dgst" in readme
    check = subprocess.run(["sha256sum", "--quiet", "-c", "manifest-sha256.txt"],
                           cwd=volume.path, capture_output=True)
    assert check.returncode == 0, check.stdout
    if shutil.which("openssl"):
        signed = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "public-key.pem",
                                 "-signature", "tagmanifest-sha256.txt.sig",
                                 "tagmanifest-sha256.txt"], cwd=volume.path,
                                capture_output=True, text=True)
        assert signed.stdout.strip() == "Verified OK"
    copy = tmp_path / "copy"
    shutil.copytree(volume.path, copy)
    dat = copy / "data" / "DATA" / "LAKESIDE_VOL001.dat"
    dat.write_bytes(dat.read_bytes().replace(b"LAKESIDE0000001", b"LAKESIDE0000009", 1))
    report = verify_bag(copy)
    assert not report.ok and any(p.path == "data/DATA/LAKESIDE_VOL001.dat"
                                 for p in report.problems)


@pytest.fixture
def fresh(captured: dict, tmp_path: Path) -> Archive:
    root = tmp_path / "archive"
    shutil.copytree(captured["archive"].root, root)
    return Archive.open(root, captured["env"])


def test_refusals_leave_no_volume_and_no_numbers_used(fresh: Archive, captured: dict,
                                                      tmp_path: Path) -> None:
    refs = pii_threads(fresh, captured["world"], {"phone", "email"})
    request = discovery_request(fresh, refs)
    out = tmp_path / "out"
    with pytest.raises(RefusedError, match="await review"):
        export_volume(fresh, request, out)
    assert not (out / "VOL001").exists()
    assert not (fresh.root / MATTERS_DIR / "2026-CV-0142.json").exists()
    other = discovery_request(fresh, refs, prefix="OTHER")
    export_volume(fresh, request, out, unreviewed="release")
    with pytest.raises(RefusedError, match="prefix LAKESIDE"):
        export_volume(fresh, other, tmp_path / "elsewhere", unreviewed="release")
    (out / "VOL002").mkdir()
    with pytest.raises(RefusedError, match="already exists"):
        export_volume(fresh, request, out, unreviewed="release")
    assert not any(p.name.startswith(".VOL") for p in out.iterdir())


def test_a_damaged_record_stops_the_export_before_any_number_is_used(
        fresh: Archive, tmp_path: Path) -> None:
    with Catalog(fresh.catalog_path) as catalog:
        post = next(catalog.iter_items("kind='post' AND classification='public'"))
        version = catalog.latest(post)
    path = fresh.root / version.warc_file
    data = bytearray(path.read_bytes())
    data[version.offset + version.length - 12] ^= 0xFF
    path.write_bytes(bytes(data))
    request = discovery_request(fresh, [post.ref])
    with pytest.raises(IntegrityError):
        export_volume(fresh, request, tmp_path / "out", unreviewed="redact")
    assert not (tmp_path / "out" / "VOL001").exists()
    assert not (fresh.root / MATTERS_DIR / "2026-CV-0142.json").exists()
