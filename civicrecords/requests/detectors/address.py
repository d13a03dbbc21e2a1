"""Street addresses (always routed to review).

A hit is a house number (1-6 digits, optional letter), one to five street-name words and a
street suffix (St, Street, Ave, Rd, Blvd, Dr, Ln, Ct, Pl, Way, Pkwy, Cir, Hwy, Ter, Trl...),
followed by any post-directional, unit (Apt, Unit, Suite, #), city, state and ZIP, which are
included in the span (``street_address.regex``); or a house number on a numbered route
("1234 County Road 42", "500 Highway 7") (``street_address.route``); or a PO box
(``street_address.po_box``).

Guards against prose ("waited 20 minutes on Main St"): a name word may not be a function word
("on", "my", "the"...) nor, in lowercase, a unit or count noun ("minutes", "cars"...);
lowercase street names (up to three words) are accepted only with an unambiguous suffix (st,
ave, rd, blvd, ln, ct...), so "the 5 different way" is not an address but "123 oak st" is; a
year after "in", "since", "by" and the like is not a house number. A street without a house
number ("the pothole on Oak St") is not a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.sentences import accepted_matches, word_set

__all__ = ["find_street_address"]

_SUFFIXES_ANY_CASE = (
    "st|street|ave|av|avenue|rd|road|blvd|boulevard|ln|lane|ct|pkwy|parkway|cir|hwy|highway|"
    "ter|terr|trl|sq|aly|xing|expy|fwy|frwy|plz|cv|crk|bnd|dr"
)
_SUFFIXES_CAPITALIZED = (
    "Drive|Court|Pl|Place|Way|Circle|Terrace|Trail|Square|Alley|Loop|Pt|Point|Crossing|Path|"
    "Pass|Run|Row|Walk|Plaza|Ctr|Center|Bend|Cove|Creek|Freeway|Expressway|Ridge|Curve|"
    "Landing|Crest|Pike|Turnpike"
)
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|N\.E|N\.W|S\.E|S\.W|North|South|East|West)\.?"
_WORD = r"(?:[A-Za-z][\w'.-]*|[0-9]{1,3}(?i:st|nd|rd|th))"
_NUMBER = r"(?<![\w$#.,/:-])(?P<number>[0-9]{1,6}[A-Za-z]?)(?![\w,.:/-][0-9])"
_UNIT = (
    r"(?:,?\s*(?:(?i:apt|apartment|unit|suite|ste|rm|room|lot|fl|floor|bldg|building)\.?\s*#?"
    r"\s*|#\s*)[A-Za-z0-9-]{1,6}\b)"
)
_STATE = r"(?:MN|Minn\.|Minnesota|WI|Wisconsin|IA|Iowa|ND|SD|[A-Z]{2}(?=,?\s+[0-9]{5}))"
_CITY_STATE_ZIP = (
    r"(?:(?:,?\s+[A-Z][a-z]+\.?(?:\s+[A-Z][a-z]+\.?){0,2})?,?\s+"
    rf"{_STATE}\b(?:,?\s+[0-9]{{5}}(?:-[0-9]{{4}})?\b)?|,?\s+[0-9]{{5}}(?:-[0-9]{{4}})?\b)"
)
_TAIL = rf"(?:\s+{_DIRECTION}(?![\w]))?{_UNIT}?{_CITY_STATE_ZIP}?"

_STREET = re.compile(
    rf"{_NUMBER}\s+(?P<name>{_WORD}(?:\s+{_WORD}){{0,4}}?)\s+"
    rf"(?P<suffix>(?i:{_SUFFIXES_ANY_CASE})\b\.?|(?:{_SUFFIXES_CAPITALIZED})\b\.?){_TAIL}"
)
_ROUTE = re.compile(
    rf"{_NUMBER}\s+(?:(?i:county\s+(?:road|rd\.?)|co\.?\s+(?:road|rd)\.?|state\s+highway|"
    r"us\s+highway|highway|hwy\.?|route|rte\.?|cr)\s+[0-9]{1,3}[A-Za-z]?\b)"
    rf"{_TAIL}"
)
_PO_BOX = re.compile(r"\b(?i:p\.?\s?o\.?\s*box|post\s+office\s+box)\s+#?\s*[0-9]{1,6}\b")

_FUNCTION_WORDS = word_set(
    """
    a an the on in at to of and or for is are was were my our your his her their this that
    these those with from by about than into over under near has have had be been it its we
    i you they he she there here no not per each every some any all only just also very
    below above after before since until while when where
    """
)
_LOWERCASE_NOT_NAME_WORDS = _FUNCTION_WORDS | word_set(
    """
    more cars car people persons times minutes mins hours hrs days weeks months years
    dollars blocks feet ft miles mi houses homes kids children dogs trucks buses lights signs
    trees percent pm am inches degrees different other same
    """
)
_YEAR_LEAD = re.compile(
    r"\b(?:in|since|by|of|from|until|till|before|after|during|around|circa|year|summer|"
    r"winter|spring|fall|autumn)\s+$",
    re.IGNORECASE,
)


def _plausible_street(match: re.Match[str]) -> bool:
    words = match.group("name").split()
    for word in words:
        bare = word.lower().strip(".")
        if bare in _FUNCTION_WORDS or (word[0].islower() and bare in _LOWERCASE_NOT_NAME_WORDS):
            return False
    lettered = [w for w in words if w[0].isalpha()]
    all_lower = bool(lettered) and all(w[0].islower() for w in lettered)
    suffix = match.group("suffix").rstrip(".").lower()
    if all_lower and suffix not in _SUFFIXES_ANY_CASE.split("|"):
        return False
    return not (all_lower and len(words) > 3)


def _plausible_number(text: str, match: re.Match[str]) -> bool:
    number = match.group("number")
    if len(number) == 4 and number[:2] in ("19", "20"):
        return not _YEAR_LEAD.search(text, max(0, match.start() - 12), match.start())
    return number.strip("0") != ""


def _street_ok(text: str, match: re.Match[str]) -> bool:
    return _plausible_number(text, match) and _plausible_street(match)


def find_street_address(doc: Document) -> Iterator[Hit]:
    """Yield street-address and PO-box hits in ``doc``, in text order."""
    text = doc.text
    if not doc.digit_count:
        return
    hits: list[Hit] = []
    for match in accepted_matches(_STREET, text, lambda m: _street_ok(text, m)):
        hits.append(
            Hit("street_address", match.start(), _trim(text, match), "street_address.regex")
        )
    for match in accepted_matches(_ROUTE, text, lambda m: _plausible_number(text, m)):
        hits.append(
            Hit("street_address", match.start(), _trim(text, match), "street_address.route")
        )
    for match in _PO_BOX.finditer(text):
        hits.append(Hit("street_address", match.start(), match.end(), "street_address.po_box"))
    yield from sorted(hits, key=lambda h: h.start)


def _trim(text: str, match: re.Match[str]) -> int:
    end = match.end()
    while text[end - 1] in ", ":
        end -= 1
    return end
