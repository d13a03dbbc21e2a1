"""Corpus lines for ``mn_dl`` and ``dob``."""

from __future__ import annotations

import random

from corpus_kit import (
    SEED,
    Line,
    around,
    digits,
    m,
    mark,
    maybe_trick,
    trick,
    words,
)

# --------------------------------------------------------------------------------------------
# mn_dl
# --------------------------------------------------------------------------------------------

LETTERS = "ABCDEFGHJKLMNOPRSTVWZ"


def dl_value(rng: random.Random, style: int) -> str:
    letter = rng.choice(LETTERS)
    d = digits(rng, 12)
    forms = [
        f"{letter}{d}",
        f"{letter} {d[:3]} {d[3:6]} {d[6:9]} {d[9:]}",
        f"{letter}-{d[:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}",
        f"{letter}{d[:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}",
        f"{letter}-{d}",
        f"{letter.lower()}{d}",
        f"{letter} {d}",
        f"{letter}{d[:3]} {d[3:6]} {d[6:9]} {d[9:]}",
    ]
    return forms[style % len(forms)]


DL_BEFORE_TEMPLATES = [
    "My driver's license number is {v}, the parking ticket has the wrong one",
    "DL# {v}",
    "Driver license: {v}",
    "Here's my MN license {v} for the resident parking permit",
    "state ID {v} - is that enough for the library card?",
    "ID number {v}",
    "The officer wrote my license number wrong, it's {v} not what's on the citation",
    "My licence no. {v}",
    "dl {v} exp 2027",
    "instruction permit {v} for my learner's test",
    "Minnesota ID card {v}",
    "Identification: {v}",
    "I had to give my driver's lic {v} at the front desk",
    "DL:{v}",
]
DL_AFTER_TEMPLATES = [
    "{v} is my DL, can you check if the ticket was dismissed?",
    "{v} - that's the number on my license",
    "{v} (driver's license)",
]
DL_NO_CONTEXT_TEMPLATES = [
    "Order {v} never arrived",
    "Reference {v} for the utility refund",
    "Code {v} didn't work at the pool kiosk",
    "The confirmation code was {v}",
    "Tracking {v}",
    "My receipt shows {v} at the top",
]


def dl_lines() -> list[Line]:
    rng = random.Random(SEED + 2)
    lines: list[Line] = []
    for i in range(170):
        template = DL_BEFORE_TEMPLATES[i % len(DL_BEFORE_TEMPLATES)]
        value, note = maybe_trick(rng, dl_value(rng, i), 0.3)
        lines.append(mark(around(rng, template.format(v=m(value))), f"dl style {i % 8} {note}"))
    for i in range(30):
        template = DL_AFTER_TEMPLATES[i % len(DL_AFTER_TEMPLATES)]
        value, note = maybe_trick(rng, dl_value(rng, i + 3), 0.3)
        lines.append(mark(template.format(v=m(value)), f"context after, {note}"))
    lines += [
        mark("DL ⟦Ａ１２３４５６７８９０１２⟧", "fullwidth letter and digits"),
        mark("license ⟦A123\u200b456\u200b789\u200b012⟧", "zero-width spaces"),
        mark("license ⟦A\u2011123\u2011456\u2011789\u2011012⟧", "non-breaking hyphens"),
        mark("license ⟦A\u00a0123\u00a0456\u00a0789\u00a0012⟧", "non-breaking spaces"),
        mark(
            "My driver’s license is ⟦S530-123-456-789⟧ wait no ⟦S530123456780⟧",
            "curly apostrophe, two numbers",
        ),
        mark("DL\n⟦B123456789012⟧", "on the next line"),
        mark("(DL ⟦B123456789012⟧)", "in parentheses"),
        mark("ID: ⟦b-123-456-789-012⟧.", "lowercase letter, trailing period"),
        mark("license number ⟦Z 987 654 321 098⟧ and plate ABC123", "license and plate"),
        mark(
            "The DMV said my license ⟦W123456789012⟧ is suspended for unpaid tickets",
            "licence with other words",
        ),
    ]
    # Negatives.
    for i in range(90):
        template = DL_NO_CONTEXT_TEMPLATES[i % len(DL_NO_CONTEXT_TEMPLATES)]
        value, note = maybe_trick(rng, dl_value(rng, i), 0.3)
        lines.append(
            mark(around(rng, template.format(v=value)), f"dl-shaped code without context ({note})")
        )
    for i in range(40):
        letter = rng.choice(LETTERS)
        n = [11, 13, 10, 14][i % 4]
        template = DL_BEFORE_TEMPLATES[i % len(DL_BEFORE_TEMPLATES)]
        lines.append(mark(template.format(v=f"{letter}{digits(rng, n)}"), f"letter + {n} digits"))
    for i in range(30):
        template = DL_BEFORE_TEMPLATES[i % len(DL_BEFORE_TEMPLATES)]
        lines.append(
            mark(
                template.format(v=f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}{digits(rng, 12)}"),
                "two letters + 12 digits",
            )
        )
    for i in range(20):
        template = DL_BEFORE_TEMPLATES[i % len(DL_BEFORE_TEMPLATES)]
        lines.append(mark(template.format(v=digits(rng, 12)), "12 digits without a letter"))
    lines += [
        mark("My license plate is ABC-123, it was towed from Elm St", "license plate"),
        mark(
            "My license expired last month, can I still get a parking permit?", "license, no number"
        ),
        mark(
            "I renewed my license at the DMV last week and it was painless. Separately, the "
            "library sent me B123456789012 as a code.",
            "context word far away",
        ),
        mark("DL 12345678", "too short"),
        mark("Driver of bus 123456789012 was great", "bus number, no letter"),
        mark("driver: X12345678901234", "too long"),
        mark("License No. A1234567890123", "13 digits"),
        mark("ID A12345678901", "11 digits"),
        mark("Part number A123456789012B for the license plate light", "letter after"),
        mark("ID AB123456789012", "two letters"),
        mark("My ID was stolen, please call me", "ID, no number"),
        mark("Business license #2024-000123 for the food truck", "business license number"),
        mark("Liquor license LIC-2024-0042 hearing is Tuesday", "liquor license"),
        mark("Contractor license BC123456 is on the permit", "contractor license"),
        mark("The driver in van 7 was speeding", "driver, no number"),
        mark("My DL photo looks awful lol", "DL, no number"),
        mark("Use promo code SPRING123456789012 at checkout", "long alphanumeric code"),
        mark("license key A123456789012-XY for the city app", "letters attached after dash"),
        mark("ID 1-123-456-789-012", "digit instead of letter"),
        mark("see attachment A_123456789012 (license)", "underscore"),
    ]
    return lines


