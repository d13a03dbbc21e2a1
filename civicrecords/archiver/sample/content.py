"""The words of the sample world: Lakeside, MN's topics, residents' names and message texts.

Texts are plain text, platform-neutral: mentions are written ``@username``, hashtags
``#CamelCase`` and links as bare ``https://`` URLs; each platform renderer turns them into its
own markup. Every function takes a seeded ``random.Random`` and is deterministic for it.
City texts never contain phone numbers, e-mail addresses or other personal data, so the seeded
personal data (see ``pii``) is the only personal data in the world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

CITY_NAME: Final = "City of Lakeside, MN"
CITY_SITE: Final = "https://www.lakesidemn.example"
MAYOR_NAME: Final = "Mayor Ingrid Halvorsen"

FIRST_NAMES: Final = (
    "Karen", "Dave", "Mai", "Abdi", "Lena", "Tom", "Sofia", "Jamal", "Ingrid", "Pa", "Lars",
    "Hodan", "Maria", "Brian", "Xee", "Amina", "Erik", "Grace", "Tou", "Carlos", "Heidi",
    "Ahmed", "Julie", "Nils", "Fatuma", "Greg", "Linh", "Rosa", "Ole", "Kia", "Dennis", "Nora",
)
LAST_NAMES: Final = (
    "Olson", "Johnson", "Anderson", "Nguyen", "Hernandez", "Yang", "Mohamed", "Larson",
    "Peterson", "Schmidt", "Vang", "Hassan", "Lee", "Thao", "Kowalski", "Lindqvist", "Ali",
    "Swanson", "Her", "Gonzalez", "Berg", "Warsame", "Nelson", "Lor", "Hanson", "Ortiz",
)
REMOTE_DOMAINS: Final = ("northstar.example", "twincities.social.example", "mn.town.example")
STREETS: Final = (
    "Oak Street", "Maple Avenue", "Lakeshore Drive", "County Road 19", "Birch Lane",
    "Main Street", "Heron Way", "3rd Avenue N", "Pioneer Trail", "Willow Court",
)
PARKS: Final = ("Lakeside Park", "Pioneer Park", "Heron Pond Trail", "Veterans Field", "Birch Bay")
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject the city posts about, in which months, and how people talk about it."""

    key: str
    months: tuple[int, ...]
    tags: tuple[str, ...]
    posts: tuple[str, ...]
    comments: tuple[str, ...]
    poll: tuple[str, ...] = ()


