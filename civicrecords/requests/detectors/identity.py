"""Minnesota driver's license / ID card numbers and dates of birth.

* **mn_dl**: one letter (either case) and 12 digits, with at most one space or dash between
  any two characters (``A123456789012``, ``A 123 456 789 012``, ``A-123-456-789-012``), not
  part of a longer token (nor the "s" of "it's"), and with "license", "licence", "lic", "DL",
  "driver", "ID", "identification" or "permit" within 40 characters before or after.
* **dob**: a date in the same sentence as "DOB", "D.O.B.", "born", "birthday", "bday",
  "date of birth", "birth date" or "birthdate" (within 40 characters before or 30 after), or
  right after such a label even across a line break ("DOB:\n3/14/1985").
  Dates: ``m/d/yyyy``, ``m-d-yy``, ``m.d.yyyy``, ``d/m/yyyy`` when the day is over 12,
  ``yyyy-mm-dd``, ``March 5, 1984``, ``Mar. 5th 1984``, ``5 March 1984``, ``the 5th of March``,
  ``March 1984`` and month-day without a year (``my birthday is March 5``). Numeric forms
  need a year; a year alone ("born in 1984") is not a date of birth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.sentences import near
from civicrecords.requests.detectors.spans import SpanIndex

__all__ = ["find_dob", "find_mn_dl"]

_DL_NUMBER = re.compile(
    r"(?<![\w'-])[A-Za-z](?:[ -]?[0-9]){12}(?![\w])(?![ -][0-9])(?!-[A-Za-z0-9])"
)
_DL_WORD = re.compile(
    r"\b(?:licen[cs]es?|lic|dl|d\.l|dl#|drivers?|driver's|id|ids|i\.d|identification|permit)\b",
    re.IGNORECASE,
)

_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:18|19|20)[0-9]{2})"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dob.numeric",
        re.compile(
            r"(?<![0-9/.-])(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)"
            r"(?P<year>[0-9]{4}|[0-9]{2})(?![0-9])(?![/.-][0-9])"
        ),
    ),
    (
        "dob.numeric",
        re.compile(
            r"(?<![0-9/.-])(?P<year>(?:18|19|20)[0-9]{2})(?P<sep>[/.-])(?P<a>0?[1-9]|1[0-2])"
            r"(?P=sep)(?P<b>0?[1-9]|[12][0-9]|3[01])(?![0-9])(?![/.-][0-9])"
        ),
    ),
    (
        "dob.month_name",
        re.compile(rf"\b{_MONTH}\s+{_DAY}(?:(?:,\s*|\s+){_YEAR})?(?![0-9])", re.IGNORECASE),
    ),
    ("dob.month_name", re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE)),
    (
        "dob.month_name",
        re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b", re.IGNORECASE),
    ),
)
_DOB_LABEL = re.compile(
    r"\b(?:dob|d\.o\.b\.?|d/o/b|born(?:\s+on)?|birth\s*days?(?:\s+is)?|bday|b-day|"
    r"birth\s*date|birthdate|date\s+of\s+birth)[\s:.=-]*$",
    re.IGNORECASE,
)
_DOB_WORD = re.compile(
    r"\b(?:dob|d\.o\.b|d/o/b|born|birth\s*days?|bday|b-day|birth\s*date|birthdate|"
    r"date\s+of\s+birth)\b",
    re.IGNORECASE,
)


def find_mn_dl(doc: Document) -> Iterator[Hit]:
    """Yield Minnesota licence / ID number hits (with a context word) in ``doc``."""
    if doc.digit_count < 12:
        return
    text = doc.text
    for match in _DL_NUMBER.finditer(text):
        if near(text, match.start(), match.end(), _DL_WORD, before=40, after=40):
            yield Hit("mn_dl", match.start(), match.end(), "mn_dl.context")


def _numeric_date_ok(match: re.Match[str]) -> bool:
    if match.start("year") == match.start():
        return True  # yyyy-mm-dd: the pattern already checked month and day
    first, second = int(match.group("a")), int(match.group("b"))
    if match.group("sep") == "." and len(match.group("year")) == 2:
        return False  # 1.2.34 is a version number far more often than a date
    month_first = 1 <= first <= 12 and 1 <= second <= 31
    day_first = 13 <= first <= 31 and 1 <= second <= 12
    return month_first or day_first


def _dates(text: str) -> Iterator[tuple[int, int, str]]:
    """Dates in ``text``; where two forms overlap, the earlier pattern in the list wins."""
    taken: list[tuple[int, int]] = []
    for detector, pattern in _DATE_PATTERNS:
        earlier = SpanIndex(taken)  # one pattern's own matches never overlap each other
        for match in pattern.finditer(text):
            start, end = match.span()
            if detector == "dob.numeric" and not _numeric_date_ok(match):
                continue
            if earlier.overlaps(start, end):
                continue
            taken.append((start, end))
            yield start, end, detector


def find_dob(doc: Document) -> Iterator[Hit]:
    """Yield date-of-birth hits (a date with a birth word in its sentence) in ``doc``."""
    text = doc.text
    if doc.digit_count == 0 or not _DOB_WORD.search(text):
        return
    hits = []
    for start, end, detector in _dates(text):
        sentence = doc.sentence_at(start)
        if near(text, start, end, _DOB_WORD, before=40, after=30, within=sentence) or (
            _DOB_LABEL.search(text, max(0, start - 30), start)
        ):
            hits.append(Hit("dob", start, end, detector))
    yield from sorted(hits, key=lambda h: h.start)
