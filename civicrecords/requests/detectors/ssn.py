"""Social Security numbers and ITINs (Minn. Stat. 13.355 candidates; redacted without review).

Rules, beyond the DOMAIN.md pattern
``\\b(?!000|666|9\\d\\d)\\d{3}([- .]?)(?!00)\\d{2}\\1(?!0000)\\d{4}\\b``:

* the three groups use one separator throughout (``-``, space, ``.`` or none); any Unicode dash
  counts as ``-`` and any Unicode space as a space (see ``normalization``);
* numbers that continue a longer grouped run (``12-123-45-6789``, ``123-45-6789-01``) are not
  SSNs;
* all-same-digit numbers and numbers voided by SSA after publication are rejected:
  078-05-1120 (the Woolworth wallet card), 219-09-9999 (an SSA pamphlet) and 987-65-4320 to
  987-65-4329 (reserved for advertising);
* **123-45-6789 is reported.** It is the usual placeholder, but redacting a placeholder costs a
  reader nothing while missing a real number is a breach, and SSA has not voided it publicly;
* an unseparated 9-digit run right after a label saying it is something else ("order",
  "invoice", "tracking", "case number is", "PIN", "#"...), or with "account", "checking",
  "savings", "routing", "ABA" or "transit" within 40 characters in its sentence, is skipped
  (it is a bank or order number) unless an SSN word ("SSN", "social security", "ITIN",
  "tax ID") is also within 40 characters in the same sentence;
* 9xx numbers are ITINs, reported as category ``ssn`` with detector ``ssn.itin`` when the 4th
  and 5th digits are in an ITIN range (50-65, 70-88, 90-92, 94-99) and the number is written
  with separators, or unseparated with "ITIN", "TIN" or "tax" within 40 characters in the same
  sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.sentences import labelled_as_other_number, near

__all__ = ["SAMPLE_NUMBERS", "SSN_WORD", "find", "is_itin_group"]

_CANDIDATE = re.compile(
    r"\b(?P<area>(?!000|666)[0-9]{3})(?P<sep>[- .]?)(?P<group>(?!00)[0-9]{2})(?P=sep)"
    r"(?P<serial>(?!0000)[0-9]{4})\b"
)
SAMPLE_NUMBERS: frozenset[str] = frozenset(
    {"078051120", "219099999"} | {f"98765432{d}" for d in range(10)}
)
SSN_WORD = re.compile(
    r"\b(?:ssn|ss#|ss ?no|soc(?:ial)?\.? ?sec(?:urity)?|social|itin|tin|taxpayer|tax ?id)\b",
    re.IGNORECASE,
)
_ACCOUNT_OR_ROUTING_WORD = re.compile(
    r"\b(?:accounts?|acct|checking|savings|routing|aba|rtn|r/t|transit)\b", re.IGNORECASE
)
_ITIN_WORD = re.compile(r"\b(?:itin|tin|tax|taxpayer)\b", re.IGNORECASE)


def is_itin_group(group: str) -> bool:
    """True if ``group`` (the 4th and 5th digits) is in an IRS ITIN range."""
    value = int(group)
    return 50 <= value <= 65 or 70 <= value <= 88 or 90 <= value <= 92 or 94 <= value <= 99


def _continues_longer_run(text: str, start: int, end: int, sep: str) -> bool:
    before = text[max(0, start - 2) : start]
    after = text[end : end + 2]
    joiners = "-./" + (" " if sep in (" ", "") else "")
    return (len(before) == 2 and before[1] in joiners and before[0].isdigit()) or (
        len(after) == 2 and after[0] in joiners and after[1].isdigit()
    )


def _other_kind(doc: Document, start: int, end: int) -> bool:
    """True if an unseparated run is labelled, or sits by account/routing words, and no SSN
    word is near it in its sentence."""
    text = doc.text
    sentence = doc.sentence_at(start)
    if near(text, start, end, SSN_WORD, within=sentence):
        return False
    return labelled_as_other_number(text, start) or near(
        text, start, end, _ACCOUNT_OR_ROUTING_WORD, within=sentence
    )


def find(doc: Document) -> Iterator[Hit]:
    """Yield SSN and ITIN hits in ``doc`` (category ``ssn``), in text order."""
    if doc.digit_count < 9:
        return
    text = doc.text
    for match in _CANDIDATE.finditer(text):
        start, end = match.span()
        sep = match.group("sep")
        digits = match.group("area") + match.group("group") + match.group("serial")
        if digits in SAMPLE_NUMBERS or len(set(digits)) == 1:
            continue
        if _continues_longer_run(text, start, end, sep):
            continue
        if not sep and _other_kind(doc, start, end):
            continue
        if digits[0] != "9":
            yield Hit("ssn", start, end, "ssn.regex")
        elif is_itin_group(match.group("group")) and (
            sep or near(text, start, end, _ITIN_WORD, within=doc.sentence_at(start))
        ):
            yield Hit("ssn", start, end, "ssn.itin")
