"""Rendering items to HTML: the one place that does it, for bundles, productions and the web.

Jinja2 with autoescaping everywhere: captured text is always data, never markup. Links to
captured URLs are emitted only for http(s) URLs, with ``rel="noopener noreferrer nofollow"``
and no referrer; every other scheme (``javascript:``, ``data:``...) is shown as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from civicrecords.requests.redact import Segment


@dataclass
class VersionView:
    """One version of an item, ready to render."""

    number: int
    latest: bool
    version_time: str | None
    first_seen: str
    last_seen: str
    text: list[Segment]
    title: list[Segment] = field(default_factory=list)


@dataclass
class MediaView:
    """A media file shipped beside the page (path relative to the page)."""

    href: str
    content_type: str
    alt: str


@dataclass
class ItemView:
    """An item as a page or a thread entry shows it."""

    ref: str
    number: int
    platform: str
    account: str
    kind: str
    author: str
    author_name: str
    created_at: str | None
    url: str | None
    status: str
    classification: str
    parent_id: str | None = None
    depth: int = 0
    thread: str = ""
    withheld: str | None = None
    removed: str | None = None
    versions: list[VersionView] = field(default_factory=list)
    media: list[MediaView] = field(default_factory=list)
    page: str = ""
    summary: str = ""
    page_from_item: str = ""


def segments_html(segments: Iterable[Segment]) -> Markup:
    """Escaped text with paragraphs and line breaks; redactions marked up as such."""
    pieces: list[str] = []
    for segment in segments:
        if segment.redacted:
            pieces.append(f'<mark class="redaction">{escape(segment.text)}</mark>')
        else:
            pieces.append(str(escape(segment.text)))
    joined = "".join(pieces)
    paragraphs = [p for p in joined.split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs))


def safe_link(url: str | None, label: str | None = None) -> Markup:
    """A link to a captured http(s) URL that leaks no referrer, or the URL as plain text."""
    if not url:
        return Markup("")
    text = escape(label or url)
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return Markup(f"<span class=\"inert-url\">{text}</span>")
    return Markup(f'<a href="{escape(url)}" rel="noopener noreferrer nofollow" '
                  f'referrerpolicy="no-referrer">{text}</a>')


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared Jinja2 environment (autoescape on, undefined names are errors); built once
    per process, so each template is compiled once and then served from Jinja's cache."""
    env = Environment(loader=PackageLoader("civicrecords", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["segments"] = segments_html
    env.filters["link"] = safe_link
    return env


def render(template: str, **context: Any) -> str:
    """Render one template of ``civicrecords/templates``."""
    return environment().get_template(template).render(**context)
