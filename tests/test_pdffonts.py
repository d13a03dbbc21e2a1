"""Text in every PDF we write: emoji drawn in the symbol face and kept in the text layer,
characters no face has replaced, nothing read as markup. PDFs are read back with pypdf."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from pypdf import PdfReader

from civicrecords.discovery.pdfimages import ImageWriter, ItemImage, VersionText
from civicrecords.pdffonts import SYMBOLS, markup, register_fonts, runs, string_width
from civicrecords.requests.letter import Block, Letter
from civicrecords.requests.letter_pdf import letter_pdf
from civicrecords.requests.redact import Segment
from tests.support.system import system_dependency_missing

POST = "Snow day ❄️🎉 stay warm 👍🏽 <b>bold?</b> &amp; done"


@pytest.fixture(scope="module")
def symbol_face() -> None:
    if not register_fonts().symbols:
        system_dependency_missing("no symbol font (apt-get install fonts-symbola)")


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_production_images_draw_emoji_and_keep_them_in_the_text_layer(
        tmp_path: Path, symbol_face: None) -> None:
    numbers = itertools.count(1)
    path = tmp_path / "images.pdf"
    writer = ImageWriter(path, next_bates=lambda: f"LAKE{next(numbers):06d}",
                         legend="CONFIDENTIAL 🔒", header_left="City of Lakeside",
                         header_right="Smith v. Lakeside", title="Production")
    writer.document(ItemImage(heading="Lakeside Parks 🌲",
                              versions=[VersionText("Version 1", [Segment(POST)])]))
    writer.close()
    reader = PdfReader(path)
    text = reader.pages[0].extract_text()
    for expected in ("🎉", "👍", "🔒", "🌲", "Snow day ❄", "<b>bold?</b> &amp; done",
                     "LAKE000001"):
        assert expected in text
    assert {"DejaVuSans", "Symbola"} <= _fonts(reader)


def test_the_letter_sets_emoji_in_the_symbol_face(symbol_face: None) -> None:
    letter = Letter(organization="City of Lakeside 🏛", title="Response to request R-1",
                    lines=[("Requester", "Jo <script>alert(1)</script> 😀")],
                    blocks=[Block("paragraph", text=POST),
                            Block("table", header=("Item", "Text"), rows=(("1", POST),))])
    reader = PdfReader(io.BytesIO(letter_pdf(letter)))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("🏛", "😀", "🎉", "<script>alert(1)</script>", "&amp; done"):
        assert expected in text
    assert "Symbola" in _fonts(reader)


def test_characters_no_face_has_are_replaced_and_invisible_ones_dropped() -> None:
    faces = register_fonts()
    private, tag = "\U0010fffd", "\U000e0041"  # a private-use character; a tag character
    assert not {ord(private), ord(tag)} & (faces.text | faces.symbols)
    drawn = "".join(run for run, _ in runs(f"a\x00b\nc{private}d{tag}e"))
    assert drawn == "a b c\ufffdde"
    assert string_width("abc", "CivicSans", 10) > 0


def test_markup_escapes_captured_text_and_marks_symbol_runs(symbol_face: None) -> None:
    assert markup("<b>x</b> & 🎉") == f'&lt;b&gt;x&lt;/b&gt; &amp; <font name="{SYMBOLS}">🎉</font>'
