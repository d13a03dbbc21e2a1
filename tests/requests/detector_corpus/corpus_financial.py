"""Corpus lines for ``card``, ``aba_routing`` and ``bank_account``."""

from __future__ import annotations

import random

from corpus_kit import (
    BAD_ABA_PREFIXES,
    CARD_KINDS,
    SEED,
    Line,
    around,
    card_format,
    card_number,
    digits,
    looks_like_card,
    luhn_complete,
    m,
    mark,
    maybe_trick,
    phone_digits,
    phone_format,
    routing_number,
    ssn_digits,
    ssn_format,
)

# --------------------------------------------------------------------------------------------
# card
# --------------------------------------------------------------------------------------------

CARD_TEMPLATES = [
    "I was double charged on card {v} for the parking ticket, please refund",
    "Card number: {v} exp 08/27",
    "Please refund to my visa {v}",
    "Paid the water bill with {v} but it says unpaid",
    "my card {v} was declined on the pool pass page",
    "The rec center kept my card on file ({v}), please remove it",
    "{v} exp 11/26 cvv 402 - can you run it over the phone instead?",
    "cc# {v}",
    "credit card {v}",
    "Debit card {v} was charged twice for the dog license",
    "Can you charge {v} for the shelter rental?",
    "use card {v} for the permit fee",
    "The receipt shows the full number {v}, isn't that a security problem?",
    "CARD: {v}",
    "charge it to {v}",
]


