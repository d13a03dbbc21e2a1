"""PDF images of produced items: the post's look, a Bates number on every page.

Each document starts on a new page: author, time, platform, status, the parent it replies
to, every version's text (newest first), content warnings, polls, links, reactions and the
pictures. The page's Bates number is stamped bottom right and the confidentiality legend
bottom left. Text is real text (a searchable, extractable layer) except redactions: a
redacted span is never drawn at all; a black box carrying its legal basis stands in its
place, so nothing is recoverable from under it. Pictures are re-encoded from their pixels
(no EXIF or GPS data reaches the PDF). PDFs are written with fixed metadata and IDs, so the
same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from reportlab import rl_config
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from civicrecords.pdffonts import BOLD, FONT, draw_string, register_fonts, string_width
from civicrecords.requests.redact import Segment

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 54.0
TOP = PAGE_HEIGHT - 64.0
BOTTOM = 64.0
WIDTH = PAGE_WIDTH - 2 * MARGIN
GREY = Color(0.35, 0.35, 0.35)
SHADE = Color(0.94, 0.94, 0.94)
_TOKEN = re.compile(r"\n|[^\S\n]+|\S+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass
class Picture:
    """An image to show (a JPEG re-encoded from pixels, see ``decode_picture``), its size in
    pixels and its caption."""

    jpeg: bytes
    width: int
    height: int
    caption: str
    max_height: float = 260.0


@dataclass
class VersionText:
    """One version's label and its (redacted) title and text."""

    label: str
    text: list[Segment]
    title: list[Segment] = field(default_factory=list)


@dataclass
class ItemImage:
    """Everything drawn for one document."""

    heading: str
    meta: list[tuple[str, str]] = field(default_factory=list)
    context: list[Segment] = field(default_factory=list)
    versions: list[VersionText] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    withheld: str | None = None


class ImageWriter:
    """Writes one PDF file of one or more documents; each page takes the next Bates number
    from ``next_bates``."""

    def __init__(self, path: Path, *, next_bates: Callable[[], str], legend: str,
                 header_left: str, header_right: str, title: str) -> None:
        register_fonts()
        rl_config.useA85 = 0  # binary streams: smaller, and no slow pure-Python ASCII85
        path.parent.mkdir(parents=True, exist_ok=True)
        self.canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(header_left)
        self.canvas.setCreator("civicrecords")
        self.next_bates = next_bates
        self.legend = legend
        self.header = (header_left, header_right)
        self.y = TOP
        self.page_open = False
        self.pages: list[str] = []

    # ----- pages ---------------------------------------------------------------------------
    def _start_page(self) -> None:
        if self.page_open:
            self.canvas.showPage()
        bates = self.next_bates()
        self.pages.append(bates)
        c = self.canvas
        c.setFillColor(GREY)
        draw_string(c, MARGIN, PAGE_HEIGHT - 36, self.header[0], FONT, 8)
        draw_string(c, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 36, self.header[1], FONT, 8,
                    anchor="right")
        c.setFillColor(black)
        draw_string(c, PAGE_WIDTH - MARGIN, 30, bates, BOLD, 10, anchor="right")
        if self.legend:
            draw_string(c, MARGIN, 30, self.legend, BOLD, 10)
        self.y = TOP
        self.page_open = True

    def _room(self, height: float) -> None:
        if not self.page_open or self.y - height < BOTTOM:
            self._start_page()

    def document(self, item: ItemImage) -> list[str]:
        """Draw one document from a fresh page; return the Bates numbers of its pages."""
        first = len(self.pages)
        self._start_page()
        if item.withheld is not None:
            self._slip_sheet(item)
        else:
            self._item(item)
        return self.pages[first:]

    def close(self) -> None:
        """Finish the last page and write the file."""
        if self.page_open:
            self.canvas.showPage()
        self.canvas.save()

    # ----- content -------------------------------------------------------------------------
    def _slip_sheet(self, item: ItemImage) -> None:
        draw_string(self.canvas, PAGE_WIDTH / 2, PAGE_HEIGHT / 2 + 40, "DOCUMENT WITHHELD",
                    BOLD, 18, anchor="centre")
        self.y = PAGE_HEIGHT / 2
        self._lines(item.heading, FONT, 11, centred=True)
        self._lines(f"Withheld in full under {item.withheld}.", FONT, 11, centred=True)
        self._lines("See the privilege log for this Bates number.", FONT, 11, centred=True)

    def _item(self, item: ItemImage) -> None:
        self._lines(item.heading, BOLD, 14)
        self.y -= 4
        for label, value in item.meta:
            self._lines(f"{label}: {value}", FONT, 9, colour=GREY)
        if item.context:
            self.y -= 6
            self._segments(item.context, 9, shaded=True)
        for version in item.versions:
            self.y -= 10
            self._lines(version.label, BOLD, 9, colour=GREY)
            if version.title:
                self._segments(version.title, 11, bold=True)
            self._segments(version.text, 11)
        if item.notes:
            self.y -= 8
        for note in item.notes:
            self._lines(note, FONT, 9, colour=GREY)
        for picture in item.pictures:
            self._picture(picture)

    def _lines(self, text: str, font: str, size: float, *, colour: Color = black,
               centred: bool = False) -> None:
        self._segments([Segment(text)], size, bold=font == BOLD, colour=colour,
                       centred=centred)

    def _segments(self, segments: list[Segment], size: float, *, bold: bool = False,
                  colour: Color = black, shaded: bool = False, centred: bool = False) -> None:
        font = BOLD if bold else FONT
        lines = _layout(segments, font, size, WIDTH - (12 if shaded else 0))
        leading = size * 1.35
        for line in lines:
            self._room(leading)
            self.y -= leading
            offset = MARGIN + (6 if shaded else 0)
            if shaded:
                self.canvas.setFillColor(SHADE)
                self.canvas.rect(MARGIN, self.y - size * 0.35, WIDTH, leading, stroke=0, fill=1)
            if centred:
                offset = (PAGE_WIDTH - sum(w for _, w, _ in line)) / 2
            x = offset
            for text, width, redacted in line:
                if redacted:
                    self.canvas.setFillColor(black)
                    self.canvas.rect(x, self.y - size * 0.3, width, size * 1.25, stroke=0,
                                     fill=1)
                    self.canvas.setFillColor(white)
                    draw_string(self.canvas, x + 3, self.y, text, BOLD, size * 0.8)
                elif text.strip():
                    self.canvas.setFillColor(colour)
                    draw_string(self.canvas, x, self.y, text, font, size)
                x += width
        self.canvas.setFillColor(black)

    def _picture(self, picture: Picture) -> None:
        scale = min(WIDTH / picture.width, picture.max_height / picture.height, 1.0)
        width, height = picture.width * scale, picture.height * scale
        self._room(height + 30)
        self.y -= height + 6
        self.canvas.drawImage(ImageReader(io.BytesIO(picture.jpeg)), MARGIN, self.y, width,
                              height)
        self._lines(picture.caption, FONT, 8, colour=GREY)


