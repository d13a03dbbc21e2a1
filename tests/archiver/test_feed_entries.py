"""Feed parsing and mapping against realistic and deliberately broken RSS/Atom fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicrecords.archiver.sources.feed_entries import (
    MAX_IMAGES,
    ParsedFeed,
    entry_id,
    entry_item,
    page_id,
    page_url,
    parse_feed,
)
from civicrecords.model import Item

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
FEED_URL = "https://site.example/feeds/news.xml"


def parse(name: str, content_type: str | None = "application/rss+xml") -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), url=FEED_URL, content_type=content_type)


def items(parsed: ParsedFeed) -> list[Item]:
    return [entry_item(e, account_name="news", feed=parsed.info) for e in parsed.entries]


def media(item: Item) -> list[tuple[str, str, str]]:
    return [(m.media_type, m.url, m.description) for m in item.media]


def test_wordpress_rss_entries_with_content_images_and_enclosures() -> None:
    parsed = parse("rss2_city_news.xml")
    assert (parsed.version, parsed.problem, parsed.next_urls) == ("rss20", None, [])
    assert parsed.title == "City of Brookfield Falls \u2013 News"
    snow, audio = items(parsed)
    assert snow.platform_id == "https://www.brookfieldfalls.example/?p=4812"
    assert snow.kind == "post" and snow.title == "Snow Emergency declared for Wednesday, March 4"
    assert snow.url == "https://www.brookfieldfalls.example/2026/03/03/snow-emergency-march-4/"
    assert (snow.author, snow.created_at, snow.edited_at) == ("Public Works",
                                                             "2026-03-03T16:05:00Z", None)
    assert snow.tags == ["Public Works", "Snow"]
    assert snow.text.startswith("A Snow Emergency is in effect starting at 9 p.m. Wednesday")
    assert "<" not in snow.text and "Call Public Works at 555-0100." in snow.text
    assert media(snow) == [("image", "https://www.brookfieldfalls.example/wp-content/uploads/"
                            "2026/03/plow-1024x683.jpg", "A plow clearing Main Street at night")]
    assert snow.versioned["summary"].startswith(  # an excerpt written apart is kept
        "A Snow Emergency is in effect starting at 9 p.m. Wednesday. Park on the odd side")
    assert snow.extra["comments"].endswith("#respond")
    assert audio.url == "https://site.example/2026/02/25/council-audio-feb-24/"  # relative link
    assert audio.created_at == "2026-02-25T15:30:00Z"  # -0600 normalized to UTC
    assert media(audio) == [("audio", "https://media.brookfieldfalls.example/council/"
                             "2026-02-24.mp3", "")]
    assert audio.extra["enclosures"][0]["length"] == "48213331"


def test_atom_entries_paging_edits_and_relative_links() -> None:
    parsed = parse("atom_paged.xml", "application/atom+xml")
    assert parsed.version == "atom10"
    assert parsed.next_urls == ["https://county.example/news/feed.atom?page=2"]
    closure, radon = items(parsed)
    assert closure.platform_id == "tag:county.example,2026:press/318"
    assert closure.title == "Road closure on County Road 19"  # type="html" title
    assert (closure.created_at, closure.edited_at) == ("2026-03-01T20:00:00Z",
                                                       "2026-03-02T18:00:00Z")
    assert closure.author == "Transportation Dept."
    assert closure.author_id == "https://county.example/transportation"
    assert closure.url == "https://county.example/news/2026/03/cr19-closure"  # xml:base
    assert "Update March 2" in closure.text
    assert media(closure) == [("image", "https://county.example/news/2026/03/images/"
                               "cr19-detour.png", "Detour map via County Road 6")]
    assert closure.versioned["summary"].startswith("County Road 19 closes")
    assert closure.extra["enclosures"][0]["type"] == "application/pdf"  # not an image: kept
    assert (radon.created_at, radon.edited_at) == ("2026-02-27T15:30:00Z", None)
    assert radon.author == "County Communications"  # the feed's author
    assert radon.text == "Pick up a free kit at any county library while supplies last."


@pytest.mark.parametrize(("name", "title", "text"), [
    ("rss_windows1252.xml", "\u201cCaf\u00e9 with a cop\u201d \u2014 Saturday",
     "Coffee is free; donations (\u20ac or $) go to the food shelf. Se\u00f1ora Ib\u00e1\u00f1ez"
     " hosts."),
    ("atom_utf16.xml", "Brush pickup \u2013 \u00e9t\u00e9 schedule \U0001f33f",
     "Brush pickup resumes in May."),
    ("rss_mislabelled_latin1.xml", "Skating r\u00e9sum\u00e9 for the season",
     "Rinks open at 4 p.m. \u00a9 City"),
])
def test_odd_encodings_decode_to_the_right_text(name: str, title: str, text: str) -> None:
    parsed = parse(name, None)
    (item,) = items(parsed)
    assert (item.title, item.text) == (title, text)
    assert parsed.problem is None  # a wrong charset label is corrected, not an error


def test_truncated_feed_keeps_what_it_recovered_and_says_it_is_broken() -> None:
    parsed = parse("rss_truncated.xml")
    assert parsed.problem and "SAXParseException" in parsed.problem
    lifted, cut = items(parsed)
    assert lifted.platform_id == "https://site.example/feeds/water-2026-011"  # guid as URL
    assert lifted.text == "Tests came back clean; the advisory for the east side is lifted."
    assert cut.title == "Water main break on Birch Street" and cut.text == ""


def test_unescaped_ampersands_and_html_entities_are_recovered() -> None:
    parsed = parse("rss_broken_entities.xml")
    assert parsed.problem and "not well-formed" in parsed.problem
    (item,) = items(parsed)
    assert item.title == "Pool & splash pad hours"
    assert item.text == "Open 1\u20138 p.m. daily & until 9 on Fridays."


def test_hostile_entries_are_data_and_only_web_media_is_fetched() -> None:
    parsed = parse("rss_hostile.xml")
    assert parsed.problem is None
    dog, dump, bare = items(parsed)
    assert dog.title == "<img src=x onerror=alert(1)>Lost dog near the park"  # plain text
    assert parsed.title.startswith('<script>alert("feed")</script>')
    assert dog.url == "javascript:alert(document.cookie)"  # kept as data, never fetched
    assert "fetch(" not in dog.text and "display:none" not in dog.text
    assert dog.text == ("Have you seen Biscuit?\n\ndetails\n\n"
                        "Text with ]]> inside and <escaped> markup")
    assert media(dog) == [("image", "https://cdn.example/biscuit.jpg",
                           "Biscuit, a brown terrier")]  # no data:, javascript:, file:
    assert len(dump.media) == MAX_IMAGES and dump.extra["media_left_out"] == 30 - MAX_IMAGES
    assert len({m.platform_id for m in dump.media}) == MAX_IMAGES
    assert bare.platform_id.startswith("sha256:") and bare.created_at is None
    assert bare.text == "An entry with no title, no link, no guid and no date."
    again = parse("rss_hostile.xml").entries[2]
    assert entry_id(again) == bare.platform_id  # stable across captures


def test_an_html_page_is_not_a_feed_but_names_its_feed() -> None:
    parsed = parse("not_a_feed.html", "text/html; charset=utf-8")
    assert not parsed.is_feed and parsed.entries == []
    assert parsed.alternate == "https://site.example/feed/"


def test_page_ids_round_trip_and_never_equal_entry_ids() -> None:
    url = "https://www.brookfieldfalls.example/2026/02/25/council-audio-feb-24/"
    assert page_url(page_id(url)) == url and page_id(url) != url
    parsed: Any = parse("rss2_city_news.xml")
    assert all(page_id(i.url or "") != i.platform_id for i in items(parsed))
