"""``civicrecords import``: other tools' WARC and WACZ files kept unmodified and made searchable.

The fixtures were made by real GNU Wget (``--warc-file``) and by py-wacz from a
browsertrix-style WARC (``tests/fixtures/imports/make_fixtures.py``). Expected pages are read
from the fixtures with warcio directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.integrity.manifest import chain_entries, load_manifest
from civicrecords.model import RecordRef
from civicrecords.warcrecords import open_record

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"
WGET = FIXTURES / "lakeside-wget.warc.gz"
WACZ = FIXTURES / "lakeside-browsertrix.wacz"
HTML = ("text/html", "application/xhtml+xml")


def _cli(env: Environment, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(list(args), env)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


def _html_captures(stream: io.BufferedIOBase) -> list[tuple[str, str, str]]:
    """(url, WARC-Date, record type) of every 2xx HTML response or revisit."""
    found = []
    for record in ArchiveIterator(stream):
        http = record.http_headers
        if record.rec_type not in ("response", "revisit") or http is None:
            continue
        kind = (http.get_header("Content-Type") or "").split(";")[0].strip()
        if 200 <= int(http.get_statuscode()) < 300 and kind in HTML:
            found.append((record.rec_headers.get_header("WARC-Target-URI"),
                          record.rec_headers.get_header("WARC-Date"), record.rec_type))
    return found


def _wacz_captures() -> list[tuple[str, str, str]]:
    with zipfile.ZipFile(WACZ) as archive:
        name = next(n for n in archive.namelist() if n.startswith("archive/"))
        return _html_captures(io.BytesIO(archive.read(name)))


def _search(env: Environment, root: Path, *args: str) -> list[dict]:
    status, out, err = _cli(env, "--archive", str(root), "search", *args, "--format", "json",
                            "--limit", "1000")
    assert status == 0, err
    return json.loads(out)


def _imported(env: Environment, archive: Archive, *paths: Path,
              collection: str = "city-website") -> dict:
    status, out, err = _cli(env, "--archive", str(archive.root), "import", *map(str, paths),
                            "--collection", collection, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def test_wget_and_wacz_pages_are_searchable_and_point_at_their_records(
        archive: Archive, env: Environment) -> None:
    result = _imported(env, archive, WGET, WACZ)
    root = archive.root
    with open(WGET, "rb") as handle:
        wget_pages = _html_captures(handle)
    wacz_pages = _wacz_captures()
    assert [f["pages"] for f in result["files"]] == [len(wget_pages), len(wacz_pages)]
    # kept byte for byte, hashed, listed in a signed and chained manifest
    manifest = load_manifest(root / result["manifest"])
    assert manifest["kind"] == "import" and chain_entries(root)[-1]["kind"] == "import"
    for listed, source in zip(manifest["files"], (WGET, WACZ), strict=True):
        kept = root / listed["path"]
        assert kept.read_bytes() == source.read_bytes()
        assert listed["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert listed["role"] == "imported" and listed["original_name"] == source.name
    status, out, _ = _cli(env, "--archive", str(root), "verify")
    assert status == 0 and "intact" in out
    # every page is found, newest capture of each URL, linked to its exact record
    pages = _search(env, root, "*", "--kind", "page")
    urls = {url for url, _, _ in wget_pages + wacz_pages}
    assert {p["url"] for p in pages} == urls and len(pages) == len(urls)
    latest: dict[str, str] = {}
    dates: dict[str, set[str]] = {}
    for url, when, _ in sorted(wget_pages + wacz_pages, key=lambda c: c[1]):
        latest[url] = when
        dates.setdefault(url, set()).add(when)
    for page in pages:
        assert page["platform"] == "web" and page["kind"] == "page"
        assert page["account"] == "city-website" and page["item_id"] == page["url"]
        assert page["created_at"][:19] == latest[page["url"]][:19]
        ref = RecordRef(page["warc_file"], page["record_offset"], page["record_length"],
                        page["record_id"])
        with open_record(root, ref) as record:
            assert record.rec_headers.get_header("WARC-Target-URI") == page["url"]
            assert record.rec_type == "response"  # a revisit's content lives in the original
            when = record.rec_headers.get_header("WARC-Date")
            assert when in dates[page["url"]] and when[:19] <= page["created_at"][:19]
    snow = _search(env, root, '"snow emergency" title:rules')
    assert {p["title"] for p in snow} == {"Snow Emergency Rules | Lakeside"} and len(snow) == 2
    assert {p["warc_file"].rsplit("/", 1)[1] for p in snow} == {WGET.name, WACZ.name}


def test_page_text_is_only_what_a_reader_sees(archive: Archive, env: Environment) -> None:
    _imported(env, archive, WGET)
    root = archive.root
    for word in ("injected", "styled", "pwned", "hidden", "javascript", "onerror"):
        assert _search(env, root, word) == [], word
    contact = _search(env, root, "title:contact")
    assert [p["title"] for p in contact] == ["Contact & Hours"]
    assert "Report a pothole" in contact[0]["text"] and "<" not in contact[0]["text"]
    cafe = _search(env, root, "cafe angstrom")
    assert len(cafe) == 1 and "Lakeside Café" in cafe[0]["text"]
    assert "Ångström" in cafe[0]["text"] and cafe[0]["title"] == "Lakeside Café"
    assert _search(env, root, "url:cafe")[0]["item_id"].endswith("/cafe.html")


def test_recaptures_become_versions_and_revisits_extend_last_seen(
        archive: Archive, env: Environment, tmp_path: Path) -> None:
    _imported(env, archive, WACZ)
    root = archive.root
    minutes = "https://www.lakesidemn.example/council/minutes.html"
    status, out, _ = _cli(env, "--archive", str(root), "show", minutes, "--versions",
                          "--format", "json")
    versions = json.loads(out)["versions"]
    assert status == 0 and len(versions) == 2 and versions[-1]["latest"]
    assert versions[-1]["changed"] == ["text"]
    assert "{+14 +}" in _cli(env, "--archive", str(root), "show", minutes, "--versions")[1]
    snow = "https://www.lakesidemn.example/snow-emergency.html"
    status, out, _ = _cli(env, "--archive", str(root), "show", snow, "--format", "json")
    shown = json.loads(out)
    assert len(shown["versions"]) == 1
    assert shown["first_seen"].startswith("2026-01-10T12:00:05")
    assert shown["last_seen"].startswith("2026-01-17T09:30:04")
    # an older crawl imported later adds an older version; the newest stays current
    older = tmp_path / "older-crawl.warc.gz"
    with open(older, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="WARC/1.1")
        body = b"<html><head><title>Draft minutes</title></head><body>Draft.</body></html>"
        writer.write_record(writer.create_warc_record(
            minutes, "response", payload=io.BytesIO(body), length=len(body),
            warc_headers_dict={"WARC-Date": "2026-01-05T08:00:00Z"},
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1")))
    _imported(env, archive, older)
    status, out, _ = _cli(env, "--archive", str(root), "show", minutes, "--format", "json")
    versions = json.loads(out)["versions"]
    assert [v["title"] for v in versions] == ["Draft minutes", "Council Minutes, January 2026",
                                              "Council Minutes, January 2026"]
    assert versions[-1]["latest"] and "14 public comments" in versions[-1]["text"]
    assert [p["title"] for p in _search(env, root, "draft")] == []
    drafts = _search(env, root, "draft", "--all-versions")
    assert [d["title"] for d in drafts] == ["Draft minutes"] and not drafts[0]["latest"]


def _answers(env: Environment, root: Path) -> list[list[tuple[str, str, int]]]:
    queries = (["*"], ["snow emergency"], ["title:council", "--all-versions"], ["cafe"],
               ["url:lakesidemn"], ["created:2026-01"])
    return [[(r["ref"], r["record_id"], r["record_offset"])
             for r in _search(env, root, *q, "--sort", "newest")] for q in queries]


def test_rebuild_recreates_imported_pages(archive: Archive, env: Environment) -> None:
    _imported(env, archive, WGET, WACZ)
    root = archive.root
    before = _answers(env, root)
    assert all(before)
    shutil.rmtree(root / "index")
    (root / "catalog.sqlite").unlink()
    status, _, err = _cli(env, "--archive", str(root), "rebuild")
    assert status == 0, err
    assert _answers(env, root) == before


def _unchanged(root: Path) -> tuple:
    imports = sorted(p.relative_to(root).as_posix() for p in (root / "imports").rglob("*")) \
        if (root / "imports").exists() else []
    with Catalog(root / "catalog.sqlite") as catalog:
        jobs = len(catalog.jobs())
        items = catalog.count_items()
    return imports, len(chain_entries(root)), jobs, items


def test_bad_files_are_refused_and_nothing_is_kept(archive: Archive, env: Environment,
                                                  tmp_path: Path) -> None:
    _imported(env, archive, WGET)
    root = archive.root
    before = _unchanged(root)
    text = tmp_path / "notes.warc.gz"
    text.write_text("just some notes\n")
    truncated = tmp_path / "cut.warc.gz"
    truncated.write_bytes(WGET.read_bytes()[:-100])
    deflated = tmp_path / "deflated.wacz"
    with zipfile.ZipFile(WACZ) as source, zipfile.ZipFile(deflated, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename), zipfile.ZIP_DEFLATED)
    cases = [
        ([str(text)], "city-website", "notes.warc.gz: not a WARC or WACZ file"),
        ([str(truncated)], "city-website", "cut.warc.gz: truncated"),
        ([str(deflated)], "city-website", "is compressed or encrypted inside the WACZ"),
        ([str(tmp_path / "missing.warc")], "city-website", "not a file"),
        ([str(WACZ)], "City Website", "must be lowercase letters"),
    ]
    for paths, collection, message in cases:
        status, out, err = _cli(env, "--archive", str(root), "import", *paths,
                                "--collection", collection)
        assert status == 2, (message, err)
        assert message in err and err.startswith("error: ") and err.count("\n") == 1
        assert _unchanged(root) == before
    status, _, err = _cli(env, "--archive", str(root), "import", str(WGET),
                          "--collection", "other")
    assert status == 8 and "already in the archive" in err and _unchanged(root) == before
    status, out, _ = _cli(env, "--archive", str(root), "verify")
    assert status == 0 and "intact" in out


def test_odd_file_names_are_kept_under_safe_names(archive: Archive, env: Environment,
                                                  tmp_path: Path) -> None:
    odd = tmp_path / "--crawl $(rm -rf) ÿ\nnew.warc.gz"
    shutil.copyfile(WGET, odd)
    result = _imported(env, archive, odd)
    kept = result["files"][0]
    assert kept["original"] == odd.name
    name = kept["path"].rsplit("/", 1)[1]
    assert name == "crawl_rm_-rf_new.warc.gz"
    assert (archive.root / kept["path"]).read_bytes() == WGET.read_bytes()


def test_classification_rules_apply_to_imported_pages(tmp_path: Path, env: Environment) -> None:
    rule = ('[[classification.rules]]\nname = "intranet"\naccount = ["intranet"]\n'
            'classification = "nonpublic"\nbasis = "Minn. Stat. § 13.37"\n\n')
    archive = Archive.create(tmp_path / "archive", env, extra_config=rule)
    _imported(env, archive, WACZ, collection="intranet")
    root = archive.root
    assert _search(env, root, "snow") == []
    found = _search(env, root, "snow", "--all-data")
    assert found and {p["classification"] for p in found} == {"nonpublic"}
    assert list(archive.audit.entries())[-1]["action"] == "search.all_data"
    page = found[0]["ref"]
    status, _, err = _cli(env, "--archive", str(root), "show", page)
    assert status == 8 and "--all-data" in err


@pytest.mark.parametrize("collection", ["lakeside-mastodon"])
def test_collection_cannot_reuse_an_account_name(tmp_path: Path, env: Environment,
                                                 collection: str) -> None:
    config = ('[[accounts]]\nname = "lakeside-mastodon"\nplatform = "mastodon"\n'
              'api_base = "https://mastodon.example"\nhandle = "@lakeside"\n\n')
    archive = Archive.create(tmp_path / "archive", env, extra_config=config)
    status, _, err = _cli(env, "--archive", str(archive.root), "import", str(WGET),
                          "--collection", collection)
    assert status == 2 and "configured account" in err


def test_copies_left_by_an_interrupted_import_are_cleared(archive: Archive, env: Environment
                                                          ) -> None:
    stray = archive.root / "imports" / "20260101T000000Z-dead00" / ".crawl.warc.gz.part"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(WGET.read_bytes()[:500])
    result = _imported(env, archive, WGET)
    assert not stray.exists() and not stray.parent.exists()
    assert (archive.root / result["files"][0]["path"]).exists()
    status, out, _ = _cli(env, "--archive", str(archive.root), "verify")
    assert status == 0 and "intact" in out
    pages = _search(env, archive.root, "*", "--platform", "web", "--kind", "page")
    assert pages and {p["kind"] for p in pages} == {"page"}
