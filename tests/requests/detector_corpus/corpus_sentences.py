"""Corpus lines for the sentence categories ``health``, ``personnel`` and ``minor``."""

from __future__ import annotations

import random

from corpus_kit import (
    SEED,
    Line,
    m,
    mark,
    phrases,
    words,
)

# --------------------------------------------------------------------------------------------
# health, personnel, minor: sentence-level categories
# --------------------------------------------------------------------------------------------

FILLERS = [
    "The plow came through at 3 am again.",
    "Thanks for the update on the road work.",
    "This has been going on all winter.",
    "I emailed the council but heard nothing back.",
    "Our block has been ignored for years.",
    "Can someone please look into this?",
    "The streetlight on our corner is still out.",
    "We love this neighborhood.",
    "The new bike lanes are confusing.",
    "Who approved this?",
    "Please fix it before someone gets hurt.",
    "The sidewalk on our block is a sheet of ice.",
    "Posting here because nobody answers the phone.",
    "Just wanted to say thank you.",
    "Same thing happened last year.",
]


def sentence_line(rng: random.Random, sentence: str, note: str, positive: bool) -> Line:
    """Put ``sentence`` (the expected span when ``positive``) between optional fillers."""
    before = rng.choice(["", "", rng.choice(FILLERS) + " "])
    after = rng.choice(["", "", " " + rng.choice(FILLERS)])
    core = m(sentence) if positive else sentence
    return mark(before + core + after, note)


def expand(
    templates: list[str], slots: dict[str, list[str]], rng: random.Random, count: int
) -> list[str]:
    out: list[str] = []
    for i in range(count):
        template = templates[i % len(templates)]
        values = {k: rng.choice(v) for k, v in slots.items()}
        sentence = template.format(**values)
        out.append(sentence[0].upper() + sentence[1:])
    return out


WHO = phrases(
    "my son|my daughter|my husband|my wife|my mom|my dad|my neighbor|my elderly father|"
    "our grandson|my sister|my roommate|my brother|my partner|my grandmother"
)
WHO_F = ["my wife", "my daughter", "my sister", "my neighbor", "my roommate"]
CONDITIONS = phrases(
    "cancer|diabetes|COPD|multiple sclerosis|Parkinson's|leukemia|a heart condition|asthma|"
    "bipolar disorder|Crohn's disease|lupus|kidney failure|epilepsy|dementia|autism|"
    "an anxiety disorder|long COVID|a brain injury"
)

