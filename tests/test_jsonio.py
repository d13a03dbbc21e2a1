"""Fast JSON: every input the standard library reads gives the same values, and whatever
orjson refuses falls back to the standard library instead of failing the capture."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from civicrecords import jsonio

CORPORA = Path(__file__).resolve().parent / "corpora"


@pytest.mark.parametrize("path", sorted(CORPORA.rglob("*.json")), ids=lambda p: p.name)
def test_corpora_parse_as_the_standard_library_parses_them(path: Path) -> None:
    raw = path.read_bytes()
    assert jsonio.loads(raw) == json.loads(raw)
    assert jsonio.loads(jsonio.dumps(json.loads(raw))) == json.loads(raw)


@pytest.mark.parametrize("raw", [
    b'{"id": 123456789012345678901234567890}',  # beyond 64 bits
    b'[-9223372036854775809, 18446744073709551616]',  # just beyond
    b'{"a": [1,\n 18446744073709551616]}',
    b'{"t": "\\ud800 lone surrogate"}',
    b'{"n": NaN, "i": Infinity}',
    "\ufeff{\"bom\": true}".encode(),
    b'{"k": 1, "k": 2}',  # duplicate key: the last one wins
])
def test_what_orjson_refuses_reads_as_the_standard_library_reads_it(raw: bytes) -> None:
    got, expected = jsonio.loads(raw), json.loads(raw)
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("raw", [b"", b'{"cut": "of', b"[1,]", b"\xff\xfe{}"])
def test_broken_json_raises_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        jsonio.loads(raw)


@pytest.mark.parametrize("value", [
    {"id": 123456789012345678901234567890},
    {"t": "\ud800 lone surrogate"},
    {1: "integer key"},
    {"text": "caf\u00e9 \U0001f600 <script>", "n": 1.5, "none": None},
])
def test_dumps_is_compact_json_that_reads_back(value: object) -> None:
    out = jsonio.dumps(value)
    assert b", " not in out and b": " not in out
    assert json.loads(out) == json.loads(json.dumps(value))


def test_long_numbers_keep_every_digit() -> None:
    assert jsonio.loads(b'{"id":123456789012345678901234567890}') == {
        "id": 123456789012345678901234567890}


def test_a_long_number_at_the_top_level_or_after_spaces_keeps_every_digit() -> None:
    assert jsonio.loads(b"18446744073709551616") == 18446744073709551616
    assert jsonio.loads(b'[ \n -18446744073709551616]') == [-18446744073709551616]


def test_long_digit_runs_inside_strings_stay_strings() -> None:
    raw = b'{"id": "1849012345678901234567", "n": 1849012345678901234}'
    assert jsonio.loads(raw) == {"id": "1849012345678901234567", "n": 1849012345678901234}


def test_dumps_keeps_non_ascii_as_utf8() -> None:
    assert jsonio.dumps({"t": "caf\u00e9"}) == '{"t":"café"}'.encode()


def test_nan_survives_a_round_trip_through_the_fallback() -> None:
    assert math.isnan(jsonio.loads(b"[NaN]")[0])
