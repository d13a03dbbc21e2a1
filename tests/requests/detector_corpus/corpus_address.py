"""Corpus lines for ``street_address``."""

from __future__ import annotations

import random

from corpus_kit import (
    SEED,
    Line,
    around,
    fullwidth,
    m,
    mark,
    phrases,
    words,
    zero_width,
)

# --------------------------------------------------------------------------------------------
# street_address
# --------------------------------------------------------------------------------------------

STREET_NAMES = phrases(
    "Main|Oak|Elm|Maple|Lake|Summit|Grand|University|Como|Hennepin|Nicollet|Lyndale|Cedar|Pine|"
    "Birch|Snelling|Lexington|Rice|White Bear|Old Shakopee|Silver Lake|Eagle Ridge|"
    "Martin Luther King Jr|Cleveland|Portland|Minnehaha|Larpenteur|Fairview|County Line|"
    "Pleasant|Ford|Victoria"
)
ORDINALS = words("1st 2nd 3rd 4th 5th 12th 21st 38th 42nd 46th 50th 66th")
SUFFIXES = words(
    "St Street Ave Avenue Rd Road Blvd Boulevard Dr Drive Ln Lane Ct Court Pl Place Way Pkwy "
    "Parkway Cir Circle Hwy Ter Terrace Trl Trail St. Ave. Rd."
)
DIRECTIONS = ["N", "S", "E", "W", "NE", "NW", "SE", "SW", "North", "South"]
CITIES = phrases(
    "Minneapolis|St. Paul|Maplewood|Roseville|Bloomington|Duluth|Rochester|Eden Prairie|"
    "White Bear Lake|North St. Paul"
)


def address_value(rng: random.Random, i: int) -> str:
    number = str(
        rng.choice(
            [
                rng.randint(1, 99),
                rng.randint(100, 999),
                rng.randint(1000, 9999),
                rng.randint(10000, 99999),
            ]
        )
    )
    if rng.random() < 0.05:
        number += rng.choice("AB")
    name = rng.choice(STREET_NAMES + ORDINALS)
    parts = [number]
    if rng.random() < 0.25:
        parts.append(rng.choice(DIRECTIONS))
    parts += [name, rng.choice(SUFFIXES)]
    if rng.random() < 0.2:
        parts.append(rng.choice(DIRECTIONS[:8]))
    value = " ".join(parts)
    if rng.random() < 0.25:
        value += rng.choice([" Apt ", " Unit ", " #", ", Apt. ", " Suite "]) + rng.choice(
            ["1", "2B", "304", "12", "C"]
        )
    if rng.random() < 0.3:
        value += f", {rng.choice(CITIES)}, MN {rng.randint(55001, 56763)}"
    elif rng.random() < 0.15:
        value += f", {rng.choice(CITIES)}, Minnesota"
    if i % 7 == 0:
        value = value.lower()
        words = [w.strip(",.") for w in value.split()]
        if any(
            s in words
            for s in ("way", "drive", "court", "place", "circle", "terrace", "trail", "pl")
        ):
            value = value.title()
    return value


ADDRESS_TEMPLATES = [
    "The house at {v} has had a broken fence for months",
    "I live at {v} and the plow buried our mailbox again",
    "There's a huge pothole in front of {v}",
    "Please send the inspector to {v}, the rental has no heat",
    "Loud party every weekend at {v}",
    "Abandoned car parked outside {v} since Tuesday",
    "My address is {v}",
    "The tree at {v} is about to fall on the sidewalk",
    "{v} - the streetlight has been out for 2 weeks",
    "Package stolen from my porch at {v}",
    "The landlord at {v} isn't shoveling",
    "Mail the refund check to {v}",
    "Water main break near {v}?",
    "Garage sale this Saturday at {v}!",
]


