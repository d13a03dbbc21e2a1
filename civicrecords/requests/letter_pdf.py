"""The response letter as a PDF (reportlab), with a real, searchable text layer.

Text is set in the embedded fonts of ``civicrecords.pdffonts`` (emoji in its symbol face,
characters no face has replaced rather than drawn as empty boxes). Every string is escaped
before reportlab's paragraph markup sees it, so text is never read as markup. Output is
deterministic for the same letter (``invariant``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from civicrecords.pdffonts import BOLD, FONT, draw_string, markup, register_fonts

if TYPE_CHECKING:
    from civicrecords.requests.letter import Letter


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14, spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=15, leading=19,
                                spaceAfter=10),
        "org": ParagraphStyle("org", parent=body, fontName=BOLD, fontSize=11.5, spaceAfter=2),
        "heading": ParagraphStyle("heading", parent=body, fontName=BOLD, fontSize=12,
                                  leading=16, spaceBefore=8, spaceAfter=4),
    }


def _widths(rows: list[tuple[str, ...]], total: float = 6.5 * inch) -> list[float]:
    """Column widths filling the text width, each in proportion to its longest cell
    (capped, so one long cell cannot squeeze the others)."""
    weights = [min(40, max(len(row[i]) for row in rows)) + 4 for i in range(len(rows[0]))]
    return [total * weight / sum(weights) for weight in weights]


def letter_pdf(letter: Letter) -> bytes:
    """The letter as PDF bytes (US Letter, one-inch margins, page numbers in the footer)."""
    register_fonts()
    styles = _styles()

    def para(text: str, style: str = "body") -> Paragraph:
        return Paragraph(markup(text), styles[style])

    story: list[Any] = [para(letter.organization, "org"), para(letter.title, "title")]
    for label, value in letter.lines:
        story.append(para(f"{label}: {value}"))
    story.append(Spacer(1, 6))
    for block in letter.blocks:
        if block.kind == "heading":
            story.append(para(block.text, "heading"))
        elif block.kind == "paragraph":
            story.append(para(block.text))
        elif block.kind == "list":
            story.append(ListFlowable([ListItem(para(item, "small"), leftIndent=12)
                                       for item in block.items], bulletType="bullet",
                                      bulletFontName=FONT, start="•", leftIndent=12))
            story.append(Spacer(1, 6))
        else:
            data = [[para(cell, "small") for cell in block.header]]
            data += [[para(cell, "small") for cell in row] for row in block.rows]
            table = Table(data, repeatRows=1, hAlign="LEFT",
                          colWidths=_widths([block.header, *block.rows]))
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ececec")),
                ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 8)]
    story += [Spacer(1, 12), para(letter.signature)]
    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        draw_string(canvas, inch, 0.6 * inch, f"{letter.title} — page {doc.page}", FONT, 8)
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=LETTER, leftMargin=inch, rightMargin=inch,
                                 topMargin=inch, bottomMargin=inch, title=letter.title,
                                 author=letter.organization, invariant=1)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
