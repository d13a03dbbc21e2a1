"""The response letter: what is provided, what is withheld or redacted under which statute,
the fee with its arithmetic, and whom to ask.

``compose`` builds the letter once as a ``Letter`` (title, addressing lines and blocks of
headings, paragraphs, lists and tables) from a ``Prepared`` response; ``letter_files`` renders
that same letter as HTML (``templates/letter.html``) and as a PDF with a real text layer
(``letter_pdf``), so the two can never say different things; ``response_letter`` composes
the letter on its own, as ``request letter`` and the browser view write it. Every statute and
rate comes from the archive's config; the letter never quotes captured text, so it cannot
carry a redacted value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from civicrecords.archive import Archive
from civicrecords.render import render
from civicrecords.requests import redact
from civicrecords.requests.charges import FeeResult, statement
from civicrecords.requests.detectors import CATEGORIES
from civicrecords.requests.letter_pdf import letter_pdf
from civicrecords.requests.policy import require_verified
from civicrecords.requests.prepare import Prepared, prepare_request
from civicrecords.requests.store import Request, RequestStore, local_zone

KIND_LABELS = {"public": "public data request", "subject": "data subject request",
               "discovery": "discovery request"}
WITHHELD_HOW = {"classification": "classified not public",
                "decided": "reviewed by staff", "unreviewed": "not reviewed by staff"}
LETTER_FILES = ("letter.html", "letter.pdf")


@dataclass(frozen=True)
class Block:
    """One piece of the letter: a heading, a paragraph, a list, or a table with a header."""

    kind: Literal["heading", "paragraph", "list", "table"]
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass
class Letter:
    """A composed letter, ready to render."""

    organization: str
    title: str
    lines: list[tuple[str, str]]
    blocks: list[Block] = field(default_factory=list)
    signature: str = ""


def ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1–3, 5"``."""
    out: list[str] = []
    ordered = sorted(set(numbers))
    start = previous = None
    for number in [*ordered, None]:
        if number is not None and previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            out.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = number
    return ", ".join(out)


NOUNS = {"post": ("post", "posts"), "comment": ("comment", "comments"),
         "message": ("message", "messages"), "media": ("media file", "media files")}


def _kind_counts(kinds: list[str]) -> str:
    counts = Counter(kinds)
    return ", ".join(f"{n} {NOUNS.get(kind, (kind, kind))[n != 1]}"
                     for kind, n in sorted(counts.items()))


def _opening(archive: Archive, request: Request) -> list[Block]:
    config = archive.config
    org = config.archive.name
    asked = f" You asked for: {request.description.strip()}" if request.description.strip() \
        else ""
    if request.kind == "subject":
        text = (f"On {request.received} {org} received your request, as the subject of the "
                f"data, for government data about you under {config.requests.subject_basis}."
                f"{asked}")
    else:
        text = (f"On {request.received} {org} received your request for government data "
                f"under {config.requests.public_basis}.{asked}")
    return [Block("paragraph", text)]


def _subject_blocks(archive: Archive, request: Request, prepared: Prepared) -> list[Block]:
    identity = request.identity
    blocks = [Block("paragraph", f"Your identity was verified on {identity.get('at', '')[:10]}"
                    f" ({identity.get('method', '')}, by {identity.get('verified_by', '')}).")]
    private = [row for row in prepared.provided if not row.is_public]
    own = len(prepared.plan.released_to_requester)
    blocks.append(Block("paragraph", (
        f"Private data about you is included: {len(private)} item(s) classified private "
        f"(such as your messages with the city) and {own} piece(s) of personal information "
        "you wrote yourself. Private data about other people in the same conversations has "
        "been redacted or withheld, as the law requires.")))
    for earlier in RequestStore(archive).previous_subject_requests(request):
        blocks.append(Block("paragraph", (
            f"Our records show data about you was provided on "
            f"{earlier.closure.get('at', '')[:10]} (request {earlier.id}). Under "
            f"{archive.config.requests.subject_basis} the city need not show you the same "
            f"private data again within {archive.config.requests.subject_repeat_months} "
            "months; it is included here anyway.")))
    return blocks


def _withheld_blocks(prepared: Prepared) -> list[Block]:
    if not prepared.withheld:
        return []
    numbers = prepared.number_of()
    rows = tuple((str(numbers[row.ref]), row.kind, (row.created_at or "")[:10],
                  prepared.withheld[row.ref].basis,
                  WITHHELD_HOW.get(prepared.withheld[row.ref].how, ""))
                 for row, _ in prepared.rows if row.ref in prepared.withheld)
    return [Block("heading", "Data withheld in full"),
            Block("paragraph", "These items are not public data and are withheld in full. "
                  "Each is listed in the bundle without its content."),
            Block("table", header=("Item", "Kind", "Date", "Legal basis", "Why"), rows=rows)]