_ALL = tuple(range(1, 13))
TOPICS: Final[tuple[Topic, ...]] = (
    Topic("snow", (1, 2, 3, 11, 12), ("SnowEmergency", "LakesideSnow"), (
        "SNOW EMERGENCY declared for {weekday}. Parking is banned on snow emergency routes from "
        "9 p.m. Cars left on {street} will be ticketed and towed. Plow map: {site}/snow",
        "Plows are out on {street} and all priority routes. Please give them room and stay off "
        "the roads if you can.",
        "Day 2 of the snow emergency: odd-side parking only on {street} until 8 a.m. {weekday}.",
    ), (
        "Does the ban apply to {street}? We're on the odd side.",
        "The plow buried my driveway AGAIN.",
        "Thank you plow crews, you are heroes!",
        "Why is {street} always last to get plowed?",
    ), ("Plow my street first", "Better signage", "Text alerts")),
    Topic("oak", _ALL, ("OakStreet", "Construction"), (
        "Oak Street reconstruction update: the segment between Main and {street} closes "
        "{weekday} for water main work. Detour via Maple Avenue. Details: {site}/oak-street",
        "Paving on Oak Street is {num}% complete. Curb and sidewalk work continues next week.",
        "Open house on the Oak Street project {weekday} at 6 p.m. at City Hall. See the plans "
        "and talk with the engineers.",
    ), (
        "How long will Oak be closed? I can't get to my garage.",
        "The detour signs on {street} point the wrong way.",
        "Looks great so far, thanks for the updates.",
        "Who pays for the sidewalk assessment?",
    ), ("Night work", "Weekend work", "Longer closure, finish sooner")),
    Topic("parks", (4, 5, 6, 7, 8, 9, 10), ("LakesideParks",), (
        "{park} splash pad is open for the season! Hours 10 a.m. to 8 p.m. daily.",
        "Volunteers needed for buckthorn removal at {park} this {weekday}. Gloves provided.",
        "The new playground at {park} is finished. Come try it out!",
    ), (
        "Can we get more shade at {park}?",
        "Thank you! My kids loved it.",
        "The bathrooms at {park} have been locked all week.",
    ), ("More benches", "Pickleball courts", "Dog park")),
    Topic("council", _ALL, ("LakesideCouncil", "PublicMeeting"), (
        "City Council meets {weekday} at 7 p.m. Agenda includes the {year} budget and the "
        "{street} speed study. Watch live: {site}/council",
        "Public hearing on the proposed rental licensing ordinance at the next council meeting. "
        "Written comments accepted until noon {weekday}.",
        "Minutes from the last council meeting are posted: {site}/minutes",
    ), (
        "Why are these meetings always during dinner?",
        "Will public comment be allowed on the budget?",
        "Thanks for streaming these.",
    ), ()),
    Topic("water", _ALL, ("WaterMain", "PublicWorks"), (
        "Water main break on {street}. Crews are on site; expect low pressure and a boil-water "
        "advisory for nearby homes until further notice.",
        "Repair on the {street} water main is complete. Run cold taps for 5 minutes before use.",
    ), (
        "Our water is brown on {street}, is that related?",
        "Is the boil-water advisory still in effect?",
        "Crews worked all night, thank you!",
    ), ()),
    Topic("library", _ALL, ("LakesideLibrary",), (
        "New library hours starting {weekday}: Mon-Thu 9-8, Fri-Sat 9-5, closed Sunday.",
        "Story time moves to the community room this week. All ages welcome!",
    ), (
        "Please bring back Sunday hours!",
        "Will the book drop stay open?",
    ), ("Sunday hours", "Later weekday hours", "More e-books")),
    Topic("election", (6, 7, 8, 9, 10, 11), ("Vote", "LakesideVotes"), (
        "Early voting for the {month} election is open at City Hall, weekdays 8-4:30.",
        "Need to register? You can register at the polls on Election Day with proof of "
        "residence. Info: {site}/elections",
        "Election judges needed! Paid training provided. Apply at {site}/judges",
    ), (
        "Where is my polling place after the redistricting?",
        "Is there a drop box at the library?",
        "Just voted early, took five minutes.",
    ), ()),
    Topic("leaves", (9, 10, 11), ("LeafPickup",), (
        "Curbside leaf pickup runs {weekday} through Friday. Bags by the curb by 7 a.m.",
    ), ("Do compostable bags count?", "Missed our street again."), ()),
    Topic("fireworks", (6, 7), ("Fourth", "LakesideEvents"), (
        "Fireworks over the lake at 10 p.m. on the Fourth! Parking at {park} fills early.",
    ), ("Best fireworks in the county!", "Please think of the dogs and veterans."), ()),
    Topic("budget", (8, 9, 10, 11, 12), ("Budget",), (
        "The proposed {year} budget raises the levy {num}%. Share your thoughts at the Truth in "
        "Taxation hearing {weekday}.",
    ), ("That's too much.", "What does the increase pay for?"), ("Keep services", "Cut levy")),
    Topic("heat", (6, 7, 8), ("HeatAdvisory",), (
        "Heat advisory today. Cooling center open at the library until 8 p.m. Check on your "
        "neighbors.",
    ), ("Is the pool open late?", "Thank you for opening the library."), ()),
)
TOPICS_BY_KEY: Final = {t.key: t for t in TOPICS}
TOPICS_BY_MONTH: Final = {m: tuple(t for t in TOPICS if m in t.months) for m in range(1, 13)}