# --------------------------------------------------------------------------------------------
# dob
# --------------------------------------------------------------------------------------------

MONTHS = words(
    "January February March April May June July August September October November December"
)
MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]


def date_value(rng: random.Random, style: int, year: int | None = None) -> str:
    y = year or rng.randint(1935, 2021)
    mo, d = rng.randint(1, 12), rng.randint(1, 28)
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
    forms = [
        f"{mo:02d}/{d:02d}/{y}",
        f"{mo}/{d}/{y}",
        f"{mo}-{d}-{y}",
        f"{mo}/{d}/{str(y)[2:]}",
        f"{y}-{mo:02d}-{d:02d}",
        f"{mo:02d}.{d:02d}.{y}",
        f"{MONTHS[mo - 1]} {d}, {y}",
        f"{MONTHS_SHORT[mo - 1]}. {d}{suffix}, {y}",
        f"{d} {MONTHS[mo - 1]} {y}",
        f"{MONTHS[mo - 1]} {d}",
        f"{MONTHS[mo - 1]} {d}{suffix}",
        f"{13 + rng.randint(0, 15)}/{mo}/{y}",
        f"{MONTHS_SHORT[mo - 1]} {d} {y}",
        f"the {d}{suffix} of {MONTHS[mo - 1]}",
    ]
    return forms[style % len(forms)]


DOB_TEMPLATES = [
    "DOB {v}",
    "D.O.B.: {v}",
    "My son was born {v} and he needs the youth league waiver",
    "date of birth: {v}",
    "I was born on {v}, so I qualify for the senior rate",
    "Birthday {v} - is there a discount for residents?",
    "birthdate {v}",
    "Name: Erik Olson, DOB {v}, address on file",
    "My mom's birthday is {v}, can she get the senior parking pass?",
    "b-day {v}",
    "Date of Birth {v}",
    "born {v} in St. Paul",
    "{v} is my date of birth, the form has it wrong",
    "My birth date is {v}",
    "dob: {v} (for the library card)",
    "Her bday is {v}",
]
NOT_BIRTH_TEMPLATES = [
    "The council meeting is {v}",
    "Pickup moved to {v} because of the holiday",
    "Ticket issued {v} at 3:15 pm",
    "The park reopens {v}",
    "My water bill dated {v} is wrong",
    "We moved here on {v}",
    "Street sweeping starts {v}",
    "The permit expires {v}",
]