HEALTH_TEMPLATES = [
    "{who} was diagnosed with {cond} last year and the smoke from the burn pile makes it worse.",
    "{who} was hospitalized after slipping on the unshoveled sidewalk on Elm.",
    "{who} has {cond}, so the fireworks every night are really hard on our family.",
    "{who} uses a wheelchair and can't get past the snow piles at the corner.",
    "{who} is on dialysis three times a week and relies on the Route 5 bus.",
    "{who_f} is pregnant and the fumes from the asphalt plant make her sick.",
    "{who} had a heart attack and the ambulance couldn't get down our unplowed street.",
    "{who} is in hospice care, so please keep the construction noise down before 8.",
    "{who} takes insulin and the power outage spoiled all of it.",
    "{who_f} broke her hip on the icy steps at the library.",
    "{who} has been in therapy for anxiety since the break-in.",
    "{who} has severe asthma and the leaf burning is dangerous.",
    "{who} has dementia and wandered off last night, thank you to the officers who found them.",
    "{who} has autism and the noon sirens are really upsetting.",
    "{who} is recovering from surgery and can't haul the cart to the curb.",
    "{who} overdosed last month and the fire crew saved their life.",
    "{who} tested positive for covid so we missed the hearing.",
    "{who} is immunocompromised from chemo, please enforce masks at the library.",
    "{who} suffers from depression and the isolation in winter is awful.",
    "{who} has a medical condition that makes shoveling impossible.",
    "{who} spent all night in the emergency room after the dog bite.",
    "{who} has epilepsy and the strobe lights at the festival triggered a seizure.",
    "{who} has PTSD from the military and the fireworks are brutal.",
    "{who} got a concussion from the bike crash at that bad crosswalk.",
    "{who} needed stitches after tripping on the broken sidewalk.",
    "{who} is blind and the new crosswalk signals don't talk.",
    "{who} is deaf and the emergency alerts only come by phone call.",
    "{who} needs oxygen at night, so the power outage was scary.",
    "{who} was just released from the psychiatric unit and needs housing help.",
    "{who} is HIV positive and can't risk infections at the shelter.",
    "{who} is on a lot of medications and the pharmacy on Rice St closed.",
    "{who} sees a therapist every week and the bus cuts make that impossible.",
    "{who} has a prescription that needs to be refrigerated, so the outage was a disaster.",
    "{who} is disabled and needs the accessible parking spot in front of our house.",
    "{who} has chronic pain and can't walk the three blocks to the new bus stop.",
]
HEALTH_FIRST_PERSON = [
    "I was diagnosed with {cond} in March, so I can't shovel the sidewalk in front of my house.",
    "I'm pregnant and the smell from the sewer work is making me throw up.",
    "I have {cond} and the smoke from the wood burners is awful.",
    "I'm on medication that makes me sensitive to heat, please open the cooling center.",
    "I just had surgery and can't drag the trash cart to the alley.",
    "I see a therapist for anxiety and the constant sirens are not helping.",
    "I'm disabled and the bus stop has no bench.",
    "I was hospitalized for a week after the carbon monoxide leak in my building.",
    "I have a seizure disorder and the flashing construction lights are a problem.",
    "I'm a cancer survivor and the new smoking area right outside my window worries me.",
    "I'm in recovery from addiction and the liquor store next door makes it harder.",
    "I have asthma and can't breathe when they spray the weeds on my street.",
]
HEALTH_NEGATIVES = [
    "The health department will inspect the restaurant on Friday.",
    "The mental health crisis team presentation is Tuesday at 6 pm.",
    "Prescription drug take-back day is Saturday at the police station.",
    "The hospital on Elm is expanding its parking ramp.",
    "Flu shot clinic hours are posted on the county site.",
    "Cancer awareness walk this Saturday around Lake Phalen!",
    "The park building rehab project begins Monday.",
    "This pothole is sick lol.",
    "Police seized drugs during a traffic stop on Rice St.",
    "The city's health and safety code requires smoke detectors.",
    "The playground is now fully accessible.",
    "Great therapy dogs at the library today!",
    "Can we get a wheelchair ramp at the community center?",
    "Thanks to the paramedics for the quick response on 5th.",
    "Hospital parking ramp fees are outrageous.",
    "The clinic on Rice St has new hours.",
    "The suicide prevention hotline number should be on the website.",
    "Opioid settlement funds should go to treatment programs.",
    "The disability services office moved to the 2nd floor.",
    "COVID testing site closes Friday.",
    "The doctor's office parking lot floods every spring.",
    "Health inspection scores for food trucks are online.",
    "I'm sick of the potholes on this road!",
    "The new crosswalk is a disaster for anyone in a wheelchair.",
    "Blood drive at City Hall on Thursday.",
    "The council approved the public health budget.",
    "Vaccine clinic at the rec center this weekend.",
    "The ambulance service contract is up for renewal.",
    "Is the pharmacy on Rice St still open on Sundays?",
    "The fire department's medical response times are improving.",
    "Walk to End Alzheimer's starts at the bandshell.",
    "Dementia-friendly training for city staff is next week.",
    "Senior center offers free blood pressure checks.",
    "The new hospital wing opens in June.",
    "We need more mental health resources in this city.",
    "Are the nurses at the county clinic on strike?",
    "The treatment plant smells terrible this week.",
    "The water treatment upgrade is finally done.",
    "Healthy food options at the farmers market!",
    "My doctor's office is on Lexington.",
]
HEALTH_HARD = {
    "My doctor's office is on Lexington.": "hard: 'my' + 'doctor' (flagged; reveals little)",
}


