"""Information about minors: sentences that name or describe a child (always reviewed).

Each hit is the sentence containing the trigger (see ``keywords.find_sentences``). Triggers:
a possessive and a child word ("my son", "our twins", "her 4th grader"); a determiner and a
child noun ("a juvenile", "two teens", "a group of teenagers"), not before program words
("teen center", "toddler story time", "boys' basketball"); "minor" used as a noun.

Ages count as minors under 18: "age 12", "aged 9", "12 years old", "a 7-year-old boy",
"my 15 yo", "my twelve-year-old". An age range in a program listing ("ages 5-12", "age 6 and
up") is not flagged; neither is "a 10-year-old water main" (the word after the age must be a
person, a verb or the end of the phrase); "N years old" needs a person word just before it
("she's 14 years old", not "the bridge is 60 years old"). College, university and graduate
students are adults; "my son-in-law" is not a child.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from civicrecords.requests.detectors.keywords import SentenceRule, Strong, any_of, find_sentences
from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.phrases import phrase_pattern

__all__ = ["find_minor"]

_COUNTING = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: value for value, word in enumerate(_COUNTING.split())}
_AGE = r"(?P<age>[0-9]{1,2}|" + "|".join(_NUMBER_WORDS) + ")"
_YEARS_OLD = r"(?:[- ]|\s*-\s*)(?:years?|yrs?|months?)(?:[- ]|\s*-\s*)olds?\b"
_AFTER_AGE = (
    r"(?=\s*(?:[.,;:!?)]|$|(?:old\s+)?(?:boys?|girls?|sons?|daughters?|child|children|kids?|"
    r"students?|grandsons?|granddaughters?|niece|nephew|brothers?|sisters?|twins?|players?|"
    r"neighbors?|was|is|who|had|has|got|and|were|are|on|in|at|with|from|walking|riding|"
    r"playing|crossing|biking|skateboarding)\b))"
)
_CHILD_NOUN = (
    r"juveniles?|teens?|teenagers?|tweens?|toddlers?|infants?|newborns?|preschoolers?|"
    r"kindergart(?:e)?ners?|middle schoolers?|high schoolers?|grade schoolers?|"
    r"(?:[1-9]|1[0-2])(?:st|nd|rd|th)[- ]graders?|boys?|girls?|foster (?:child|children|kids?)"
)
_PROGRAM_WORDS = (
    r"programs?|center|centers|night|story|storytime|time|events?|class(?:es)?|camps?|"
    r"leagues?|section|room|area|librarian|services|space|zone|month|court|courts|"
    r"justice|detention|crime|basketball|hockey|soccer|baseball|softball|volleyball|team|"
    r"teams|club|clubs|scouts?|restrooms?|bathrooms?|locker|and girls club|advisory|"
    r"council|commission|volunteers?|jobs?|employment|swim|lessons?"
)
_PERSON_NEAR_AGE = phrase_pattern(
    "he|she|he's|she's|son|daughter|kid|kids|child|boy|girl|who|who's|baby|grandson|"
    "granddaughter|brother|sister|student|they're|twins|niece|nephew|my|our"
)
_ADULT_STUDENT = re.compile(
    r"\b(?:college|university|grad|graduate|law|medical|nursing|phd|adult|u of m)\s+students?"
)


def _age(match: re.Match[str]) -> int:
    age = match.group("age")
    return _NUMBER_WORDS[age] if age in _NUMBER_WORDS else int(age)


def _young(match: re.Match[str]) -> bool:
    return _age(match) < 18


def _young_person(match: re.Match[str]) -> bool:
    text = match.string
    return _age(match) < 18 and bool(
        _PERSON_NEAR_AGE.search(text, max(0, match.start() - 40), match.start())
    )


def _not_adult_student(match: re.Match[str]) -> bool:
    return not _ADULT_STUDENT.search(match.group())


_CHILD_WORDS = any_of(
    "son",
    "daughter",
    "kid",
    "child",
    "boy",
    "girl",
    "bab",
    "toddler",
    "teen",
    "grand",
    "niece",
    "nephew",
    "little one",
    "twin",
    "triplet",
    "grader",
    "kindergart",
    "preschool",
    "juvenile",
    "tween",
    "infant",
    "newborn",
    "schooler",
    "foster",
)
_MINOR_STRONG: tuple[Strong, ...] = (
    Strong(
        re.compile(
            r"\b(?:my|our|his|her|their|your)\s+(?:little\s+|young\s+|teenage\s+|step|foster\s+)?"
            r"(?:sons?(?!-in-law)|daughters?(?!-in-law)|kids?|child|children|boys?|girls?|"
            r"baby|babies|toddlers?|teens?|teenagers?|grandsons?|granddaughters?|grandkids?|"
            r"grandchild(?:ren)?|nieces?|nephews?|little ones?|twins|triplets|"
            r"(?:[1-9]|1[0-2])(?:st|nd|rd|th)[- ]graders?|kindergart(?:e)?ners?|preschoolers?)\b"
        ),
        requires=_CHILD_WORDS,
    ),
    Strong(
        re.compile(
            r"\b(?:a|an|the|this|that|one|two|three|four|five|several|some|these|those|"
            r"(?:a\s+)?(?:group|bunch|couple|pack|gang|crowd)\s+of)\s+"
            r"(?:(?:little|young|small|teenage|local|male|female|\w+-year-old)\s+)?"
            rf"(?:{_CHILD_NOUN})\b(?!'s?\s+(?:{_PROGRAM_WORDS})\b)(?!\s+(?:{_PROGRAM_WORDS})\b)"
        ),
        requires=_CHILD_WORDS,
    ),
    Strong(
        re.compile(
            r"\b(?:a|the|any|this|that|one|two|three|four|several)\s+minors?\b(?=\s*(?:[.,;:!?)]"
            r"|$|(?:was|is|who|that|and|in|at|on|from|with|without|had|has|being|were|walking|"
            r"riding|driving|under|got|gets|can|could|should|would|will)\b))"
        ),
        requires=any_of("minor"),
    ),
    Strong(re.compile(rf"\b{_AGE}{_YEARS_OLD}{_AFTER_AGE}"), _young, requires=any_of("old")),
    Strong(
        re.compile(rf"\b(?:my|our|his|her|their)\s+{_AGE}{_YEARS_OLD}"),
        _young,
        requires=any_of("old"),
    ),
    Strong(
        re.compile(
            rf"\b(?:age|aged)\s+{_AGE}\b(?!\s*(?:-|to\b|through\b|and\s+(?:up|under|older|"
            r"over|younger)\b|\+|or\s+(?:older|younger|under|over)\b))"
        ),
        _young,
        requires=any_of("age"),
    ),
    Strong(
        re.compile(rf"\b{_AGE}\s*(?:years?|yrs?)\s+old\b"), _young_person, requires=any_of("old")
    ),
    Strong(
        re.compile(rf"\b{_AGE}\s*(?:yo|y/o|y\.o)\b"), _young, requires=any_of("yo", "y/o", "y.o")
    ),
    Strong(
        re.compile(
            r"\b(?:a|the|my|our|his|her|their|one|this|that)\s+(?:\w+\s+)?students?\b"
            r"(?!\s+(?:loans?|housing|parking|union|center|debt|discounts?|section|visas?|"
            r"athletes?|government|body|rate|fares?|passes|pass|lot|lots|ids?|volunteers?))"
        ),
        _not_adult_student,
        requires=any_of("student"),
    ),
)

_RULE = SentenceRule("minor", _MINOR_STRONG)


def find_minor(doc: Document) -> Iterator[Hit]:
    """Yield sentences in ``doc`` that name or describe a minor, in text order."""
    return find_sentences(doc, _RULE)
