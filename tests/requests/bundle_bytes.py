"""Everything a bundle says, in every form a reader could get it: for leak tests.

``readable`` returns one text holding every file's raw bytes (decoded leniently), the
HTML with entities decoded, every JSON string decoded, the PDF text layer as pypdf extracts
it, PDF metadata, every image's metadata, and every file name. A string absent from it is
absent from the bundle however it is opened.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from PIL import Image
from pypdf import PdfReader


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_json_strings(k), *_json_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return [str(value)]


def _image_metadata(data: bytes) -> list[str]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        parts = [repr(dict(exif)), repr(exif.get_ifd(0x8825)), repr(image.info)]
    return parts


def readable(bundle: Path) -> str:
    """Every form of every file under ``bundle`` as one string (see module docstring)."""
    parts: list[str] = []
    for path in sorted(bundle.rglob("*")):
        parts.append(path.relative_to(bundle).as_posix())
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        parts.append(data.decode("latin-1"))
        if path.suffix == ".html":
            parts.append(html.unescape(data.decode("utf-8")))
        elif path.suffix == ".jsonl":
            for line in data.decode("utf-8").splitlines():
                parts.extend(_json_strings(json.loads(line)))
        elif path.suffix == ".pdf":
            reader = PdfReader(io.BytesIO(data))
            parts.extend(page.extract_text() for page in reader.pages)
            parts.append(repr(reader.metadata))
        elif path.suffix in (".jpg", ".png", ".gif", ".webp"):
            parts.extend(_image_metadata(data))
    return "\n".join(parts)


def digits(value: str) -> str:
    """Only the digits of ``value``."""
    return "".join(ch for ch in value if ch.isdigit())
