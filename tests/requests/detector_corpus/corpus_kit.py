"""Shared pieces of the corpus generator: line building, Unicode tricks, number rules.

Everything here is independent of ``civicrecords.requests.detectors`` (never imported), so the
labels the generator writes cannot drift with the rules they test.
"""

from __future__ import annotations

import random
from collections.abc import Callable

SEED = 20240611
OPEN, CLOSE = "⟦", "⟧"

Line = dict[str, object]


# --------------------------------------------------------------------------------------------
# Building lines
# --------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The whitespace-separated words of ``text`` (compact word lists)."""
    return text.split()


def phrases(text: str) -> list[str]:
    """The ``|``-separated phrases of ``text`` (compact phrase lists)."""
    return text.split("|")


def mark(text: str, note: str) -> Line:
    """Turn ``⟦value⟧``-marked text into a corpus line (markers removed, spans recorded)."""
    out: list[str] = []
    spans: list[list[int]] = []
    length = 0
    start: int | None = None
    for ch in text:
        if ch == OPEN:
            assert start is None, text
            start = length
        elif ch == CLOSE:
            assert start is not None and start < length, text
            spans.append([start, length])
            start = None
        else:
            out.append(ch)
            length += 1
    assert start is None, text
    return {"text": "".join(out), "spans": spans, "note": note}


def m(value: str) -> str:
    """Wrap ``value`` in span markers."""
    return f"{OPEN}{value}{CLOSE}"


# Neutral openers and closers: no numbers, no keywords of any category.
OPENERS = [
    "",
    "",
    "",
    "Hi, ",
    "Hello, ",
    "Hi there! ",
    "Good morning. ",
    "Question for the city: ",
    "Not sure who to ask, ",
    "Following up on my message from last week. ",
    "Thanks for posting this. ",
    "Re: the new trash carts. ",
    "Please help! ",
    "Sorry if this is the wrong place. ",
]
CLOSERS = [
    "",
    "",
    "",
    " Thanks!",
    " Thank you.",
    " Please advise.",
    " Appreciate it!",
    " Any help is appreciated.",
    " Thanks in advance.",
    " 🙏",
    " Have a great day.",
    " Who do I talk to about this?",
]


def around(rng: random.Random, core: str) -> str:
    """Put a neutral opener and closer around ``core``."""
    return rng.choice(OPENERS) + core + rng.choice(CLOSERS)


# --------------------------------------------------------------------------------------------
# Unicode tricks
# --------------------------------------------------------------------------------------------

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]
SPACES = ["\u00a0", "\u202f", "\u2007", "\u2009", "\u3000"]


def fullwidth(value: str) -> str:
    table = {ord(str(d)): chr(0xFF10 + d) for d in range(10)}
    table[ord("-")] = "\uff0d"
    return value.translate(table)


def arabic_indic(value: str) -> str:
    return value.translate({ord(str(d)): chr(0x0660 + d) for d in range(10)})


def math_digits(value: str) -> str:
    return value.translate({ord(str(d)): chr(0x1D7CE + d) for d in range(10)})


def zero_width(rng: random.Random, value: str) -> str:
    chars = list(value)
    for _ in range(rng.randint(1, 3)):
        chars.insert(rng.randint(1, len(chars) - 1), rng.choice(ZERO_WIDTH))
    return "".join(chars)


def unicode_dashes(rng: random.Random, value: str) -> str:
    dash = rng.choice(DASHES)
    return value.replace("-", dash)


def unicode_spaces(rng: random.Random, value: str) -> str:
    space = rng.choice(SPACES)
    return value.replace(" ", space)


def trick(rng: random.Random, value: str) -> tuple[str, str]:
    """Apply one Unicode trick that fits ``value``; return it and a note."""
    options: list[tuple[str, Callable[[str], str]]] = [
        ("fullwidth digits", fullwidth),
        ("zero-width chars inside", lambda v: zero_width(rng, v)),
        ("fullwidth + zero-width", lambda v: zero_width(rng, fullwidth(v))),
        ("arabic-indic digits", arabic_indic),
        ("mathematical digits", math_digits),
    ]
    if "-" in value:
        options.append(("unicode dashes", lambda v: unicode_dashes(rng, v)))
        options.append(
            ("unicode dashes + zero-width", lambda v: zero_width(rng, unicode_dashes(rng, v)))
        )
    if " " in value:
        options.append(("unicode spaces", lambda v: unicode_spaces(rng, v)))
    note, fn = rng.choice(options)
    return fn(value), note


