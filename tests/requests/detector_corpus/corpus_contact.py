"""Corpus lines for ``phone`` and ``email``."""

from __future__ import annotations

import random

from corpus_kit import (
    CARD_KINDS,
    SEED,
    Line,
    around,
    card_format,
    card_number,
    digits,
    exchange,
    m,
    mark,
    maybe_trick,
    phone_digits,
    phone_format,
    ssn_digits,
    ssn_format,
    trick,
    words,
)

# --------------------------------------------------------------------------------------------
# phone
# --------------------------------------------------------------------------------------------

PHONE_TEMPLATES = [
    "Please call me at {v} about the pothole on Oak St",
    "My number is {v} if someone from public works can call back",
    "text me {v}",
    "You can reach me at {v} after 5pm",
    "Call {v} - that's the landlord who isn't shoveling",
    "cell: {v}",
    "The number on the flyer is {v}, is that legit or a scam?",
    "Left a voicemail at {v} but nobody called back",
    "Phone {v}",
    "Call or text {v} if you found a black lab near the park",
    "My mom's number is {v}, she can't hear well so please be patient",
    "I called {v} three times about the missed recycling pickup",
    "For the garage sale permit contact {v}",
    "Tel. {v}",
    "{v} - call anytime",
    "Lost cat! Call {v}",
]


def phone_lines() -> list[Line]:
    rng = random.Random(SEED + 6)
    lines: list[Line] = []
    for i in range(190):
        area, ex, line = phone_digits(rng)
        value, note = maybe_trick(rng, phone_format(rng, area, ex, line), 0.3)
        template = PHONE_TEMPLATES[i % len(PHONE_TEMPLATES)]
        lines.append(mark(around(rng, template.format(v=m(value))), f"phone {note}"))
    for i in range(20):
        value = f"{exchange(rng)}-{digits(rng, 4)}"
        template = ["call me at {v}", "Text {v} for info", "phone: {v}", "my cell is {v}"][i % 4]
        lines.append(mark(template.format(v=m(value)), "7-digit local number with a call word"))
    lines += [
        mark(
            "Please call me at ⟦612-555-0134⟧ about the pothole on Oak St",
            "the example from the brief",
        ),
        mark("call ⟦(612) 555-0134 ext. 12⟧", "extension"),
        mark("call ⟦612\u2011555\u20110134⟧", "non-breaking hyphens"),
        mark("call ⟦６１２－５５５－０１３４⟧", "fullwidth"),
        mark("call ⟦612\u200b-555-0134⟧", "zero-width space"),
        mark("call ⟦612\u00a0555\u00a00134⟧", "non-breaking spaces"),
        mark("call ⟦+1\u00a0612\u00a0555\u00a00134⟧", "+1 with nbsp"),
        mark("UK relatives: ⟦+44 20 7946 0958⟧", "international with +"),
        mark("two numbers: ⟦612-555-0134⟧ or ⟦651-555-0199⟧", "two numbers"),
        mark("⟦612-555-0134⟧/⟦651-555-0199⟧", "slash-separated pair"),
        mark("call me (⟦612.555.0134⟧)", "parentheses"),
        mark("Office: ⟦1 (800) 555-0199⟧", "toll-free"),
        mark("call ⟦651-555-0134⟧.", "trailing period"),
        mark("number:⟦6125550134⟧", "no space after colon"),
        mark("📞 ⟦612-555-0134⟧", "emoji before"),
    ]
    # Negatives.
    labels = [
        "Order #",
        "Invoice ",
        "Tracking number ",
        "Confirmation ",
        "Case #",
        "Permit ",
        "Account ",
        "Ref ",
    ]
    for i in range(60):
        area, ex, line = phone_digits(rng)
        lines.append(
            mark(
                around(rng, f"{labels[i % len(labels)]}{area}{ex}{line} is still pending"),
                "unformatted 10 digits labelled as another number",
            )
        )
    for _ in range(30):
        bad_area = rng.choice(["123", "012", "111", "555", "000", "199"])
        value = f"{bad_area}-{exchange(rng)}-{digits(rng, 4)}"
        lines.append(mark(f"Call {value} for info", "invalid area code"))
    for _ in range(20):
        value = f"{exchange(rng)}-{digits(rng, 4)}"
        lines.append(mark(f"Permit {value} was approved", "7 digits without a call word"))
    for _ in range(20):
        lines.append(mark(f"ZIP code 55{rng.randint(100, 999)}-{digits(rng, 4)}", "ZIP+4"))
    for _ in range(20):
        lines.append(
            mark(
                f"The meeting is {rng.randint(1, 12)}/{rng.randint(1, 28)}/20{rng.randint(10, 30)}"
                f" at {rng.randint(1, 12)}:{rng.randint(10, 59)}",
                "date and time",
            )
        )
    for _ in range(15):
        lines.append(mark(f"SSN {ssn_format(ssn_digits(rng), '-')}", "SSN"))
    for i in range(15):
        kind, prefix, length = CARD_KINDS[i % len(CARD_KINDS)]
        formatted, _ = card_format(rng, card_number(rng, prefix, length), kind)
        lines.append(mark(f"charge {formatted}", "card number"))
    lines += [
        mark("Call 911 in an emergency", "911"),
        mark("Call 311 for non-emergencies", "311"),
        mark("Dial 211 for help with rent", "211"),
        mark("Budget $6,125,550,134", "money"),
        mark("Version 6.12.555.0134", "version string"),
        mark("IP 61.255.50.134", "IP address"),
        mark("Hours 9-5, Mon-Fri", "hours"),
        mark("Scores: 612 to 555", "scores"),
        mark("Order #6125550134", "order number"),
        mark("Tracking 1Z6125550134", "tracking"),
        mark("Route 612 bus", "route"),
        mark("The 612 area code is running out", "area code alone"),
        mark("Years 2019-2023 were rough", "year range"),
        mark("Call 555-555-5555", "555 area code"),
        mark("call 612-555-013", "too short"),
        mark("SKU 6125550134", "SKU"),
        mark("Call me at 1-2-3, just kidding", "joke"),
        mark("Room 612, 555 Main St", "room and house number"),
        mark("Population 612555", "six digits"),
        mark("Call the number on the back of the card", "no number"),
    ]
    return lines