def health_lines() -> list[Line]:
    rng = random.Random(SEED + 10)
    lines: list[Line] = []
    sentences = expand(HEALTH_TEMPLATES, {"who": WHO, "who_f": WHO_F, "cond": CONDITIONS}, rng, 175)
    sentences += expand(HEALTH_FIRST_PERSON, {"cond": CONDITIONS}, rng, 45)
    for sentence in sentences:
        lines.append(sentence_line(rng, sentence, "health sentence", True))
    lines += [
        mark(
            "⟦My son has been diagnosed with asthma and the smoke from 123 Elm St makes it "
            "worse.⟧ Please do something.",
            "sentence with an address",
        ),
        mark(
            "⟦My mom (who has Alzheimer's) got lost walking home from the Dr. appointment on "
            "Grand Ave.⟧",
            "parentheses and Dr. abbreviation",
        ),
        mark("Loud music again!! ⟦My husband has PTSD and can't sleep!!⟧", "exclamation marks"),
        mark(
            "⟦my dad is on chemo\u200b and can't be around the dust from the demo site⟧",
            "no final punctuation, zero-width space",
        ),
        mark("⟦I’m pregnant and the fumes are awful.⟧", "curly apostrophe"),
        mark("⟦MY WIFE WAS HOSPITALIZED AFTER FALLING ON THE ICE.⟧ FIX THE SIDEWALKS.", "all caps"),
        mark(
            "Update:\n⟦my daughter was diagnosed with lead poisoning⟧\nWe need the pipes tested",
            "lines without punctuation",
        ),
    ]
    rng2 = random.Random(SEED + 11)
    for _i in range(6):
        for sentence in HEALTH_NEGATIVES:
            note = HEALTH_HARD.get(sentence, "public health / institutional mention")
            lines.append(sentence_line(rng2, sentence, note, False))
    return lines


ROLES = phrases(
    "officer|sergeant|deputy|clerk|building inspector|parks supervisor|firefighter|dispatcher|"
    "librarian|plow driver|code enforcement officer|utility worker|public works director|"
    "police chief|city manager|fire chief|assessor|rec center manager"
)
NAMES = words("Johnson Olson Nguyen Larson Hernandez Vang Peterson Schmidt Ali Nelson")
PERSONNEL_TEMPLATES = [
    "Officer {name} was suspended without pay after the incident at the park.",
    "I heard the {role} was placed on administrative leave, is that true?",
    "Is the {role} under an internal affairs investigation?",
    "My grievance against the {role} was never answered.",
    "The {role}'s performance review should be made public.",
    "Deputy {name} got a written warning for the crash.",
    "The {role} was terminated for misconduct.",
    "The {role} was demoted after the audit found missing funds.",
    "Why was the {role} let go so suddenly?",
    "The {role} who was rude to me at the front desk should be fired.",
    "Officer {name} has had three complaints against him this year.",
    "The {role} who hit my mailbox was disciplined, right?",
    "The {role} was fired for posting about residents online.",
    "Sergeant {name} resigned in lieu of termination.",
    "I filed an EEO complaint against the {role}.",
    "The {role} who leaked the data should be investigated.",
    "The {role} was reprimanded for losing the evidence.",
    "Why wasn't the {role} disciplined after the use of force complaint?",
    "The {role} is on a performance improvement plan according to the council minutes.",
    "Two firefighters were suspended for the prank at the station.",
    "The {role} was put on probation after the missed call.",
    "Is {role} {name} still employed after the misconduct findings?",
    "Please release the personnel file for the former {role}.",
    "The {role} was forced out after the lawsuit.",
    "The {role} harassed my neighbor and nothing happened to him.",
    "Was the {role} fired or did she resign?",
    "The union filed a grievance for the {role} who was fired.",
    "The {role} has been on paid leave pending investigation for months.",
]
PERSONNEL_NEGATIVES = [
    "Parking is suspended during snow emergencies.",
    "Water service will be terminated for nonpayment after 30 days.",
    "Bus route 5 was suspended for the season.",
    "Shots fired near 5th and Main last night.",
    "The investigation into the burglary on Elm continues.",
    "I'm fired up about the new splash pad!",
    "The city is hiring seasonal workers for the parks.",
    "Performance at the bandshell tonight at 7!",
    "Registration for the softball league is suspended until spring.",
    "The contract with the trash hauler was terminated.",
    "The suspect was arrested after a short chase.",
    "Garbage pickup is suspended Monday for the holiday.",
    "The officer did a great job directing traffic.",
    "Thank you to the public works crew for the fast repair!",
    "The liquor license was suspended for selling to minors.",
    "The permit was terminated because of code violations.",
    "The review of the budget is on the agenda.",
    "My gym membership was terminated.",
    "The game was suspended due to lightning.",
    "The lease for the community garden was terminated.",
    "Construction on Rice St is suspended for the winter.",
    "I got fired up at the meeting lol.",
    "The police are investigating the cause of the house fire.",
    "Alternate side parking rules are suspended this week.",
    "The clerk was super helpful at the front desk today.",
    "Great job by the firefighters on Elm St last night!",
    "The council will review the police budget next month.",
    "Our block club discussed the new sidewalk policy.",
    "The program was terminated due to lack of funding.",
    "Did the city fire up the new street sweeper yet?",
    "The inspector came out and was very thorough.",
    "The city manager will present the budget on Tuesday.",
    "Snow emergency rules are suspended until further notice.",
    "The chief spoke at our block party, great event.",
    "Applications for the police academy are open.",
    "He was fired from his job at a restaurant years ago and now runs a great bakery.",
]
PERSONNEL_HARD = {
    "He was fired from his job at a restaurant years ago and now runs a great bakery.": "hard: "
    "private employment, not a government personnel matter (flagged)",
}


