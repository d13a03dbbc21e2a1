"""Corpus lines for ``ssn`` (SSNs and ITINs)."""

from __future__ import annotations

import random

from corpus_kit import (
    ITIN_GROUPS,
    SEED,
    Line,
    around,
    itin_digits,
    m,
    mark,
    maybe_trick,
    phone_digits,
    phone_format,
    ssn_digits,
    ssn_format,
    trick,
)

# --------------------------------------------------------------------------------------------
# ssn
# --------------------------------------------------------------------------------------------

SSN_POSITIVE_TEMPLATES = [
    "My SSN is {v}, can you please remove it from my comment above?",
    "I accidentally posted my social security number {v} in the other thread, please delete it",
    "ssn {v}",
    "For the utility assistance application: Jane Doe, SSN {v}, household of 3.",
    "The online form keeps rejecting my social {v}. Is the portal down?",
    "Social Security #: {v}",
    "{v} is my SSN, why does the rental license portal even need it??",
    "Here is the number the clerk asked for: {v}. Hope it's ok to post here.",
    "my social security # {v} - please update the water account name",
    "SS# {v}",
    "Why did the assessor's letter print my SSN ({v}) on the envelope?!",
    "Name: Mark Olson\nSSN: {v}\nRe: snow removal reimbursement",
    "can someone from the city DM me? my soc sec number is {v}",
    "Posting for my mom who doesn't use Facebook, her SSN is {v} and she needs the senior "
    "discount form",
    "Social security number {v} (this is for the homestead application)",
    "I was told to include my SSN {v} when I reply here",
    "Fraud alert: someone used my SSN {v} to open a utility account in my name",
    "SSN - {v}",
    "ssn:{v}",
    "My husband's SSN is {v} if you need it for the permit",
]
SSN_PAIR_TEMPLATES = [
    "Our SSNs are {v} and {w} for the assistance application.",
    "ssn {v} / spouse ssn {w}",
    "Me: {v}, my wife: {w}. That's everything the form asked for.",
]
ITIN_TEMPLATES = [
    "I don't have an SSN, my ITIN is {v}. Can I still get a parking permit?",
    "Tax ID (ITIN): {v}",
    "ITIN {v} for the rental registration",
    "My ITIN number {v} was rejected by the payment page",
    "I used my ITIN, {v}, on the form",
]
SSN_BARE_POSITIVES = [
    "Here's everything: Maria Lopez, 1234 Pine St, {v}.",
    "the number on my card is {v}, not sure what else you need",
    "Please fix my record, the number should be {v}",
]

SSN_NEGATIVE_TEMPLATES = [
    ("Order #{n9} still hasn't shown up, who do I contact?", "order number"),
    ("My invoice {n9} from the parks department is wrong", "invoice number"),
    ("Tracking number {n9} says delivered but no yard waste bags", "tracking number"),
    ("Confirmation no. {n9} for the shelter reservation", "confirmation number"),
    ("Case {n9} was closed without anyone calling me back", "case number"),
    ("Permit #{n9} has been pending for 6 weeks", "permit number"),
    ("Parcel ID {n9} - why did the assessment go up 20%?", "parcel id"),
    ("Account {n9} was double charged for water", "account number"),
    ("Ref {n9}", "reference number"),
    ("Ticket #{n9} for the pothole on Elm", "ticket number"),
    ("receipt {n9} from the dog license payment", "receipt number"),
    ("My claim number is {n9} for the sewer backup", "claim number"),
    ("Meter {n9} reads way too high", "meter number"),
    ("Transaction ID {n9} failed but I was still charged", "transaction id"),
]


