"""Payment cards, ABA routing numbers and bank accounts (Minn. Stat. 13.37 candidates).

* **card**: 12-19 digits, either one unbroken run, groups of 4+ digits, or a first group of 4
  digits followed by groups of 4-6 digits (the last 1-6), joined by single spaces or dashes
  (mixed allowed), passing Luhn, not all one digit, and starting with 2-6 (the major
  networks: Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro 6).
  Tracking numbers (FedEx 7..., USPS 9...) and most order numbers fail that last test. The
  number must start a digit run; when a CVV or expiry is typed right after it ("4111 1111
  1111 1111 123"), the longest leading stretch of at least 14 digits that qualifies is
  reported.
* **aba_routing**: exactly 9 digits, first two in 00-12, 21-32, 61-72 or 80, passing the 3-7-1
  checksum, **and** a context word ("routing", "ABA", "RTN", "transit", "bank", "deposit",
  "wire") within 40 characters. A bare 9-digit number passes the checksum and prefix test
  about 4% of the time, so requiring context keeps order and case numbers out; the cost is
  that a routing number posted with no explanation is not flagged (see the benchmark). Not
  when labelled as an account ("account 091000019") or next to an SSN word in its sentence.
* **bank_account**: 8-17 digits (groups of 2+ joined by single spaces or dashes allowed) with
  "account", "acct", "a/c", "checking", "savings", "bank" or "deposit" within 40 characters
  before or 30 after in the same sentence (or an account label right before it, even across
  a line break), not labelled as another kind of number ("order 12345678"), not an amount
  (``$`` before, decimals or ``%`` after). The engine drops it where a card, SSN, routing or
  phone number covers the same digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.sentences import near, number_label
from civicrecords.requests.detectors.ssn import SSN_WORD

__all__ = [
    "aba_checksum_valid",
    "aba_valid",
    "find_aba_routing",
    "find_bank_account",
    "find_card",
    "luhn_valid",
]

_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z])")
_GROUP = re.compile(r"[0-9]+")
_NINE = re.compile(r"(?<![0-9A-Za-z])(?<![0-9][-.])[0-9]{9}(?![0-9A-Za-z])(?![-.][0-9])")
_ABA_WORD = re.compile(
    r"\b(?:routing|aba|rtn|r/t|transit|bank(?:ing)?|deposits?|wire)\b", re.IGNORECASE
)
_ACCOUNT_NUMBER = re.compile(
    r"(?<![0-9A-Za-z$])(?<![0-9][-.])[0-9]{2,}(?:[ -][0-9]{2,})*(?![0-9A-Za-z%])(?!\.[0-9])"
)
_ACCOUNT_WORD = re.compile(
    r"\b(?:accounts?|acct|a/c|checking|savings|bank(?:ing)?|deposits?)\b|\bacct#", re.IGNORECASE
)
_ACCOUNT_LABELS = frozenset({"account", "acct", "checking", "savings"})
_ABA_PREFIXES = frozenset(range(0, 13)) | frozenset(range(21, 33)) | frozenset(range(61, 73))
_ABA_PREFIXES |= {80}


def luhn_valid(digits: str) -> bool:
    """True if the ASCII digit string ``digits`` (at least 2 digits) passes the Luhn check."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def aba_checksum_valid(digits: str) -> bool:
    """True if ``digits`` is 9 ASCII digits whose 3-7-1 weighted sum is a multiple of 10."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    weights = (3, 7, 1) * 3
    return sum(w * (ord(c) - 48) for w, c in zip(weights, digits, strict=True)) % 10 == 0


def aba_valid(digits: str) -> bool:
    """True if ``digits`` passes the ABA checksum and starts with a Federal Reserve prefix."""
    return aba_checksum_valid(digits) and int(digits[:2]) in _ABA_PREFIXES


def _is_card_number(digits: str) -> bool:
    return (
        12 <= len(digits) <= 19
        and digits[0] in "23456"
        and len(set(digits)) > 1
        and luhn_valid(digits)
    )


def _card_stretches(groups: list[str]) -> Iterator[int]:
    """Yield ``last`` for each card-shaped stretch ``groups[0:last + 1]`` of one digit run.

    A stretch is the whole run when all its groups have 4+ digits, the run's first group alone
    (12-19 digits), or a 4-digit first group followed by middle groups of 4-6 digits and a
    last group of 1-6 digits. A stretch shorter than the whole run (a CVV or expiry typed after
    the number) must hold at least 14 digits.
    """
    if len(groups) > 1 and all(len(g) >= 4 for g in groups) and _is_card_number("".join(groups)):
        yield len(groups) - 1  # the whole run, however grouped (e.g. a stripped zero-width gap)
    if len(groups[0]) >= 12:
        if _is_card_number(groups[0]) and (len(groups) == 1 or len(groups[0]) >= 14):
            yield 0
        return
    if len(groups[0]) != 4:
        return
    digits = groups[0]
    for last in range(1, len(groups)):
        if last > 1 and not 4 <= len(groups[last - 1]) <= 6:
            return
        digits += groups[last]
        if len(digits) > 19:
            return
        whole_run = last == len(groups) - 1
        if len(groups[last]) <= 6 and (whole_run or len(digits) >= 14) and _is_card_number(digits):
            yield last


def find_card(doc: Document) -> Iterator[Hit]:
    """Yield payment card hits in ``doc``, in text order."""
    if doc.digit_count < 12:
        return
    text = doc.text
    for run in _DIGIT_RUN.finditer(text):
        if len(run.group()) < 12:
            continue
        spans = [g.span() for g in _GROUP.finditer(text, run.start(), run.end())]
        ends = list(_card_stretches([text[a:b] for a, b in spans]))
        if ends:
            yield Hit("card", run.start(), spans[max(ends)][1], "card.luhn")


def find_aba_routing(doc: Document) -> Iterator[Hit]:
    """Yield routing-number hits (checksum, prefix and a nearby context word) in ``doc``."""
    if doc.digit_count < 9:
        return
    text = doc.text
    for match in _NINE.finditer(text):
        start, end = match.span()
        if not aba_valid(match.group()) or number_label(text, start) in _ACCOUNT_LABELS:
            continue
        if near(text, start, end, SSN_WORD, within=doc.sentence_at(start)):
            continue
        if near(text, start, end, _ABA_WORD, before=40, after=30):
            yield Hit("aba_routing", start, end, "aba_routing.checksum")


def find_bank_account(doc: Document) -> Iterator[Hit]:
    """Yield bank-account hits (8-17 digits with a nearby account word) in ``doc``."""
    if doc.digit_count < 8:
        return
    text = doc.text
    for match in _ACCOUNT_NUMBER.finditer(text):
        start, end = match.span()
        digits = sum(ch.isdigit() for ch in match.group())
        label = number_label(text, start)
        if not 8 <= digits <= 17 or label not in _ACCOUNT_LABELS | {None}:
            continue
        sentence = doc.sentence_at(start)
        if label or near(text, start, end, _ACCOUNT_WORD, before=40, after=30, within=sentence):
            yield Hit("bank_account", start, end, "bank_account.context")
