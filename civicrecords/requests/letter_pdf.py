"""The response letter as a PDF (reportlab), with a real, searchable text layer.

Text is set in a TrueType font embedded in the file (DejaVu Sans when the system has it, else
the Bitstream Vera that ships with reportlab); characters the font lacks are replaced by
their unaccented form or ``?`` rather than drawn as empty boxes. Every string is escaped
before reportlab's paragraph markup sees it, so text is never read as markup. Output is
deterministic for the same letter (``invariant``).
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

if TYPE_CHECKING:
    from civicrecords.requests.letter import Letter

_FONTS = (
    ("CivicSans", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    ("CivicVera", Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
     Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)


@lru_cache(maxsize=1)
def _font() -> tuple[str, str, frozenset[int]]:
    """(regular name, bold name, code points the font covers), registered once."""
    for name, regular, bold in _FONTS:
        if regular.exists() and bold.exists():
            font = TTFont(name, str(regular))
            pdfmetrics.registerFont(font)
            pdfmetrics.registerFont(TTFont(f"{name}-Bold", str(bold)))
            return name, f"{name}-Bold", frozenset(font.face.charToGlyph)
    raise RuntimeError("reportlab's bundled Vera font is missing")  # broken installation


def printable(text: str, covered: frozenset[int]) -> str:
    """``text`` with characters the font cannot draw replaced (accents dropped, else ``?``);
    control characters become spaces."""
    out = []
    for ch in text:
        if ch in "\r\n\t" or unicodedata.category(ch) == "Cc":
            out.append(" ")
        elif unicodedata.category(ch) == "Cf":
            continue
        elif ord(ch) in covered:
            out.append(ch)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                           if not unicodedata.combining(c))
            out.append(base if base and all(ord(c) in covered for c in base) else "?")
    return "".join(out)


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14, spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=15, leading=19,
                                spaceAfter=10),
        "org": ParagraphStyle("org", parent=body, fontName=bold, fontSize=11.5, spaceAfter=2),
        "heading": ParagraphStyle("heading", parent=body, fontName=bold, fontSize=12,
                                  leading=16, spaceBefore=8, spaceAfter=4),
    }


def _widths(rows: list[tuple[str, ...]], total: float = 6.5 * inch) -> list[float]:
    """Column widths filling the text width, each in proportion to its longest cell
    (capped, so one long cell cannot squeeze the others)."""
    weights = [min(40, max(len(row[i]) for row in rows)) + 4 for i in range(len(rows[0]))]
    return [total * weight / sum(weights) for weight in weights]


def letter_pdf(letter: Letter) -> bytes:
    """The letter as PDF bytes (US Letter, one-inch margins, page numbers in the footer)."""
    regular, bold, covered = _font()
    styles = _styles(regular, bold)

    def para(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(printable(text, covered)), styles[style])

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
                                      bulletFontName=regular, start="•", leftIndent=12))
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
        canvas.setFont(regular, 8)
        canvas.drawString(inch, 0.6 * inch, printable(f"{letter.title} — page {doc.page}",
                                                      covered))
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=LETTER, leftMargin=inch, rightMargin=inch,
                                 topMargin=inch, bottomMargin=inch, title=letter.title,
                                 author=letter.organization, invariant=1)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