def ssn_lines() -> list[Line]:
    rng = random.Random(SEED + 1)
    lines: list[Line] = []
    seps = ["-", "-", "-", "-", " ", ".", ""]
    # Positives: templates x separators x tricks.
    for i in range(150):
        template = SSN_POSITIVE_TEMPLATES[i % len(SSN_POSITIVE_TEMPLATES)]
        sep = (
            seps[i % len(seps)]
            if "ssn" in template.lower() or "social" in template.lower()
            else rng.choice(["-", " ", "."])
        )
        value, note = maybe_trick(rng, ssn_format(ssn_digits(rng), sep), 0.35)
        lines.append(mark(around(rng, template.format(v=m(value))), f"ssn sep={sep!r} {note}"))
    for i in range(18):
        template = SSN_PAIR_TEMPLATES[i % len(SSN_PAIR_TEMPLATES)]
        v, _ = maybe_trick(rng, ssn_format(ssn_digits(rng), "-"), 0.3)
        w, _ = maybe_trick(rng, ssn_format(ssn_digits(rng), rng.choice(["-", " "])), 0.3)
        lines.append(mark(template.format(v=m(v), w=m(w)), "two ssns"))
    for i in range(20):
        template = ITIN_TEMPLATES[i % len(ITIN_TEMPLATES)]
        sep = rng.choice(["-", "-", " "]) if i % 4 else ""
        value, note = maybe_trick(rng, ssn_format(itin_digits(rng), sep), 0.3)
        lines.append(mark(around(rng, template.format(v=m(value))), f"itin sep={sep!r} {note}"))
    for i in range(9):
        template = SSN_BARE_POSITIVES[i % len(SSN_BARE_POSITIVES)]
        sep = ["-", " ", ""][i % 3]
        lines.append(
            mark(template.format(v=m(ssn_format(ssn_digits(rng), sep))), "ssn without context word")
        )
    lines += [
        mark(
            "My SSN is ⟦123-45-6789⟧",
            "123-45-6789 is reported by design (placeholder, but harmless to redact)",
        ),
        mark("SSN：⟦１２３－４５－６７８９⟧ thanks", "fullwidth colon, digits and dash"),
        mark("ssn ⟦123\u200b-45-67\u200b89⟧ please delete", "zero-width spaces inside"),
        mark("SSN ⟦4\u00ad12-55-0\u00ad198⟧", "soft hyphens inside"),
        mark("social: ⟦412\u201355\u20130198⟧", "en dashes"),
        mark("social: ⟦412\u221255\u22120198⟧", "minus signs"),
        mark("SSN ⟦412\u00a055\u00a00198⟧ (sent from my phone)", "non-breaking spaces"),
        mark("SSN ⟦\u202d412-55-0198\u202c⟧", "bidi override characters inside the span"),
        mark("My SSN is ⟦412-55-0198⟧.", "followed by a period"),
        mark("(⟦412-55-0198⟧)", "in parentheses"),
        mark("SSN #⟦412550198⟧", "hash sign after an SSN word"),
        mark(
            "order confirmation went to my email but my SSN ⟦412550198⟧ shows on it",
            "ssn word near an order word",
        ),
        mark("ITIN ⟦912701234⟧", "unseparated ITIN with context"),
        mark("my itin is ⟦987-70-1234⟧", "ITIN 98x with valid group"),
        mark("SSN ⟦001-01-0001⟧", "lowest valid numbers"),
        mark("SSN ⟦899-99-9998⟧", "highest SSN area"),
        mark("SSN ⟦665-12-3456⟧ and ⟦667-12-3456⟧", "areas around 666"),
        mark(
            "My SSN: ⟦\uff14\uff11\uff12\u200b-\uff15\uff15-\uff10\uff11\uff19\uff18⟧",
            "fullwidth with a zero-width space",
        ),
        mark("ssn ⟦٤١٢-٥٥-٠١٩٨⟧", "arabic-indic digits"),
        mark("ssn ⟦412–55–0198⟧ call me", "en dash typed by phone keyboard"),
        mark("ssn\n⟦412-55-0198⟧\nthx", "on its own line"),
        mark("SSN=⟦412-55-0198⟧;DOB=1/2/1980", "packed key=value text"),
        mark("ssns: ⟦412-55-0198⟧, ⟦523-66-1209⟧, ⟦634-77-2310⟧", "a list"),
        mark("my social is ⟦412 55 0198⟧", "space separated"),
        mark("my social is ⟦412.55.0198⟧", "dot separated"),
    ]
    # Negatives.
    for i in range(84):
        template, note = SSN_NEGATIVE_TEMPLATES[i % len(SSN_NEGATIVE_TEMPLATES)]
        n9 = ssn_digits(rng)
        if i % 3 == 0:
            n9, trick_note = trick(rng, n9)
            note += f" ({trick_note})"
        lines.append(mark(around(rng, template.format(n9=n9)), f"9 digits labelled as {note}"))
    bad_groups = [
        ("000", None, None, "area 000"),
        ("666", None, None, "area 666"),
        (None, "00", None, "group 00"),
        (None, None, "0000", "serial 0000"),
    ]
    for i in range(40):
        area_o, group_o, serial_o, note = bad_groups[i % 4]
        d = ssn_digits(rng)
        area, group, serial = area_o or d[:3], group_o or d[3:5], serial_o or d[5:]
        sep = rng.choice(["-", "-", " "])
        template = rng.choice(SSN_POSITIVE_TEMPLATES[:8])
        lines.append(
            mark(template.format(v=f"{area}{sep}{group}{sep}{serial}"), f"invalid SSN: {note}")
        )
    for _ in range(20):
        not_itin = [g for g in range(1, 100) if g not in ITIN_GROUPS]
        d = f"9{rng.randint(0, 99):02d}{rng.choice(not_itin):02d}{rng.randint(1, 9999):04d}"
        lines.append(
            mark(around(rng, f"My SSN is {ssn_format(d, '-')}"), "9xx with a non-ITIN group")
        )
    for _ in range(8):
        lines.append(
            mark(
                f"Order {itin_digits(rng)} was delivered to the wrong address",
                "unseparated 9xx without ITIN context",
            )
        )
    phone_like = []
    for _ in range(30):
        area, ex, line = phone_digits(rng)
        phone_like.append(phone_format(rng, area, ex, line))
    for value in phone_like:
        lines.append(mark(around(rng, f"Call me at {value} about the pothole"), "phone number"))
    lines += [
        mark("My SSN is 078-05-1120", "Woolworth wallet sample (voided by SSA)"),
        mark("Example: 219-09-9999", "SSA pamphlet sample"),
        mark("The ad used 987-65-4321 as a fake SSN", "advertising range 987-65-4320..4329"),
        mark("ssn 987-65-4320", "advertising range"),
        mark("SSN 111-11-1111", "all same digits"),
        mark("ssn 555-55-5555 lol", "all same digits"),
        mark("ssn 888 88 8888", "all same digits, spaces"),
        mark("The ZIP+4 is 55401-1234", "ZIP+4"),
        mark("Our address is 1234 Pine St, Minneapolis, MN 55401-1234", "address with ZIP+4"),
        mark("Meeting on 2024-05-14 at 6:30 pm", "ISO date"),
        mark("Pickup moved to 05/14/2024", "numeric date"),
        mark("Version 10.0.19045 of the app crashes", "version string"),
        mark("The budget line is $123,456,789 this year", "price with commas"),
        mark("Population grew to 123,456 in 2020", "number with commas"),
        mark("Employee badge 412-55-01981 was found", "longer serial group"),
        mark("Reference 1412-55-0198", "longer area group"),
        mark("Part 412-55-0198-01 is on backorder", "continues as a longer run"),
        mark("Serial 12-412-55-0198", "preceded by more digits"),
        mark("Invoice 412-55-0198A", "letter attached"),
        mark("Code A412-55-0198", "letter attached in front"),
        mark("mixed separators 412-55 0198", "mixed separators"),
        mark("mixed separators 412.55-0198", "mixed separators"),
        mark("call 612-555-0198", "phone 3-3-4"),
        mark("1-800-555-0199", "toll-free"),
        mark("IP 192.168.100.200 keeps getting blocked by the city wifi", "IP address"),
        mark("Why do you need my SSN for a dog license?", "the word SSN, no number"),
        mark("Don't post your social security number here!", "advice, no number"),
        mark("Order 4125501980 is 10 digits", "10-digit run"),
        mark("tracking 41255019801234", "long digit run"),
        mark("Time: 12:45:30", "time"),
        mark(
            "Scores were 412 55 19 in the tournament",
            "space-separated scores with 2-digit last group",
        ),
        mark("PIN 412550198 for the conference call", "labelled PIN"),
        mark("Student ID 412550198", "labelled student ID"),
        mark("ID #412550198", "labelled ID"),
        mark("Item # 412550198", "labelled item number"),
        mark("Order no. 412550198", "order no."),
        mark("My case number is 412550198.", "case number is"),
        mark("parcel 412550198 - the assessor has it wrong", "parcel"),
        mark("SSN 000-00-0000", "all zero"),
        mark("SSN 123-00-4567", "group 00"),
        mark("SSN 123-45-0000", "serial 0000"),
        mark("000123456", "leading 000"),
        mark("the form field says XXX-XX-1234", "masked SSN"),
        mark("last 4 of my social are 1234", "last four only"),
        mark("SSN ***-**-6789", "masked SSN"),
    ]
    return lines
