"""Plain text from the HTML platforms send (Mastodon content, feed entries, web pages).

Only text is extracted; nothing in the markup is ever executed or kept. Block elements become
line breaks, ``<br>`` a newline, links keep their visible text, and script/style content is
dropped.

Two readers give the same text: ``html.parser`` handles anything, and a single regular
expression handles markup made only of plain tags with quoted attributes (what Mastodon and
most feeds send) several times faster; markup it does not fully recognise (comments,
scripts, unquoted attributes, a stray ``<``) goes to ``html.parser``. A test holds the two to
the same output over the corpora and generated markup: the text is part of an item's content
hash, so a difference would show as an edit.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3",
                     "h4", "h5", "h6", "tr", "table", "section", "article", "header",
                     "footer", "aside", "nav", "dt", "dd", "figure", "figcaption"})
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "title":
            self.in_title = False
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v]+")
_BREAKS = re.compile(r"\n\s*\n+")


_PLAIN_TAG = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)"""
    r"""((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(/?)>""")


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML fragment or page (paragraphs separated by a blank line,
    whitespace collapsed, entities decoded)."""
    if "<" not in markup:
        return _tidy(html.unescape(markup))
    parts = _plain_parts(markup)
    return _tidy("".join(parts if parts is not None else _parsed_parts(markup)))


def _parsed_parts(markup: str) -> list[str]:
    """The text pieces of any markup, by ``html.parser``."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    return parser.parts


def _plain_parts(markup: str) -> list[str] | None:
    """The same pieces as ``_parsed_parts`` for markup of plain tags only, else None. A
    self-closing tag counts as a start tag and an end tag, as in ``html.parser``."""
    parts: list[str] = []
    in_title = False
    position = 0
    for match in _PLAIN_TAG.finditer(markup):
        text = markup[position:match.start()]
        if "<" in text:
            return None  # a "<" that does not open a plain tag
        if text and not in_title:
            parts.append(html.unescape(text))
        closing, name, attributes, empty = match.groups()
        name = name.lower()
        if name in _SKIP or (closing and (attributes or empty)):
            return None
        if not closing:  # a start tag
            if name == "title":
                in_title = True
            elif name == "br":
                parts.append("\n")
            elif name in _BLOCKS:
                parts.append("\n\n")
        if closing or empty:  # an end tag
            if name == "title":
                in_title = False
            elif name in _BLOCKS:
                parts.append("\n\n")
        position = match.end()
    rest = markup[position:]
    if "<" in rest or in_title:
        return None
    if rest:
        parts.append(html.unescape(rest))
    return parts


def html_title(markup: str) -> str:
    """The ``<title>`` of an HTML page, whitespace collapsed ('' when there is none)."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    return _SPACES.sub(" ", "".join(parser.title)).strip()


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return _BREAKS.sub("\n\n", joined).strip()
