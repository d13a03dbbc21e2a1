"""An independent reader of Concordance DAT and Opticon OPT files, for tests only.

Works on bytes, the way a litigation-support loader does: checks the byte-order mark (or its
absence), that every line ends CRLF (the last one too), that every value is wrapped in the
text qualifier and separated by the separator, and returns plain dicts. No civicrecords code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Dat:
    header: list[str]
    rows: list[dict[str, str]]


def read_dat(data: bytes, *, encoding: str = "utf-8-bom", separator: str = "\x14",
             qualifier: str = "\u00fe", newline: str = "\u00ae") -> Dat:
    if encoding == "utf-8-bom":
        assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 DAT must start with a BOM"
        text = data[3:].decode("utf-8")
    else:
        assert not data.startswith(b"\xef\xbb\xbf"), "CP1252 DAT must not have a BOM"
        text = data.decode("cp1252")
    assert text.endswith("\r\n"), "the last record must end with CRLF"
    lines = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in lines), "bare CR or LF"
    parsed = []
    for number, line in enumerate(lines, start=1):
        fields = line.split(separator)
        for value in fields:
            assert len(value) >= 2 and value[0] == qualifier and value[-1] == qualifier, \
                f"line {number}: unqualified value {value!r}"
            assert qualifier not in value[1:-1], f"line {number}: qualifier inside a value"
        parsed.append([value[1:-1].replace(newline, "\n") for value in fields])
    header, rows = parsed[0], parsed[1:]
    assert all(len(row) == len(header) for row in rows), "rows and header differ in width"
    return Dat(header, [dict(zip(header, row, strict=True)) for row in rows])


@dataclass
class OptPage:
    key: str
    volume: str
    path: str
    doc_break: bool
    page_count: int | None


def read_opt(data: bytes) -> list[OptPage]:
    text = data.decode("ascii")
    assert text.endswith("\r\n")
    pages = []
    for line in text[:-2].split("\r\n"):
        parts = line.split(",")
        assert len(parts) == 7, line
        key, volume, path, brk, folder, box, count = parts
        assert brk in ("Y", ""), line
        assert folder == "" and box == "", line
        pages.append(OptPage(key, volume, path, brk == "Y", int(count) if count else None))
    return pages
