"""The privilege and redaction log of a production volume, as CSV and PDF.

One entry per withheld document (its slip-sheet Bates number), one per legal basis of each
redacted document, and one per document whose native WARC records stayed out of the volume
(it is produced as image, text and JSON instead). Entries describe documents without
disclosing what is withheld: kind, date, author, recipients, what was withheld or redacted
and the legal basis. The columns are chosen in ``[discovery] privilege_log_fields``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from civicrecords.config import DiscoverySection
from civicrecords.csvcells import spreadsheet_safe
from civicrecords.discovery.documents import KIND_NAMES, Doc
from civicrecords.discovery.screening import Exclusion
from civicrecords.pdffonts import BOLD, FONT, draw_string, markup, register_fonts

LABELS = {"bates": "Bates / control number", "date": "Date", "type": "Type",
          "author": "Author", "recipients": "Recipients", "description": "Description",
          "privilege": "Privilege claimed", "basis": "Basis", "action": "Action",
          "ref": "Item reference"}


@dataclass(frozen=True)
class PrivilegeEntry:
    """One line of the log."""

    bates: str
    date: str
    type: str
    author: str
    recipients: str
    description: str
    privilege: str
    basis: str
    action: str
    ref: str


def _base(doc: Doc) -> dict[str, str]:
    data = doc.data
    return {"bates": doc.begin if doc.begin == doc.end else f"{doc.begin}-{doc.end}",
            "date": doc.row.created_at or "",
            "type": f"Social media {KIND_NAMES.get(doc.row.kind, doc.row.kind).lower()}",
            "author": doc.row.author_name or doc.row.author or "",
            "recipients": ", ".join(data.recipients) if data is not None else "",
            "ref": doc.row.ref}


def privilege_entries(docs: list[Doc], natives_withheld: dict[str, Exclusion],
                      section: DiscoverySection) -> list[PrivilegeEntry]:
    """The log's entries in Bates order (see the module docstring)."""
    entries: list[PrivilegeEntry] = []
    for doc in docs:
        where = f"{doc.row.platform} account {doc.row.account}"
        if doc.withheld:
            entries.append(PrivilegeEntry(
                **_base(doc), description=f"Withheld in full; {where}; slip sheet produced",
                privilege=section.withheld_claim, basis=doc.withheld, action="withheld"))
            continue
        for basis in doc.bases:
            entries.append(PrivilegeEntry(
                **_base(doc), description=f"Text redacted ({where}); redactions are marked "
                "on the image, in the text and in the JSON native", privilege=
                section.redacted_claim, basis=basis, action="redacted"))
        exclusion = natives_withheld.get(doc.row.ref)
        if exclusion is not None:
            entries.append(PrivilegeEntry(
                **_base(doc), description=f"Native WARC record(s) not produced: "
                f"{exclusion.reason}; produced as image, text and JSON",
                privilege=section.withheld_claim, basis=exclusion.basis,
                action="native withheld"))
    return entries


def privilege_csv(entries: list[PrivilegeEntry], fields: list[str]) -> bytes:
    """The log as CSV (UTF-8 with BOM for spreadsheet programs, CRLF, labelled header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([LABELS[f] for f in fields])
    for entry in entries:
        values = asdict(entry)
        writer.writerow([spreadsheet_safe(values[f]) for f in fields])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def privilege_pdf(path: Path, entries: list[PrivilegeEntry], fields: list[str], *,
                  title: str, subtitle: str, legend: str) -> None:
    """The log as a landscape PDF table (captured text is escaped, never markup)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", fontName=BOLD, fontSize=8, leading=10)
    big = ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=16)
    small = ParagraphStyle("small", fontName=FONT, fontSize=9, leading=11)
    rows = [[Paragraph(markup(LABELS[f]), head) for f in fields]]
    for entry in entries:
        values = asdict(entry)
        rows.append([Paragraph(markup(values[f]), body) for f in fields])
    if len(rows) == 1:
        rows.append([Paragraph("No document was withheld or redacted.", body)] +
                    [Paragraph("", body)] * (len(fields) - 1))
    page = landscape(letter)
    table = Table(rows, repeatRows=1, colWidths=[(page[0] - 72) / len(fields)] * len(fields))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))

    def footer(canvas: Canvas, document: object) -> None:
        if legend:
            draw_string(canvas, 36, 20, legend, BOLD, 8)
        draw_string(canvas, page[0] - 36, 20, f"Page {canvas.getPageNumber()}", BOLD, 8,
                    anchor="right")

    document = SimpleDocTemplate(str(path), pagesize=page, leftMargin=36, rightMargin=36,
                                 topMargin=36, bottomMargin=40, title=title, invariant=1)
    document.build([Paragraph(markup(title), big), Paragraph(markup(subtitle), small),
                    Spacer(1, 10), table], onFirstPage=footer, onLaterPages=footer)