def address_lines() -> list[Line]:
    rng = random.Random(SEED + 9)
    lines: list[Line] = []
    for i in range(190):
        template = ADDRESS_TEMPLATES[i % len(ADDRESS_TEMPLATES)]
        value = address_value(rng, i)
        note = "address"
        if rng.random() < 0.2:
            number, rest = value.split(" ", 1)
            kind = rng.randint(0, 2)
            if kind == 0:
                value, note = f"{fullwidth(number)} {rest}", "fullwidth house number"
            elif kind == 1:
                value, note = f"{number}\u00a0{rest}", "non-breaking space after number"
            else:
                value, note = (
                    f"{zero_width(rng, number) if len(number) > 1 else number} {rest}",
                    "zero-width inside number",
                )
        lines.append(mark(around(rng, template.format(v=m(value))), note))
    lines += [
        mark("Noise at ⟦3100 E Lake St⟧ again", "Minneapolis"),
        mark("⟦1200 N 5th St Apt 3B, Minneapolis, MN 55411⟧", "full address"),
        mark("⟦55 Summit Ave, St. Paul, MN 55102⟧", "St. Paul"),
        mark("⟦8000 County Road 42⟧", "county road"),
        mark("⟦500 Highway 7⟧", "highway"),
        mark("⟦PO Box 123⟧", "PO box"),
        mark("Mail it to ⟦P.O. Box 4500⟧", "P.O. box"),
        mark("⟦12345 Wayzata Blvd #200⟧", "suite with #"),
        mark("⟦9 Martin Luther King Jr Blvd⟧", "long street name"),
        mark("⟦2301 W Old Shakopee Rd⟧", "directional and long name"),
        mark("⟦123 main st⟧ needs a stop sign", "lowercase"),
        mark("⟦４５ Elm Ct⟧", "fullwidth house number"),
        mark("⟦742 Evergreen Terrace⟧", "terrace"),
        mark("⟦1600 Pennsylvania Ave NW⟧", "post-directional"),
        mark("⟦2000 Silver Lake Rd⟧, ⟦2010 Silver Lake Rd⟧", "two addresses"),
    ]
    # Negatives.
    negatives = [
        (
            "Please call me at 612-555-0134 about the pothole on Oak St",
            "street without number (the brief's example)",
        ),
        ("The intersection of Main St and 5th Ave needs a light", "intersection"),
        ("I waited 20 minutes on Main St for the bus", "minutes"),
        ("We need 3 more stop signs on Elm Ave", "count of things"),
        ("In 2019 Lake Street was repaved", "year"),
        ("Since 2020 Summit Avenue has been a mess", "year"),
        ("Highway 55 is closed at the bridge", "highway without house number"),
        ("5 St. Paul residents spoke at the meeting", "St. Paul"),
        ("Route 66 nostalgia night at the library", "route"),
        ("Ward 3 council member", "ward"),
        ("District 5 snow emergency", "district"),
        ("2 blocks from Oak St", "blocks"),
        ("Meeting at 7 at Main St Coffee", "time"),
        ("About 40 Oak trees on Elm Ave were removed", "trees"),
        ("The I-94 and 35W interchange is backed up", "interstates"),
        ("Lot 5 at the fairgrounds is full", "parking lot"),
        ("Unit 3 responded to the fire", "unit"),
        ("ZIP 55401", "ZIP code"),
        ("The 35W bridge is closed", "bridge"),
        ("Took 3 hours to get down Lake St", "hours"),
        ("There are 12 potholes on Cedar Ave", "count"),
        ("Over 300 people came to Como Park", "park"),
        ("I have lived here for 30 years on Maple Dr", "years"),
        ("5 cars parked on my street", "cars"),
        ("We waited 2 days for the plow on Birch Ln", "days"),
        ("Go 3 miles down County Road B", "miles"),
        ("The 4th St bridge", "ordinal street without number"),
        ("Suite 200 is the permit office", "suite"),
        ("Call 311 about Elm St", "311"),
        ("Pickup is at 6 am on Snelling Ave", "time am"),
        ("Gates open at 10 on Grand Ave", "time"),
        ("Page 4 of the Main St plan", "page"),
        ("Chapter 12 Street Design manual", "chapter"),
        (
            "100 Lake Street businesses signed the letter",
            "hard: count followed by a street name (flagged)",
        ),
        ("My 2 kids walk on Summit Ave", "kids"),
    ]
    for _ in range(6):
        for text, note in negatives:
            lines.append(mark(around(rng, text), note))
    return lines