def card_lines() -> list[Line]:
    rng = random.Random(SEED + 3)
    lines: list[Line] = []
    for i in range(190):
        kind, prefix, length = CARD_KINDS[i % len(CARD_KINDS)]
        formatted, fmt_note = card_format(rng, card_number(rng, prefix, length), kind)
        value, note = maybe_trick(rng, formatted, 0.3)
        template = CARD_TEMPLATES[i % len(CARD_TEMPLATES)]
        lines.append(
            mark(around(rng, template.format(v=m(value))), f"{kind} {length} {fmt_note} {note}")
        )
    lines += [
        mark("card ⟦4111 1111 1111 1111⟧", "well-known test number (still a card number)"),
        mark("⟦4111\u200b1111\u200b1111\u200b1111⟧", "zero-width spaces between groups"),
        mark("card ⟦４１１１ １１１１ １１１１ １１１１⟧", "fullwidth digits, ASCII spaces"),
        mark("card ⟦4111\u00a01111\u00a01111\u00a01111⟧", "non-breaking spaces"),
        mark("card ⟦4111\u20131111\u20131111\u20131111⟧", "en dashes"),
        mark("card ⟦4111-1111 1111-1111⟧", "mixed separators"),
        mark("card ⟦5500 0000 0000 0004⟧ exp 12/25 cvc 123", "CVC after expiry"),
        mark("card ⟦5500 0000 0000 0004⟧ 123", "CVC right after the number"),
        mark("call 612-555-0134 or charge ⟦4111 1111 1111 1111⟧", "phone then card"),
        mark("Amex ⟦3782 822463 10005⟧", "amex 4-6-5"),
        mark("Diners ⟦3056 930902 5904⟧", "diners 4-6-4"),
        mark("⟦6011111111111117⟧", "discover contiguous"),
        mark("two cards: ⟦4012888888881881⟧ and ⟦5105105105105100⟧", "two cards"),
        mark("card\n⟦4111111111111111⟧\nthanks", "own line"),
        mark("(⟦4111 1111 1111 1111⟧)", "parentheses"),
        mark("card ⟦4111\u00ad1111\u00ad1111\u00ad1111⟧", "soft hyphens as separators"),
        mark("card ⟦𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏⟧", "mathematical bold digits"),
        mark("card ⟦٤١١١١١١١١١١١١١١١⟧", "arabic-indic digits"),
    ]
    # Negatives.
    for i in range(60):
        kind, prefix, length = CARD_KINDS[i % len(CARD_KINDS)]
        number = card_number(rng, prefix, length)
        broken = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
        formatted, _ = card_format(rng, broken, kind)
        template = CARD_TEMPLATES[i % len(CARD_TEMPLATES)]
        lines.append(mark(around(rng, template.format(v=formatted)), f"{kind} failing Luhn"))
    labels = ["Order", "Confirmation", "Reference", "Transaction", "Booking", "Case", "Tracking"]
    for i in range(45):
        n = rng.randint(12, 19)
        number = digits(rng, n)
        note = "random reference number (uniform digits; may pass Luhn by chance)"
        spans = ""
        if looks_like_card(number):
            note = "hard: random reference number that happens to pass Luhn with a card prefix"
        lines.append(mark(f"{labels[i % len(labels)]} number {number}{spans} - any update?", note))
    for _ in range(25):
        number = digits(rng, rng.randint(12, 19), "1789")
        number = luhn_complete(number[:-1])
        lines.append(
            mark(
                f"My reference number {number} for the refund",
                "Luhn-valid but starts with 1/7/8/9 (not a card network)",
            )
        )
    for _ in range(15):
        lines.append(
            mark(
                f"USPS tracking 9400 {digits(rng, 4)} {digits(rng, 4)} {digits(rng, 4)}"
                f" {digits(rng, 4)} {digits(rng, 2)}",
                "USPS tracking, 22 digits",
            )
        )
    for _ in range(10):
        lines.append(
            mark(f"FedEx tracking {digits(rng, 12, '7')} shows delivered", "FedEx tracking")
        )
    for _ in range(10):
        lines.append(mark(f"UPS 1Z{digits(rng, 3)}AA{digits(rng, 10)} never came", "UPS tracking"))
    for _ in range(15):
        area, ex, line = phone_digits(rng)
        lines.append(
            mark(
                f"Call {phone_format(rng, area, ex, line)} about the card reader at the pool",
                "phone number",
            )
        )
    lines += [
        mark("card 4444 4444 4444 4444", "all same digits"),
        mark("card 0000 0000 0000 0000", "all zeros"),
        mark("Card ending in 1234 was charged twice", "last four only"),
        mark("card **** **** **** 1111", "masked card"),
        mark("XXXX-XXXX-XXXX-1111 on the receipt", "masked card"),
        mark("Amazon order 112-1234567-1234567", "Amazon order number"),
        mark("card 4111 1111 1111 111", "15 digits failing Luhn"),
        mark("card 41111111111", "11 digits"),
        mark("card 41111111111111111111", "20 digits"),
        mark("Budget: $4,111,111,111,111 over ten years?!", "money with commas"),
        mark("Meeting 2024-05-14 12:30-14:00", "date and time range"),
        mark("ISBN 978-0-306-40615-7 is the book club pick", "ISBN"),
        mark("Serial 4111-11-1111-1111", "odd grouping"),
        mark(
            "Ward 4 precinct 11 ballots 1111 1111 1111",
            "spaced counts, not starting with a 4-digit IIN group",
        ),
        mark("Permit 2024 0512 0001 issued", "permit number failing Luhn"),
        mark("Phone 612 555 0134 4111", "phone followed by digits"),
        mark("Visa card ending 4242, exp 12/26", "last four"),
        mark("Version 4.11.1111.1111", "version string"),
        mark("IBAN-like ref 1234 5678 9012 3456 7890 1234", "too many digits"),
        mark("The new card reader at City Hall takes tap payments", "no number"),
    ]
    return lines


# --------------------------------------------------------------------------------------------
# aba_routing
# --------------------------------------------------------------------------------------------

ABA_TEMPLATES = [
    "For direct deposit of the refund: routing {v}, account {a}",
    "Routing number {v}",
    "ABA {v}",
    "RTN: {v}",
    "bank routing # {v} - is that what the form needs?",
    "{v} is the routing number for my credit union",
    "Wire the deposit back to routing {v} please",
    "My bank's routing no. is {v}",
    "routing/transit {v}",
    "The utility autopay form asks for routing {v} and account {a}, is this site secure?",
    "ABA/routing: {v}",
    "Please deposit the reimbursement: Bank: Bremer, Routing: {v}",
    "r/t {v}",
    "Transit number {v}",
]
ABA_BARE_TEMPLATES = [
    "Here's the number {v}, let me know if you need more",
    "{v}",
    "The code is {v}",
    "Please use {v} for the refund",
]