# --------------------------------------------------------------------------------------------
# email
# --------------------------------------------------------------------------------------------

FIRST = words(
    "jane john maria ahmed mai tou sarah mike linda deshawn olga kevin fatima nguyen erik ingrid"
)
LAST = words(
    "doe smith lopez hassan vang xiong olson johnson nelson anderson jackson nguyen lindqvist ali "
    "peterson"
)
DOMAINS = words(
    "gmail.com yahoo.com hotmail.com outlook.com comcast.net icloud.com aol.com example.org "
    "umn.edu ci.maplewood.mn.us state.mn.us mail.example.co.uk q.com protonmail.com live.com "
    "usfamily.net example.com"
)
UNICODE_EMAILS = words(
    "josé.garcía@ejemplo.mx müller@beispiel.de 用户@例子.广告 info@münchen.de søren@eksempel.dk "
    "ñandú@correo.es δοκιμή@παράδειγμα.δοκιμή anaïs@exemple.fr"
)


def email_address(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first}{last}",
            f"{first[0]}{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}.{last}+city",
            f"{first}{rng.randint(1950, 2005)}",
            f"{last}.{first}",
            f"{first}-{last}",
            f"{first.upper()}.{last.upper()}",
            f"{first}+{rng.choice(['parks', 'water', 'news'])}",
        ]
    )
    return f"{local}@{rng.choice(DOMAINS)}"


def obfuscate(rng: random.Random, address: str) -> str:
    local, domain = address.split("@")
    style = rng.randint(0, 5)
    ats = [" [at] ", "(at)", " {at} ", " [@] ", " (at) ", "[at]"]
    dots = [" [dot] ", "(dot)", " {dot} ", "[.]", " (dot) ", "[dot]"]
    at, dot = ats[style], dots[style]
    if rng.random() < 0.2:
        at, dot = at.upper(), dot.upper()
    return local + at + dot.join(domain.split("."))


EMAIL_TEMPLATES = [
    "You can email me at {v} about the tree removal",
    "my email is {v}",
    "Please send the permit application to {v}",
    "Contact: {v}",
    "{v} - that's my email if the parks dept needs the photos",
    "I sent the photos to {v} but got no reply",
    "email {v} for tickets to the fundraiser",
    "Reply to {v} please, I'm not on here much",
    "Send the agenda to {v} and {w}",
    "e-mail: {v}",
    "My new address is {v} (old one bounced)",
    "Is {v} the right address for code enforcement?",
]


