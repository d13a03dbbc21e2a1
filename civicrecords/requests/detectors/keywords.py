"""Health (13.3805) and personnel (13.43): keyword rules that flag whole sentences.

Each hit's span is the sentence containing the keyword (narrowed to its clause when the
sentence is longer than 300 characters; see ``sentences.clause_at``), because that is what a
reviewer would redact. Two kinds of keyword:

* *strong* keywords fire on their own ("diagnosed", "hospitalized", "grievance",
  "internal affairs");
* *weak* keywords fire only when the same sentence also names a person the data would be
  about, and no word shows it is about a thing instead: "therapy" needs "I", "my", "his",
  "son"...; "suspended" needs "officer", "employee", "he"... and no "parking", "service",
  "license". So "the city's mental health team presents Tuesday" and "parking is suspended
  during the snow emergency" are not flagged. Personnel subjects are employees and
  third-person pronouns only: a resident's own private job is not a 13.43 matter.

All matching is on ASCII-lowercased text; the keyword lists are plain phrases. The rule
machinery here (``SentenceRule``, ``Strong``, ``find_sentences``) is shared with ``minors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from civicrecords.requests.detectors.model import Hit
from civicrecords.requests.detectors.normalization import Document
from civicrecords.requests.detectors.phrases import phrase_pattern
from civicrecords.requests.detectors.sentences import clause_at

__all__ = [
    "Check",
    "SentenceRule",
    "Strong",
    "any_of",
    "find_health",
    "find_personnel",
    "find_sentences",
]

Check = Callable[[re.Match[str]], bool]


@dataclass(frozen=True)
class Strong:
    """A pattern that fires alone; ``requires``: substrings one of which must be in the
    lowercased text for the pattern to be worth running (a cheap pre-filter)."""

    pattern: re.Pattern[str]
    check: Check | None = None
    on_lower: bool = True
    requires: re.Pattern[str] | None = None


def any_of(*words: str) -> re.Pattern[str]:
    """A pattern finding any of ``words`` as plain substrings (for ``_Strong.requires``)."""
    return re.compile("|".join(re.escape(w) for w in words))


@dataclass(frozen=True)
class SentenceRule:
    category: str
    strong: tuple[Strong, ...]
    weak: re.Pattern[str] | None = None
    person: re.Pattern[str] | None = None
    thing: re.Pattern[str] | None = None


_PERSON = phrase_pattern(
    "i|i'm|i've|i'd|i'll|im|me|my|mine|myself|he|she|his|her|him|hers|they|their|them|son|sons|"
    "daughter|daughters|wife|husband|spouse|mom|mother|dad|father|parent|parents|grandma|"
    "grandmother|grandpa|grandfather|grandson|granddaughter|grandkid|grandkids|grandchildren|"
    "kid|kids|child|children|baby|neighbor|neighbors|neighbour|brother|sister|aunt|uncle|"
    "cousin|friend|partner|boyfriend|girlfriend|family|resident|tenant|patient|employee|"
    "officer|someone|somebody|person|man|woman|guy|lady|roommate|caregiver|veteran"
)

_HEALTH_STRONG = phrase_pattern(
    "diagnosis|diagnoses|diagnosed|diagnose|prescribed|hospitalized|hospitalised|"
    "hospitalization|chemo|chemotherapy|radiation treatment|radiation treatments|pregnant|"
    "miscarriage|miscarried|psychiatric|psychiatrist|adhd|ptsd|bipolar|schizophrenia|"
    "schizophrenic|epileptic|insulin|dialysis|overdosed|addicted|tested positive|"
    "medical condition|hospice|emergency room|icu|intensive care|concussion|stitches|copd|"
    "oxygen tank|chronic pain|chronic illness|terminally ill|terminal illness|mentally ill|"
    "depressed|heart attack"
)
_HEALTH_STRONG_EXTRA = re.compile(r"\bbroke (?:my|his|her|their) \w+")
_HEALTH_ACRONYMS = re.compile(r"\b(?:AIDS|ER|OCD|STD|STI)\b")
_HEALTH_WEAK = phrase_pattern(
    "health|mental health|therapy|therapist|counseling|counselor|medication|medications|"
    "meds|prescription|prescriptions|doctor|doctors|physician|clinic|hospital|surgery|"
    "surgeries|illness|ill|injury|injured|injuries|disability|disabilities|disabled|"
    "handicapped|wheelchair|walker|cane|sick|depression|anxiety|panic attack|panic attacks|"
    "treatment|nurse|medical|allergy|allergies|allergic|blind|deaf|covid|flu|pneumonia|"
    "infection|immunocompromised|rehab|opioid|opioids|seizure|seizures|overdose|overdoses|"
    "suicide|suicidal|substance use|mental illness|pregnancy|autism|autistic|dementia|"
    "alzheimer|alzheimer's|alzheimers|fracture|fractured|hiv|addiction|epilepsy|disorder|"
    "stroke|oxygen|cancer|tumor|tumour|leukemia|lymphoma|diabetes|diabetic|asthma|emphysema|"
    "multiple sclerosis|parkinson's|parkinsons|crohn's|colitis|lupus|arthritis|fibromyalgia|"
    "migraine|migraines|kidney failure|kidney disease|kidney transplant|liver failure|"
    "liver disease|heart condition|heart disease|heart failure|heart surgery|"
    "cystic fibrosis|cerebral palsy|sickle cell|hepatitis|tuberculosis|als|down syndrome|"
    "brain injury|long covid|lead poisoning|sclerosis|palsy|syndrome|chronic"
)
_HEALTH_THING = phrase_pattern(
    "department|dept|public health|health department|inspection|inspections|inspector|"
    "inspectors|code|ordinance|health and safety|health official|health officials|event|"
    "events|fair|budget|levy|grant|grants|program|programs|clinic hours|flu shot|flu shots|"
    "vaccine clinic|vaccine clinics|awareness|prevention|walk|fundraiser|month|settlement|"
    "funds|hotline|resources|task force|crisis team|response team|board|commission|"
    "take-back|takeback|drop-off|project|renovation|building|seized|drug seizure|"
    "statistics|rate|rates|deaths|sick of|sick and tired"
)

_EMPLOYEE = phrase_pattern(
    "officer|officers|employee|employees|staff|staffer|staffers|worker|workers|clerk|clerks|"
    "manager|managers|supervisor|supervisors|director|directors|inspector|inspectors|chief|"
    "deputy|deputies|sergeant|sgt|lieutenant|lt|captain|detective|firefighter|firefighters|"
    "paramedic|paramedics|dispatcher|dispatchers|driver|drivers|operator|operators|"
    "administrator|administrators|coordinator|coordinators|librarian|librarians|teacher|"
    "teachers|superintendent|crew|foreman|cop|cops|he|she|his|her|him|coworker|coworkers|"
    "co-worker|co-workers|employment|union|city attorney|planner|engineer|assessor|treasurer"
)
_PERSONNEL_STRONG = phrase_pattern(
    "disciplinary|disciplined|grievance|grievances|performance review|performance reviews|"
    "performance evaluation|performance evaluations|performance improvement plan|"
    "internal affairs|ia investigation|internal investigation|reprimand|reprimanded|"
    "reprimands|written warning|written up|administrative leave|admin leave|"
    "paid leave pending|misconduct|demoted|demotion|personnel file|personnel files|"
    "personnel record|personnel records|personnel matter|personnel action|"
    "personnel investigation|suspended without pay|suspension without pay|resign in lieu|"
    "resigned in lieu|eeo complaint|placed on leave|wrongful termination|"
    "last chance agreement|fitness for duty|use of force complaint|being investigated"
)
_PERSONNEL_ACRONYMS = re.compile(r"\bPIP\b")
_PERSONNEL_WEAK = phrase_pattern(
    "terminated|termination|fired|suspended|suspension|under investigation|investigated|"
    "complaint against|complaints against|complaint about|complaints about|laid off|layoff|"
    "resigned|resignation|let go|on leave|harassed|harassment|harassing|discriminated|"
    "discrimination|probation|discipline|retaliated|retaliation|forced out|"
    "should be fired|lose his job|lose her job|lose their jobs|fired for|terminated for"
)
_PERSONNEL_THING = phrase_pattern(
    "water service|gas service|power service|electric service|utility service|"
    "trash service|garbage service|phone service|internet service|cable service|"
    "bus service|train service|rail service|water shutoff|utility bill|service|services|"
    "parking|contract|contracts|lease|route|routes|permit|permits|license|licenses|licence|"
    "meeting|meetings|construction|project|game|games|season|pickup|collection|subscription|"
    "membership|registration|program|league|ordinance|account|accounts|rental|operations|"
    "sentence|snow emergency|fired up|shots fired|suspect|suspects|cause of|shooting|"
    "burglary|robbery|homicide|arson|theft|structure fire|house fire|garage fire|brush fire|"
    "fireworks|fire pit|nonpayment|non-payment"
)

_RULES = {
    "health": SentenceRule(
        "health",
        (
            Strong(_HEALTH_STRONG),
            Strong(_HEALTH_STRONG_EXTRA, requires=any_of("broke")),
            Strong(_HEALTH_ACRONYMS, on_lower=False),
        ),
        _HEALTH_WEAK,
        _PERSON,
        _HEALTH_THING,
    ),
    "personnel": SentenceRule(
        "personnel",
        (Strong(_PERSONNEL_STRONG), Strong(_PERSONNEL_ACRONYMS, on_lower=False)),
        _PERSONNEL_WEAK,
        _EMPLOYEE,
        _PERSONNEL_THING,
    ),
}


def _sentence_hit(doc: Document, category: str, pos: int) -> Hit:
    start, end = clause_at(doc.text, doc.sentence_at(pos), pos)
    return Hit(category, start, end, f"{category}.keyword")


def find_sentences(doc: Document, rule: SentenceRule) -> Iterator[Hit]:
    lower = doc.lower
    hits: dict[tuple[int, int], Hit] = {}
    for strong in rule.strong:
        if strong.requires is not None and not strong.requires.search(lower):
            continue
        for match in strong.pattern.finditer(lower if strong.on_lower else doc.text):
            if strong.check is None or strong.check(match):
                hit = _sentence_hit(doc, rule.category, match.start())
                hits.setdefault((hit.start, hit.end), hit)
    if rule.weak is not None and rule.person is not None:
        for match in rule.weak.finditer(lower):
            hit = _sentence_hit(doc, rule.category, match.start())
            if (hit.start, hit.end) in hits:
                continue
            start, end = doc.sentence_at(match.start())
            if not rule.person.search(lower, start, end):
                continue
            if rule.thing is not None and rule.thing.search(lower, start, end):
                continue
            hits[(hit.start, hit.end)] = hit
    yield from sorted(hits.values(), key=lambda h: h.start)


def find_health(doc: Document) -> Iterator[Hit]:
    """Yield sentences in ``doc`` that mention a person's health, in text order."""
    return find_sentences(doc, _RULES["health"])


def find_personnel(doc: Document) -> Iterator[Hit]:
    """Yield sentences in ``doc`` about an employee's discipline or employment, in order."""
    return find_sentences(doc, _RULES["personnel"])
