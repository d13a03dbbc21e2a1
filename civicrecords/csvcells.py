"""CSV cells that spreadsheet programs will not run as formulas.

Captured text (a resident's display name, a post) can start with ``=``, ``+``, ``-`` or ``@``;
Excel and LibreOffice evaluate such a cell as a formula when a clerk opens the CSV. Every CSV
the tool writes passes its text cells through ``spreadsheet_safe``, which prefixes them with
an apostrophe (the spreadsheet convention for "this is text"); numbers are left alone.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` unchanged unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
