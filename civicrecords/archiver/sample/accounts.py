"""The people of the sample world: the city's and the mayor's official accounts and residents.

Residents get seeded names, usernames (unique per ``acct``), a home server (about one in eight
lives on another server), avatars, join dates and counts. The first few residents carry the
hostile display names from ``pii.HOSTILE_DISPLAY_NAMES``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from civicrecords.archiver.sample import content, pii
from civicrecords.archiver.sample.ids import Snowflakes, mix
from civicrecords.archiver.sample.model import Account

FIRST_RESIDENT = 2


def make_accounts(seed: int | str, key: int, ids: Snowflakes, residents: int) -> list[Account]:
    """Return every account: city (0), mayor (1), ``residents`` residents, then the two
    remote accounts that relay hostile content ("relay" and "longform")."""

    def aid(index: int, day: datetime) -> str:
        sec = int(day.timestamp()) + mix(key, 3, index) % 86400
        return str(ids.encode(sec, index))

    city_day, mayor_day = datetime(2022, 11, 7, tzinfo=UTC), datetime(2023, 1, 3, tzinfo=UTC)
    accounts = [
        Account(0, aid(0, city_day), "lakeside", None, content.CITY_NAME,
                "Official account of the City of Lakeside, Minnesota. Not monitored 24/7; "
                "for emergencies call 911. Posts and messages here are government data "
                "under Minn. Stat. ch. 13.", city_day, "city", False, False, "avatar-city",
                "header-city", (("Website", content.CITY_SITE),
                                ("City Hall", "100 Main Street, Lakeside, MN"),
                                ("Policy", f"{content.CITY_SITE}/social-media-policy")),
                4210, 38),
        Account(1, aid(1, mayor_day), "mayor", None, content.MAYOR_NAME,
                "Official account of the Mayor of Lakeside, MN. Office hours Thursdays "
                "at the library.", mayor_day, "official", False, False, "avatar-mayor",
                "header-mayor", (("Website", f"{content.CITY_SITE}/mayor"),), 1893, 120),
    ]
    taken = {"lakeside", "mayor"}
    for i in range(residents):
        index = FIRST_RESIDENT + i
        rng = random.Random(f"{seed}:account:{index}")
        first, last = content.resident_identity(rng)
        username = content.username_for(rng, first, last)
        domain = rng.choice(content.REMOTE_DOMAINS) if rng.random() < 0.12 else None
        acct = username if domain is None else f"{username}@{domain}"
        while acct in taken:
            username = f"{username}{rng.randint(0, 9)}"
            acct = username if domain is None else f"{username}@{domain}"
        taken.add(acct)
        display = rng.choice((f"{first} {last}", f"{first} {last[0]}.", first,
                              f"{first} {last} \U0001f332"))
        if i < len(pii.HOSTILE_DISPLAY_NAMES):
            display = pii.HOSTILE_DISPLAY_NAMES[i]
        day = datetime(2017 + rng.randrange(9), 1 + rng.randrange(12), 1 + rng.randrange(28),
                       tzinfo=UTC)
        accounts.append(Account(
            index, aid(index, day), username, domain, display,
            rng.choice(("Lakeside resident.", "Dog person. Lake person.", "",
                        "Ward 2. Opinions my own.")),
            day, "resident", rng.random() < 0.05, False,
            rng.choice(("avatar-1", "avatar-2", "avatar-3", "avatar-4", None, None)), None,
            (), rng.randint(0, 900), rng.randint(0, 600), first, last))
    for index, (name, domain, display) in enumerate(
            (("relay", "unsanitized.example", "Neighborhood Relay"),
             ("longform", "longform.example", "Oak Street Longform")),
            start=len(accounts)):
        day = datetime(2024, 5, 1, tzinfo=UTC)
        accounts.append(Account(index, aid(index, day), name, domain, display, "", day,
                                "resident", False, index % 2 == 0, None, None, (), 12, 3,
                                name, "example"))
    return accounts
