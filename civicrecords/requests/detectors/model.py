"""The vocabulary of PII detection: categories, candidates, and the internal ``Hit``.

Categories carry names, labels and whether they may be redacted without review; the statute a
reviewer cites comes from the archive's configuration, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "Candidate", "CategoryInfo", "Hit"]


@dataclass(frozen=True)
class Candidate:
    """One span of a text that may hold not-public data, for a person to accept or reject.

    ``start``/``end`` are offsets into the original text given to ``detect()``;
    ``text[start:end]`` covers the whole matched value, including zero-width characters
    inside it. ``context`` is a short window around the match with the match itself (and any
    other number that looked like an SSN, card, routing, bank account or licence number)
    replaced by ``[category]``, so it is safe to store or log.
    """

    category: str
    start: int
    end: int
    detector: str
    context: str


@dataclass(frozen=True)
class CategoryInfo:
    """What a category is called and whether its candidates may be redacted without review."""

    name: str
    label: str
    auto_redact: bool
    description: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A detector's raw finding, as a span of a ``Document``'s folded text (internal)."""

    category: str
    start: int
    end: int
    detector: str


def _info(name: str, label: str, description: str, *, auto_redact: bool = False) -> CategoryInfo:
    return CategoryInfo(name=name, label=label, auto_redact=auto_redact, description=description)


# Keys in a stable order (the order callers list categories in). Treat as read-only.
CATEGORIES: dict[str, CategoryInfo] = {
    info.name: info
    for info in (
        _info(
            "ssn",
            "Social Security number",
            "A valid-looking SSN (area not 000/666, group not 00, serial not 0000), or an "
            "ITIN (9xx with an ITIN group) written with separators or next to 'ITIN'/'tax'.",
            auto_redact=True,
        ),
        _info(
            "mn_dl",
            "Minnesota driver's license or ID number",
            "One letter and 12 digits, with 'license', 'DL', 'driver' or 'ID' nearby.",
        ),
        _info(
            "card",
            "Payment card number",
            "12-19 digits (optionally grouped by spaces or dashes) passing the Luhn check, "
            "starting with 2-6 as the major card networks do.",
            auto_redact=True,
        ),
        _info(
            "aba_routing",
            "Bank routing number",
            "Nine digits passing the ABA 3-7-1 checksum with a valid Federal Reserve "
            "prefix, with 'routing', 'ABA', 'RTN', 'transit', 'bank' or 'deposit' nearby.",
        ),
        _info(
            "bank_account",
            "Bank account number",
            "8-17 digits with 'account', 'acct', 'checking', 'savings' or 'bank' nearby, "
            "unless the number is already a card, SSN, routing or phone number.",
        ),
        _info(
            "phone",
            "Telephone number",
            "A number phonenumbers validates (NANP by default, international with +), "
            "or a 7-digit local number next to 'call', 'text', 'phone' or 'cell'.",
        ),
        _info(
            "email",
            "Email address",
            "An email address, including plus-addressing, subdomains, Unicode local parts "
            "and domains, and '[at]'/'(dot)'-style obfuscations.",
        ),
        _info(
            "dob",
            "Date of birth",
            "A date (numeric or with a month name) in the same sentence as 'DOB', 'born', "
            "'birthday' or 'date of birth'.",
        ),
        _info(
            "street_address",
            "Street address",
            "A house number, street name and street suffix (St, Ave, Rd...), with any "
            "unit, city, state and ZIP that follow; also PO boxes.",
        ),
        _info(
            "health",
            "Health information",
            "A sentence that mentions a diagnosis, treatment, condition or care of a "
            "person (Minn. Stat. 13.3805 candidates).",
        ),
        _info(
            "personnel",
            "Personnel matter",
            "A sentence about discipline, termination, suspension, grievances, reviews or "
            "investigations of an employee (Minn. Stat. 13.43 candidates).",
        ),
        _info(
            "minor",
            "Information about a minor",
            "A sentence naming or describing a child: 'my son', 'my 9-year-old', "
            "'juvenile', 'student', 'age 12'.",
        ),
    )
}
