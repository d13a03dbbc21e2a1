"""The fonts of every PDF civicrecords writes, and text set in them with a symbol fallback.

Text is set in DejaVu Sans (Debian ``fonts-dejavu-core``) when the system has it, else the
Bitstream Vera that ships with reportlab; both are TrueType and embedded, so a PDF's text
layer holds the real characters. Posts are full of emoji and pictographs that neither face
has, so a symbol face, Symbola (Debian ``fonts-symbola``) when installed, draws each run of
characters the text face lacks instead of an empty box. A character neither face has becomes
its unaccented form when the text face has that, else U+FFFD (else ``?``); control characters
become spaces and invisible format characters (joiners, variation selectors) are dropped.

Every function takes text as it was captured: nothing in it is read as markup.

reportlab (5.1) writes each embedded subset's ToUnicode map with ``<%04X>``, which gives
five hex digits for characters beyond U+FFFF (every emoji), so PDF readers drop them from
the text layer; ``_to_unicode_cmap`` replaces that helper with one that writes UTF-16BE, as
the PDF specification requires.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import reportlab
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT, BOLD, SYMBOLS = "CivicSans", "CivicSans-Bold", "CivicSymbols"
_BUNDLED = Path(reportlab.__file__).parent / "fonts"
_TEXT_FACES = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (_BUNDLED / "Vera.ttf", _BUNDLED / "VeraBd.ttf"),
)
_SYMBOL_FACES = (
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola.ttf"),
)


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """A ToUnicode CMap for one font subset (glyph codes 0..n-1), targets in UTF-16BE."""
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) /Supplement 0 >> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{code:02X}> <{chr(point).encode('utf-16-be').hex().upper()}>"
          for code, point in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


@dataclass(frozen=True)
class Faces:
    """The code points each registered face can draw (``symbols`` is empty when no symbol
    face is installed)."""

    text: frozenset[int]
    symbols: frozenset[int]


@lru_cache(maxsize=1)
def register_fonts() -> Faces:
    """Register ``FONT`` and ``BOLD`` (and ``SYMBOLS`` when a symbol face is installed)
    with reportlab, once per process; return what they cover."""
    for regular, bold in _TEXT_FACES:
        if regular.exists() and bold.exists():
            face = TTFont(FONT, str(regular))
            pdfmetrics.registerFont(face)
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            break
    else:
        raise RuntimeError("reportlab's bundled Vera font is missing")  # broken installation
    symbols: frozenset[int] = frozenset()
    for path in _SYMBOL_FACES:
        if path.exists():
            symbol_face = TTFont(SYMBOLS, str(path))
            pdfmetrics.registerFont(symbol_face)
            symbols = frozenset(symbol_face.face.charToGlyph)
            break
    return Faces(text=frozenset(face.face.charToGlyph), symbols=symbols)


def runs(text: str) -> list[tuple[str, bool]]:
    """``text`` made drawable and split into runs of ``(characters, in the symbol face)``."""
    faces = register_fonts()
    out: list[tuple[str, bool]] = []
    for char in text:
        code = ord(char)
        category = unicodedata.category(char)
        if category == "Cc":
            char, symbol = " ", False
        elif code in faces.text:
            symbol = False
        elif code in faces.symbols:
            symbol = True
        elif category == "Cf":
            continue
        else:
            char, symbol = _substitute(char, faces.text), False
        if out and out[-1][1] == symbol:
            out[-1] = (out[-1][0] + char, symbol)
        else:
            out.append((char, symbol))
    return out


def _substitute(char: str, covered: frozenset[int]) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char)
                   if not unicodedata.combining(c))
    if base and all(ord(c) in covered for c in base):
        return base
    return "\ufffd" if 0xFFFD in covered else "?"


def string_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` as ``draw_string`` sets it in ``font`` at ``size`` points."""
    return sum(pdfmetrics.stringWidth(run, SYMBOLS if symbol else font, size)
               for run, symbol in runs(text))


def draw_string(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, *,
                anchor: Literal["left", "right", "centre"] = "left") -> float:
    """Draw ``text`` on one line starting (or ending, or centred) at ``x``; return its
    width. Runs the text face lacks are set in the symbol face."""
    pieces = runs(text)
    widths = [pdfmetrics.stringWidth(run, SYMBOLS if symbol else font, size)
              for run, symbol in pieces]
    total = sum(widths)
    x -= {"left": 0.0, "right": total, "centre": total / 2}[anchor]
    for (run, symbol), width in zip(pieces, widths, strict=True):
        canvas.setFont(SYMBOLS if symbol else font, size)
        canvas.drawString(x, y, run)
        x += width
    return total


def markup(text: str) -> str:
    """``text`` as reportlab paragraph markup: escaped, symbol runs in the symbol face."""
    return "".join(f'<font name="{SYMBOLS}">{escape(run)}</font>' if symbol else escape(run)
                   for run, symbol in runs(text))