def email_lines() -> list[Line]:
    rng = random.Random(SEED + 7)
    lines: list[Line] = []
    for i in range(150):
        template = EMAIL_TEMPLATES[i % len(EMAIL_TEMPLATES)]
        v = email_address(rng)
        if rng.random() < 0.2:
            v, note = trick(rng, v)
        else:
            note = "plain"
        lines.append(
            mark(around(rng, template.format(v=m(v), w=m(email_address(rng)))), f"email {note}")
        )
    for i in range(40):
        template = EMAIL_TEMPLATES[i % len(EMAIL_TEMPLATES)]
        v = obfuscate(rng, email_address(rng))
        lines.append(
            mark(
                around(rng, template.format(v=m(v), w=m(obfuscate(rng, email_address(rng))))),
                "bracketed obfuscation",
            )
        )
    for i, address in enumerate(UNICODE_EMAILS * 2):
        template = EMAIL_TEMPLATES[i % len(EMAIL_TEMPLATES)]
        lines.append(
            mark(
                template.format(v=m(address), w=m(UNICODE_EMAILS[(i + 1) % len(UNICODE_EMAILS)])),
                "unicode address",
            )
        )
    lines += [
        mark("email me at ⟦jsmith at gmail dot com⟧", "bare words, big provider"),
        mark(
            "Email: ⟦maria lopez at example dot org⟧",
            "hard: local part with a space (only 'lopez at example dot org' matches)",
        ),
        mark("you can e-mail ⟦tou.vang at example dot org⟧", "bare words, mail word before"),
        mark("contact ⟦olga AT comcast DOT net⟧", "bare words uppercase"),
        mark("reach me: ⟦erik at yahoo dot com⟧", "bare words, provider"),
        mark("⟦jane@example[.]com⟧", "real @, bracketed dot"),
        mark("⟦jane@example dot com⟧", "real @, bare dot"),
        mark("⟦jane @ example.com⟧", "spaces around @"),
        mark("⟦jane(at)example(dot)co(dot)uk⟧", "parenthesized, two dots"),
        mark("⟦jane\u200b@example.com⟧", "zero-width space before @"),
        mark("⟦ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ⟧", "fullwidth letters and at sign"),
        mark("(⟦jane@example.com⟧).", "parentheses and period"),
        mark("<⟦jane@example.com⟧>", "angle brackets"),
        mark("mailto:⟦jane@example.com⟧", "mailto"),
        mark("'⟦jane@example.com⟧'", "quoted"),
        mark("⟦JANE.DOE@EXAMPLE.COM⟧", "upper case"),
        mark("⟦a@b.co⟧", "shortest"),
        mark("⟦first.middle.last+tag-x@sub.dept.example.mn.us⟧", "long with subdomains"),
        mark("⟦o'brien@example.com⟧", "apostrophe in local part"),
        mark("⟦user@xn--mnchen-3ya.de⟧", "punycode domain"),
        mark("emails: ⟦a.b@example.com⟧,⟦c.d@example.com⟧", "comma without space"),
        mark("⟦jane.doe@example.com⟧\n⟦john.doe@example.com⟧", "one per line"),
        mark("my email ⟦jane\u00ad.doe@example.com⟧", "soft hyphen inside"),
        mark("⟦jane@gmail.com⟧?", "question mark after"),
        mark("email ⟦jane [at] gmail [dot] com⟧ or call", "spaced brackets"),
        mark("⟦jane[at]gmail[dot]com⟧", "tight brackets"),
        mark("⟦jane {at} gmail {dot} com⟧", "braces"),
        mark("⟦JANE [AT] GMAIL [DOT] COM⟧", "uppercase brackets"),
    ]
    # Negatives.
    handles = words("@CityOfMaplewood @mnDOT @jane_doe @StPaulPD @MplsParks @ramseycounty")
    for i in range(40):
        lines.append(
            mark(
                around(rng, f"Thanks {handles[i % len(handles)]} for the quick fix on our street"),
                "social handle",
            )
        )
    for _ in range(30):
        lines.append(
            mark(
                f"The {rng.choice(['logo', 'icon', 'banner', 'photo'])}@{rng.choice(['2x', '3x'])}."
                f"{rng.choice(['png', 'jpg', 'webp'])} on the city site is blurry",
                "image file name",
            )
        )
    negatives = [
        ("Email me please, I can't find the form", "email word, no address"),
        ("Meet me at city hall dot com", "prose"),
        ("Look at example dot com for the schedule", "bare words without mail context or provider"),
        ("Check out the site at cityofmaplewood dot org", "website mention"),
        ("user@localhost", "no TLD"),
        ("jane@example", "no TLD"),
        ("@example.com", "no local part"),
        ("jane@", "no domain"),
        ("Tickets are 2 @ $5", "at sign as 'each'"),
        ("Meeting @ 6pm in the council chambers", "at sign as 'at'"),
        ("The park @ 5th and Main", "at sign in an address"),
        ("npm install pkg@1.2.3 broke the city app lol", "package version"),
        ("https://www.example.com/contact", "URL"),
        ("www.ci.maplewood.mn.us", "web address"),
        ("See #MaplewoodParks for photos", "hashtag"),
        ("jane at the park dot", "broken phrase"),
        ("We'll be at the farmers market dot com booth", "prose"),
        ("email the clerk at the front desk", "email word and at, no address"),
        ("Send it to jane dot doe at work", "bare words, no tld"),
        ("The event at Como Park dot Saturday", "prose with dot"),
        ("a@b", "no domain dot"),
        ("Price: 10@20%", "numbers"),
        ("first.last@", "no domain"),
        ("Score was 3@2", "score"),
        ("Email addresses are not public data, right?", "question"),
        ("git@github", "no TLD"),
        ("The sign @ Lake St is down", "at sign"),
        ("john at home, call later", "bare at, no dot"),
        (
            "I'm at hennepin dot gov all day",
            "hard: bare-word phrase with a government TLD and no mail word (not flagged: correct)",
        ),
        ("photo_2024@2x.jpeg", "file name"),
    ]
    for text, note in negatives * 5:
        lines.append(mark(around(rng, text), note))
    return lines