def maybe_trick(rng: random.Random, value: str, share: float = 0.3) -> tuple[str, str]:
    if rng.random() < share:
        return trick(rng, value)
    return value, "plain"


# --------------------------------------------------------------------------------------------
# Number rules (independent of the detectors)
# --------------------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError(body)


def aba_ok(digits: str) -> bool:
    weights = [3, 7, 1] * 3
    return sum(w * int(c) for w, c in zip(weights, digits, strict=True)) % 10 == 0


ABA_PREFIXES = list(range(0, 13)) + list(range(21, 33)) + list(range(61, 73)) + [80]
BAD_ABA_PREFIXES = [p for p in range(100) if p not in ABA_PREFIXES]


def routing_number(rng: random.Random, prefixes: list[int] = ABA_PREFIXES) -> str:
    while True:
        body = f"{rng.choice(prefixes):02d}" + "".join(rng.choice("0123456789") for _ in range(6))
        for d in "0123456789":
            if aba_ok(body + d):
                return body + d


SSN_SAMPLES = {"078051120", "219099999"} | {f"98765432{d}" for d in range(10)}
ITIN_GROUPS = list(range(50, 66)) + list(range(70, 89)) + [90, 91, 92] + list(range(94, 100))


def ssn_digits(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area == 666:
            continue
        value = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if value not in SSN_SAMPLES and len(set(value)) > 1:
            return value


def itin_digits(rng: random.Random) -> str:
    while True:
        value = f"9{rng.randint(0, 99):02d}{rng.choice(ITIN_GROUPS):02d}{rng.randint(1, 9999):04d}"
        if value not in SSN_SAMPLES:
            return value


def ssn_format(digits: str, sep: str) -> str:
    return f"{digits[:3]}{sep}{digits[3:5]}{sep}{digits[5:]}"


def digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def looks_like_card(number: str) -> bool:
    return (
        12 <= len(number) <= 19
        and number[0] in "23456"
        and luhn_ok(number)
        and len(set(number)) > 1
    )


# Area codes that are assigned (Minnesota first), and exchanges that are valid everywhere.
AREA_CODES = words("612 651 763 952 218 320 507 612 651 763 312 414 608 515 701 605 415 202")


def exchange(rng: random.Random) -> str:
    while True:
        value = digits(rng, 3, "23456789")
        if value[1:] != "11" and value != "555":
            return value


def phone_digits(rng: random.Random) -> tuple[str, str, str]:
    area = rng.choice(AREA_CODES)
    if rng.random() < 0.4:
        return area, "555", f"01{rng.randint(0, 99):02d}"
    return area, exchange(rng), digits(rng, 4)


def phone_format(rng: random.Random, area: str, ex: str, line: str) -> str:
    forms = [
        f"{area}-{ex}-{line}",
        f"({area}) {ex}-{line}",
        f"{area}.{ex}.{line}",
        f"{area} {ex} {line}",
        f"{area}{ex}{line}",
        f"1-{area}-{ex}-{line}",
        f"+1 {area} {ex} {line}",
        f"+1 ({area}) {ex}-{line}",
        f"+1-{area}-{ex}-{line}",
        f"({area}){ex}-{line}",
        f"1 ({area}) {ex}-{line}",
        f"+1{area}{ex}{line}",
    ]
    return rng.choice(forms)


CARD_KINDS = [
    ("visa", "4", 16),
    ("visa", "4", 16),
    ("visa", "4", 13),
    ("visa", "4", 19),
    ("mastercard", "51", 16),
    ("mastercard", "53", 16),
    ("mastercard", "55", 16),
    ("mastercard", "2221", 16),
    ("mastercard", "2720", 16),
    ("mastercard", "23", 16),
    ("amex", "34", 15),
    ("amex", "37", 15),
    ("discover", "6011", 16),
    ("discover", "65", 16),
    ("diners", "36", 14),
    ("diners", "38", 14),
    ("jcb", "35", 16),
    ("unionpay", "62", 16),
    ("unionpay", "62", 19),
    ("maestro", "6759", 12),
    ("maestro", "50", 18),
]


def card_number(rng: random.Random, prefix: str, length: int) -> str:
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        number = luhn_complete(body)
        if len(set(number)) > 1:
            return number


def card_format(rng: random.Random, number: str, kind: str) -> tuple[str, str]:
    n = len(number)
    sep = rng.choice([" ", " ", "-", ""])
    if sep == "":
        return number, "contiguous"
    if (kind == "amex" and n == 15) or (kind == "diners" and n == 14):
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i : i + 4] for i in range(0, n, 4)]
    return sep.join(groups), f"groups sep={sep!r}"
