"""Telephone numbers and email addresses.

* **phone**: a NANP-shaped number (``612-555-0134``, ``(612) 555-0134``, ``612.555.0134``,
  ``6125550134``, ``+1 612 555 0134``, ``1-800-555-0199``, with an extension after it included)
  or a ``+``-prefixed international one that ``phonenumbers.parse(..., "US")`` accepts and
  ``phonenumbers.is_valid_number`` validates (detector ``phone.nanp`` for +1 numbers,
  ``phone.intl`` otherwise). Candidates come from a regex rather than ``PhoneNumberMatcher``,
  whose fixed cost (~200 us per call) would dominate ``detect``; validation is the same.
  Only texts with at least 7 digits are searched. An unformatted
  digit run right after "order", "invoice", "tracking", "account", "#"... is skipped (the same
  rule as for SSNs), as is one with "account", "checking" or "savings" in its sentence and no
  call word before it. Dotted numbers not grouped 3-3-4 (versions, IP addresses) and numbers
  that continue a dotted or dashed run are not phones. Seven-digit local numbers
  (``555-0134``), which ``phonenumbers`` cannot validate without an area code, are reported as
  ``phone.local`` only with "call", "text", "phone", "cell", "tel", "fax" or "reach" within 30
  characters before.
* **email**: ``local@domain.tld`` with Unicode letters allowed in both parts, plus-addressing,
  subdomains and punycode TLDs (``email.regex``); domains ending in a file extension
  (``logo@2x.png``) are not addresses. Obfuscations (``email.obfuscated``): ``[at]``, ``(at)``,
  ``{at}``, ``<at>`` and ``[@]`` for the at sign, ``[dot]``, ``(dot)``, ``[.]`` for dots, any
  case and spacing, mixed with real ``@``/``.``, any alphabetic TLD. The bare-word form
  ``name at example dot com`` (TLD among com, org, net, edu, gov, us, mil, io, info, biz, co,
  me, mn) is reported only when a mail word ("email", "e-mail", "mail", "contact", "reach",
  "write") is within 40 characters before it or the domain is a large mail provider, because
  "look at city hall dot com" is prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneNumber

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.sentences import (
    accepted_matches,
    labelled_as_other_number,
    near,
    word_set,
)
from civicrecords.requests.detectors.spans import SpanIndex

__all__ = ["find_email", "find_phone"]

_LOCAL_NUMBER = re.compile(
    r"(?<![0-9A-Za-z+(-])(?<![0-9][ .])[2-9][0-9]{2}[-. ][0-9]{4}\b(?![-.][0-9])"
)
_CALL_WORD = re.compile(
    r"\b(?:call|calls|called|text|txt|phone|ph|cell|mobile|tel|telephone|fax|reach|ring)\b",
    re.IGNORECASE,
)
_UNFORMATTED = re.compile(r"\+?[0-9]+")
_SEP = r"[ .\-/]?"
_PHONE_SHAPE = re.compile(
    # NANP: optional +1/1, area code (optionally in parentheses), exchange, line.
    rf"(?<![0-9A-Za-z+])(?<![0-9][.\-])(?:\+\s?)?(?:1{_SEP})?"
    rf"(?:\(\s?[2-9][0-9]{{2}}\s?\)[ \-]?|[2-9][0-9]{{2}}{_SEP})[2-9][0-9]{{2}}{_SEP}[0-9]{{4}}"
    r"(?![0-9])(?![.\-][0-9])"
    # Elsewhere: + and a country code, then 6-14 more digits in groups.
    r"|(?<![0-9A-Za-z+])\+[2-9][0-9]{0,2}(?:[ .\-]?\(?[0-9]{1,5}\)?){2,6}(?![0-9])"
)
_EXTENSION = re.compile(r",?\s*(?:ext\.?|extension|x)\s*[0-9]{1,6}\b", re.IGNORECASE)
_ACCOUNT_WORD = re.compile(r"\b(?:accounts?|acct|checking|savings)\b", re.IGNORECASE)
_LOCAL_PART = r"(?<![\w.+-])[^\W_][\w.+'-]{0,63}"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{1,59})"
_EMAIL = re.compile(rf"(?P<local>{_LOCAL_PART})@(?P<domain>(?:{_LABEL}\.)+{_TLD})(?![\w-])")
_FILE_EXTENSIONS = word_set(
    """
    png jpg jpeg gif svg webp bmp tif tiff heic pdf doc docx xls xlsx ppt txt csv zip
    mp4 mov mp3 wav js css html htm php json xml
    """
)
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_AT = rf"\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*|\s*@\s*|\s+at\s+"
_DOT = rf"\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s+dot\s+|\."
_OBFUSCATED = re.compile(
    rf"(?P<local>{_LOCAL_PART})(?P<at>{_AT})(?P<domain>{_LABEL}(?:(?:{_DOT}){_LABEL}){{0,4}})"
    rf"(?P<dot>{_DOT})(?P<tld>[^\W\d_]{{2,12}})(?![\w-])",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(rf"{_DOT}", re.IGNORECASE)
_BRACKET = re.compile(rf"{_OPEN}\s*(?:at|dot|@|\.)\s*{_CLOSE}", re.IGNORECASE)
_MAYBE_OBFUSCATED = re.compile(rf"dot|\s@|@\s|{_BRACKET.pattern}", re.IGNORECASE)
_MAIL_WORD = re.compile(r"\b(?:e-?mail(?:ed|ing)?|mail|contact|reach|write)\b", re.IGNORECASE)
_MAIL_PROVIDERS = word_set(
    """
    gmail yahoo hotmail outlook aol icloud comcast msn live protonmail proton mac me msn
    ymail att sbc q centurylink charter frontier usfamily mchsi
    """
)
_TLDS = word_set(
    """
    com org net edu gov us mil io info biz co me mn
    """
)


def _other_kind(doc: Document, start: int, end: int) -> bool:
    """True if an unformatted run is labelled, or sits by account words, with no call word."""
    text = doc.text
    if near(text, start, end, _CALL_WORD, before=40, after=0):
        return False
    return labelled_as_other_number(text, start) or near(
        text, start, end, _ACCOUNT_WORD, within=doc.sentence_at(start)
    )


def _valid_number(candidate: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(candidate, "US")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _phone_hits(doc: Document) -> Iterator[Hit]:
    text = doc.text
    for match in _PHONE_SHAPE.finditer(text):
        start, end = match.span()
        number = _valid_number(match.group())
        if number is None:
            continue
        if _UNFORMATTED.fullmatch(match.group()) and _other_kind(doc, start, end):
            continue
        if extension := _EXTENSION.match(text, end):
            end = extension.end()
        detector = "phone.nanp" if number.country_code == 1 else "phone.intl"
        yield Hit("phone", start, end, detector)


def find_phone(doc: Document) -> Iterator[Hit]:
    """Yield telephone-number hits in ``doc``, in text order; nothing below 7 digits."""
    if doc.digit_count < 7:
        return
    hits = list(_phone_hits(doc))
    validated = SpanIndex((h.start, h.end) for h in hits)
    for match in _LOCAL_NUMBER.finditer(doc.text):
        start, end = match.span()
        if validated.overlaps(start, end):
            continue
        if near(doc.text, start, end, _CALL_WORD, before=30, after=0):
            hits.append(Hit("phone", start, end, "phone.local"))
    yield from sorted(hits, key=lambda h: h.start)


def _plausible_obfuscation(doc: Document, match: re.Match[str]) -> bool:
    at, dot = match.group("at"), match.group("dot")
    separators = [at, dot, *_SEPARATOR.findall(match.group("domain"))]
    if all(s.strip() in ("@", ".") and s == s.strip() for s in separators):
        return False  # a plain address; the plain pattern reports it
    if any(_BRACKET.search(s) or s.strip() == "@" for s in separators):
        return True
    if match.group("tld").lower() not in _TLDS:
        return False
    provider = re.split(_SEPARATOR, match.group("domain"))[0].lower()
    return provider in _MAIL_PROVIDERS or near(
        doc.text, match.start(), match.end(), _MAIL_WORD, before=40, after=0
    )


def find_email(doc: Document) -> Iterator[Hit]:
    """Yield email-address hits in ``doc``, in text order (plain and obfuscated)."""
    text = doc.text
    hits: list[Hit] = []
    if "@" in text:
        for match in _EMAIL.finditer(text):
            local = match.group("local")
            tld = match.group("domain").rsplit(".", 1)[1].lower()
            if ".." in local or local.endswith(".") or tld in _FILE_EXTENSIONS:
                continue
            hits.append(Hit("email", match.start(), match.end(), "email.regex"))
    if _MAYBE_OBFUSCATED.search(text):
        plain = SpanIndex((h.start, h.end) for h in hits)

        def accept(match: re.Match[str]) -> bool:
            return not plain.overlaps(*match.span()) and _plausible_obfuscation(doc, match)

        for match in accepted_matches(_OBFUSCATED, text, accept):
            hits.append(Hit("email", match.start(), match.end(), "email.obfuscated"))
    yield from sorted(hits, key=lambda h: h.start)