def _layout(segments: list[Segment], font: str, size: float, width: float
            ) -> list[list[tuple[str, float, bool]]]:
    """Break segments into lines of (text, width, redacted) pieces no wider than ``width``.
    A redaction stays one piece; words longer than a line are split."""
    lines: list[list[tuple[str, float, bool]]] = [[]]
    used = 0.0

    def place(text: str, piece_width: float, redacted: bool) -> None:
        nonlocal used
        if used + piece_width > width and lines[-1]:
            lines.append([])
            used = 0.0
        lines[-1].append((text, piece_width, redacted))
        used += piece_width

    for segment in segments:
        if segment.redacted:
            label_width = string_width(segment.text, BOLD, size * 0.8) + 6
            place(segment.text, min(label_width, width), True)
            continue
        for token in _TOKEN.findall(_CONTROL.sub(" ", segment.text)):
            if token == "\n":
                lines.append([])
                used = 0.0
            elif token.isspace():
                if lines[-1]:
                    used += string_width(" ", font, size)
                    lines[-1].append((" ", string_width(" ", font, size), False))
            else:
                token_width = string_width(token, font, size)
                while token_width > width:
                    cut = _fit(token, font, size, width)
                    place(token[:cut], string_width(token[:cut], font, size), False)
                    token = token[cut:]
                    token_width = string_width(token, font, size)
                place(token, token_width, False)
    return [_merge(line) for line in lines]


def _merge(line: list[tuple[str, float, bool]]) -> list[tuple[str, float, bool]]:
    """Adjacent kept pieces of a line as one piece, so each run of text is one string in
    the PDF's text layer (copy and search see words and spaces, not scattered words)."""
    out: list[tuple[str, float, bool]] = []
    for text, width, redacted in line:
        if out and not redacted and not out[-1][2]:
            out[-1] = (out[-1][0] + text, out[-1][1] + width, False)
        else:
            out.append((text, width, redacted))
    return out


def _fit(token: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``token`` fit in ``width`` (at least one)."""
    low, high = 1, len(token)
    while low < high:
        middle = (low + high + 1) // 2
        if string_width(token[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def decode_picture(data: bytes, caption: str, *, max_height: float = 260.0,
                   pixels: int = 1000) -> Picture | None:
    """A picture of ``data``: its pixels as RGB, at most ``pixels`` on a side, re-encoded
    as JPEG (no EXIF, GPS or other metadata survives); None if ``data`` is not a readable
    image."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (pixels, pixels))
            image = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    image.thumbnail((pixels, pixels))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return Picture(out.getvalue(), image.width, image.height, caption, max_height)


def placeholder_picture(caption: str) -> Picture:
    """A small grey square standing for a file that is not an image."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (220, 220, 220)).save(out, "JPEG")
    return Picture(out.getvalue(), 8, 8, caption, max_height=24)