def aba_lines() -> list[Line]:
    rng = random.Random(SEED + 4)
    lines: list[Line] = []
    for i in range(200):
        template = ABA_TEMPLATES[i % len(ABA_TEMPLATES)]
        value, note = maybe_trick(rng, routing_number(rng), 0.3)
        account = digits(rng, rng.randint(8, 12), "123456789")
        lines.append(
            mark(
                around(rng, template.format(v=m(value), a=account)), f"routing with context, {note}"
            )
        )
    lines += [
        mark("Wells Fargo MN routing ⟦091000019⟧", "real routing number"),
        mark("US Bank routing ⟦091000022⟧", "real routing number"),
        mark("routing ⟦０９１００００１９⟧", "fullwidth"),
        mark("routing ⟦0910\u200b00019⟧", "zero-width space inside"),
        mark("routing\n⟦091000019⟧", "next line"),
        mark("(routing: ⟦091000019⟧)", "parentheses"),
        mark("Routing ⟦091000019⟧. Account 12345678.", "with account after"),
        mark("routing number is ⟦091000019⟧", "routing number is"),
        mark("ABA ⟦011000015⟧", "Federal Reserve Boston"),
        mark("routing ⟦800000006⟧", "prefix 80 (traveler's checks)"),
    ]
    # Negatives.
    for i in range(60):
        template = ABA_TEMPLATES[i % len(ABA_TEMPLATES)]
        value = routing_number(rng)
        broken = value[:-1] + str((int(value[-1]) + rng.randint(1, 9)) % 10)
        lines.append(
            mark(
                around(rng, template.format(v=broken, a=digits(rng, 10, "123456789"))),
                "checksum fails",
            )
        )
    for i in range(50):
        template = ABA_TEMPLATES[i % len(ABA_TEMPLATES)]
        value = routing_number(rng, BAD_ABA_PREFIXES)
        lines.append(
            mark(
                template.format(v=value, a=digits(rng, 10, "123456789")),
                "checksum passes, invalid prefix",
            )
        )
    for i in range(40):
        template = ABA_BARE_TEMPLATES[i % len(ABA_BARE_TEMPLATES)]
        lines.append(
            mark(
                template.format(v=routing_number(rng)),
                "bare routing number: no context word, not flagged by design",
            )
        )
    for _ in range(30):
        n = rng.choice([8, 10, 11])
        lines.append(mark(f"routing {digits(rng, n)}", f"{n} digits"))
    for _ in range(20):
        area, ex, line = phone_digits(rng)
        lines.append(
            mark(
                f"Call my bank at {phone_format(rng, area, ex, line)} to verify",
                "phone number with bank context",
            )
        )
    lines += [
        mark("The routing of the new bus line is terrible", "routing, no number"),
        mark("Where do I find my routing number?", "question, no number"),
        mark("routing 091-000-019", "dashed (routing numbers are not written in groups)"),
        mark("bank 091000019123", "longer run"),
        mark("routing 0910000190", "10 digits"),
        mark(
            "Order 091000019 shipped",
            "valid routing number without routing context: bare by design",
        ),
        mark("ABA therapy for my son starts Monday", "ABA as a therapy"),
        mark("Snowbank at 091 Oak", "bank inside a word"),
        mark("The river bank trail closes at 9", "bank, no number"),
        mark("Deposit 123-45-6789", "SSN shaped"),
    ]
    return lines


# --------------------------------------------------------------------------------------------
# bank_account
# --------------------------------------------------------------------------------------------

BANK_TEMPLATES = [
    "Please refund to my checking account {v}",
    "acct # {v}",
    "Account number: {v}",
    "savings acct {v} at TCF",
    "My bank account {v} was debited twice for the water bill",
    "direct deposit to account {v} please",
    "checking {v}",
    "Acct: {v}",
    "account no. {v} - the autopay pulled the wrong amount",
    "I gave the clerk my bank account number {v} over the phone, was that ok?",
    "Savings: {v}",
    "The ACH came out of account {v} even though I cancelled autopay",
    "my account number is {v}",
    "{v} is my checking account number",
    "acct#{v}",
    "Bank: Bremer, account {v}",
]


def account_number(rng: random.Random) -> str:
    while True:
        n = rng.randint(8, 17)
        value = digits(rng, n, "123456789")
        if looks_like_card(value):
            continue
        if n in (10, 11):
            continue  # these belong to the phone-vs-account cases written by hand below
        return value


