"""CSV cells never become spreadsheet formulas."""

from __future__ import annotations

import csv
import io

from civicrecords.cli.context import CliContext
from civicrecords.csvcells import spreadsheet_safe
from civicrecords.environment import Environment


def test_formula_like_text_is_marked_as_text_and_numbers_are_kept() -> None:
    assert spreadsheet_safe('=HYPERLINK("http://evil.example","click")') == \
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert [spreadsheet_safe(v) for v in ("+1 612", "-x", "@SUM(A1)", "plain", 5, None)] == \
        ["'+1 612", "'-x", "'@SUM(A1)", "plain", 5, None]


def test_cli_csv_output_neutralises_captured_formulas() -> None:
    out = io.StringIO()
    context = CliContext(env=Environment(variables={}, stdout=out, stderr=io.StringIO()))
    context.emit_csv(["author", "text"], [{"author": "=cmd|' /C calc'!A0", "text": "hi"}])
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["author"].startswith("'=") and row["text"] == "hi"