def dob_lines() -> list[Line]:
    rng = random.Random(SEED + 8)
    lines: list[Line] = []
    for i in range(200):
        template = DOB_TEMPLATES[i % len(DOB_TEMPLATES)]
        style = i % 14
        value = date_value(rng, style)
        note = f"date style {style}"
        if style in (0, 1, 2, 4, 5) and rng.random() < 0.3:
            value, trick_note = trick(rng, value)
            note += f" {trick_note}"
        lines.append(mark(around(rng, template.format(v=m(value))), note))
    lines += [
        mark("DOB ⟦03/14/1985⟧", "plain"),
        mark("DOB ⟦０３／１４／１９８５⟧", "fullwidth digits and slashes"),
        mark("DOB ⟦03\u200b/14/1985⟧", "zero-width space"),
        mark("DOB ⟦1985\u201303\u201314⟧", "ISO with en dashes"),
        mark("D.O.B. ⟦3-14-85⟧", "two-digit year"),
        mark("born ⟦March 14, 1985⟧", "month name"),
        mark("born ⟦March 1985⟧", "month and year"),
        mark("born on ⟦the 14th of March⟧", "ordinal day of month"),
        mark("My birthday is ⟦14 March⟧!", "day month"),
        mark("DOB:⟦3/14/1985⟧;SSN:123-45-6789", "packed"),
        mark("born\n⟦3/14/1985⟧", "newline (same sentence)"),
        mark("Date of birth: ⟦Sept. 5th, 1990⟧", "abbreviated month with period"),
        mark("I was born in St. Paul on ⟦May 4, 1962⟧", "abbreviation St. inside the sentence"),
        mark("My twins were born ⟦2/3/2015⟧", "children's birth"),
        mark("birthday ⟦25/12/1990⟧", "day first"),
    ]
    # Negatives.
    for i in range(120):
        template = NOT_BIRTH_TEMPLATES[i % len(NOT_BIRTH_TEMPLATES)]
        lines.append(
            mark(
                around(rng, template.format(v=date_value(rng, i % 14, rng.randint(2019, 2026)))),
                "date without a birth word",
            )
        )
    birth_elsewhere = [
        "Happy birthday Mom! The council meets on {v}.",
        "I was born and raised here. The road was paved {v}.",
        "Born and raised in Maplewood. Street sweeping is {v}?",
        "Happy birthday to our amazing parks director! Today is {v}.",
    ]
    for i in range(48):
        lines.append(
            mark(
                birth_elsewhere[i % len(birth_elsewhere)].format(v=date_value(rng, i % 9, 2024)),
                "birth word in another sentence",
            )
        )
    far = (
        "My daughter was born here and we love this city, it has the best parks and schools."
        " Anyway, {v} is when the pool opens."
    )
    for i in range(12):
        lines.append(
            mark(
                far.format(v=date_value(rng, i % 9, 2025)),
                "birth word more than 40 characters away",
            )
        )
    lines += [
        mark("born and raised here since 1985", "year only"),
        mark("I was born in 1962", "year only"),
        mark("My birthday party is at the park on Saturday", "no date"),
        mark("DOB 13/45/1990", "impossible date"),
        mark("DOB 00/00/0000", "zeros"),
        mark("born at 3:45 am", "time"),
        mark("Happy birthday!", "no date"),
        mark("born 2 weeks early", "duration"),
        mark("birth certificate office hours are 9-5", "hours"),
        mark("Births in 2023: 1,234", "statistics"),
        mark("DOB field on the form is confusing", "no date"),
        mark("version 1.2.3 was born out of frustration", "version string"),
        mark(
            "The city's 150th birthday celebration is June 5, 2024",
            "hard: a city's birthday, not a person's (flagged; reviewer rejects)",
        ),
        mark(
            "Born Free concert is 7/4/2024 at the bandshell",
            "hard: concert name starting 'Born' (flagged)",
        ),
        mark("My birthday is coming up, 5 days!", "count"),
        mark("born 5/2024", "month/year numeric (not supported)"),
        mark("DOB 555-12-3456", "SSN-like after DOB"),
        mark("dob 612-555-0134", "phone after DOB"),
        mark("Birthday parade on Elm St at 10:30", "time"),
        mark("born 1985-1990 cohort", "year range"),
    ]
    return lines