def account_format(rng: random.Random, value: str) -> str:
    if len(value) >= 10 and rng.random() < 0.2:
        cut = rng.randint(3, len(value) - 3)
        return value[:cut] + rng.choice(["-", " "]) + value[cut:]
    return value


def bank_lines() -> list[Line]:
    rng = random.Random(SEED + 5)
    lines: list[Line] = []
    for i in range(200):
        template = BANK_TEMPLATES[i % len(BANK_TEMPLATES)]
        value, note = maybe_trick(rng, account_format(rng, account_number(rng)), 0.25)
        lines.append(
            mark(around(rng, template.format(v=m(value))), f"account with context, {note}")
        )
    lines += [
        mark("account ⟦6125550134⟧", "10 digits labelled account (not a phone)"),
        mark("my checking account is ⟦6515550199⟧", "10 digits after 'account is'"),
        mark("acct ⟦16125550134⟧", "11 digits starting with 1"),
        mark("account ⟦１２３４５６７８⟧", "fullwidth"),
        mark("account ⟦1234\u200b5678\u200b90⟧", "zero-width spaces"),
        mark("checking account ⟦000123456789⟧", "leading zeros"),
        mark("routing 091000019 account ⟦12345678⟧", "routing then account"),
        mark("acct ⟦12345678901234567⟧", "17 digits"),
        mark("Savings account\n⟦98765432⟧", "next line"),
        mark("Account: ⟦1234-5678-9012⟧", "dashed groups"),
    ]
    # Negatives.
    labels = ["Order", "Invoice", "Tracking", "Case", "Permit", "Reference", "Ticket"]
    for i in range(60):
        value = account_number(rng)
        lines.append(
            mark(
                around(rng, f"{labels[i % len(labels)]} {value} is still open"),
                "number without an account word",
            )
        )
    for _ in range(30):
        area, ex, line = phone_digits(rng)
        phone = phone_format(rng, area, ex, line)
        if phone.replace("+", "").isdigit():
            phone = f"{area}-{ex}-{line}"
        lines.append(
            mark(
                f"Call my bank at {phone} to confirm the account",
                "phone with bank context (phone wins)",
            )
        )
    for i in range(25):
        kind, prefix, length = CARD_KINDS[i % len(CARD_KINDS)]
        formatted, _ = card_format(rng, card_number(rng, prefix, length), kind)
        lines.append(
            mark(f"charge the account card {formatted}", "card with account context (card wins)")
        )
    for _ in range(20):
        lines.append(
            mark(
                f"The bank asked for my SSN {ssn_format(ssn_digits(rng), '-')} again",
                "SSN with bank context (SSN wins)",
            )
        )
    for _ in range(20):
        lines.append(
            mark(
                f"bank routing {routing_number(rng)}",
                "routing number with bank context (routing wins)",
            )
        )
    for _ in range(20):
        lines.append(
            mark(f"account {digits(rng, rng.choice([5, 6, 7]), '123456789')}", "too few digits")
        )
    for _ in range(15):
        lines.append(
            mark(f"account {digits(rng, rng.choice([18, 20, 22]), '123456789')}", "too many digits")
        )
    for _ in range(20):
        amount = f"{rng.randint(10, 99)},{rng.randint(100, 999)},{rng.randint(100, 999)}"
        lines.append(mark(f"The bank lent the city ${amount} for the arena", "money amount"))
    lines += [
        mark("Balance in the account: 12345678.90", "decimal amount"),
        mark("Savings of 12345678% claimed by the contractor lol", "percentage"),
        mark("My account was hacked, please don't post my info", "account, no number"),
        mark("I have an account with the city since 2019", "year"),
        mark("Bank Holiday closures: 12/25, 1/1", "dates"),
        mark("The food bank on 5th is open 9-5", "hours"),
        mark("Account executive: call 612-555-0134", "phone"),
        mark("In account of the storm, pickup moves to 05/14/2024", "date"),
        mark("The project account for the sewer work was $1,234,567", "money"),
        mark("Bank 20240514 deposit slip?", "hard: date written as 8 digits next to 'bank'"),
        mark(
            "I've had an account with Xcel for years. Order 12345678 shipped yesterday, way more "
            "than forty characters later.",
            "account word far away",
        ),
        mark("account for 3 kids at 1234 Elm St", "address number"),
    ]
    return lines