def personnel_lines() -> list[Line]:
    rng = random.Random(SEED + 12)
    lines: list[Line] = []
    for sentence in expand(PERSONNEL_TEMPLATES, {"role": ROLES, "name": NAMES}, rng, 215):
        lines.append(sentence_line(rng, sentence, "personnel sentence", True))
    lines += [
        mark(
            "⟦Officer Smith was suspended without pay after the incident.⟧ Parking is suspended "
            "Tuesday.",
            "two 'suspended' sentences, one personnel",
        ),
        mark("⟦Sgt. Olson was disciplined twice last year.⟧", "Sgt. abbreviation"),
        mark("⟦THE CLERK SHOULD BE FIRED!!!⟧", "all caps"),
        mark(
            "⟦the inspector got written up\u200b for the mistake on my permit⟧",
            "lowercase, zero-width",
        ),
        mark(
            "⟦Is it true the fire chief is on administrative leave?⟧ Asking for a friend.",
            "question",
        ),
    ]
    rng2 = random.Random(SEED + 13)
    for _i in range(6):
        for sentence in PERSONNEL_NEGATIVES:
            lines.append(
                sentence_line(
                    rng2,
                    sentence,
                    PERSONNEL_HARD.get(sentence, "suspended/terminated about things"),
                    False,
                )
            )
    return lines