MAYOR_POSTS: Final = (
    "Great turnout at the {park} cleanup today. Thank you, neighbors!",
    "Met with MnDOT about {street} safety this morning. More to share soon.",
    "Office hours this {weekday} at the library, 4-6 p.m. Come say hi.",
    "Proud of our public works crews this week. #LakesidePride",
)
CITY_REPLIES: Final = (
    "Thanks for letting us know. We've passed this to Public Works.",
    "Hi! Yes, the ban applies to all posted snow emergency routes.",
    "Good question. Details are on our website, or call 311.",
    "A crew is scheduled for later this week. Thanks for your patience.",
    "We're sorry about that. Please use the report-a-concern form on our website.",
)
RESIDENT_REPLIES: Final = (
    "Same here.", "Agreed!", "Did you ever hear back?", "I called and they said next week.",
    "This happens every year.", "Thanks for sharing.", "Not on our block.",
)
TRANSLATIONS: Final = {
    "es": "Aviso de la ciudad: consulte {site} para mas informacion. Gracias.",
    "so": "Ogeysiis magaalada: fadlan booqo {site} si aad u hesho macluumaad dheeraad ah.",
}
MESSAGE_OPENERS: Final = (
    "Hi, I have a question about my utility bill.",
    "I'd like to file a data practices request for the Oak Street project emails.",
    "The plow damaged my mailbox on {street}. How do I file a claim?",
    "Who do I talk to about a building permit for a deck?",
    "My neighbor's dog barks all night. Can someone help?",
)
CITY_MESSAGE_REPLIES: Final = (
    "Thanks for reaching out. Can you share a few more details?",
    "We've forwarded this to the right department; someone will follow up.",
    "You can find the form on our website. Let us know if you need help with it.",
)
RESIDENT_FOLLOWUPS: Final = (
    "Thank you, that helps.", "Any update on this?", "I sent the form yesterday.",
    "OK, I'll wait to hear back.",
)


def pick_topic(rng: random.Random, month: int) -> Topic:
    """Return a topic suited to ``month`` (1-12)."""
    return rng.choice([t for t in TOPICS if month in t.months])


def fill(rng: random.Random, template: str, *, year: int = 2026, month: int = 1) -> str:
    """Fill a template's placeholders with seeded local details."""
    return template.format(
        street=rng.choice(STREETS),
        park=rng.choice(PARKS),
        weekday=rng.choice(WEEKDAYS),
        num=rng.randint(2, 95),
        year=year + 1,
        month=MONTHS[(month - 1 + rng.randint(0, 2)) % 12],
        site=CITY_SITE,
    )


def city_post_text(rng: random.Random, topic: Topic, month: int, *, mayor: bool) -> str:
    """Return the text of a city or mayor post, hashtags included (no personal data)."""
    if mayor and rng.random() < 0.6:
        body = fill(rng, rng.choice(MAYOR_POSTS), month=month)
    else:
        body = fill(rng, rng.choice(topic.posts), month=month)
    tags = " ".join(f"#{tag}" for tag in topic.tags[: rng.randint(1, len(topic.tags))])
    return body if "#" in body else f"{body} {tags}"


def edited_text(rng: random.Random, text: str, version: int) -> str:
    """Return ``text`` as revised in edit number ``version`` (1-based); differs from ``text``."""
    fixes = (
        f"{text}\n\nUPDATE: times corrected.",
        f"{text}\n\nEDIT {version}: added details.",
        text.replace(" p.m.", " PM") + " (corrected)",
        f"CORRECTION: {text}",
    )
    return fixes[rng.randrange(len(fixes))]


def comment_text(rng: random.Random, topic: Topic, *, nested: bool) -> str:
    """Return a resident's comment on a city post (or, when ``nested``, on another comment)."""
    if nested and rng.random() < 0.6:
        return rng.choice(RESIDENT_REPLIES)
    return fill(rng, rng.choice(topic.comments))


def city_reply_text(rng: random.Random) -> str:
    """Return the city's answer to a resident's comment."""
    return rng.choice(CITY_REPLIES)


def message_text(rng: random.Random, index: int, *, from_city: bool) -> str:
    """Return message number ``index`` (0-based) of a direct conversation."""
    if from_city:
        return rng.choice(CITY_MESSAGE_REPLIES)
    if index == 0:
        return fill(rng, rng.choice(MESSAGE_OPENERS))
    return rng.choice(RESIDENT_FOLLOWUPS)


def resident_identity(rng: random.Random) -> tuple[str, str]:
    """Return a resident's (first name, last name)."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def username_for(rng: random.Random, first: str, last: str) -> str:
    """Return a Mastodon-style username ([a-z0-9_]) for a resident."""
    style = rng.randrange(4)
    if style == 0:
        return f"{first}{last}".lower()
    if style == 1:
        return f"{first[0]}{last}".lower()
    if style == 2:
        return f"{first}_{last}".lower()
    return f"{first.lower()}{rng.randint(1, 99)}"
