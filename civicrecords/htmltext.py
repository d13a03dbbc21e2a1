"""Plain text from the HTML platforms send (Mastodon content, feed entries, web pages).

Only text is extracted; nothing in the markup is ever executed or kept. Block elements become
line breaks, ``<br>`` a newline, links keep their visible text, and script/style content is
dropped.
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


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML fragment or page (paragraphs separated by a blank line,
    whitespace collapsed, entities decoded)."""
    if "<" not in markup:
        return _tidy(html.unescape(markup))
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    return _tidy("".join(parser.parts))


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
