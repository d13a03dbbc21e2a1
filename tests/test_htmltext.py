"""Plain text from HTML: the fast reader gives exactly what ``html.parser`` gives (the text
is part of an item's content hash, so a difference would show as a false edit)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicrecords import htmltext
from civicrecords.htmltext import html_title, html_to_text

CORPORA = Path(__file__).resolve().parent / "corpora"
PIECES = ["<p>", "</p>", "<br>", "<br/>", "<br />", "<p/>", '<a href="x>y">', "</a>",
          "<span class='h'>", "</span>", "<title>", "</title>", "<div>", "</div>", "<li>",
          "<ul>", "</ul>", "&amp;", "&lt;", "&#39;", "&nbsp;", "&amp", "&bogus;", " ", "\n",
          "\t", "text", "\u00dcn\u00efc\u00f6d\u00e9", "x < y", ">", "<", "<!-- c -->",
          "<script>alert(1)</script>", "<P>", "</P >", '<a\nhref="z">', "<img src=x>",
          "<h1>", "</h1>", "<b>", "</b>", "<i/>", "</br>", "<br\t/>", "&#x1F600;", "'", '"',
          "<x-y>", "<a href='q' data-x=\"1\" hidden>", '<p class="a" >', "<style>p{}</style>"]


def _reference(markup: str) -> str:
    return htmltext._tidy("".join(htmltext._parsed_parts(markup)))


def _fast(markup: str) -> str | None:
    parts = htmltext._plain_parts(markup)
    return None if parts is None else htmltext._tidy("".join(parts))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str) and "<" in value:
        yield value


def test_fast_reader_matches_html_parser_on_every_corpus_string() -> None:
    compared = 0
    for path in sorted(CORPORA.rglob("*.json")):
        for markup in _strings(json.loads(path.read_text(encoding="utf-8"))):
            fast = _fast(markup)
            if fast is not None:
                compared += 1
                assert fast == _reference(markup), (path.name, markup[:200])
    assert compared > 300  # the corpora's Mastodon statuses take the fast path


def test_fast_reader_matches_html_parser_on_generated_markup() -> None:
    rng = random.Random(20261125)
    compared = 0
    for _ in range(30000):
        markup = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        fast = _fast(markup)
        if fast is not None:
            compared += 1
            assert fast == _reference(markup), markup
    assert compared > 5000


@pytest.mark.parametrize("markup", [
    "<p>a <!-- b --> c</p>", "<script>x()</script>text", "<p>1 < 2</p>", "<a href=x>y</a>",
    "<title>unclosed", "</p class='x'>",
])
def test_markup_the_fast_reader_does_not_know_goes_to_html_parser(markup: str) -> None:
    assert _fast(markup) is None
    assert html_to_text(markup) == _reference(markup)


def test_blocks_breaks_entities_and_titles() -> None:
    markup = ("<title>Page</title><p>Snow &amp; ice</p><p>Plows out<br>tonight</p>"
              '<ul><li>Oak</li><li><a href="/elm">Elm</a></li></ul>')
    assert html_to_text(markup) == "Snow & ice\n\nPlows out\ntonight\n\nOak\n\nElm"
    assert html_title(markup) == "Page"