def _redaction_blocks(prepared: Prepared, placeholder: str) -> list[Block]:
    if not prepared.plan.log:
        return []
    counts = Counter((entry.basis, entry.category) for entry in prepared.plan.log)
    rows = tuple((basis, CATEGORIES[category].label if category in CATEGORIES else category,
                  str(count)) for (basis, category), count in sorted(counts.items()))
    items = {entry.item_ref for entry in prepared.plan.log}
    marker = placeholder.format(basis="<legal basis>")
    return [Block("heading", "Data redacted"),
            Block("paragraph", f"Not-public data was removed from {len(items)} item(s). Each "
                  f"removal is marked in the text as \u201c{marker}\u201d and listed in "
                  "redactions.csv."),
            Block("table", header=("Legal basis", "What was redacted", "Count"), rows=rows)]


def _fee_blocks(fee: FeeResult) -> list[Block]:
    statement = fee.statement
    lines = tuple((line.description, line.quantity, line.rate, f"${line.amount}", line.basis)
                  for line in (*statement.lines, *statement.excluded))
    blocks = [Block("heading", "Fee")]
    pages = f" ({fee.pages} page(s){', estimated' if fee.estimated else ''})" \
        if fee.delivery == "paper" else ""
    blocks.append(Block("paragraph", f"Delivery: {fee.delivery} copies{pages}. Total due: "
                        f"${statement.total}."))
    if lines:
        blocks.append(Block("table", header=("Charge", "Quantity", "Rate", "Amount", "Basis"),
                            rows=lines))
    blocks.append(Block("list", items=statement.explanation))
    return blocks


def compose(archive: Archive, request: Request, prepared: Prepared | None, fee: FeeResult,
            created: datetime) -> Letter:
    """The letter for ``request`` as answered by ``prepared`` (None for a request denied
    without a bundle), dated ``created`` in the archive's time zone."""
    config = archive.config
    requester = request.requester.get("name") or ("Data subject" if request.kind == "subject"
                                                  else "Requester")
    letter = Letter(
        organization=config.archive.name,
        title=f"Response to {KIND_LABELS.get(request.kind, 'request')} {request.id}",
        lines=[("Date", created.astimezone(local_zone(archive)).date().isoformat()),
               ("To", requester), ("Request", request.id), ("Received", request.received)],
        signature=config.requests.responsible_authority)
    if request.requester.get("contact"):
        letter.lines.insert(2, ("Contact", request.requester["contact"]))
    blocks = _opening(archive, request)
    if request.status == "denied" or prepared is None:
        closure = request.closure
        blocks.append(Block("paragraph", f"Your request is denied under "
                            f"{closure.get('basis') or 'the statute cited below'}. "
                            f"{closure.get('reason', '')}".strip()))
    else:
        provided = prepared.provided
        numbers = prepared.number_of()
        if provided:
            kinds = _kind_counts([r.kind for r in provided])
            blocks.append(Block("paragraph", (
                f"We are providing {len(provided)} item(s) ({kinds})"
                f" captured from the city's official social media accounts: item(s) "
                f"{ranges([numbers[r.ref] for r in provided])} of the enclosed bundle. Open "
                "index.html in any web browser; items.jsonl holds the same data as JSON.")))
        else:
            blocks.append(Block("paragraph", "None of the data you asked for can be provided; "
                                "the reasons are listed below."))
        if request.kind == "subject":
            blocks += _subject_blocks(archive, request, prepared)
        if prepared.looked_at:
            blocks.append(Block("paragraph", (
                f"{len(prepared.looked_at)} image(s) or other media posted by members of the "
                "public were looked at by staff and are provided as captured (location and "
                "camera data removed). Software does not read text inside images.")))
        blocks += _withheld_blocks(prepared)
        blocks += _redaction_blocks(prepared, config.redaction.placeholder)
    blocks += _fee_blocks(fee)
    if request.kind == "subject":
        blocks.append(Block("paragraph", (
            "If you believe data about you is inaccurate or incomplete, you may contest it "
            f"in writing under {config.requests.challenge_basis}.")))
    if prepared is not None:
        blocks.append(Block("paragraph", (
            "The bundle is signed: README.txt explains how anyone can check that no file has "
            "changed since it was prepared.")))
    contact = config.requests.contact.strip()
    blocks += [Block("heading", "Questions"),
               Block("paragraph", f"Contact the {config.requests.responsible_authority}"
                     f"{': ' + contact if contact else ''}.")]
    letter.blocks = blocks
    return letter


def response_letter(archive: Archive, request: Request, unreviewed: redact.Unreviewed,
                    created: datetime) -> tuple[Letter, FeeResult]:
    """The letter on its own (``request letter``; e.g. for a denial) and the fee it states:
    a denied request's letter describes no response, any other prepares the response with
    ``unreviewed`` (``prepare.prepare_request``). Raises ``RefusedError`` for a discovery
    request, an unverified data subject, or undecided candidates with ``unreviewed`` None;
    ``UsageError`` for paper copies whose pages cannot be counted."""
    require_verified(request)
    prepared = None if request.status == "denied" else \
        prepare_request(archive, request, unreviewed)
    fee = statement(archive.config, request, prepared)
    return compose(archive, request, prepared, fee, created), fee


def letter_files(letter: Letter) -> dict[str, bytes]:
    """The letter as ``letter.html`` (uses the bundle's ``style.css``) and ``letter.pdf``."""
    html = render("letter.html", letter=letter)
    return {"letter.html": html.encode("utf-8"), "letter.pdf": letter_pdf(letter)}
