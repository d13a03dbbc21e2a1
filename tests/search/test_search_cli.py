"""Search from the command line: formats, facets, explain, errors, reindex and rebuild."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from civicrecords.archive import Archive
from civicrecords.catalog import Catalog
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.search.backend import SearchQuery
from civicrecords.search.fields import SCHEMA_VERSION
from civicrecords.search.service import open_backend, search
from tests.search.test_golden import CASES


def _cli(env: Environment, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(list(args), env)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


@pytest.fixture
def archive_copy(captured: dict, copy_tree) -> Path:
    return copy_tree(captured["archive"].root, "archive-copy")


def test_formats_snippets_and_record_links(captured: dict, archive_copy: Path) -> None:
    env = captured["env"]
    base = ("--archive", str(archive_copy), "search")
    status, out, _ = _cli(env, *base, "plowing", "--format", "json", "--limit", "5")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 5
    for row in rows:
        spans = [row["snippet"][a:b].lower() for a, b in row["highlights"]]
        assert spans and all(span.startswith("plow") for span in spans)
        assert row["record_id"].startswith("<urn:uuid:") and row["warc_file"].startswith("warcs/")
    status, out, _ = _cli(env, *base, "plowing", "--format", "jsonl", "--limit", "5")
    assert status == 0 and [json.loads(line)["ref"] for line in out.splitlines()] == \
        [r["ref"] for r in rows]
    status, out, _ = _cli(env, *base, "plowing", "--format", "csv", "--limit", "5")
    table = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and [r["ref"] for r in table] == [r["ref"] for r in rows]
    assert {"snippet", "record_id", "warc_file", "record_offset"} <= set(table[0])
    status, out, _ = _cli(env, *base, "plowing", "--limit", "5")
    assert status == 0 and "match(es), page 1" in out and rows[0]["ref"] in out


def test_facets_and_explain(captured: dict, archive_copy: Path) -> None:
    env = captured["env"]
    base = ("--archive", str(archive_copy), "search")
    status, out, _ = _cli(env, *base, "*", "--facets", "--format", "json", "--limit", "1")
    data = json.loads(out)
    assert status == 0 and set(data) == {"total", "page", "results", "facets"}
    assert set(data["facets"]) == {"account", "platform", "kind", "month", "status"}
    assert sum(data["facets"]["kind"].values()) == data["total"]
    status, out, _ = _cli(env, *base, "*", "--facets", "--limit", "1")
    assert status == 0 and "matches by facet" in out and "2026-01" in out
    status, _, err = _cli(env, *base, "*", "--facets", "--format", "csv")
    assert status == 2 and err == "error: --facets needs --format table or json\n"
    status, _, err = _cli(env, *base, "the plows", "--explain", "--kind", "post")
    assert status == 0
    assert "searching: (text:plow OR title:plow) AND scope:latest-public AND kind:post" in err
    assert "ignored (too common or no letters): the" in err


@pytest.mark.parametrize("query", ["(snow", "autor:x", "kind:comments", "a*", "snow " * 300,
                                   "(" * 40 + "x" + ")" * 40])
def test_bad_queries_exit_2_with_one_line(captured: dict, archive_copy: Path,
                                          query: str) -> None:
    status, out, err = _cli(captured["env"], "--archive", str(archive_copy), "search", query)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1


def test_bad_options_and_pages_past_the_end(captured: dict, archive_copy: Path) -> None:
    env = captured["env"]
    base = ("--archive", str(archive_copy), "search")
    status, _, err = _cli(env, *base, "*", "--kind", "tweet")
    assert status == 2 and "--kind: 'tweet' is not post, comment, message, media, page" in err
    status, _, err = _cli(env, *base, "*", "--since", "2026-13-01")
    assert status == 2 and "--since" in err
    status, _, err = _cli(env, *base, "snow", "--page", "999")
    assert status == 0 and "page 999 is past the last page" in err


def _answers(root: Path, env: Environment) -> dict[str, tuple[int, list[str]]]:
    """Each golden case's total and result refs (ordered by date, so order is exact)."""
    archive = Archive.open(root, env)
    backend = open_backend(archive.root, archive.config)
    answers: dict[str, tuple[int, list[str]]] = {}
    try:
        with Catalog(archive.catalog_path) as catalog:
            for case in CASES:
                query = case.query(sort="newest", limit=10_000)
                results = search(catalog, backend, query, archive.audit)
                answers[case.name] = (results.total, [r.item.ref for r in results.rows])
            facets = search(catalog, backend, SearchQuery(facets=True), archive.audit).facets
            answers["facets"] = (0, [json.dumps(facets, sort_keys=True)])
    finally:
        backend.close()
    return answers


def test_rebuild_and_reindex_give_the_same_answers(captured: dict, archive_copy: Path) -> None:
    env = captured["env"]
    before = _answers(archive_copy, env)
    assert sum(1 for total, _ in before.values() if total) >= 40
    shutil.rmtree(archive_copy / "index")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{archive_copy / 'catalog.sqlite'}{suffix}").unlink(missing_ok=True)
    status, out, err = _cli(env, "--archive", str(archive_copy), "rebuild")
    assert status == 0, err
    assert _answers(archive_copy, env) == before
    config = archive_copy / "civicrecords.toml"
    config.write_text(config.read_text().replace('backend = "whoosh"', 'backend = "tantivy"'))
    archive = Archive.open(archive_copy, env)
    assert archive.config.search.backend == "tantivy"
    status, _, err = _cli(env, "--archive", str(archive_copy), "search", "snow")
    assert status == 8 and "run 'civicrecords reindex'" in err
    status, out, err = _cli(env, "--archive", str(archive_copy), "reindex")
    assert status == 0 and "with tantivy" in out, err
    assert _answers(archive_copy, env) == before
    shutil.rmtree(archive_copy / "index")
    Path(archive_copy / "catalog.sqlite").unlink()
    status, _, err = _cli(env, "--archive", str(archive_copy), "rebuild")
    assert status == 0, err
    assert _answers(archive_copy, env) == before
    actions = [entry["action"] for entry in Archive.open(archive_copy, env).audit.entries()]
    assert "reindex" in actions and actions.count("rebuild") == 2


def test_an_index_of_another_version_is_replaced_not_opened(captured: dict,
                                                            archive_copy: Path) -> None:
    env = captured["env"]
    marker = archive_copy / "index" / "whoosh.json"
    marker.write_text('{"backend": "whoosh", "schema": 1}')
    status, _, err = _cli(env, "--archive", str(archive_copy), "search", "snow")
    assert status == 8 and "reindex" in err
    assert json.loads(marker.read_text())["schema"] == SCHEMA_VERSION != 1
    status, _, err = _cli(env, "--archive", str(archive_copy), "reindex")
    assert status == 0, err
    status, out, _ = _cli(env, "--archive", str(archive_copy), "search", "snow", "--format",
                          "json")
    assert status == 0 and json.loads(out)