KIDS = phrases(
    "son|daughter|kids|little boy|little girl|grandson|granddaughter|stepdaughter|stepson|"
    "toddler|twins|nephew|niece"
)
POSSESSIVE = ["my", "our", "My", "Our"]
MINOR_TEMPLATES = [
    "{poss} {kid} was nearly hit in the crosswalk at Elm and 5th.",
    "{poss} {age}-year-old was nearly hit in the crosswalk at Elm and 5th.",
    "{poss} {age}-year-old daughter walks to school along Larpenteur and there's no sidewalk.",
    "A {age}-year-old boy was hit by a car on Rice St yesterday.",
    "The teenager on the bike was clipped by the bus.",
    "{poss} daughter (age {age}) wants to speak at the council meeting.",
    "She's {age} years old and plays at the park every day.",
    "Police said a juvenile was taken into custody after the break-in.",
    "The student who was hit at the crosswalk is still in the hospital.",
    "Two minors were seen climbing the water tower.",
    "{poss} {age} yo keeps asking when the splash pad opens.",
    "The little girl next door lost her cat.",
    "{poss} toddler loves the new playground.",
    "{poss} {kid} got a ticket for riding a bike on the sidewalk?!",
    "Our grandson Tyler, age {age}, needs a library card.",
    "{poss} {kid} was bullied on the school bus.",
    "Her 4th grader was left at the wrong bus stop.",
    "A group of teenagers has been hanging out at the skate park after dark.",
    "The boy who lives at the corner house keeps setting off fireworks.",
    "{poss} {kid} can't use the park because of the broken glass.",
    "A {age}-year-old girl was bitten by a loose dog on Oak St.",
    "He's only {age} years old and was out alone at midnight.",
    "{poss} {kid} found a needle at the playground.",
    "The teen who works at the pool was amazing with the little kids.",
]
MINOR_NEGATIVES = [
    "Youth soccer for ages 5-12 starts Monday.",
    "Kids 12 and under swim free on Sundays.",
    "Teen center hours are 3-8 pm.",
    "Toddler story time at the library is Tuesday at 10.",
    "Minor repairs on Elm St this week.",
    "The student housing ordinance passes tonight.",
    "A 10-year-old water main broke on Oak St.",
    "The building is 50 years old and needs a new roof.",
    "The 18-year-old driver was cited for speeding.",
    "Boys and Girls Club fundraiser Saturday!",
    "Juvenile court is on the 3rd floor.",
    "College students are renting every house on our block.",
    "Minor league game tickets for city staff.",
    "My son-in-law is helping with the fence.",
    "The 100-year-old oak tree at the park must be saved.",
    "Children's museum free day is Sunday.",
    "School zone speed limit is 20 mph.",
    "The kids' splash pad is closed for repairs.",
    "Kids eat free at the fish fry on Friday.",
    "The library's teen advisory board meets Monday.",
    "The boys' basketball team won state!",
    "Minors are not allowed in the taproom after 8.",
    "A minor change to the parking ordinance is on the agenda.",
    "The 21-year-old suspect was arrested.",
    "Student loan forgiveness webinar at the library.",
    "Swim lessons for ages 6 and up start in June.",
    "The playground is for children aged 2 to 12.",
    "The bridge is 60 years old.",
    "Graduate students from the U presented the traffic study.",
    "Youth hockey registration closes Friday.",
    "My kids are grown and moved away, but I still love this park.",
    "The senior center is for residents age 55 and older.",
    "A 5-year-old transit plan is finally done.",
    "Minor flooding on Lake St this morning.",
    "The girls' softball field needs new lights.",
]
MINOR_HARD = {
    "My kids are grown and moved away, but I still love this park.": "hard: adult children "
    "(flagged)",
}


def minor_lines() -> list[Line]:
    rng = random.Random(SEED + 14)
    lines: list[Line] = []
    ages = [str(a) for a in range(2, 17)]
    for sentence in expand(
        MINOR_TEMPLATES, {"poss": POSSESSIVE, "kid": KIDS, "age": ages}, rng, 210
    ):
        lines.append(sentence_line(rng, sentence, "minor sentence", True))
    lines += [
        mark("⟦My twelve-year-old got a ticket for riding on the sidewalk.⟧", "age in words"),
        mark(
            "⟦My 9\u2011year\u2011old daughter was nearly hit.⟧ Youth soccer for ages 5-12 starts "
            "Monday.",
            "non-breaking hyphens; program listing after",
        ),
        mark("⟦my son is 14 and got stopped by police for no reason⟧", "lowercase, no period"),
        mark("⟦A minor was hurt at the skate park.⟧", "minor as a noun"),
        mark("⟦Our kids (7 and 9) walk this way to school.⟧", "possessive kids with ages"),
        mark("⟦The 15-year-old who was hit is recovering.⟧", "age as a noun"),
        mark("⟦MY DAUGHTER WAS ALMOST HIT BY A PLOW!!!⟧", "all caps"),
    ]
    rng2 = random.Random(SEED + 15)
    for _i in range(6):
        for sentence in MINOR_NEGATIVES:
            lines.append(
                sentence_line(
                    rng2,
                    sentence,
                    MINOR_HARD.get(sentence, "program listing / non-person age / adult"),
                    False,
                )
            )
    return lines
